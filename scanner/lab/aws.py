"""The AWS stand-in: moto's server on a free loopback port, seeded with S3 buckets."""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.lab.process import LOOPBACK, ServerProcess, free_port

LAB_REGION = "eu-west-1"
LAB_PROFILE = "art32-lab"
LAB_ACCESS_KEY = "AKIAART32LABEXAMPLE0"
LAB_SECRET_KEY = "art32-lab-secret-not-a-real-key"
CUSTOMER_KEY = "customer"
"""Placeholder in `LabBucket.kms_key` for the customer managed key the lab creates."""


@dataclass(frozen=True)
class LabBucket:
    """A seeded bucket and the verdict each S3 check must give it."""

    name: str
    sse_algorithm: str | None
    kms_key: str | None
    versioning: str | None
    encryption_verdicts: Mapping[str, str]
    """Expected `aws.s3.default_encryption` status for each `min_key` value."""
    versioning_verdict: str


def _verdicts(provider: str, kms: str, customer_kms: str) -> dict[str, str]:
    return {"provider": provider, "kms": kms, "customer_kms": customer_kms}


BUCKETS = (
    LabBucket("art32-lab-no-config", None, None, None,
              _verdicts("pass", "fail", "fail"), "fail"),
    LabBucket("art32-lab-sse-s3", "AES256", None, "Enabled",
              _verdicts("pass", "fail", "fail"), "pass"),
    LabBucket("art32-lab-kms-aws-managed", "aws:kms", None, "Suspended",
              _verdicts("pass", "pass", "fail"), "fail"),
    LabBucket("art32-lab-kms-alias-aws", "aws:kms", "alias/aws/s3", "Enabled",
              _verdicts("pass", "pass", "fail"), "pass"),
    LabBucket("art32-lab-kms-customer", "aws:kms", CUSTOMER_KEY, "Enabled",
              _verdicts("pass", "pass", "pass"), "pass"),
    LabBucket("art32-lab-dsse-customer", "aws:kms:dsse", CUSTOMER_KEY, None,
              _verdicts("pass", "pass", "pass"), "fail"),
)


class MotoLab:
    """moto's server in a child process on 127.0.0.1, so its state is its own."""

    def __init__(self) -> None:
        self._server: ServerProcess | None = None
        self.endpoint_url = ""

    def start(self) -> None:
        port = free_port()
        command = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
        self._server = ServerProcess(command, port, ready_path="/moto-api/")
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

    def seed(self) -> None:
        """Create the lab's buckets; this client is the lab's own and not read-only."""
        import boto3

        session = boto3.Session(
            aws_access_key_id=LAB_ACCESS_KEY,
            aws_secret_access_key=LAB_SECRET_KEY,
            region_name=LAB_REGION,
        )
        s3 = session.client("s3", endpoint_url=self.endpoint_url)
        kms = session.client("kms", endpoint_url=self.endpoint_url)
        customer_key = kms.create_key(Description="art32 lab customer managed key")
        customer_key_arn = customer_key["KeyMetadata"]["Arn"]

        for bucket in BUCKETS:
            _create_bucket(s3, bucket, customer_key_arn)


def _create_bucket(s3: Any, bucket: LabBucket, customer_key_arn: str) -> None:
    s3.create_bucket(
        Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": LAB_REGION}
    )
    if bucket.sse_algorithm:
        default: dict[str, str] = {"SSEAlgorithm": bucket.sse_algorithm}
        if bucket.kms_key:
            default["KMSMasterKeyID"] = (
                customer_key_arn if bucket.kms_key == CUSTOMER_KEY else bucket.kms_key
            )
        s3.put_bucket_encryption(
            Bucket=bucket.name,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]},
        )
    if bucket.versioning:
        s3.put_bucket_versioning(
            Bucket=bucket.name, VersioningConfiguration={"Status": bucket.versioning}
        )
