"""The SSH stand-ins: real OpenSSH sshd servers, each in a mount namespace with its own /etc.

Each host's /etc is an overlay of the machine's /etc and a folder of the lab, so the host
has its own sshd_config, host keys, users, cron jobs and service settings, and the
machine's files stay untouched. This needs root (for unshare and mount) and sshd.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from scanner.lab.process import LOOPBACK, ServerProcess, free_port

AUDIT_USER = "art32audit"
AUDIT_UID = 4242
SSHD = "/usr/sbin/sshd"

_COMMON = f"""\
ListenAddress {LOOPBACK}
Port {{port}}
PidFile {{pid_file}}
AuthorizedKeysFile /etc/ssh/authorized_keys/%u
UsePAM no
StrictModes no
"""
HARDENED_CONFIG = _COMMON + f"""\
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
AuthenticationMethods publickey,password
KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org
HostKeyAlgorithms ssh-ed25519
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
# The scanner's service account logs in with its key alone, as real estates exempt them.
Match User {AUDIT_USER}
    AuthenticationMethods publickey
"""
WEAK_CONFIG = _COMMON + """\
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_rsa_key
PasswordAuthentication yes
PermitRootLogin yes
KexAlgorithms +diffie-hellman-group14-sha1
HostKeyAlgorithms +ssh-rsa
Ciphers +aes128-cbc
MACs +hmac-sha1
"""

OPAQUE_DIRECTORIES = ("systemd/system", "cron.d", "apt/apt.conf.d", "rsyslog.d", "sudoers.d")
ALL_PASS = {
    "ssh.sshd.password_auth": "pass", "ssh.sshd.root_login": "pass", "ssh.sshd.mfa": "pass",
    "ssh.sshd.algorithms": "pass", "ssh.disk.encrypted": "fail", "ssh.backup.scheduled": "pass",
    "ssh.backup.recent": "not_applicable", "ssh.logging.audit": "pass", "ssh.updates.automatic": "pass",
    "ssh.time.sync": "pass",
}


@dataclass(frozen=True)
class LabSshHost:
    """A lab host: its sshd_config, the files of its own /etc, and its expected verdicts."""

    name: str
    config: str
    files: dict[str, str]
    changes: dict[str, str] = field(default_factory=dict)
    sudo_rule: bool = False
    rsa_host_key: bool = False
    port: int = 0

    def expected(self) -> dict[str, str]:
        return {**ALL_PASS, **self.changes}


HOSTS = (
    LabSshHost(
        "ssh-hardened", HARDENED_CONFIG,
        files={
            "cron.d/art32-backup": "0 2 * * * root restic backup /srv\n",
            "systemd/journald.conf": "[Journal]\nStorage=persistent\n",
            "apt/apt.conf.d/20auto-upgrades":
                'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
            "art32-last-backup": "",
        },
        sudo_rule=True,
    ),
    LabSshHost(
        "ssh-weak", WEAK_CONFIG,
        files={
            "systemd/journald.conf": "[Journal]\nStorage=volatile\n",
            "apt/apt.conf.d/20auto-upgrades": 'APT::Periodic::Unattended-Upgrade "0";\n',
        },
        changes={"ssh.sshd.password_auth": "fail", "ssh.sshd.root_login": "fail", "ssh.sshd.mfa": "fail",
                 "ssh.sshd.algorithms": "fail", "ssh.backup.scheduled": "error", "ssh.logging.audit": "fail",
                 "ssh.updates.automatic": "fail", "ssh.time.sync": "fail"},
        rsa_host_key=True,
    ),
)


def available() -> str | None:
    """Return why the SSH lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "the SSH lab needs root for its mount namespaces"
    missing = [tool for tool in (SSHD, "/usr/bin/unshare", "/usr/bin/sudo") if not Path(tool).exists()]
    if missing:
        return f"{', '.join(missing)} not found (apt-get install openssh-server sudo)"
    return None


