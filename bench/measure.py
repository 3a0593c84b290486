"""Time a command and read the peak RSS of its process tree, for the benchmarks here."""

from __future__ import annotations

import subprocess
import sys
import time

# Runs a command and prints the largest RSS of its process tree, in kB, on the last line.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run_timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run a command to completion in a fresh measuring process; return wall seconds and peak RSS in MB."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True,
                               env=env, check=True)
    elapsed = time.perf_counter() - started
    return elapsed, int(completed.stdout.strip().splitlines()[-1]) // 1024
