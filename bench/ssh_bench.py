"""Benchmark: art32's SSH scan of 20 hosts against ssh-audit on the same hosts, in one run.

Starts N OpenSSH sshd hosts of the lab (the hardened configuration, each in its own mount
namespace; needs root), then times:
  1. `art32 scan` with only the ssh.* checks on all N hosts (login, facts script, KEXINIT);
  2. `art32 scan` on one host, for the "N hosts in under 2x the time of one" goal;
  3. `ssh-audit -T` on all N hosts (algorithms only, no login), if ssh-audit is installed.
Each runs `--rounds` times; the median wall time and peak RSS are printed as Markdown.

Usage: python bench/ssh_bench.py [--hosts 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import yaml
from measure import run_timed

from scanner.lab import ssh as ssh_lab


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    reason = ssh_lab.available()
    if reason is not None:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2

    folder = Path(tempfile.mkdtemp(prefix="art32-bench-ssh-"))
    hardened = ssh_lab.HOSTS[0]
    planned = tuple(ssh_lab.LabSshHost(**{**hardened.__dict__, "name": f"ssh-bench-{i}"})
                    for i in range(arguments.hosts))
    lab = ssh_lab.SshLab(folder, planned)
    lab.start()
    try:
        rows = measure(folder, lab, arguments.rounds)
    finally:
        lab.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print("| tool | hosts | median wall time (s) | rounds | peak RSS (MB) |")
    print("|---|---|---|---|---|")
    for name, count, times, peak in rows:
        print(f"| {name} | {count} | {statistics.median(times):.2f} | {len(times)} | {peak} |")
    return 0


def measure(folder: Path, lab: ssh_lab.SshLab, rounds: int) -> list[tuple[str, int, list[float], int]]:
    profile = folder / "ssh-only.yaml"
    profile.write_text("extends: baseline\nchecks: {include: ['ssh.*']}\n")
    targets = [{"name": h.name, "host": "127.0.0.1", "port": h.port, "user": ssh_lab.AUDIT_USER,
                "key_file": str(lab.key_file), "known_hosts": str(lab.known_hosts), "sudo": True}
               for h in lab.hosts]
    every = folder / "all.yaml"
    every.write_text(yaml.safe_dump({"profile": str(profile), "targets": {"ssh": targets}}))
    single = folder / "one.yaml"
    single.write_text(yaml.safe_dump({"profile": str(profile), "targets": {"ssh": targets[:1]}}))
    audit_targets = folder / "targets.txt"
    audit_targets.write_text("".join(f"127.0.0.1:{h.port}\n" for h in lab.hosts))

    def art32(scan_file: Path) -> list[str]:
        return [sys.executable, "-m", "scanner.cli", "scan", "-c", str(scan_file), "--format", "json",
                "--output-dir", str(folder / "out")]

    runs: list[tuple[str, list[str], int]] = [("art32", art32(every), len(targets)), ("art32", art32(single), 1)]
    audit = shutil.which("ssh-audit")
    if audit:
        runs.append(("ssh-audit", [audit, "-j", "--skip-rate-test", "-T", str(audit_targets)], len(targets)))

    rows = []
    environment = dict(os.environ)
    for name, command, count in runs:
        times, peak = [], 0
        for _ in range(rounds):
            elapsed, rss = run_timed(command, environment)
            times.append(elapsed)
            peak = max(peak, rss)
        rows.append((name, count, times, peak))
    return rows


if __name__ == "__main__":
    sys.exit(main())
