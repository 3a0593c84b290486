"""The AWS collector and the read-only guard against a real moto server on loopback."""

from __future__ import annotations

import boto3
import pytest

from checks.aws import PLUGIN
from checks.aws.guard import OperationRejected, is_allowed
from checks.aws.s3_facts import BucketEncryption, BucketVersioning, S3Bucket
from checks.aws.session import AwsSession
from checks.aws.target import AwsTarget
from scanner.lab.aws import BUCKETS, LAB_PROFILE, LAB_REGION
from scanner.model import ErrorReason
from scanner.plugin import CollectRequest, CollectSettings, Unit
from tests.servers import moto_server

ALL_FACTS = frozenset({
    "aws.s3.bucket_list", "aws.s3.encryption", "aws.s3.versioning", "aws.kms.key", "aws.s3.policy",
    "aws.s3.public_access_block", "aws.s3.account_public_access_block", "aws.s3.object_lock",
    "aws.s3.logging",
})
KEYS = {"aws_access_key_id": "AKIAART32TEST0000000", "aws_secret_access_key": "test-secret"}


@pytest.fixture(scope="module")
def moto_module():
    with moto_server() as server:
        yield server


@pytest.fixture
def moto(moto_module, monkeypatch):
    """An empty moto server; the default credential chain finds these test keys."""
    moto_module.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEYS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS["aws_secret_access_key"])
    return moto_module.endpoint_url


def _collect(target: AwsTarget, facts=ALL_FACTS, settings=None):
    request = CollectRequest(
        unit=Unit("aws", target.display_name(), "global"),
        target=target,
        facts=facts,
        settings=settings or CollectSettings(max_workers=4, max_attempts=1),
    )
    return PLUGIN.collect(request)


def _admin(url, service, region=LAB_REGION):
    return boto3.client(service, endpoint_url=url, region_name=region, **KEYS)


def test_lab_buckets_collected_once_each(lab):
    target = AwsTarget(name="lab", aws_profile=LAB_PROFILE, regions=[LAB_REGION],
                       endpoint_url=lab.aws.endpoint_url)

    facts = _collect(target)

    assert facts.error is None
    assert facts.account == "123456789012"
    buckets = [s for s in facts.subjects if isinstance(s, S3Bucket)]
    assert sorted(b.name for b in buckets) == sorted(b.name for b in BUCKETS)
    count = len(BUCKETS)
    assert facts.api_calls == {
        "sts:GetCallerIdentity": 1,
        "s3:ListBuckets": 1,
        "s3control:GetPublicAccessBlock": 1,
        "s3:GetPublicAccessBlock": count,
        "s3:GetBucketLocation": count,
        "s3:GetBucketEncryption": count,
        "s3:GetBucketVersioning": count,
        "s3:GetBucketPolicy": count,
        "s3:GetObjectLockConfiguration": count,
        "s3:GetBucketLogging": count,
        # Two buckets share the one customer managed key: it is described once.
        "kms:DescribeKey": 1,
    }


def test_bucket_facts_and_resource(lab):
    target = AwsTarget(name="lab", aws_profile=LAB_PROFILE, endpoint_url=lab.aws.endpoint_url)

    facts = _collect(target)

    bucket = next(s for s in facts.subjects if getattr(s, "name", "") == "art32-lab-kms-aws-managed")
    assert isinstance(bucket, S3Bucket)
    assert bucket.resource.id == "arn:aws:s3:::art32-lab-kms-aws-managed"
    assert bucket.resource.account == "123456789012"
    assert bucket.resource.region == LAB_REGION
    assert bucket.encryption == BucketEncryption(True, bucket.encryption.rules)
    assert bucket.encryption.rules[0].sse_algorithm == "aws:kms"
    assert bucket.versioning == BucketVersioning("Suspended", None)


