"""SSH checks of the host itself: disk encryption, backups, logging, updates and time."""

from __future__ import annotations

from checks.ssh.facts import DISKS, LAST_BACKUP, SCHEDULES, SERVICES, DiskFacts, Mount, SshHost
from checks.ssh.hardening import ssh_check
from scanner.model import Article, Measure, Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import Params, require

BACKUP_TOOLS = ("restic", "borg", "borgmatic", "rsnapshot", "duplicity", "bacula", "veeam")
TIME_SYNC_PROCESSES = frozenset({"chronyd", "systemd-timesyncd", "ntpd", "ntpsec", "openntpd", "timesyncd"})
TIME_SYNC_UNITS = frozenset({"chrony.service", "chronyd.service", "systemd-timesyncd.service", "ntp.service",
                             "ntpsec.service", "openntpd.service", "ntpd.service"})
# Mounts that hold no personal data: boot files, read-only images, RAM-backed swap.
_SKIPPED_MOUNTS = ("/boot", "/boot/efi")
_SKIPPED_DEVICES = ("/dev/loop", "/dev/zram", "/dev/ram")


def _is_data_mount(mount: Mount) -> bool:
    return (mount.device.startswith("/dev/") and mount.mountpoint not in _SKIPPED_MOUNTS
            and not mount.device.startswith(_SKIPPED_DEVICES) and mount.fstype not in ("squashfs", "iso9660"))


def _is_encrypted(device: str, facts: DiskFacts) -> bool:
    name = device.rsplit("/", 1)[-1]
    return device in facts.crypt_devices or name in facts.crypt_devices or device in facts.luks_devices


@ssh_check(
    id="ssh.disk.encrypted",
    title="Hosts keep file systems and swap on encrypted devices",
    facts=(DISKS,),
    measure=Measure.ENCRYPTION,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
    severity=Severity.HIGH,
    rationale=(
        "A disk that leaves the data centre (a failed drive, a stolen server, a decommissioned "
        "volume) exposes every record on it unless it was encrypted; swap holds pieces of memory."
    ),
    remediation="Put data and root file systems and swap on LUKS (dm-crypt) devices, unlocked at boot.",
)
def disk_encrypted(host: SshHost, _params: Params) -> Verdict:
    facts = require(host.disks)
    data = [m for m in facts.mounts if _is_data_mount(m)]
    swaps = [s for s in facts.swaps if s.startswith("/dev/") and not s.startswith(_SKIPPED_DEVICES)]
    plain = sorted({f"{m.mountpoint} on {m.device}" for m in data if not _is_encrypted(m.device, facts)})
    plain += [f"swap on {s}" for s in swaps if not _is_encrypted(s, facts)]
    evidence = {"file_systems": [f"{m.mountpoint} ({m.device})" for m in data], "swap": swaps,
                "not_encrypted": plain, "blkid_as_root": facts.blkid_complete}
    if not data and not swaps:
        return Verdict(Status.NOT_APPLICABLE, "No file system or swap on a block device", evidence)
    if plain:
        return Verdict(Status.FAIL, f"Not on an encrypted device: {', '.join(plain)}", evidence)
    return Verdict(Status.PASS, f"All {len(data)} file systems and {len(swaps)} swap devices are encrypted", evidence)


@ssh_check(
    id="ssh.backup.scheduled",
    title="Hosts schedule a backup job",
    facts=(SCHEDULES, SERVICES),
    measure=Measure.BACKUP,
    outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=(Article.RESTORE_AVAILABILITY,),
    severity=Severity.HIGH,
    rationale=(
        "Article 32(1)(c) asks for the ability to restore personal data after an incident, "
        "which needs backups that run without anyone remembering to."
    ),
    remediation="Schedule restic, borg or another backup tool with a systemd timer or cron, and test restores.",
    parameters=(
        Parameter("extra_commands", str, "", "comma-separated command names that count as backup jobs too"),
    ),
)
def backup_scheduled(host: SshHost, params: Params) -> Verdict:
    schedules = require(host.schedules)
    services = require(host.services)
    extra = tuple(c.strip() for c in str(params.get("extra_commands", "")).split(",") if c.strip())
    tools = BACKUP_TOOLS + extra
    jobs = [line for line in schedules.lines if any(tool in line for tool in tools)]
    jobs += sorted(u for u in services.enabled_units if any(tool in u for tool in tools))
    evidence = {"jobs": jobs[:10], "tools": list(tools), "root_crontab_read": schedules.root_crontab_read}
    if jobs:
        return Verdict(Status.PASS, f"Backup job scheduled: {jobs[0]}", evidence)
    if host.root_facts_error is not None:
        return Verdict(Status.ERROR, f"No backup job found, and root's crontab could not be read: "
                       f"{host.root_facts_error.message}", {**evidence, **host.root_facts_error.evidence()})
    note = "" if schedules.root_crontab_read else " (root's crontab not read: set sudo: true to include it)"
    return Verdict(Status.FAIL, f"No backup job is scheduled by cron or systemd{note}", evidence)


