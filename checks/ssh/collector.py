"""Collect host facts over one verified SSH connection per host, with read-only commands."""

from __future__ import annotations

import datetime
import logging
import os
import shlex
import socket
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

import paramiko

from checks.ssh.facts import (
    DISKS,
    LAST_BACKUP,
    SCHEDULES,
    SERVICES,
    SSHD,
    DiskFacts,
    LastBackup,
    ScheduleFacts,
    ServiceFacts,
    SshHost,
    parse_apt_periodic,
    parse_blkid_luks,
    parse_crypttab,
    parse_key_values,
    parse_lsblk_crypt,
    parse_mounts,
    parse_swaps,
    rsyslog_forwarding,
)
from checks.ssh.kexinit import KexInitError, read_server_algorithms
from checks.ssh.sshd_config import include_patterns, parse_sshd_config
from checks.ssh.target import SshTarget
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, CollectRequest, UnitFacts

log = logging.getLogger(__name__)
# paramiko logs every failed negotiation with a traceback; the collector reports each one
# as an ERROR finding with its reason instead.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)

SECTION = "@@art32 "
# Every command here only reads. Each section is printed even when its command fails,
# so a missing tool leaves an empty section instead of shifting the others. systemctl
# runs only where systemd is the running init: elsewhere it scans unit files offline,
# which took 0.6 s per host on Debian 12, and the *.wants listings give the same facts.
FACTS_SCRIPT = r"""
s() { printf '\n@@art32 %s\n' "$1"; }
s sshd_config; cat /etc/ssh/sshd_config 2>/dev/null
s pam_sshd; cat /etc/pam.d/sshd 2>/dev/null
s mounts; cat /proc/mounts 2>/dev/null
s swaps; cat /proc/swaps 2>/dev/null
s crypttab; cat /etc/crypttab 2>/dev/null
s lsblk; lsblk -J -s -o NAME,KNAME,TYPE,MOUNTPOINT 2>/dev/null
s blkid; blkid 2>/dev/null
s cron; cat /etc/crontab /etc/cron.d/* 2>/dev/null
for d in /etc/cron.hourly /etc/cron.daily /etc/cron.weekly /etc/cron.monthly; do
  ls "$d" 2>/dev/null | sed "s|^|$d/|"
done
crontab -l 2>/dev/null
s timers; [ -d /run/systemd/system ] && systemctl list-timers --all --no-legend --no-pager 2>/dev/null
ls /etc/systemd/system/*.timer 2>/dev/null
grep -hs '^ExecStart' /etc/systemd/system/*.service 2>/dev/null
s units; for d in /etc/systemd/system/*.wants; do ls "$d" 2>/dev/null; done
[ -d /run/systemd/system ] && systemctl list-unit-files --state=enabled --no-legend --no-pager 2>/dev/null \
  | cut -d' ' -f1
s journald; cat /etc/systemd/journald.conf /etc/systemd/journald.conf.d/*.conf 2>/dev/null
s journal_directory; [ -d /var/log/journal ] && echo yes
s rsyslog; cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf 2>/dev/null
s processes; cat /proc/[0-9]*/comm 2>/dev/null | sort -u
s apt; cat /etc/apt/apt.conf.d/* 2>/dev/null | grep -i '^ *APT::Periodic'
s unattended_upgrades; dpkg-query -W -f='${Status}' unattended-upgrades 2>/dev/null
s dnf_automatic; cat /etc/dnf/automatic.conf 2>/dev/null
"""
# Facts only root can read: LUKS headers (blkid) and root's crontab.
ROOT_SCRIPT = r"""
s() { printf '\n@@art32 %s\n' "$1"; }
s blkid; blkid
s root_crontab; cat /var/spool/cron/crontabs/root 2>/dev/null; true
"""
UNVERIFIED = frozenset({ErrorReason.HOST_KEY_UNKNOWN, ErrorReason.HOST_KEY_CHANGED})
LOGIN_FACTS = frozenset({SSHD.name, DISKS.name, SCHEDULES.name, SERVICES.name, LAST_BACKUP.name})


class AcceptNewPolicy(paramiko.MissingHostKeyPolicy):
    """Record an unknown host key on first use, as OpenSSH's StrictHostKeyChecking=accept-new does.

    A key that differs from a recorded one is still rejected: paramiko raises
    BadHostKeyException before any policy is asked.
    """

    def __init__(self, known_hosts: str) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        client.get_host_keys().add(hostname, key.get_name(), key)
        os.makedirs(os.path.dirname(self.known_hosts) or ".", exist_ok=True)
        client.save_host_keys(self.known_hosts)
        log.warning("recorded new host key %s %s for %s", key.get_name(), key.fingerprint, hostname)


