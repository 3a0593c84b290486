"""The AWS checks beyond S3 on tables of facts, for the cases the lab cannot seed."""

from __future__ import annotations

import pytest

from checks.aws.account_facts import AccessKey, CloudTrailAccount, IamUser, RootAccount, Trail
from checks.aws.edge import Distribution, Listener, cloudfront_tls_policy, elb_tls_policy
from checks.aws.estate import kms_key_rotation, rds_storage_encrypted, rds_tls_enforced
from checks.aws.identity import access_key_rotation, cloudtrail_multi_region, root_mfa
from checks.aws.regional_facts import KmsKeyInfo, RdsDatabase
from scanner.model import ErrorReason, Resource, Status
from scanner.plugin import CollectError
from scanner.policies import load_tls_policy

ACCOUNT = Resource("aws", "aws.account", "aws://123456789012", account="123456789012")
NOT_IMPLEMENTED = CollectError(ErrorReason.NOT_IMPLEMENTED, "not implemented", "iam:ListOrganizationsFeatures")
INTERMEDIATE = {"tls_policy": load_tls_policy("mozilla-intermediate", "test")}


@pytest.mark.parametrize(
    ("mfa", "central", "credentials", "expected"),
    [
        (True, False, True, Status.PASS),
        (False, False, True, Status.FAIL),
        (False, True, False, Status.NOT_APPLICABLE),
        (False, True, True, Status.FAIL),
        (False, NOT_IMPLEMENTED, False, Status.FAIL),
    ],
)
def test_root_mfa(mfa, central, credentials, expected):
    verdict = root_mfa.evaluate(RootAccount(ACCOUNT, mfa, central, credentials), {})

    assert verdict.status is expected
    if central is NOT_IMPLEMENTED:
        assert "judged by the account summary" in verdict.evidence["organizations_features"]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ((AccessKey("ABCD", True, 10),), Status.PASS),
        ((AccessKey("ABCD", True, 91),), Status.FAIL),
        ((AccessKey("ABCD", False, 400),), Status.NOT_APPLICABLE),
        ((AccessKey("ABCD", True, 5), AccessKey("WXYZ", True, 200)), Status.FAIL),
    ],
)
def test_access_key_rotation(keys, expected):
    user = IamUser(Resource("aws", "aws.iam.user", "arn:aws:iam::123456789012:user/u"), False, 0, keys)

    verdict = access_key_rotation.evaluate(user, {"max_days": 90})

    assert verdict.status is expected
    assert "ABCDEFGH" not in str(verdict.evidence)


def _trail(**changes) -> Trail:
    values = dict(name="t", arn="arn:aws:cloudtrail:eu-west-1:123456789012:trail/t", home_region="eu-west-1",
                  multi_region=True, organization_trail=False, log_file_validation=True, kms_key=None, logging=True,
                  management_events=True)
    values.update(changes)
    return Trail(**values)


@pytest.mark.parametrize(
    ("trails", "expected"),
    [
        ((_trail(),), Status.PASS),
        ((_trail(multi_region=False),), Status.FAIL),
        ((_trail(logging=False),), Status.FAIL),
        ((_trail(management_events=False),), Status.FAIL),
        ((_trail(organization_trail=True, home_region="us-east-1"),), Status.PASS),
        ((), Status.FAIL),
    ],
)
def test_cloudtrail_multi_region(trails, expected):
    assert cloudtrail_multi_region.evaluate(CloudTrailAccount(ACCOUNT, trails), {}).status is expected


def _key(**changes) -> KmsKeyInfo:
    values = dict(resource=Resource("aws", "aws.kms.key", "arn:aws:kms:eu-west-1:123456789012:key/k"),
                  manager="CUSTOMER", spec="SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT", origin="AWS_KMS",
                  state="Enabled", rotation=False)
    values.update(changes)
    return KmsKeyInfo(**values)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (_key(rotation=True), Status.PASS),
        (_key(), Status.FAIL),
        (_key(manager="AWS"), Status.NOT_APPLICABLE),
        (_key(spec="HMAC_256", usage="GENERATE_VERIFY_MAC"), Status.NOT_APPLICABLE),
        (_key(origin="EXTERNAL"), Status.NOT_APPLICABLE),
        (_key(state="PendingDeletion"), Status.NOT_APPLICABLE),
        (_key(state="Disabled"), Status.NOT_APPLICABLE),
    ],
)
def test_kms_key_rotation(key, expected):
    assert kms_key_rotation.evaluate(key, {}).status is expected


def _database(**changes) -> RdsDatabase:
    values = dict(resource=Resource("aws", "aws.rds.instance", "arn:aws:rds:eu-west-1:123456789012:db:d"),
                  kind="instance", engine="mysql", encrypted=True, kms_key="arn:aws:kms:eu-west-1:1:key/k",
                  backup_retention_days=7, deletion_protection=True, tls_parameter={})
    values.update(changes)
    return RdsDatabase(**values)


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"require_secure_transport": "1"}, Status.PASS),
        ({"rds.force_ssl": "1"}, Status.PASS),
        ({"rds.force_ssl": "0"}, Status.FAIL),
        ({}, Status.FAIL),
    ],
)
def test_rds_tls_enforced(parameters, expected):
    assert rds_tls_enforced.evaluate(_database(tls_parameter=parameters), {}).status is expected


def test_rds_customer_key_required_in_strict():
    aws_managed = _database(kms_key="arn:aws:kms:eu-west-1:1:alias/aws/rds")

    assert rds_storage_encrypted.evaluate(aws_managed, {"require_customer_key": False}).status is Status.PASS
    assert rds_storage_encrypted.evaluate(aws_managed, {"require_customer_key": True}).status is Status.FAIL


@pytest.mark.parametrize(
    ("protocols", "expected"),
    [
        (("TLSv1.2", "TLSv1.3"), Status.PASS),
        (("TLSv1", "TLSv1.1", "TLSv1.2"), Status.FAIL),
        (("SSLv3", "TLSv1.2"), Status.FAIL),
    ],
)
def test_elb_policy_protocols(protocols, expected):
    listener = Listener(Resource("aws", "aws.elb.listener", "arn:l"), "HTTPS", "Policy", protocols, False)

    assert elb_tls_policy.evaluate(listener, INTERMEDIATE).status is expected


@pytest.mark.parametrize(
    ("viewer", "minimum", "expected"),
    [
        (("redirect-to-https",), "TLSv1.2_2021", Status.PASS),
        (("https-only", "redirect-to-https"), "TLSv1.3_2025", Status.PASS),
        (("redirect-to-https", "allow-all"), "TLSv1.2_2021", Status.FAIL),
        (("redirect-to-https",), "TLSv1.1_2016", Status.FAIL),
        (("redirect-to-https",), "TLSv9_2099", Status.ERROR),
    ],
)
def test_cloudfront_policy(viewer, minimum, expected):
    distribution = Distribution(Resource("aws", "aws.cloudfront.distribution", "arn:d"), viewer, minimum)

    assert cloudfront_tls_policy.evaluate(distribution, INTERMEDIATE).status is expected
