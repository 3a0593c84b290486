"""Host facts read over SSH: typed records parsed from the output of read-only commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from checks.ssh.kexinit import ServerAlgorithms
from checks.ssh.sshd_config import SshdConfig
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec

_LOGIN = ("ssh:login",)
HANDSHAKE = FactSpec("ssh.handshake", ("network:tcp-connect",))
SSHD = FactSpec("ssh.sshd_config", _LOGIN)
DISKS = FactSpec("ssh.disks", _LOGIN)
SCHEDULES = FactSpec("ssh.schedules", _LOGIN)
SERVICES = FactSpec("ssh.services", _LOGIN)
LAST_BACKUP = FactSpec("ssh.last_backup", _LOGIN)

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


@dataclass(frozen=True, slots=True)
class Mount:
    device: str
    mountpoint: str
    fstype: str


@dataclass(frozen=True)
class DiskFacts:
    """Mounted file systems and swap, and which devices are dm-crypt or LUKS."""

    mounts: tuple[Mount, ...]
    swaps: tuple[str, ...]
    crypt_devices: frozenset[str]
    """Device names (`/dev/mapper/x`, `/dev/dm-0`, `x`) known to be dm-crypt mappings."""
    luks_devices: frozenset[str]
    """Devices whose blkid TYPE is crypto_LUKS."""
    blkid_complete: bool
    """False when blkid could not run as root, so a LUKS device may be missing from the list."""


@dataclass(frozen=True)
class ScheduleFacts:
    """Lines that schedule work: crontab entries, cron script names, timers and unit commands."""

    lines: tuple[str, ...]
    root_crontab_read: bool


@dataclass(frozen=True)
class ServiceFacts:
    """Running processes, enabled units, and the logging and update settings of a host."""

    processes: frozenset[str]
    enabled_units: frozenset[str]
    journald: Mapping[str, str]
    journal_directory: bool
    rsyslog_forwarding: tuple[str, ...]
    apt_periodic: Mapping[str, str]
    unattended_upgrades_installed: bool
    dnf_automatic: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class LastBackup:
    command: str
    output: str
    age_hours: float | None


@dataclass(frozen=True)
class SshHost:
    resource: Resource
    algorithms: ServerAlgorithms | CollectError = NOT_COLLECTED
    sshd: SshdConfig | CollectError = NOT_COLLECTED
    pam_sshd: str | CollectError = NOT_COLLECTED
    disks: DiskFacts | CollectError = NOT_COLLECTED
    schedules: ScheduleFacts | CollectError = NOT_COLLECTED
    services: ServiceFacts | CollectError = NOT_COLLECTED
    last_backup: LastBackup | CollectError | None = None
    root_facts_error: CollectError | None = None
    commands: tuple[str, ...] = field(default_factory=tuple)


def parse_mounts(text: str) -> tuple[Mount, ...]:
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mounts.append(Mount(parts[0].replace("\\040", " "), parts[1].replace("\\040", " "), parts[2]))
    return tuple(mounts)


def parse_swaps(text: str) -> tuple[str, ...]:
    return tuple(line.split()[0] for line in text.splitlines()[1:] if line.strip())


def parse_crypttab(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            names.update({parts[0], f"/dev/mapper/{parts[0]}"})
    return names


def parse_lsblk_crypt(text: str) -> set[str]:
    """Return the devices that are, or sit on, a crypt device, from `lsblk -J -s` output.

    With -s (inverse order) each top-level entry is a device that may be mounted, and its
    children are the devices it sits on, so a crypt device below marks it encrypted.
    """
    try:
        tree = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return set()
    found: set[str] = set()
    for device in tree.get("blockdevices", []):
        if isinstance(device, dict) and _has_crypt(device):
            for key in ("name", "kname"):
                name = device.get(key)
                if isinstance(name, str):
                    found.update({name, f"/dev/{name}", f"/dev/mapper/{name}"})
    return found


def _has_crypt(node: Mapping[str, object]) -> bool:
    children = node.get("children") or []
    assert isinstance(children, list)
    return node.get("type") == "crypt" or any(isinstance(c, dict) and _has_crypt(c) for c in children)


def parse_blkid_luks(text: str) -> set[str]:
    devices = set()
    for line in text.splitlines():
        device, _, rest = line.partition(":")
        if 'TYPE="crypto_LUKS"' in rest:
            devices.add(device.strip())
    return devices


def parse_key_values(text: str, separator: str = "=") -> dict[str, str]:
    """Parse `key = value` lines (journald.conf, dnf automatic.conf); the last value wins."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")) or separator not in line:
            continue
        key, _, value = line.partition(separator)
        values[key.strip().lower()] = value.strip().strip('"').lower()
    return values


def parse_apt_periodic(text: str) -> dict[str, str]:
    """Parse `APT::Periodic::Unattended-Upgrade "1";` lines; later files override earlier ones."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.lower().startswith("apt::periodic::"):
            key, _, value = line.partition(" ")
            values[key.lower()] = value.strip().rstrip(";").strip().strip('"')
    return values


def rsyslog_forwarding(text: str) -> tuple[str, ...]:
    """Return rsyslog lines that forward to another host: `*.* @@host` or an omfwd action."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        selector_action = stripped.split()
        if "omfwd" in stripped or (len(selector_action) >= 2 and selector_action[-1].startswith("@")):
            lines.append(stripped)
    return tuple(lines)
