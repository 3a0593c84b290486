"""The SSH checks and parsers on tables of facts: no network."""

from __future__ import annotations

import socket
import struct
import threading

import pytest

from checks.ssh.facts import (
    DiskFacts,
    Mount,
    ScheduleFacts,
    ServiceFacts,
    SshHost,
    parse_apt_periodic,
    parse_blkid_luks,
    parse_crypttab,
    parse_lsblk_crypt,
    rsyslog_forwarding,
)
from checks.ssh.hardening import algorithms, mfa, password_auth, root_login
from checks.ssh.kexinit import KexInitError, read_server_algorithms
from checks.ssh.sshd_config import parse_sshd_config
from checks.ssh.system import backup_scheduled, disk_encrypted, logging_audit, time_sync, updates_automatic
from scanner.model import ErrorReason, Resource, Status
from scanner.plugin import CollectError
from scanner.policies import load_ssh_policy

RESOURCE = Resource("ssh", "ssh.host", "ssh://127.0.0.1:22")


def _host(config: str = "", pam: str = "", **facts) -> SshHost:
    return SshHost(RESOURCE, sshd=parse_sshd_config(config), pam_sshd=pam, **facts)


@pytest.mark.parametrize(
    ("config", "pam", "expected"),
    [
        ("PasswordAuthentication no\n", "", Status.PASS),
        ("", "", Status.FAIL),
        ("PasswordAuthentication yes\nAuthenticationMethods publickey,password\n", "", Status.PASS),
        ("AuthenticationMethods publickey,password password\n", "", Status.FAIL),
        ("PasswordAuthentication no\nMatch User backup\n  PasswordAuthentication yes\n", "", Status.FAIL),
        ("PasswordAuthentication no\nMatch Address 10.0.0.0/8\n  PasswordAuthentication no\n", "", Status.PASS),
        ("PasswordAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM yes\n", "", Status.FAIL),
        ("PasswordAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM yes\n",
         "auth required pam_google_authenticator.so\n", Status.PASS),
        ("PasswordAuthentication no\nChallengeResponseAuthentication yes\nUsePAM yes\n", "", Status.FAIL),
        # Without PAM, keyboard-interactive has no backend on Linux.
        ("PasswordAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM no\n", "", Status.PASS),
        ("passwordauthentication=no\n", "", Status.PASS),
    ],
)
def test_password_auth(config, pam, expected):
    assert password_auth.evaluate(_host(config, pam), {}).status is expected


def test_include_read_in_place():
    config = parse_sshd_config("Include extra.conf\nPasswordAuthentication yes\n",
                               {"extra.conf": ["PasswordAuthentication no\n"]})

    assert config.value("passwordauthentication") == "no"
    assert config.includes == ("extra.conf",)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("", Status.PASS),
        ("PermitRootLogin yes\n", Status.FAIL),
        ("PermitRootLogin prohibit-password\n", Status.PASS),
        ("PermitRootLogin no\nMatch Address 192.0.2.1\n  PermitRootLogin yes\n", Status.FAIL),
    ],
)
def test_root_login(config, expected):
    assert root_login.evaluate(_host(config), {}).status is expected


@pytest.mark.parametrize(
    ("config", "pam", "expected"),
    [
        ("AuthenticationMethods publickey,password\n", "", Status.PASS),
        ("AuthenticationMethods publickey,keyboard-interactive publickey,password\n", "", Status.PASS),
        ("AuthenticationMethods publickey password,publickey\n", "", Status.FAIL),
        ("", "", Status.FAIL),
        ("UsePAM yes\nKbdInteractiveAuthentication yes\n", "auth required pam_u2f.so\n", Status.PASS),
        ("UsePAM yes\nKbdInteractiveAuthentication no\n", "auth required pam_u2f.so\n", Status.FAIL),
        ("UsePAM yes\nKbdInteractiveAuthentication yes\n", "# auth required pam_u2f.so\n", Status.FAIL),
    ],
)
def test_mfa(config, pam, expected):
    assert mfa.evaluate(_host(config, pam), {}).status is expected


def test_mfa_lists_exemptions():
    config = "AuthenticationMethods publickey,password\nMatch User svc\n  AuthenticationMethods publickey\n"

    verdict = mfa.evaluate(_host(config), {})

    assert verdict.status is Status.PASS
    assert verdict.evidence["exemptions"] == ["Match User svc"]