def collect_host(request: CollectRequest, accept_new: bool) -> UnitFacts:
    target = request.target
    assert isinstance(target, SshTarget)
    resource = Resource("ssh", "ssh.host", target.resource_id(), name=target.name)
    timeout = request.settings.connect_timeout
    with ExitStack() as stack:
        try:
            jump = _connect_jump(target, timeout, accept_new, stack) if target.proxy_jump else None
            algorithms = read_server_algorithms(stack.enter_context(_raw_channel(target, jump, timeout)))
        except Exception as error:  # the host is unreachable or not SSH: one error for all checks
            return UnitFacts(resource=resource, error=classify(error, target))

        host = SshHost(resource=resource, algorithms=algorithms)
        if request.facts & LOGIN_FACTS:
            host = _login_facts(host, target, jump, request, accept_new, stack)
        # A host whose key could not be verified may not be the host named, so it gets no
        # verdict at all, not even one on the algorithms it offered.
        if isinstance(host.sshd, CollectError) and host.sshd.reason in UNVERIFIED:
            return UnitFacts(resource=resource, error=host.sshd)
        return UnitFacts(resource=resource, subjects=[host], commands=host.commands)


def _login_facts(
    host: SshHost,
    target: SshTarget,
    jump: paramiko.SSHClient | None,
    request: CollectRequest,
    accept_new: bool,
    stack: ExitStack,
) -> SshHost:
    timeout = request.settings.connect_timeout
    try:
        client = stack.enter_context(_login(target, jump, timeout, accept_new))
        sections = _sections(_run(client, FACTS_SCRIPT, request.settings.read_timeout))
        included = _included_files(client, sections["sshd_config"], request.settings.read_timeout)
    except Exception as error:  # login or the commands failed: every login fact has that reason
        failure = classify(error, target)
        return SshHost(resource=host.resource, algorithms=host.algorithms, sshd=failure, pam_sshd=failure,
                       disks=failure, schedules=failure, services=failure)

    root_sections, root_error = _root_sections(client, target, request.settings.read_timeout)
    backup_command = _backup_command(request.parameters)
    last_backup = _last_backup(client, backup_command, request.settings.read_timeout) if backup_command else None
    return SshHost(
        resource=host.resource,
        algorithms=host.algorithms,
        sshd=parse_sshd_config(sections["sshd_config"], included),
        pam_sshd=sections["pam_sshd"],
        disks=_disk_facts(sections, root_sections),
        schedules=ScheduleFacts(
            lines=_schedule_lines(sections, root_sections),
            root_crontab_read="root_crontab" in root_sections,
        ),
        services=_service_facts(sections),
        last_backup=last_backup,
        root_facts_error=root_error,
        commands=(backup_command,) if backup_command else (),
    )


def classify(error: BaseException, target: SshTarget) -> CollectError:
    where = target.display_name()
    reasons: list[tuple[type[BaseException] | tuple[type[BaseException], ...], ErrorReason, str]] = [
        (paramiko.BadHostKeyException, ErrorReason.HOST_KEY_CHANGED,
         f"the host key of {where} differs from the one in known_hosts; if the change is expected, "
         "remove the old key with ssh-keygen -R"),
        (UnknownHostKey, ErrorReason.HOST_KEY_UNKNOWN,
         f"the host key of {where} is not in {target.known_hosts}; verify it and add it, "
         "or scan once with --ssh-accept-new"),
        (paramiko.AuthenticationException, ErrorReason.AUTHENTICATION_FAILED,
         f"{target.user}@{where} rejected the key"),
        (ConnectionRefusedError, ErrorReason.CONNECTION_REFUSED, f"connection to {where} refused"),
        ((socket.timeout, TimeoutError), ErrorReason.TIMED_OUT, f"{where} timed out"),
        (socket.gaierror, ErrorReason.DNS_FAILED, f"DNS lookup of {target.host} failed"),
    ]
    for kinds, reason, text in reasons:
        if isinstance(error, kinds):
            return CollectError(reason, f"{text}: {error}" if str(error) else text, "ssh:connect")
    if isinstance(error, paramiko.SSHException) and "private key file" in str(error).lower():
        return CollectError(ErrorReason.CREDENTIALS, f"the key file {target.key_file} cannot be read: {error}",
                            "ssh:connect")
    if isinstance(error, paramiko.SSHException) and "banner" in str(error).lower():
        return CollectError(ErrorReason.TIMED_OUT, f"{where} sent no SSH banner in time: {error}", "ssh:connect")
    if isinstance(error, KexInitError | paramiko.SSHException):
        return CollectError(ErrorReason.HANDSHAKE_FAILED, f"SSH handshake with {where} failed: {error}", "ssh:connect")
    return CollectError(ErrorReason.UNREACHABLE, f"{where}: {error!r}", "ssh:connect")


