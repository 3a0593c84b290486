"""The S3 checks on tables of facts: no network."""

import pytest

from checks.aws.s3 import access_logging, default_encryption, object_lock, versioning
from checks.aws.s3_access import account_public_access_block, public_access_block
from checks.aws.s3_facts import (
    BucketEncryption,
    BucketLogging,
    BucketVersioning,
    EncryptionRule,
    KmsKey,
    ObjectLock,
    PublicAccessBlock,
    S3Account,
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


# Object Lock, access logging and public access block


def _facts(**facts):
    return S3Bucket(resource=RESOURCE, name="b", **facts)


@pytest.mark.parametrize(
    ("lock", "minimum", "expected"),
    [
        (ObjectLock(enabled=False), 0, Status.FAIL),
        (ObjectLock(enabled=True), 0, Status.PASS),
        (ObjectLock(enabled=True), 7, Status.FAIL),
        (ObjectLock(True, "GOVERNANCE", 1), 7, Status.FAIL),
        (ObjectLock(True, "GOVERNANCE", 7), 7, Status.PASS),
        (ObjectLock(True, "COMPLIANCE", 365), 30, Status.PASS),
    ],
)
def test_object_lock_table(lock, minimum, expected):
    verdict = object_lock.evaluate(_facts(object_lock=lock), {"min_retention_days": minimum})

    assert verdict.status is expected
    assert verdict.evidence["min_retention_days"] == minimum


@pytest.mark.parametrize(
    ("logging", "expected"),
    [(BucketLogging(None), Status.FAIL), (BucketLogging("logs", "b/"), Status.PASS)],
)
def test_access_logging_table(logging, expected):
    assert access_logging.evaluate(_facts(logging=logging), {}).status is expected


def _block(*on: str) -> PublicAccessBlock:
    names = {"acls": "block_public_acls", "ignore": "ignore_public_acls",
             "policy": "block_public_policy", "restrict": "restrict_public_buckets"}
    return PublicAccessBlock(configured=bool(on), **{names[n]: True for n in on})


ALL = ("acls", "ignore", "policy", "restrict")
DENIED = CollectError(ErrorReason.ACCESS_DENIED, "access denied", "s3control:GetPublicAccessBlock")


@pytest.mark.parametrize(
    ("bucket_block", "account_block", "expected"),
    [
        (_block(*ALL), _block(), Status.PASS),
        (_block(), _block(*ALL), Status.PASS),
        (_block("acls", "ignore"), _block("policy", "restrict"), Status.PASS),
        (_block("acls", "ignore"), _block("acls"), Status.FAIL),
        (_block(), _block(), Status.FAIL),
        (_block("acls", "ignore", "policy"), _block("acls", "ignore", "policy"), Status.FAIL),
        # Complete bucket settings need no account fact, so a denied account read is no error.
        (_block(*ALL), DENIED, Status.PASS),
    ],
)
def test_public_access_block_combines_levels(bucket_block, account_block, expected):
    bucket = _facts(public_access_block=bucket_block, account_public_access_block=account_block)

    assert public_access_block.evaluate(bucket, {}).status is expected


def test_public_access_block_needs_account_when_incomplete():
    bucket = _facts(public_access_block=_block("acls"), account_public_access_block=DENIED)

    with pytest.raises(FactUnavailable):
        public_access_block.evaluate(bucket, {})


def test_public_access_block_evidence():
    bucket = _facts(public_access_block=_block("acls"), account_public_access_block=_block("policy"))

    verdict = public_access_block.evaluate(bucket, {})

    assert verdict.evidence["effective"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": False,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": False,
    }
    assert "IgnorePublicAcls, RestrictPublicBuckets off" in verdict.message


@pytest.mark.parametrize(
    ("block", "expected", "words"),
    [
        (_block(*ALL), Status.PASS, "blocks all public access"),
        (_block(), Status.FAIL, "no public access block"),
        (_block("acls", "ignore"), Status.FAIL, "BlockPublicPolicy, RestrictPublicBuckets off"),
    ],
)
def test_account_public_access_block_table(block, expected, words):
    account = S3Account(Resource("aws", "aws.account", "aws://123456789012"), block)

    verdict = account_public_access_block.evaluate(account, {})

    assert verdict.status is expected
    assert words in verdict.message


def test_account_public_access_block_error_is_not_dropped():
    account = S3Account(Resource("aws", "aws.account", "aws://123456789012"), DENIED)

    with pytest.raises(FactUnavailable):
        account_public_access_block.evaluate(account, {})