def test_unrequested_facts_not_read(lab):
    target = AwsTarget(name="lab", aws_profile=LAB_PROFILE, endpoint_url=lab.aws.endpoint_url)

    facts = _collect(target, frozenset({"aws.s3.bucket_list", "aws.s3.versioning"}))

    assert "s3:GetBucketEncryption" not in facts.api_calls
    assert "kms:DescribeKey" not in facts.api_calls
    assert facts.api_calls["s3:GetBucketVersioning"] == len(BUCKETS)


def test_buckets_outside_regions_skipped(moto):
    _admin(moto, "s3").create_bucket(
        Bucket="in-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    _admin(moto, "s3", "eu-central-1").create_bucket(
        Bucket="in-frankfurt", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})

    only_ireland = _collect(AwsTarget(regions=["eu-west-1"], endpoint_url=moto))
    every_region = _collect(AwsTarget(endpoint_url=moto))

    assert [s.name for s in only_ireland.subjects if isinstance(s, S3Bucket)] == ["in-ireland"]
    assert sorted(s.name for s in every_region.subjects if isinstance(s, S3Bucket)) == [
        "in-frankfurt", "in-ireland",
    ]


def test_missing_encryption_configuration_is_a_fact(moto):
    _admin(moto, "s3").create_bucket(
        Bucket="plain", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    facts = _collect(AwsTarget(endpoint_url=moto))

    bucket = next(s for s in facts.subjects if isinstance(s, S3Bucket))
    assert bucket.encryption == BucketEncryption(configured=False)


def test_role_arn_is_assumed(moto):
    iam = _admin(moto, "iam", "us-east-1")
    role = iam.create_role(RoleName="audit", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

    facts = _collect(AwsTarget(role_arn=role, endpoint_url=moto))

    assert facts.error is None
    assert facts.api_calls["sts:AssumeRole"] == 1


def test_unknown_aws_profile_is_credentials_error(moto):
    facts = _collect(AwsTarget(aws_profile="no-such-profile", endpoint_url=moto))

    assert facts.error is not None
    assert facts.error.reason is ErrorReason.CREDENTIALS
    assert "no-such-profile" in facts.error.message


def test_guard_rejects_write_before_sending(moto):
    admin = _admin(moto, "s3")
    admin.create_bucket(Bucket="kept", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    session = AwsSession(AwsTarget(endpoint_url=moto), CollectSettings(max_attempts=1))
    client = session.client("s3")

    with pytest.raises(OperationRejected, match="read-only guard rejected s3:PutBucketVersioning"):
        client.put_bucket_versioning(Bucket="kept", VersioningConfiguration={"Status": "Enabled"})

    assert "Status" not in admin.get_bucket_versioning(Bucket="kept")
    assert session.guard.calls() == {}


def test_guard_rejects_reading_object_data(moto):
    admin = _admin(moto, "s3")
    admin.create_bucket(Bucket="data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    admin.put_object(Bucket="data", Key="person.json", Body=b"{}")
    client = AwsSession(AwsTarget(endpoint_url=moto), CollectSettings(max_attempts=1)).client("s3")

    with pytest.raises(OperationRejected):
        client.get_object(Bucket="data", Key="person.json")


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("s3", "GetBucketEncryption", True),
        ("s3", "ListBuckets", True),
        ("s3", "HeadBucket", True),
        ("sts", "GetCallerIdentity", True),
        ("sts", "AssumeRole", True),
        ("ec2", "DescribeVolumes", True),
        ("s3", "PutBucketVersioning", False),
        ("s3", "DeleteBucket", False),
        ("s3", "CreateBucket", False),
        ("s3", "GetObject", False),
        ("secretsmanager", "GetSecretValue", False),
        ("iam", "UpdateAccountPasswordPolicy", False),
        ("kms", "ScheduleKeyDeletion", False),
        ("ec2", "ModifyVolume", False),
    ],
)
def test_guard_allows_only_reads(service, operation, allowed):
    assert is_allowed(service, operation) is allowed
