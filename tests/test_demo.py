"""The demo end to end: the lab's expected verdict for every (bucket, check) pair."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from checks.azure.roles import PRIVILEGED_ROLES
from scanner.cli import main
from scanner.config import load_scan_file
from scanner.lab import ssh as ssh_lab
from scanner.lab.aws import ACCOUNT_VERDICTS, BUCKETS, LAB_ACCOUNT
from scanner.lab.aws_estate import EXPECTED as ESTATE_EXPECTED
from scanner.lab.aws_estate import STRICT_EXTRA as ESTATE_STRICT_EXTRA
from scanner.lab.azure import (
    AZURE_ACCOUNTS,
    AZURE_EXPECTED,
    ENTRA_EXPECTED,
    GCS_EXPECTED,
    GCS_STRICT_ONLY,
    GLOBAL_ADMIN,
    GOOD_TENANT,
)
from scanner.lab.cloud_labs import GcsLab
from scanner.lab.tls import SERVERS, SMTP_SERVER, NginxLab, SmtpLab
from scanner.runner import run_scan
from tests.conftest import write

BUCKET_CHECKS = (
    "aws.s3.default_encryption", "aws.s3.versioning", "aws.s3.tls_only_policy",
    "aws.s3.public_access_block", "aws.s3.object_lock", "aws.s3.access_logging",
)


def _verdicts(findings: list[dict]) -> dict[tuple[str, str], str]:
    """Key each status by resource (its name when it has one: the lab's TLS ports vary) and check."""
    return {(_label(f["resource"]), f["check_id"]): f["status"] for f in findings}


def _label(resource: dict) -> str:
    # Directory roles share names across tenants, so their tenant joins the label.
    if resource["type"] == "azure.entra.role":
        return resource["name"] + "@" + resource["id"].split("/")[2]
    return resource.get("name") or resource["id"]


def _expected(profile: str) -> dict[tuple[str, str], str]:
    expected = {
        (f"arn:aws:s3:::{bucket.name}", check_id): status
        for bucket in BUCKETS
        for check_id, status in bucket.expected(profile).items()
    }
    for check_id, status in ACCOUNT_VERDICTS[profile].items():
        expected[(f"aws://{LAB_ACCOUNT}", check_id)] = status
    expected.update(ESTATE_EXPECTED)
    if profile == "strict":
        expected.update(ESTATE_STRICT_EXTRA)
    servers = [*(SERVERS if NginxLab.available() else ()), *((SMTP_SERVER,) if SmtpLab.available() else ())]
    for server in servers:
        expected.update({(server.name, c): v for c, v in server.expected(profile).items()})
    if GcsLab.available():
        for bucket, verdicts in GCS_EXPECTED.items():
            chosen = {c: v for c, v in verdicts.items() if profile == "strict" or c not in GCS_STRICT_ONLY}
            expected.update({(f"//storage.googleapis.com/projects/_/buckets/{bucket}", c): v
                             for c, v in chosen.items()})
    expected.update(_azure_expected(profile))
    if ssh_lab.available() is None:
        for host in ssh_lab.HOSTS:
            verdicts = {**host.expected(), "ssh.disk.encrypted": _machine_disk_verdict()}
            expected.update({(host.name, c): v for c, v in verdicts.items()})
    return expected


def _azure_expected(profile: str) -> dict[tuple[str, str], str]:
    expected = {}
    for accounts in AZURE_ACCOUNTS.values():
        for account, _blob in accounts:
            verdicts = dict(AZURE_EXPECTED[account["name"]]["baseline"])
            if profile == "strict":
                verdicts.update(AZURE_EXPECTED[account["name"]]["strict"])
            expected.update({(account["id"], c): v for c, v in verdicts.items()})
    for tenant, (tenant_verdict, admin_verdict) in ENTRA_EXPECTED.items():
        name = "contoso-lab" if tenant == GOOD_TENANT else "fabrikam-lab"
        expected[(name, "azure.entra.mfa_enforced")] = tenant_verdict
        for role_id, role_name in PRIVILEGED_ROLES.items():
            verdict = "pass" if role_id == GLOBAL_ADMIN else admin_verdict
            expected[(role_name + "@" + tenant, "azure.entra.admin_mfa")] = verdict
    return expected


def _machine_disk_verdict() -> str:
    """Lab hosts share this machine's disks, none of them encrypted here: fail, or n/a without any."""
    with open("/proc/mounts") as mounts:
        devices = [line.split()[0] for line in mounts if line.startswith("/dev/") and " /boot" not in line]
    return "fail" if [d for d in devices if not d.startswith(("/dev/loop", "/dev/zram"))] else "not_applicable"


def test_lab_covers_every_verdict():
    statuses: dict[str, set[str]] = defaultdict(set)
    for profile in ("baseline", "strict"):
        for (_, check_id), status in _expected(profile).items():
            statuses[check_id].add(status)

    assert len(BUCKETS) >= 10
    for check_id in BUCKET_CHECKS:
        assert {"pass", "fail"} <= statuses[check_id], check_id
    assert "error" in statuses["aws.s3.tls_only_policy"]


def test_demo_reports_expected_verdicts(tmp_path, capsys):
    status = main(["demo", "--output-dir", str(tmp_path)])

    report = json.loads((tmp_path / "report.json").read_text())
    output = capsys.readouterr().out
    assert status == 0
    assert report["complete"] is True
    assert report["profile"] == "baseline"
    assert _verdicts(report["findings"]) == _expected("baseline")
    assert "art32-lab-no-config" in output
    assert "Verdicts: aws.s3.bucket" in output


@pytest.mark.parametrize("profile", ["baseline", "strict"])
def test_lab_verdicts_per_profile(lab, registry, profile):
    config = load_scan_file(lab.scan_file, registry, profile)

    result = run_scan(config, registry)

    assert _verdicts([f.to_dict() for f in result.findings]) == _expected(profile)


def test_bsi_policy_changes_tls_verdicts(lab, registry, tmp_path):
    if not NginxLab.available():
        pytest.skip("nginx is not installed")
    profile = write(tmp_path / "bsi.yaml", "extends: baseline\ntls_policy: bsi-tr-02102-2\n")
    config = load_scan_file(lab.scan_file, registry, str(profile))

    result = run_scan(config, registry)

    verdicts = _verdicts([f.to_dict() for f in result.findings])
    for server in (*SERVERS, SMTP_SERVER):
        for check_id, status in server.expected("bsi").items():
            assert verdicts[(server.name, check_id)] == status, (server.name, check_id)
    # The 2048-bit RSA key that Mozilla accepts is below BSI's 3000 bits.
    assert verdicts[("tls-good", "tls.cert.key_size")] == "fail"
    assert _expected("baseline")[("tls-good", "tls.cert.key_size")] == "pass"


@pytest.mark.parametrize(
    ("min_key", "passing"),
    [
        ("provider", {b.name for b in BUCKETS}),
        ("kms", {"art32-lab-kms-aws-managed", "art32-lab-kms-alias-aws", "art32-lab-kms-customer",
                 "art32-lab-dsse-customer"}),
        ("customer_kms", {"art32-lab-kms-customer", "art32-lab-dsse-customer"}),
    ],
)
def test_lab_encryption_per_key_level(tmp_path, lab, registry, min_key, passing):
    profile = write(tmp_path / "keys.yaml", (
        "extends: baseline\n"
        f"parameters: {{aws.s3.default_encryption: {{min_key: {min_key}}}}}\n"
    ))
    config = load_scan_file(lab.scan_file, registry, str(profile))

    result = run_scan(config, registry)

    statuses = {
        f.resource.id.removeprefix("arn:aws:s3:::"): f.status.value
        for f in result.findings
        if f.check_id == "aws.s3.default_encryption"
    }
    assert statuses == {b.name: "pass" if b.name in passing else "fail" for b in BUCKETS}


def test_ci_encryption_profile_selects_encryption_and_transport(lab, registry):
    config = load_scan_file(lab.scan_file, registry, "ci-encryption")

    measures = {registry.checks[c].meta.measure.value for c in config.profile.check_ids}
    assert measures == {"encryption", "transport_security"}
    assert "aws.s3.default_encryption" in config.profile.check_ids
    assert "aws.s3.versioning" not in config.profile.check_ids


def test_demo_console_script(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "demo", "--output-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.strip() == f"JSON report: {tmp_path / 'out' / 'report.json'}"
    assert "findings" in completed.stdout
    assert (tmp_path / "out" / "report.json").is_file()


def test_keep_running_lab_scanned_by_hand(tmp_path):
    demo = subprocess.Popen(
        [sys.executable, "-m", "scanner.cli", "demo", "--format", "json",
         "--output-dir", str(tmp_path / "demo"), "--keep-running"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )
    try:
        lines = _read_until(demo, "Press Ctrl-C")
        scan_file = Path(next(line for line in lines if line.startswith("Its scan file: ")).split(": ", 1)[1])
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in lines if line.strip().startswith("export ")
        )
        assert scan_file.is_file()
        assert not str(scan_file).startswith(str(Path.home() / ".aws"))

        by_hand = subprocess.run(
            [sys.executable, "-m", "scanner.cli", "scan", "-c", str(scan_file), "--show-all"],
            capture_output=True, text=True, timeout=120, env={**os.environ, **exports},
        )
        # The lab contains failures of high severity by design, so the scan exits 1.
        assert by_hand.returncode == 1, by_hand.stderr
        assert "art32-lab-kms-customer" in by_hand.stdout
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)

    assert demo.returncode == 0
    assert not scan_file.parent.exists()


def _read_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"the demo ended before printing {marker!r}: {lines}")