def _kexinit_packet(lists: list[str]) -> bytes:
    payload = bytes([20]) + b"\0" * 16
    for text in lists:
        payload += struct.pack(">I", len(text)) + text.encode()
    payload += b"\0" + b"\0\0\0\0"
    padding = 8 - (len(payload) + 5) % 8 + 4
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + b"\0" * padding


def _serve(data: bytes) -> int:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer() -> None:
        connection, _ = listener.accept()
        try:
            connection.sendall(data)
            connection.recv(100)
        except OSError:
            pass  # the client may close first, as it does on a non-SSH peer
        finally:
            connection.close()
            listener.close()

    threading.Thread(target=answer, daemon=True).start()
    return int(listener.getsockname()[1])


def test_kexinit_parsed_from_socket():
    lists = ["curve25519-sha256,kex-strict-s-v00@openssh.com", "ssh-ed25519", "aes128-ctr", "aes256-ctr",
             "hmac-sha2-256-etm@openssh.com", "hmac-sha1", "none", "none", "", ""]
    port = _serve(b"some pre-banner text\r\nSSH-2.0-OpenSSH_9.2\r\n" + _kexinit_packet(lists))

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        offered = read_server_algorithms(sock)

    assert offered.banner == "SSH-2.0-OpenSSH_9.2"
    assert offered.kex == ("curve25519-sha256",)
    assert offered.ciphers == ("aes128-ctr", "aes256-ctr")
    assert offered.macs == ("hmac-sha2-256-etm@openssh.com", "hmac-sha1")


def test_kexinit_rejects_non_ssh():
    port = _serve(b"HTTP/1.1 400 Bad Request\r\n" * 60)

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock, pytest.raises(KexInitError):
        read_server_algorithms(sock)


def test_algorithms_against_policy():
    from checks.ssh.kexinit import ServerAlgorithms

    policy = {"ssh_policy": load_ssh_policy("openssh-hardened", "test")}
    good = ServerAlgorithms("SSH-2.0-x", ("curve25519-sha256",), ("ssh-ed25519",), ("aes256-gcm@openssh.com",),
                            ("hmac-sha2-256-etm@openssh.com",), ("none",))
    weak = ServerAlgorithms("SSH-2.0-x", ("diffie-hellman-group1-sha1",), ("ssh-rsa",), ("3des-cbc",),
                            ("hmac-md5",), ("none",))

    assert algorithms.evaluate(SshHost(RESOURCE, algorithms=good), policy).status is Status.PASS
    verdict = algorithms.evaluate(SshHost(RESOURCE, algorithms=weak), policy)
    assert verdict.status is Status.FAIL
    assert verdict.evidence["outside_policy"]["ciphers"] == ["3des-cbc"]


# System facts


def _disks(mounts, crypt=(), luks=(), swaps=()) -> DiskFacts:
    return DiskFacts(tuple(Mount(*m) for m in mounts), tuple(swaps), frozenset(crypt), frozenset(luks), True)


@pytest.mark.parametrize(
    ("disks", "expected"),
    [
        (_disks([("/dev/mapper/root", "/", "ext4")], crypt={"/dev/mapper/root"}), Status.PASS),
        (_disks([("/dev/dm-0", "/", "ext4")], crypt={"dm-0"}), Status.PASS),
        (_disks([("/dev/vda1", "/", "ext4")]), Status.FAIL),
        (_disks([("/dev/mapper/root", "/", "ext4"), ("/dev/sdb1", "/srv", "xfs")], crypt={"/dev/mapper/root"}),
         Status.FAIL),
        (_disks([("/dev/mapper/root", "/", "ext4"), ("/dev/sda1", "/boot", "ext4")], crypt={"/dev/mapper/root"}),
         Status.PASS),
        (_disks([("/dev/mapper/root", "/", "ext4")], crypt={"/dev/mapper/root"}, swaps=["/dev/sda2"]), Status.FAIL),
        (_disks([("/dev/mapper/root", "/", "ext4")], crypt={"/dev/mapper/root"}, swaps=["/dev/zram0"]), Status.PASS),
        (_disks([("overlay", "/", "overlay"), ("tmpfs", "/tmp", "tmpfs")]), Status.NOT_APPLICABLE),
    ],
)
def test_disk_encrypted(disks, expected):
    assert disk_encrypted.evaluate(SshHost(RESOURCE, disks=disks), {}).status is expected