class UnknownHostKey(paramiko.SSHException):
    """The host presented a key that known_hosts does not list."""


class _RejectUnknown(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHostKey(f"{key.get_name()} key {key.fingerprint} of {hostname} is unknown")


def _client(target: SshTarget, accept_new: bool) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    known_hosts = str(target.known_hosts)
    if os.path.exists(known_hosts):
        client.load_host_keys(known_hosts)
    policy: paramiko.MissingHostKeyPolicy = AcceptNewPolicy(known_hosts) if accept_new else _RejectUnknown()
    client.set_missing_host_key_policy(policy)
    return client


def _connect_kwargs(target: SshTarget, timeout: float) -> dict[str, Any]:
    passphrase = os.environ.get(target.key_passphrase_env) if target.key_passphrase_env else None
    return {
        "username": target.user,
        "key_filename": str(target.key_file) if target.key_file else None,
        "passphrase": passphrase,
        "allow_agent": target.key_file is None,
        "look_for_keys": False,
        "timeout": timeout,
        "banner_timeout": timeout,
        "auth_timeout": timeout,
    }


def _connect_jump(target: SshTarget, timeout: float, accept_new: bool, stack: ExitStack) -> paramiko.SSHClient:
    user, host, port = _parse_jump(target.proxy_jump or "", target.user)
    client = _client(target, accept_new)
    stack.callback(client.close)
    client.connect(host, port, **{**_connect_kwargs(target, timeout), "username": user})
    return client


def _parse_jump(text: str, default_user: str) -> tuple[str, str, int]:
    """Parse OpenSSH's ProxyJump form `[user@]host[:port]`."""
    user, _, rest = text.rpartition("@")
    host, port = rest, 22
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port = int(tail.removeprefix(":") or 22)
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
        port = int(port_text)
    return user or default_user, host, port


class _raw_channel:
    """A context manager giving a plain socket to the host, directly or through the jump host."""

    def __init__(self, target: SshTarget, jump: paramiko.SSHClient | None, timeout: float) -> None:
        self.target, self.jump, self.timeout = target, jump, timeout
        self.channel: Any = None

    def __enter__(self) -> Any:
        if self.jump is not None:
            transport = self.jump.get_transport()
            assert transport is not None
            self.channel = transport.open_channel("direct-tcpip", (self.target.host, self.target.port),
                                                  ("127.0.0.1", 0), timeout=self.timeout)
        else:
            self.channel = socket.create_connection((self.target.host, self.target.port), timeout=self.timeout)
        self.channel.settimeout(self.timeout)
        return self.channel

    def __exit__(self, *_: object) -> None:
        self.channel.close()


class _login:
    """A context manager for the verified, authenticated SSH client of one host."""

    def __init__(self, target: SshTarget, jump: paramiko.SSHClient | None, timeout: float, accept_new: bool) -> None:
        self.target, self.jump, self.timeout = target, jump, timeout
        self.client = _client(target, accept_new)

    def __enter__(self) -> paramiko.SSHClient:
        sock = None
        if self.jump is not None:
            transport = self.jump.get_transport()
            assert transport is not None
            sock = transport.open_channel("direct-tcpip", (self.target.host, self.target.port),
                                          ("127.0.0.1", 0), timeout=self.timeout)
        self.client.connect(self.target.host, self.target.port, sock=sock,
                            **_connect_kwargs(self.target, self.timeout))
        return self.client

    def __exit__(self, *_: object) -> None:
        self.client.close()


def _run(client: paramiko.SSHClient, script: str, timeout: float) -> str:
    _stdin, stdout, _stderr = client.exec_command(script, timeout=timeout)
    output = stdout.read().decode("utf-8", errors="replace")
    stdout.channel.recv_exit_status()
    return output


def _run_checked(client: paramiko.SSHClient, command: str, timeout: float) -> tuple[int, str, str]:
    _stdin, stdout, stderr = client.exec_command(command, timeout=timeout)
    output = stdout.read().decode("utf-8", errors="replace")
    errors = stderr.read().decode("utf-8", errors="replace")
    return stdout.channel.recv_exit_status(), output, errors


def _sections(output: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    name = None
    for line in output.splitlines():
        if line.startswith(SECTION):
            name = line.removeprefix(SECTION).strip()
            sections[name] = ""
        elif name is not None:
            sections[name] += line + "\n"
    return sections


def _included_files(client: paramiko.SSHClient, main: str, timeout: float) -> dict[str, list[str]]:
    """Read the files of each Include pattern, sorted by name as sshd reads them."""
    included: dict[str, list[str]] = {}
    for pattern in include_patterns(main):
        absolute = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
        # The pattern is a glob the shell expands; each file is framed by a marker line.
        command = f'for f in {absolute}; do [ -f "$f" ] && {{ printf "\\n@@art32 file\\n"; cat "$f"; }}; done; true'
        output = _run(client, command, timeout)
        included[pattern] = [text for text in output.split("\n@@art32 file\n")[1:]]
    return included


def _root_sections(
    client: paramiko.SSHClient, target: SshTarget, timeout: float
) -> tuple[dict[str, str], CollectError | None]:
    if not target.sudo:
        return {}, None
    status, output, errors = _run_checked(client, "sudo -n sh -c " + shlex.quote(ROOT_SCRIPT), timeout)
    if status != 0:
        reason = errors.strip().splitlines()[-1] if errors.strip() else f"exit status {status}"
        return {}, CollectError(ErrorReason.ACCESS_DENIED, f"sudo -n failed: {reason}", "ssh:sudo")
    return _sections(output), None


def _disk_facts(sections: Mapping[str, str], root: Mapping[str, str]) -> DiskFacts:
    crypt = parse_lsblk_crypt(sections.get("lsblk", "")) | parse_crypttab(sections.get("crypttab", ""))
    blkid = root.get("blkid", sections.get("blkid", ""))
    return DiskFacts(
        mounts=parse_mounts(sections.get("mounts", "")),
        swaps=parse_swaps(sections.get("swaps", "")),
        crypt_devices=frozenset(crypt),
        luks_devices=frozenset(parse_blkid_luks(blkid)),
        blkid_complete="blkid" in root,
    )


def _schedule_lines(sections: Mapping[str, str], root: Mapping[str, str]) -> tuple[str, ...]:
    text = "\n".join((sections.get("cron", ""), sections.get("timers", ""), root.get("root_crontab", "")))
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def _service_facts(sections: Mapping[str, str]) -> ServiceFacts:
    return ServiceFacts(
        processes=frozenset(line.strip() for line in sections.get("processes", "").splitlines() if line.strip()),
        enabled_units=frozenset(line.strip() for line in sections.get("units", "").splitlines() if line.strip()),
        journald=parse_key_values(sections.get("journald", "")),
        journal_directory=sections.get("journal_directory", "").strip() == "yes",
        rsyslog_forwarding=rsyslog_forwarding(sections.get("rsyslog", "")),
        apt_periodic=parse_apt_periodic(sections.get("apt", "")),
        unattended_upgrades_installed="install ok installed" in sections.get("unattended_upgrades", ""),
        dnf_automatic=parse_key_values(sections.get("dnf_automatic", "")),
    )


def _backup_command(parameters: Mapping[str, Mapping[str, Any]]) -> str:
    return str(parameters.get("ssh.backup.recent", {}).get("last_backup_command", "")).strip()


def _last_backup(client: paramiko.SSHClient, command: str, timeout: float) -> LastBackup | CollectError:
    """Run the operator's command, which prints the last backup time (epoch seconds or ISO 8601)."""
    try:
        status, output, errors = _run_checked(client, command, timeout)
    except Exception as error:  # the command hung or the channel broke: an error for that check
        return CollectError(ErrorReason.API_ERROR, f"last_backup_command failed: {error}", "ssh:exec")
    if status != 0:
        return CollectError(ErrorReason.API_ERROR, f"last_backup_command exited {status}: {errors.strip()[:200]}",
                            "ssh:exec")
    text = output.strip().splitlines()[-1] if output.strip() else ""
    moment = _parse_time(text)
    age = None if moment is None else (datetime.datetime.now(datetime.UTC) - moment).total_seconds() / 3600
    return LastBackup(command=command, output=text[:200], age_hours=age)


def _parse_time(text: str) -> datetime.datetime | None:
    if text.isdigit():
        return datetime.datetime.fromtimestamp(int(text), datetime.UTC)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)

