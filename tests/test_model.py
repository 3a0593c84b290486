import dataclasses

import pytest

from scanner.model import (
    Article,
    Finding,
    Measure,
    Outcome,
    Resource,
    Severity,
    Status,
)


def _finding() -> Finding:
    return Finding(
        check_id="aws.s3.default_encryption",
        title="S3 buckets encrypt new objects by default",
        status=Status.FAIL,
        severity=Severity.HIGH,
        measure=Measure.ENCRYPTION,
        outcomes=(Outcome.CONFIDENTIALITY,),
        articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
        resource=Resource("aws", "aws.s3.bucket", "arn:aws:s3:::example", "123456789012", "eu-west-1"),
        message="No default encryption with a KMS key",
        evidence={"sse_algorithm": "AES256"},
        remediation="...",
    )


def test_finding_serialises_report_keys():
    data = _finding().to_dict()

    assert list(data) == [
        "check_id", "title", "status", "severity", "measure", "outcomes", "articles",
        "resource", "message", "evidence", "remediation", "waiver",
    ]
    assert data["status"] == "fail"
    assert data["severity"] == "high"
    assert data["outcomes"] == ["confidentiality"]
    assert data["articles"] == ["32(1)(a)"]
    assert data["waiver"] is None
    assert data["resource"] == {
        "provider": "aws", "type": "aws.s3.bucket", "id": "arn:aws:s3:::example",
        "account": "123456789012", "region": "eu-west-1",
    }


def test_enum_values_are_lower_case():
    assert [s.value for s in Severity] == ["info", "low", "medium", "high", "critical"]
    assert [s.value for s in Status] == ["pass", "fail", "error", "not_applicable", "waived"]
    assert [a.value for a in Article] == ["32(1)(a)", "32(1)(b)", "32(1)(c)", "32(1)(d)"]
    assert {m.value for m in Measure} == {
        "encryption", "pseudonymisation", "access_control", "transport_security",
        "backup", "logging", "testing",
    }


def test_severity_order():
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert Severity.HIGH.at_least(Severity.HIGH)
    assert not Severity.MEDIUM.at_least(Severity.HIGH)


def test_finding_is_immutable():
    finding = _finding()

    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.status = Status.PASS  # type: ignore[misc]
