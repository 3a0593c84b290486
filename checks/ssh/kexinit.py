"""Read the algorithm lists a server offers in its SSH_MSG_KEXINIT (RFC 4253, section 7.1).

The first packet after the version exchange is sent unencrypted, so one TCP connection,
a version line and one packet tell what the server offers, without authenticating.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

SSH_MSG_KEXINIT = 20
MAX_PACKET = 35000  # RFC 4253, section 6.1: implementations must accept packets of this size.
CLIENT_VERSION = b"SSH-2.0-art32_0.1\r\n"
# Pseudo-algorithms that signal extensions, not algorithms a client could negotiate.
_SIGNALS = ("ext-info-", "kex-strict-")


@dataclass(frozen=True, slots=True)
class ServerAlgorithms:
    banner: str
    kex: tuple[str, ...]
    host_keys: tuple[str, ...]
    ciphers: tuple[str, ...]
    macs: tuple[str, ...]
    compression: tuple[str, ...]


class KexInitError(Exception):
    """The server did not send a readable version line or KEXINIT."""


def read_server_algorithms(sock: socket.socket) -> ServerAlgorithms:
    """Exchange versions on a connected socket and parse the server's KEXINIT."""
    banner = _read_banner(sock)
    sock.sendall(CLIENT_VERSION)
    payload = _read_packet(sock)
    if not payload or payload[0] != SSH_MSG_KEXINIT:
        raise KexInitError(f"expected KEXINIT, got message {payload[0] if payload else 'none'}")

    lists, offset = [], 17  # message byte and 16-byte cookie
    for _ in range(10):
        if offset + 4 > len(payload):
            raise KexInitError("KEXINIT ends before its ten name-lists")
        (length,) = struct.unpack(">I", payload[offset:offset + 4])
        text = payload[offset + 4:offset + 4 + length].decode("ascii", errors="replace")
        lists.append(tuple(name for name in text.split(",") if name and not name.startswith(_SIGNALS)))
        offset += 4 + length
    # Lists come client-to-server then server-to-client; a server offers the same in both
    # directions in practice, so the union of both is judged.
    return ServerAlgorithms(
        banner=banner,
        kex=lists[0],
        host_keys=lists[1],
        ciphers=tuple(dict.fromkeys(lists[2] + lists[3])),
        macs=tuple(dict.fromkeys(lists[4] + lists[5])),
        compression=tuple(dict.fromkeys(lists[6] + lists[7])),
    )


def _read_banner(sock: socket.socket) -> str:
    """Return the server's version line; RFC 4253 lets other lines come before it."""
    for _ in range(50):
        line = _read_line(sock)
        if line.startswith(b"SSH-"):
            return line.decode("ascii", errors="replace").strip()
    raise KexInitError("no SSH version line within 50 lines")


def _read_line(sock: socket.socket) -> bytes:
    line = b""
    while not line.endswith(b"\n") and len(line) < 256:
        chunk = sock.recv(1)
        if not chunk:
            raise KexInitError("connection closed during the version exchange")
        line += chunk
    return line


def _read_packet(sock: socket.socket) -> bytes:
    header = _read_exact(sock, 5)
    length, padding = struct.unpack(">IB", header)
    if length > MAX_PACKET or padding >= length:
        raise KexInitError(f"invalid packet length {length}")
    body = _read_exact(sock, length - 1)
    return body[: length - 1 - padding]


def _read_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise KexInitError("connection closed during KEXINIT")
        data += chunk
    return data
