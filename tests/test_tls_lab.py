"""The TLS collector against real servers on loopback: errors, STARTTLS-less endpoints, --tls."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from scanner.cli import main
from scanner.config import load_scan_config
from scanner.model import Status
from scanner.runner import run_scan
from tests.conftest import write
from tests.servers import closed_port


def _scan(registry, endpoints, tmp_path=None, text=None):
    path = write(tmp_path / "art32.yaml", text) if text else None
    config = load_scan_config(path, registry, extra_tls=endpoints)
    return run_scan(config, registry)


def test_closed_port_gives_one_error(registry):
    port = closed_port()

    result = _scan(registry, [f"127.0.0.1:{port}"])

    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.check_id == "tls.handshake"
    assert finding.status is Status.ERROR
    assert finding.evidence["reason"] == "connection_refused"
    assert finding.resource.id == f"tls://127.0.0.1:{port}"


def test_plain_http_port_is_handshake_failure(registry, lab):
    port = urlsplit(lab.aws.endpoint_url).port

    result = _scan(registry, [f"127.0.0.1:{port}"])

    assert [f.status for f in result.findings] == [Status.ERROR]
    assert result.findings[0].evidence["reason"] == "handshake_failed"


def test_unreachable_endpoint_keeps_other_results(registry, lab, tmp_path):
    if lab.tls is None:
        pytest.skip("nginx is not installed")
    good = next(s for s in lab.tls.servers if s.name == "tls-good")
    text = f"""\
targets:
  tls:
    - {{name: good, host: 127.0.0.1, port: {good.port}, sni: localhost, ca_file: {lab.ca.cert_path}}}
"""

    result = _scan(registry, [f"127.0.0.1:{closed_port()}"], tmp_path, text)

    statuses = {(f.resource.name or f.resource.id, f.check_id): f.status for f in result.findings}
    assert statuses[("good", "tls.cert.trusted")] is Status.PASS
    assert sum(s is Status.ERROR for s in statuses.values()) == 1
    assert len(statuses) == 19


def test_resource_ids(registry):
    result = _scan(registry, [f"[::1]:{closed_port()}"])

    assert result.findings[0].resource.id.startswith("tls://[::1]:")


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{host: 169.254.169.254}", "metadata address is never a scan target"),
        ("{host: 127.0.0.1, port: 70000}", "targets.tls[0].port"),
        ("{host: 127.0.0.1, starttls: gopher}", "targets.tls[0].starttls: invalid value 'gopher'"),
        ("{host: 127.0.0.1, ca_file: missing.pem}", "missing.pem' not found"),
        ("{host: 'https://x'}", "is not a host name or address"),
    ],
)
def test_tls_target_errors(tmp_path, capsys, entry, words):
    path = write(tmp_path / "art32.yaml", f"targets:\n  tls:\n    - {entry}\n")

    assert main(["validate", "-c", str(path)]) == 2
    assert words in capsys.readouterr().err


def test_ca_file_relative_to_scan_file(tmp_path, registry):
    write(tmp_path / "ca.pem", "")
    path = write(tmp_path / "art32.yaml", "targets:\n  tls:\n    - {host: 127.0.0.1, ca_file: ca.pem}\n")

    config = load_scan_config(path, registry)

    assert config.targets[0].model.ca_file == tmp_path / "ca.pem"


def test_tls_flag_scans_without_scan_file(capsys):
    assert main(["scan", "--tls", f"127.0.0.1:{closed_port()}", "--fail-on-error"]) == 3
    assert "connection refused" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["127.0.0.1:x", ":443", "[::1]:port"])
def test_tls_flag_rejects_bad_endpoint(capsys, text):
    assert main(["scan", "--tls", text]) == 2
    assert "invalid endpoint" in capsys.readouterr().err


def test_dns_failure_is_one_error(registry, monkeypatch):
    from sslyze.errors import ServerHostnameCouldNotBeResolved

    import checks.tls.collector as collector

    def unresolvable(**_):
        raise ServerHostnameCouldNotBeResolved("Could not resolve art32-test.invalid")

    # No lookup leaves this machine: the resolution step itself is replaced.
    monkeypatch.setattr(collector, "ServerNetworkLocation", unresolvable)

    result = _scan(registry, ["art32-test.invalid:443"])

    assert [f.evidence["reason"] for f in result.findings] == ["dns_failed"]
    assert "art32-test.invalid" in result.findings[0].message
