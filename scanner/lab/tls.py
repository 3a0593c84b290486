"""The TLS stand-ins: one nginx process serving a TLS endpoint per port, each with a known flaw.

Every server's expected verdicts are written beside it: under `baseline` (Mozilla
intermediate), and where they differ, under `strict` (Mozilla modern) and under a profile
that selects the `bsi-tr-02102-2` policy.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh

from scanner.lab.certs import Issued, LabCA
from scanner.lab.process import LOOPBACK, ServerProcess, free_port

MODERN_SUITES = "ECDHE+AESGCM:ECDHE+CHACHA20"
LEGACY_SUITES = "ALL:eNULL:@SECLEVEL=0"
HSTS = "max-age=63072000; includeSubDomains"

ALL_PASS = {
    "tls.handshake": "pass", "tls.protocol.legacy": "pass", "tls.protocol.modern": "pass",
    "tls.cipher.weak": "pass", "tls.cipher.forward_secrecy": "pass", "tls.dh.key_size": "pass",
    "tls.cert.expired": "pass", "tls.cert.expiring": "pass", "tls.cert.trusted": "pass",
    "tls.cert.hostname": "pass", "tls.cert.key_size": "pass", "tls.cert.signature": "pass",
    "tls.vuln.heartbleed": "pass", "tls.vuln.robot": "pass", "tls.vuln.ccs_injection": "pass",
    "tls.vuln.renegotiation": "pass", "tls.vuln.compression": "pass", "tls.hsts": "pass",
}
# Mozilla modern allows TLS 1.3 only, so a TLS 1.2 server fails it; BSI wants RSA keys of
# 3000 bits and has no ChaCha20 suites.
MODERN_CHANGES = {"tls.protocol.legacy": "fail"}
BSI_CHANGES = {"tls.cert.key_size": "fail", "tls.cipher.weak": "fail"}


@dataclass(frozen=True)
class LabTlsServer:
    """One endpoint of the lab and the verdict each TLS check must give it."""

    name: str
    changes: Mapping[str, str]
    """Checks whose baseline verdict is not `pass`."""
    strict_changes: Mapping[str, str] = field(default_factory=lambda: dict(MODERN_CHANGES))
    bsi_changes: Mapping[str, str] = field(default_factory=lambda: dict(BSI_CHANGES))
    protocols: str = "TLSv1.2 TLSv1.3"
    suites: str = MODERN_SUITES
    hsts: bool = True
    port: int = 0

    def expected(self, profile: str) -> dict[str, str]:
        verdicts = {**ALL_PASS, **self.changes}
        if profile == "strict":
            verdicts.update(self.strict_changes)
        if profile == "bsi":
            verdicts.update(self.bsi_changes)
        return verdicts


SERVERS = (
    LabTlsServer("tls-good", {}),
    LabTlsServer(
        "tls-legacy",
        {"tls.protocol.legacy": "fail", "tls.cipher.weak": "fail", "tls.cipher.forward_secrecy": "fail",
         "tls.dh.key_size": "fail", "tls.hsts": "fail"},
        strict_changes={"tls.protocol.modern": "fail"}, bsi_changes={"tls.cert.key_size": "fail"},
        protocols="TLSv1 TLSv1.1 TLSv1.2", suites=LEGACY_SUITES, hsts=False,
    ),
    LabTlsServer("tls-expired", {"tls.cert.expired": "fail", "tls.cert.expiring": "not_applicable"}),
    LabTlsServer("tls-expiring", {"tls.cert.expiring": "fail"}),
    LabTlsServer("tls-wrong-name", {"tls.cert.hostname": "fail"}),
    LabTlsServer("tls-untrusted", {"tls.cert.trusted": "fail"}),
    LabTlsServer("tls-no-hsts", {"tls.hsts": "fail"}, hsts=False),
)
SMTP_SERVER = LabTlsServer("smtp-starttls", {"tls.hsts": "not_applicable"})
"""aiosmtpd with STARTTLS: Mozilla intermediate settings, and HSTS does not apply to SMTP."""


class SmtpLab:
    """An SMTP server with STARTTLS (aiosmtpd) in a child process on 127.0.0.1."""

    def __init__(self, ca: LabCA) -> None:
        self.ca = ca
        self.server = SMTP_SERVER
        self._process: ServerProcess | None = None

    @staticmethod
    def available() -> bool:
        return importlib.util.find_spec("aiosmtpd") is not None

    def start(self) -> None:
        port = free_port()
        issued = self.ca.issue(self.server.name)
        command = [sys.executable, "-m", "scanner.lab.smtp", "--port", str(port),
                   "--cert", str(issued.chain), "--key", str(issued.key)]
        self._process = ServerProcess(command, port, ready_path=None)
        self._process.start()
        self.server = LabTlsServer(**{**self.server.__dict__, "port": port})

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None


class NginxLab:
    """nginx with its own prefix and config, one `server` per lab endpoint, on 127.0.0.1."""

    def __init__(self, folder: Path, ca: LabCA, servers: tuple[LabTlsServer, ...] = SERVERS) -> None:
        self.folder = folder / "nginx"
        self.ca = ca
        self.planned = servers
        self.servers: list[LabTlsServer] = []
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").is_file()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "logs").mkdir(exist_ok=True)
        blocks = [self._server_block(server) for server in self.planned]
        self.servers = [server for server, _ in blocks]
        config = self.folder / "nginx.conf"
        config.write_text(_NGINX_CONFIG.format(prefix=self.folder, servers="\n".join(b for _, b in blocks)))

        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self._process = subprocess.Popen(
            [binary, "-p", str(self.folder), "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_until_listening()

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

    def _server_block(self, server: LabTlsServer) -> tuple[LabTlsServer, str]:
        port = free_port()
        issued = self._certificate(server.name)
        lines = [
            f"listen {LOOPBACK}:{port} ssl;",
            "server_name localhost;",
            f"ssl_certificate {issued.chain};",
            f"ssl_certificate_key {issued.key};",
            f"ssl_protocols {server.protocols};",
            f'ssl_ciphers "{server.suites}";',
            "ssl_prefer_server_ciphers off;",
        ]
        if server.suites == LEGACY_SUITES:
            lines.append(f"ssl_dhparam {self._weak_dh_parameters()};")
        if server.hsts:
            lines.append(f'add_header Strict-Transport-Security "{HSTS}" always;')
        lines.append('location / { return 200 "art32 lab\\n"; }')
        body = "\n        ".join(lines)
        placed = LabTlsServer(**{**server.__dict__, "port": port})
        return placed, f"    server {{\n        {body}\n    }}"

    def _certificate(self, name: str) -> Issued:
        if name == "tls-expired":
            return self.ca.issue(name, valid_days=(-400, -35))
        if name == "tls-expiring":
            return self.ca.issue(name, valid_days=(-300, 10))
        if name == "tls-wrong-name":
            return self.ca.issue(name, hostnames=("other.example",), addresses=())
        if name == "tls-untrusted":
            return LabCA(self.folder, name="untrusted").issue(name)
        return self.ca.issue(name)

    def _weak_dh_parameters(self) -> Path:
        path = self.folder / "dh1024.pem"
        if not path.exists():
            parameters = dh.generate_parameters(generator=2, key_size=1024)
            encoded = parameters.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
            path.write_bytes(encoded)
        return path

    def _wait_until_listening(self, timeout: float = 20.0) -> None:
        import socket

        deadline = time.monotonic() + timeout
        pending = [s.port for s in self.servers]
        while pending and time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                log = (self.folder / "logs" / "error.log")
                detail = log.read_text()[-500:] if log.exists() else ""
                raise RuntimeError(f"nginx exited with status {self._process.returncode}: {detail}")
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex((LOOPBACK, pending[0])) == 0:
                    pending.pop(0)
                    continue
            time.sleep(0.05)
        if pending:
            self.stop()
            raise RuntimeError(f"nginx did not listen on ports {pending} within {timeout} s")


_NGINX_CONFIG = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    default_type text/plain;
{servers}
}}
"""
