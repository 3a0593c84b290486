"""Helpers for tests that need a real stand-in server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from scanner.lab.aws import MotoLab
from scanner.lab.process import free_port


def closed_port() -> int:
    """Return a loopback port on which nothing listens, so a connection is refused."""
    return free_port()


@contextmanager
def moto_server() -> Iterator[MotoLab]:
    """Run an empty moto server of its own, apart from the lab's."""
    server = MotoLab()
    server.start()
    try:
        yield server
    finally:
        server.stop()