def test_disk_parsers():
    lsblk = ('{"blockdevices":[{"name":"root","kname":"dm-0","type":"crypt","children":[{"name":"vda2","type":"part"}]},'
             '{"name":"vda1","type":"part"}]}')

    assert "/dev/mapper/root" in parse_lsblk_crypt(lsblk)
    assert "dm-0" in parse_lsblk_crypt(lsblk)
    assert "vda1" not in parse_lsblk_crypt(lsblk)
    assert parse_crypttab("# comment\ndata UUID=1 none luks\n") == {"data", "/dev/mapper/data"}
    assert parse_blkid_luks('/dev/vda2: UUID="1" TYPE="crypto_LUKS"\n/dev/vda1: TYPE="ext4"\n') == {"/dev/vda2"}


def _services(**changes) -> ServiceFacts:
    values = dict(processes=frozenset(), enabled_units=frozenset(), journald={}, journal_directory=False,
                  rsyslog_forwarding=(), apt_periodic={}, unattended_upgrades_installed=False, dnf_automatic={})
    values.update(changes)
    return ServiceFacts(**values)


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (_services(), Status.FAIL),
        (_services(journald={"storage": "persistent"}), Status.PASS),
        (_services(journal_directory=True), Status.PASS),
        (_services(journald={"storage": "volatile"}, journal_directory=True), Status.FAIL),
        (_services(processes=frozenset({"auditd"})), Status.PASS),
        (_services(rsyslog_forwarding=("*.* @@loghost:514",)), Status.PASS),
    ],
)
def test_logging_audit(services, expected):
    assert logging_audit.evaluate(SshHost(RESOURCE, services=services), {}).status is expected


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (_services(unattended_upgrades_installed=True, apt_periodic={"apt::periodic::unattended-upgrade": "1"}),
         Status.PASS),
        (_services(unattended_upgrades_installed=True, apt_periodic={"apt::periodic::unattended-upgrade": "0"}),
         Status.FAIL),
        (_services(apt_periodic={"apt::periodic::unattended-upgrade": "1"}), Status.FAIL),
        (_services(dnf_automatic={"apply_updates": "yes"}, enabled_units=frozenset({"dnf-automatic.timer"})),
         Status.PASS),
        (_services(dnf_automatic={"apply_updates": "no"}, enabled_units=frozenset({"dnf-automatic.timer"})),
         Status.FAIL),
    ],
)
def test_updates_automatic(services, expected):
    assert updates_automatic.evaluate(SshHost(RESOURCE, services=services), {}).status is expected


def test_time_sync():
    assert time_sync.evaluate(SshHost(RESOURCE, services=_services()), {}).status is Status.FAIL
    running = _services(processes=frozenset({"chronyd"}))
    assert time_sync.evaluate(SshHost(RESOURCE, services=running), {}).status is Status.PASS


@pytest.mark.parametrize(
    ("lines", "extra", "root_error", "expected"),
    [
        (("0 2 * * * root restic backup /srv",), "", None, Status.PASS),
        (("/etc/cron.daily/borgmatic",), "", None, Status.PASS),
        (("0 3 * * * root /opt/bin/snapshot-db",), "snapshot-db", None, Status.PASS),
        (("0 3 * * * root logrotate",), "", None, Status.FAIL),
        ((), "", CollectError(ErrorReason.ACCESS_DENIED, "sudo -n failed"), Status.ERROR),
    ],
)
def test_backup_scheduled(lines, extra, root_error, expected):
    host = SshHost(RESOURCE, schedules=ScheduleFacts(lines, root_error is None), services=_services(),
                   root_facts_error=root_error)

    assert backup_scheduled.evaluate(host, {"extra_commands": extra}).status is expected


def test_config_parsers():
    assert parse_apt_periodic('APT::Periodic::Unattended-Upgrade "1";\n') == {"apt::periodic::unattended-upgrade": "1"}
    assert rsyslog_forwarding("# *.* @@old\n*.* @@loghost:514\naction(type=\"omfwd\" target=\"x\")\n") == (
        "*.* @@loghost:514", 'action(type="omfwd" target="x")')
