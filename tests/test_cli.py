"""Exit codes and outputs of `art32 scan`, `checks` and `explain`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.lab import ssh as ssh_lab
from scanner.lab.aws import LAB_PROFILE
from tests.conftest import write
from tests.servers import closed_port


def test_scan_passes_below_threshold(lab, tmp_path):
    # Only the S3 and TLS checks run: the lab has failures of high severity there, none critical.
    profile = write(tmp_path / "p.yaml", "extends: baseline\nchecks: {include: ['aws.s3.*', 'tls.*']}\n")

    assert main(["scan", "-c", str(lab.scan_file), "--profile", str(profile), "--fail-on", "critical"]) == 0


def test_scan_fails_at_profile_threshold(lab):
    assert main(["scan", "-c", str(lab.scan_file)]) == 1


def test_profile_fail_on_is_default(lab, tmp_path):
    profile = write(tmp_path / "p.yaml", "extends: baseline\nfail_on: critical\nchecks: {include: ['aws.s3.*']}\n")

    assert main(["scan", "-c", str(lab.scan_file), "--profile", str(profile)]) == 0


def test_command_line_beats_profile_fail_on(lab, tmp_path):
    profile = write(tmp_path / "p.yaml", "extends: baseline\nfail_on: critical\nchecks: {include: ['aws.s3.*']}\n")

    status = main(["scan", "-c", str(lab.scan_file), "--profile", str(profile), "--fail-on", "high"])

    assert status == 1


def test_invalid_scan_file_exits_two(tmp_path, capsys):
    path = write(tmp_path / "art32.yaml", "targets: {aws: [{regions: eu-west-1}]}\n")

    assert main(["scan", "-c", str(path)]) == 2
    assert "targets.aws[0].regions: expected a list" in capsys.readouterr().err


def test_unknown_format_exits_two(lab, capsys):
    assert main(["scan", "-c", str(lab.scan_file), "--format", "pdf"]) == 2
    assert "unknown format pdf" in capsys.readouterr().err


def test_scan_errors_exit_three_only_when_asked(tmp_path):
    path = write(tmp_path / "art32.yaml", f"""\
targets:
  aws:
    - name: broken
      aws_profile: {LAB_PROFILE}
      endpoint_url: http://127.0.0.1:{closed_port()}
settings: {{max_attempts: 1}}
""")

    assert main(["scan", "-c", str(path)]) == 0
    assert main(["scan", "-c", str(path), "--fail-on-error"]) == 3


def test_unwritable_report_exits_four(lab, tmp_path):
    blocker = write(tmp_path / "not-a-folder", "")

    status = main(["scan", "-c", str(lab.scan_file), "--format", "json",
                   "--output-dir", str(blocker)])

    assert status == 4


def test_json_report_keys(lab, tmp_path):
    main(["scan", "-c", str(lab.scan_file), "--format", "console,json",
          "--output-dir", str(tmp_path)])

    report = json.loads((tmp_path / "report.json").read_text())
    assert list(report) == [
        "schema_version", "tool", "profile", "started_at", "finished_at", "complete",
        "targets", "summary", "warnings", "findings",
    ]
    assert list(report["summary"]) == [
        "by_status", "by_severity", "by_outcome", "by_measure", "by_article",
    ]
    assert report["tool"] == {"name": "art32", "version": "0.1.0"}
    assert report["started_at"].endswith("Z")
    assert report["targets"][0] == {"provider": "aws", "name": "lab", "account": "123456789012"}
    assert {t["provider"] for t in report["targets"][1:]} <= {"tls", "ssh", "gcp", "azure"}
    by_status = report["summary"]["by_status"]
    assert sum(by_status.values()) == len(report["findings"])
    # The invalid bucket policy, and the weak SSH host's root-only facts where sudo is refused.
    assert by_status["error"] == 1 + (ssh_lab.available() is None)


def test_checks_json_lists_catalogue(capsys):
    assert main(["checks", "--format", "json"]) == 0

    catalogue = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    assert catalogue["aws.s3.versioning"]["outcomes"] == ["integrity", "availability", "resilience"]
    assert catalogue["aws.s3.default_encryption"]["articles"] == ["32(1)(a)"]


def test_checks_table(capsys):
    assert main(["checks"]) == 0

    output = capsys.readouterr().out
    assert "aws.s3.default_encryption" in output
    assert "32(1)(a)" in output


def test_explain_shows_parameters_and_permissions(capsys):
    assert main(["explain", "aws.s3.default_encryption"]) == 0

    output = capsys.readouterr().out
    assert "min_key: str = 'provider'" in output
    assert "s3:GetEncryptionConfiguration" in output


def test_explain_unknown_check(capsys):
    assert main(["explain", "aws.s3.versionin"]) == 2
    assert "did you mean 'aws.s3.versioning'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["scan", "validate"])
def test_missing_scan_file_exits_two(tmp_path, capsys, command):
    assert main([command, "-c", str(tmp_path / "absent.yaml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_checks_page_matches_catalogue(capsys):
    main(["checks", "--format", "markdown"])

    page = Path(__file__).parent.parent / "docs" / "checks.md"
    assert page.read_text() == capsys.readouterr().out, "regenerate: art32 checks --format markdown"


def test_explain_shows_shipped_profiles(capsys):
    assert main(["explain", "aws.s3.object_lock"]) == 0

    output = capsys.readouterr().out
    assert "baseline: severity low, min_retention_days=0" in output
    assert "strict: severity high, min_retention_days=7" in output
    assert "ci-encryption: not selected" in output


def test_permissions_aws_is_iam_policy(capsys):
    assert main(["permissions", "aws"]) == 0

    policy = json.loads(capsys.readouterr().out)
    actions = policy["Statement"][0]["Action"]
    assert policy["Version"] == "2012-10-17"
    assert policy["Statement"][0]["Effect"] == "Allow"
    assert "s3:GetEncryptionConfiguration" in actions
    assert all(action.split(":")[1].startswith(("Get", "List", "Describe")) for action in actions)


def test_permissions_follow_profile(capsys):
    main(["permissions", "gcp"])
    baseline = capsys.readouterr().out
    main(["permissions", "azure", "--profile", "strict"])
    azure = json.loads(capsys.readouterr().out)

    assert "storage.buckets.getIamPolicy" in baseline
    assert azure["role_definition"]["Actions"] == [
        "Microsoft.Storage/storageAccounts/blobServices/read", "Microsoft.Storage/storageAccounts/read"]
    assert azure["graph_application_permissions"] == ["Policy.Read.All"]


def test_permissions_unknown_profile_exits_two(capsys):
    assert main(["permissions", "aws", "--profile", "baselin"]) == 2
    assert "did you mean 'baseline'" in capsys.readouterr().err
