"""The demo end to end: the lab's expected verdict for every seeded bucket."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scanner.cli import main
from scanner.config import load_scan_file
from scanner.lab.aws import BUCKETS
from scanner.runner import run_scan
from tests.conftest import write


def _verdicts(findings, check_id):
    return {
        f["resource"]["id"].removeprefix("arn:aws:s3:::"): f["status"]
        for f in findings
        if f["check_id"] == check_id
    }


def test_demo_reports_expected_verdicts(tmp_path, capsys):
    status = main(["demo", "--output-dir", str(tmp_path)])

    report = json.loads((tmp_path / "report.json").read_text())
    output = capsys.readouterr().out
    assert status == 0
    assert report["complete"] is True
    assert report["profile"] == "baseline"
    assert _verdicts(report["findings"], "aws.s3.default_encryption") == {
        b.name: b.encryption_verdicts["provider"] for b in BUCKETS
    }
    assert _verdicts(report["findings"], "aws.s3.versioning") == {
        b.name: b.versioning_verdict for b in BUCKETS
    }
    assert "art32-lab-no-config" in output
    assert "Versioning was never enabled" in output


def test_demo_stops_its_lab(tmp_path):
    main(["demo", "--output-dir", str(tmp_path), "--format", "json"])

    assert not any(name.startswith("art32-lab-") for name in os.listdir(tmp_path))


@pytest.mark.parametrize("min_key", ["provider", "kms", "customer_kms"])
def test_lab_verdicts_for_each_key_level(tmp_path, lab, registry, min_key):
    profile = write(tmp_path / "keys.yaml", (
        "extends: baseline\n"
        f"parameters: {{aws.s3.default_encryption: {{min_key: {min_key}}}}}\n"
    ))
    config = load_scan_file(lab.scan_file, registry, str(profile))

    result = run_scan(config, registry)

    findings = [f.to_dict() for f in result.findings]
    assert _verdicts(findings, "aws.s3.default_encryption") == {
        b.name: b.encryption_verdicts[min_key] for b in BUCKETS
    }


def test_demo_console_script(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "scanner.cli", "demo", "--output-dir", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )

    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "12 findings" in completed.stdout
    assert (tmp_path / "out" / "report.json").is_file()