@ssh_check(
    id="ssh.backup.recent",
    title="Hosts completed a backup recently",
    facts=(LAST_BACKUP,),
    measure=Measure.BACKUP,
    outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=(Article.RESTORE_AVAILABILITY, Article.REGULAR_TESTING),
    severity=Severity.MEDIUM,
    rationale="A scheduled job that has been failing for days restores nothing; the last success is what counts.",
    remediation="Fix the failing backup job; alert on its age, for example from the backup tool's own status.",
    parameters=(
        Parameter("last_backup_command", str, "",
                  "read-only command run on the host that prints the last successful backup time "
                  "(epoch seconds or ISO 8601); empty makes this check not applicable"),
        Parameter("max_age_hours", int, 26, "hours after which the last backup is too old"),
    ),
)
def backup_recent(host: SshHost, params: Params) -> Verdict:
    if host.last_backup is None:
        return Verdict(Status.NOT_APPLICABLE, "No last_backup_command is set in the profile", {})
    facts = require(host.last_backup)
    limit = int(params.get("max_age_hours", 26))
    evidence = {"command": facts.command, "output": facts.output, "max_age_hours": limit,
                "age_hours": round(facts.age_hours, 1) if facts.age_hours is not None else None}
    if facts.age_hours is None:
        return Verdict(Status.ERROR, f"Cannot read a time from {facts.output!r}", evidence)
    if facts.age_hours > limit:
        return Verdict(Status.FAIL, f"The last backup is {facts.age_hours:.0f} hours old", evidence)
    return Verdict(Status.PASS, f"The last backup is {facts.age_hours:.1f} hours old", evidence)


@ssh_check(
    id="ssh.logging.audit",
    title="Hosts keep logs persistently or forward them",
    facts=(SERVICES,),
    measure=Measure.LOGGING,
    outcomes=(Outcome.INTEGRITY, Outcome.CONFIDENTIALITY),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.REGULAR_TESTING),
    severity=Severity.MEDIUM,
    rationale="Logs lost at reboot, or kept only where an intruder can erase them, cannot show who accessed data.",
    remediation=(
        "Set `Storage=persistent` in journald.conf, run auditd, or forward logs with rsyslog "
        "(`*.* @@loghost:514`)."
    ),
)
def logging_audit(host: SshHost, _params: Params) -> Verdict:
    services = require(host.services)
    storage = services.journald.get("storage", "auto")
    sources = []
    if storage == "persistent" or (storage == "auto" and services.journal_directory):
        sources.append(f"persistent journal (Storage={storage})")
    if "auditd" in services.processes or "auditd.service" in services.enabled_units:
        sources.append("auditd")
    if services.rsyslog_forwarding:
        sources.append(f"rsyslog forwarding ({services.rsyslog_forwarding[0]})")
    evidence = {"sources": sources, "journald_storage": storage, "journal_directory": services.journal_directory}
    if sources:
        return Verdict(Status.PASS, f"Logs are kept by {', '.join(sources)}", evidence)
    return Verdict(Status.FAIL, "No persistent journal, auditd or log forwarding", evidence)


@ssh_check(
    id="ssh.updates.automatic",
    title="Hosts install security updates automatically",
    facts=(SERVICES,),
    measure=Measure.TESTING,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY, Outcome.AVAILABILITY),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,),
    severity=Severity.MEDIUM,
    rationale="Most intrusions use flaws for which a fix was already published; automatic updates close that gap.",
    remediation=(
        "Install unattended-upgrades with `APT::Periodic::Unattended-Upgrade \"1\";`, or dnf-automatic "
        "with `apply_updates = yes` and its timer enabled."
    ),
)
def updates_automatic(host: SshHost, _params: Params) -> Verdict:
    services = require(host.services)
    apt_on = services.unattended_upgrades_installed and \
        services.apt_periodic.get("apt::periodic::unattended-upgrade", "0") not in ("0", "")
    dnf_on = services.dnf_automatic.get("apply_updates") in ("yes", "true", "1") and any(
        u.startswith("dnf-automatic") for u in services.enabled_units)
    evidence = {"unattended_upgrades_installed": services.unattended_upgrades_installed,
                "apt_periodic": dict(services.apt_periodic), "dnf_automatic": dict(services.dnf_automatic)}
    if apt_on or dnf_on:
        return Verdict(Status.PASS, f"Automatic updates by {'unattended-upgrades' if apt_on else 'dnf-automatic'}",
                       evidence)
    return Verdict(Status.FAIL, "No automatic security updates are configured", evidence)


@ssh_check(
    id="ssh.time.sync",
    title="Hosts synchronise their clocks",
    facts=(SERVICES,),
    measure=Measure.LOGGING,
    outcomes=(Outcome.INTEGRITY,),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,),
    severity=Severity.LOW,
    rationale="Log records from hosts with drifting clocks cannot be put in order to reconstruct an incident.",
    remediation="Enable chrony or systemd-timesyncd.",
)
def time_sync(host: SshHost, _params: Params) -> Verdict:
    services = require(host.services)
    running = sorted(services.processes & TIME_SYNC_PROCESSES)
    enabled = sorted(services.enabled_units & TIME_SYNC_UNITS)
    evidence = {"running": running, "enabled": enabled}
    if running or enabled:
        return Verdict(Status.PASS, f"Time is synchronised by {(running or enabled)[0]}", evidence)
    return Verdict(Status.FAIL, "No time synchronisation service runs or is enabled", evidence)


CHECKS = (disk_encrypted, backup_scheduled, backup_recent, logging_audit, updates_automatic, time_sync)
