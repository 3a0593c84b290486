"""Benchmark: art32's TLS scan against sslyze's own CLI and testssl.sh, in one run.

Starts N nginx endpoints on 127.0.0.1 (the lab's passing configuration), then times:
  1. `art32 scan` with only the tls.* checks, on all N endpoints;
  2. `python -m sslyze` with the same scan commands, on all N endpoints;
  3. `art32 scan` on one endpoint;
  4. `testssl` (testssl.sh) on that endpoint, if it is installed.
Each tool runs `--rounds` times. The median wall time and the peak RSS of the tool's
process tree (from getrusage of the children) are printed as a Markdown table.

Usage: python bench/tls_bench.py [--servers 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from measure import run_timed

from scanner.lab.certs import LabCA
from scanner.lab.tls import SERVERS, LabTlsServer, NginxLab

SSLYZE_COMMANDS = [
    "--certinfo", "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3",
    "--heartbleed", "--robot", "--openssl_ccs", "--reneg", "--compression", "--elliptic_curves",
    "--http_headers",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="art32-bench-tls-"))
    ca = LabCA(folder)
    good = next(s for s in SERVERS if s.name == "tls-good")
    servers = tuple(LabTlsServer(**{**good.__dict__, "name": f"tls-bench-{i}"}) for i in range(arguments.servers))
    nginx = NginxLab(folder, ca, servers)
    nginx.start()
    try:
        rows = measure(folder, ca, nginx, arguments.rounds)
    finally:
        nginx.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print("| tool | endpoints | median wall time (s) | rounds | peak RSS (MB) |")
    print("|---|---|---|---|---|")
    for name, count, times, peak in rows:
        print(f"| {name} | {count} | {statistics.median(times):.2f} | {len(times)} | {peak} |")
    return 0


def measure(folder: Path, ca: LabCA, nginx: NginxLab, rounds: int) -> list[tuple[str, int, list[float], int]]:
    scan_file = folder / "bench.yaml"
    profile = folder / "tls-only.yaml"
    profile.write_text("extends: baseline\nchecks: {include: ['tls.*']}\n")
    entries = "\n".join(
        f"    - {{name: {s.name}, host: 127.0.0.1, port: {s.port}, sni: localhost, ca_file: {ca.cert_path}}}"
        for s in nginx.servers
    )
    scan_file.write_text(f"profile: {profile}\ntargets:\n  tls:\n{entries}\n")
    single_file = folder / "bench-one.yaml"
    single_file.write_text(f"profile: {profile}\ntargets:\n  tls:\n{entries.splitlines()[0]}\n")
    environment = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}

    art32 = [sys.executable, "-m", "scanner.cli", "scan", "-c", str(scan_file), "--format", "json",
             "--output-dir", str(folder / "art32-out")]
    sslyze = [sys.executable, "-m", "sslyze", *SSLYZE_COMMANDS, f"--certinfo_ca_file={ca.cert_path}",
              f"--json_out={folder / 'sslyze.json'}", "--quiet",
              *(f"localhost:{s.port}{{127.0.0.1}}" for s in nginx.servers)]
    art32_one = [*art32[:5], str(single_file), *art32[6:]]
    rows = []
    runs = (("art32", art32, len(nginx.servers)), ("sslyze CLI", sslyze, len(nginx.servers)), ("art32", art32_one, 1))
    for name, command, count in runs:
        times, peak = [], 0
        for _ in range(rounds):
            elapsed, rss = run_timed(command, environment)
            times.append(elapsed)
            peak = max(peak, rss)
        rows.append((name, count, times, peak))

    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if testssl:
        first = nginx.servers[0]
        command = [testssl, "--quiet", "--warnings", "off", "--color", "0", "--ip", "127.0.0.1",
                   "--jsonfile", str(folder / "testssl.json"), f"localhost:{first.port}"]
        elapsed, rss = run_timed(command, environment)
        rows.append(("testssl.sh", 1, [elapsed], rss))
    return rows


if __name__ == "__main__":
    sys.exit(main())
