"""The S3 checks on tables of facts: no network."""

import pytest

from checks.aws.s3 import default_encryption, versioning
from checks.aws.s3_facts import (
    BucketEncryption,
    BucketVersioning,
    EncryptionRule,
    KmsKey,
    S3Bucket,
)
from scanner.model import ErrorReason, Resource, Status
from scanner.plugin import CollectError, FactUnavailable

RESOURCE = Resource("aws", "aws.s3.bucket", "arn:aws:s3:::b", "123456789012", "eu-west-1")
CUSTOMER_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
AWS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0000abcd-12ab-34cd-56ef-1234567890ab"


def _bucket(algorithm=None, key=None, keys=None, versioning_status=None):
    if algorithm is None:
        encryption = BucketEncryption(configured=False)
    else:
        encryption = BucketEncryption(True, (EncryptionRule(algorithm, key, False),))
    return S3Bucket(
        resource=RESOURCE,
        name="b",
        encryption=encryption,
        versioning=BucketVersioning(versioning_status, None),
        kms_keys=keys or {},
    )


CUSTOMER = {CUSTOMER_ARN: KmsKey(CUSTOMER_ARN, CUSTOMER_ARN, "CUSTOMER")}
AWS_MANAGED = {AWS_KEY_ARN: KmsKey(AWS_KEY_ARN, AWS_KEY_ARN, "AWS")}

ENCRYPTION_TABLE = [
    # (algorithm, key, keys, {min_key: expected status})
    (None, None, None, {"provider": "pass", "kms": "fail", "customer_kms": "fail"}),
    ("AES256", None, None, {"provider": "pass", "kms": "fail", "customer_kms": "fail"}),
    ("aws:kms", None, None, {"provider": "pass", "kms": "pass", "customer_kms": "fail"}),
    ("aws:kms", "alias/aws/s3", None, {"provider": "pass", "kms": "pass", "customer_kms": "fail"}),
    ("aws:kms", "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3", None,
     {"provider": "pass", "kms": "pass", "customer_kms": "fail"}),
    ("aws:kms", AWS_KEY_ARN, AWS_MANAGED, {"provider": "pass", "kms": "pass", "customer_kms": "fail"}),
    ("aws:kms", CUSTOMER_ARN, CUSTOMER, {"provider": "pass", "kms": "pass", "customer_kms": "pass"}),
    ("aws:kms:dsse", CUSTOMER_ARN, CUSTOMER, {"provider": "pass", "kms": "pass", "customer_kms": "pass"}),
    ("SSE-FUTURE", None, None, {"provider": "error", "kms": "error", "customer_kms": "error"}),
]


@pytest.mark.parametrize(("algorithm", "key", "keys", "expected"), ENCRYPTION_TABLE)
@pytest.mark.parametrize("min_key", ["provider", "kms", "customer_kms"])
def test_default_encryption_table(algorithm, key, keys, expected, min_key):
    verdict = default_encryption.evaluate(_bucket(algorithm, key, keys), {"min_key": min_key})

    assert verdict.status.value == expected[min_key]


def test_sse_s3_never_passes_kms():
    for bucket in (_bucket(), _bucket("AES256")):
        verdict = default_encryption.evaluate(bucket, {"min_key": "kms"})
        assert verdict.status is Status.FAIL
        assert verdict.evidence["sse_algorithm"] == "AES256"


def test_missing_configuration_is_reported_as_sse_s3():
    verdict = default_encryption.evaluate(_bucket(), {"min_key": "provider"})

    assert verdict.evidence == {"configured": False, "sse_algorithm": "AES256", "min_key": "provider"}
    assert "SSE-S3" in verdict.message


def test_encryption_fact_error_raises_unavailable():
    denied = CollectError(ErrorReason.ACCESS_DENIED, "access denied", "s3:GetBucketEncryption")
    bucket = S3Bucket(RESOURCE, "b", encryption=denied)

    with pytest.raises(FactUnavailable) as raised:
        default_encryption.evaluate(bucket, {"min_key": "provider"})

    assert raised.value.error.reason is ErrorReason.ACCESS_DENIED


def test_key_lookup_error_only_matters_for_customer_kms():
    denied = CollectError(ErrorReason.ACCESS_DENIED, "access denied", "kms:DescribeKey")
    bucket = _bucket("aws:kms", CUSTOMER_ARN, {CUSTOMER_ARN: denied})

    assert default_encryption.evaluate(bucket, {"min_key": "kms"}).status is Status.PASS
    with pytest.raises(FactUnavailable):
        default_encryption.evaluate(bucket, {"min_key": "customer_kms"})


@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        ("Enabled", Status.PASS, "enabled"),
        ("Suspended", Status.FAIL, "suspended"),
        (None, Status.FAIL, "never enabled"),
    ],
)
def test_versioning_table(status, expected, words):
    verdict = versioning.evaluate(_bucket(versioning_status=status), {})

    assert verdict.status is expected
    assert words in verdict.message
    assert verdict.evidence["status"] == status
