"""Start a stand-in server as a child process on a free loopback port and wait for it."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from typing import IO

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a loopback port that the OS reported free a moment ago."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """A child process serving on loopback; it is ready when `ready_path` responds over HTTP, or,
    with no path, when its port accepts a TCP connection."""

    def __init__(
        self, command: Sequence[str], port: int, ready_path: str | None = "/", environment: dict[str, str] | None = None
    ) -> None:
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self._command = list(command)
        self._ready_path = ready_path
        self._environment = environment
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        # A log file, not a pipe: a server that logs every request would block once an unread
        # pipe is full.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        environment = {**os.environ, **self._environment} if self._environment else None
        self._process = subprocess.Popen(self._command, stdout=self._log, stderr=subprocess.STDOUT, env=environment)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._log.seek(0)
                output = self._log.read().decode(errors="replace")
                raise RuntimeError(
                    f"{self._command[0]} exited with status {self._process.returncode}: {output[-500:]}"
                )
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{' '.join(self._command)} did not respond on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _answers(self) -> bool:
        if self._ready_path is None:
            with socket.socket() as probe:
                probe.settimeout(1)
                return probe.connect_ex((LOOPBACK, self.port)) == 0
        try:
            urllib.request.urlopen(self.url + self._ready_path, timeout=1).close()
        except OSError:
            return False
        return True