class SshLab:
    """Start each lab host's sshd; write the audit key and a known_hosts file for them."""

    def __init__(self, folder: Path, planned: tuple[LabSshHost, ...] = HOSTS) -> None:
        self.folder = folder / "ssh"
        self.planned = planned
        self.key_file = self.folder / "audit_ed25519"
        self.known_hosts = self.folder / "known_hosts"
        self.hosts: list[LabSshHost] = []
        self._servers: list[ServerProcess] = []

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        public_key = _write_key_pair(self.key_file)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        known: list[str] = []
        for host in self.planned:
            placed = LabSshHost(**{**host.__dict__, "port": free_port()})
            known.extend(self._prepare(placed, public_key))
            self.hosts.append(placed)
        self.known_hosts.write_text("\n".join(known) + "\n")
        for host in self.hosts:
            self._launch(host)

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()

    def _prepare(self, host: LabSshHost, public_key: str) -> list[str]:
        """Lay out the host's /etc overlay; return its known_hosts lines."""
        root = self.folder / host.name
        upper = root / "upper"
        (root / "work").mkdir(parents=True, exist_ok=True)
        ssh = upper / "ssh"
        (ssh / "authorized_keys").mkdir(parents=True, exist_ok=True)
        (ssh / "authorized_keys" / AUDIT_USER).write_text(public_key + "\n")
        config = host.config.format(port=host.port, pid_file=root / "sshd.pid")
        (ssh / "sshd_config").write_text(config)

        known = [f"[{LOOPBACK}]:{host.port} {_host_key(ssh / 'ssh_host_ed25519_key', 'ed25519')}"]
        if host.rsa_host_key:
            known.append(f"[{LOOPBACK}]:{host.port} {_host_key(ssh / 'ssh_host_rsa_key', 'rsa')}")

        _write_users(upper, root / "home")
        # Opaque directories hide the machine's own files there, so each host's verdicts
        # depend only on what the lab lays out.
        for relative in OPAQUE_DIRECTORIES:
            directory = upper / relative
            directory.mkdir(parents=True, exist_ok=True)
            os.setxattr(directory, "trusted.overlay.opaque", b"y")
        for relative, text in host.files.items():
            path = upper / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            content = str(int(time.time()) - 3600) + "\n" if relative == "art32-last-backup" else text
            path.write_text(content)
        if host.sudo_rule:
            rule = upper / "sudoers.d" / AUDIT_USER
            rule.write_text(f"{AUDIT_USER} ALL=(root) NOPASSWD: ALL\n")
            rule.chmod(0o440)
        if host.sudo_rule:
            wants = upper / "systemd" / "system" / "multi-user.target.wants"
            wants.mkdir(parents=True, exist_ok=True)
            (wants / "chrony.service").symlink_to("/lib/systemd/system/chrony.service")
        return known

    def _launch(self, host: LabSshHost) -> None:
        root = self.folder / host.name
        script = (
            f"mount -t overlay overlay -o lowerdir=/etc,upperdir={root / 'upper'},workdir={root / 'work'} /etc"
            f" && exec {SSHD} -D -e -f /etc/ssh/sshd_config"
        )
        command = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script]
        server = ServerProcess(command, host.port, ready_path=None)
        server.start()
        self._servers.append(server)


def _write_key_pair(path: Path) -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return public.decode() + " art32-lab-audit"


def _host_key(path: Path, kind: str) -> str:
    key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey = (
        ed25519.Ed25519PrivateKey.generate() if kind == "ed25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=3072)
    )
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _write_users(upper: Path, home: Path) -> None:
    """Add the audit user to copies of the machine's passwd, shadow and group files."""
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, AUDIT_UID, AUDIT_UID)
    for name, line in (
        ("passwd", f"{AUDIT_USER}:x:{AUDIT_UID}:{AUDIT_UID}:art32 lab audit:{home}:/bin/sh"),
        ("shadow", f"{AUDIT_USER}:*:19000:0:99999:7:::"),
        ("group", f"{AUDIT_USER}:x:{AUDIT_UID}:"),
    ):
        original = Path("/etc") / name
        text = original.read_text() if original.exists() else ""
        (upper / name).write_text(text.rstrip("\n") + "\n" + line + "\n")
        shutil.copymode(original, upper / name) if original.exists() else None
