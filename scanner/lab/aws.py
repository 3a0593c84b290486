"""The AWS stand-in: moto's server on a free loopback port, seeded with S3 buckets whose
expected verdicts under the `baseline` and `strict` profiles are written beside them."""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.aws.session import keep_endpoint_host
from scanner.lab.process import LOOPBACK, ServerProcess, free_port

LAB_REGION = "eu-west-1"
LAB_ACCOUNT = "123456789012"
LAB_PROFILE = "art32-lab"
LAB_ACCESS_KEY = "AKIAART32LABEXAMPLE0"
LAB_SECRET_KEY = "art32-lab-secret-not-a-real-key"
CUSTOMER_KEY = "customer"
"""Placeholder in `LabBucket.kms_key` for the customer managed key the lab creates."""
ALL_FOUR = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ACCOUNT_BLOCK = ("BlockPublicAcls", "IgnorePublicAcls")
"""The account-level public access block of the lab: two of four settings, so it fails."""
LOG_BUCKET = "art32-lab-logs"

ENCRYPTION = "aws.s3.default_encryption"
VERSIONING = "aws.s3.versioning"
TLS = "aws.s3.tls_only_policy"
PUBLIC = "aws.s3.public_access_block"
LOCK = "aws.s3.object_lock"
LOGGING = "aws.s3.access_logging"
ACCOUNT_CHECK = "aws.s3.account_public_access_block"
ACCOUNT_VERDICTS = {"baseline": {ACCOUNT_CHECK: "fail"}, "strict": {ACCOUNT_CHECK: "fail"}}


@dataclass(frozen=True)
class LabBucket:
    """A seeded bucket and the verdict each S3 check must give it."""

    name: str
    baseline: Mapping[str, str]
    """Expected status per check id under `baseline`."""
    strict_changes: Mapping[str, str] = field(default_factory=dict)
    """Checks whose status under `strict` differs from `baseline`."""
    sse_algorithm: str | None = None
    kms_key: str | None = None
    versioning: str | None = None
    policy: Any = None
    """A policy document, a string stored as it is (to seed invalid JSON), or None."""
    public_access_block: tuple[str, ...] = ()
    object_lock: tuple[str, int] | None = None
    """(mode, days) of the default retention; ("", 0) enables Object Lock without one."""
    logging: bool = False

    def expected(self, profile: str) -> dict[str, str]:
        verdicts = dict(self.baseline)
        if profile == "strict":
            verdicts.update(self.strict_changes)
        return verdicts


def _verdicts(enc: str, ver: str, tls: str, public: str, lock: str, log: str) -> dict[str, str]:
    return {ENCRYPTION: enc, VERSIONING: ver, TLS: tls, PUBLIC: public, LOCK: lock, LOGGING: log}


def tls_deny(name: str, **changes: Any) -> dict[str, Any]:
    """Return the canonical statement that denies requests without TLS, with `changes` applied."""
    statement: dict[str, Any] = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(changes)
    return statement


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _buckets() -> tuple[LabBucket, ...]:
    strict_key = {ENCRYPTION: "fail"}
    return (
        LabBucket("art32-lab-no-config", _verdicts("pass", "fail", "fail", "fail", "fail", "fail"),
                  strict_key),
        LabBucket("art32-lab-sse-s3", _verdicts("pass", "pass", "pass", "pass", "fail", "pass"),
                  strict_key, sse_algorithm="AES256", versioning="Enabled",
                  policy=_policy(tls_deny("art32-lab-sse-s3")), public_access_block=ALL_FOUR,
                  logging=True),
        # A single statement object, Principal {"AWS": "*"}, BoolIfExists and a JSON boolean;
        # the bucket's half of the public access block completes the account's half.
        LabBucket("art32-lab-kms-aws-managed", _verdicts("pass", "fail", "pass", "pass", "fail", "fail"),
                  strict_key, sse_algorithm="aws:kms", versioning="Suspended",
                  policy={"Version": "2012-10-17", "Statement": tls_deny(
                      "art32-lab-kms-aws-managed", Principal={"AWS": "*"},
                      Condition={"BoolIfExists": {"aws:SecureTransport": False}})},
                  public_access_block=("BlockPublicPolicy", "RestrictPublicBuckets")),
        LabBucket("art32-lab-kms-alias-aws", _verdicts("pass", "pass", "fail", "fail", "fail", "fail"),
                  strict_key, sse_algorithm="aws:kms", kms_key="alias/aws/s3", versioning="Enabled",
                  policy=_policy(tls_deny("art32-lab-kms-alias-aws", Effect="Allow",
                                          Condition={"Bool": {"aws:SecureTransport": "true"}}))),
        # Passes everything under both profiles: a value list, an action list holding s3:*,
        # one wildcard resource for bucket and objects, and a lower-case condition key.
        LabBucket("art32-lab-kms-customer", _verdicts("pass", "pass", "pass", "pass", "pass", "pass"),
                  sse_algorithm="aws:kms", kms_key=CUSTOMER_KEY, versioning="Enabled",
                  policy=_policy(tls_deny("art32-lab-kms-customer", Action=["s3:GetObject", "s3:*"],
                                          Resource="arn:aws:s3:::art32-lab-kms-customer*",
                                          Condition={"Bool": {"aws:securetransport": ["false"]}})),
                  public_access_block=ALL_FOUR, object_lock=("COMPLIANCE", 30), logging=True),
        LabBucket("art32-lab-dsse-customer", _verdicts("pass", "fail", "fail", "pass", "fail", "fail"),
                  sse_algorithm="aws:kms:dsse", kms_key=CUSTOMER_KEY,
                  policy=_policy(tls_deny("art32-lab-dsse-customer",
                                          Resource="arn:aws:s3:::art32-lab-dsse-customer/*")),
                  public_access_block=ALL_FOUR),
        LabBucket("art32-lab-policy-source-ip", _verdicts("pass", "fail", "fail", "fail", "fail", "fail"),
                  strict_key, policy=_policy(tls_deny("art32-lab-policy-source-ip", Condition={
                      "Bool": {"aws:SecureTransport": "false"},
                      "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))),
        LabBucket("art32-lab-policy-one-principal",
                  _verdicts("pass", "fail", "fail", "fail", "fail", "fail"), strict_key,
                  policy=_policy(tls_deny("art32-lab-policy-one-principal",
                                          Principal={"AWS": f"arn:aws:iam::{LAB_ACCOUNT}:root"}))),
        LabBucket("art32-lab-policy-read-actions",
                  _verdicts("pass", "fail", "fail", "fail", "fail", "fail"), strict_key,
                  policy=_policy(tls_deny("art32-lab-policy-read-actions",
                                          Action=["s3:GetObject", "s3:ListBucket"]))),
        LabBucket("art32-lab-policy-invalid", _verdicts("pass", "fail", "error", "fail", "fail", "fail"),
                  strict_key, policy='{"Version": "2012-10-17", "Statement": [ '),
        LabBucket("art32-lab-lock-governance", _verdicts("pass", "pass", "fail", "pass", "pass", "fail"),
                  {ENCRYPTION: "fail", LOCK: "fail"}, sse_algorithm="AES256",
                  public_access_block=ALL_FOUR, object_lock=("GOVERNANCE", 1)),
        LabBucket("art32-lab-lock-no-default", _verdicts("pass", "pass", "fail", "pass", "pass", "fail"),
                  {ENCRYPTION: "fail", LOCK: "fail"}, public_access_block=ALL_FOUR,
                  object_lock=("", 0)),
        LabBucket(LOG_BUCKET, _verdicts("pass", "pass", "fail", "pass", "fail", "fail"), strict_key,
                  sse_algorithm="AES256", versioning="Enabled", public_access_block=ALL_FOUR),
        # CloudTrail writes here; its own settings are left at their defaults.
        LabBucket("art32-lab-trail-logs", _verdicts("pass", "fail", "fail", "fail", "fail", "fail"), strict_key),
    )


BUCKETS = _buckets()


class MotoLab:
    """moto's server in a child process on 127.0.0.1, so its state is its own."""

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        self._server: ServerProcess | None = None
        self._environment = environment
        self.endpoint_url = ""

    def start(self) -> None:
        port = free_port()
        command = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
        self._server = ServerProcess(command, port, ready_path="/moto-api/", environment=self._environment)
        self._server.start()
        self.endpoint_url = self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Clear every resource, as `POST /moto-api/reset` does."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def seed(self, access_key: str = LAB_ACCESS_KEY, secret_key: str = LAB_SECRET_KEY) -> None:
        """Create the lab's resources; this client is the lab's own and not read-only."""
        import boto3

        session = boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                region_name=LAB_REGION)
        s3 = session.client("s3", endpoint_url=self.endpoint_url)
        kms = session.client("kms", endpoint_url=self.endpoint_url)
        s3control = session.client("s3control", endpoint_url=self.endpoint_url)
        customer_key_arn = kms.create_key(Description="art32 lab customer managed key")["KeyMetadata"]["Arn"]

        s3control.meta.events.register("before-sign.s3-control", keep_endpoint_host(self.endpoint_url))
        s3control.put_public_access_block(
            AccountId=LAB_ACCOUNT, PublicAccessBlockConfiguration=_block(ACCOUNT_BLOCK)
        )
        for bucket in sorted(BUCKETS, key=lambda b: b.name != LOG_BUCKET):
            _create_bucket(s3, bucket, customer_key_arn)

        from scanner.lab.aws_estate import seed_estate

        seed_estate(session, self.endpoint_url, customer_key_arn)


def _block(settings: tuple[str, ...]) -> dict[str, bool]:
    return {name: name in settings for name in ALL_FOUR}


def _create_bucket(s3: Any, bucket: LabBucket, customer_key_arn: str) -> None:
    s3.create_bucket(
        Bucket=bucket.name,
        CreateBucketConfiguration={"LocationConstraint": LAB_REGION},
        ObjectLockEnabledForBucket=bucket.object_lock is not None,
    )
    if bucket.name == LOG_BUCKET:
        s3.put_bucket_acl(Bucket=bucket.name, ACL="log-delivery-write")
    if bucket.sse_algorithm:
        default: dict[str, str] = {"SSEAlgorithm": bucket.sse_algorithm}
        if bucket.kms_key:
            default["KMSMasterKeyID"] = customer_key_arn if bucket.kms_key == CUSTOMER_KEY else bucket.kms_key
        s3.put_bucket_encryption(
            Bucket=bucket.name,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]},
        )
    if bucket.versioning:
        s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": bucket.versioning})
    if bucket.policy is not None:
        text = bucket.policy if isinstance(bucket.policy, str) else json.dumps(bucket.policy)
        s3.put_bucket_policy(Bucket=bucket.name, Policy=text)
    if bucket.public_access_block:
        s3.put_public_access_block(
            Bucket=bucket.name, PublicAccessBlockConfiguration=_block(bucket.public_access_block)
        )
    if bucket.object_lock and bucket.object_lock[0]:
        mode, days = bucket.object_lock
        s3.put_object_lock_configuration(Bucket=bucket.name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
        })
    if bucket.logging:
        s3.put_bucket_logging(Bucket=bucket.name, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": LOG_BUCKET, "TargetPrefix": f"{bucket.name}/"},
        })
