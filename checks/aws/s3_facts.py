"""S3 facts: one record per bucket, each API answer read once however many checks use it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from checks.aws.errors import classify, error_code
from checks.aws.session import AwsSession
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec

T = TypeVar("T")

BUCKET_LIST = FactSpec("aws.s3.bucket_list", ("s3:ListAllMyBuckets", "s3:GetBucketLocation"))
ENCRYPTION = FactSpec("aws.s3.encryption", ("s3:GetEncryptionConfiguration",))
KMS_KEYS = FactSpec("aws.kms.key", ("kms:DescribeKey",))
VERSIONING = FactSpec("aws.s3.versioning", ("s3:GetBucketVersioning",))

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")

# Real S3 applies SSE-S3 to every bucket and always returns a configuration; moto and some
# S3-compatible stores answer this code instead. Both mean provider-managed keys at most.
_NO_ENCRYPTION_CODES = frozenset({"ServerSideEncryptionConfigurationNotFoundError"})


@dataclass(frozen=True, slots=True)
class EncryptionRule:
    sse_algorithm: str
    kms_key_id: str | None
    bucket_key_enabled: bool


@dataclass(frozen=True, slots=True)
class BucketEncryption:
    """The default encryption configuration; `configured` is False when none was returned."""

    configured: bool
    rules: tuple[EncryptionRule, ...] = ()


@dataclass(frozen=True, slots=True)
class KmsKey:
    key_id: str
    arn: str | None
    key_manager: str | None


@dataclass(frozen=True, slots=True)
class BucketVersioning:
    status: str | None
    mfa_delete: str | None


@dataclass(frozen=True)
class S3Bucket:
    """The facts of one bucket; a fact that could not be read is a `CollectError`."""

    resource: Resource
    name: str
    encryption: BucketEncryption | CollectError = NOT_COLLECTED
    versioning: BucketVersioning | CollectError = NOT_COLLECTED
    kms_keys: Mapping[str, KmsKey | CollectError] = field(default_factory=dict)


class S3Collector:
    """Read the requested S3 facts of every bucket in the target's regions."""

    def __init__(
        self,
        session: AwsSession,
        account: str,
        partition: str,
        facts: frozenset[str],
        max_workers: int,
    ) -> None:
        self.session = session
        self.account = account
        self.partition = partition
        self.facts = facts
        self.max_workers = max_workers
        self._keys: dict[str, KmsKey | CollectError] = {}
        self._keys_lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def list_buckets(self) -> list[str]:
        """Return every bucket name; raises the botocore error when the listing fails."""
        client = self.session.client("s3")
        if not client.can_paginate("list_buckets"):
            return [b["Name"] for b in client.list_buckets().get("Buckets", [])]
        names: list[str] = []
        for page in client.get_paginator("list_buckets").paginate():
            names.extend(b["Name"] for b in page.get("Buckets", []))
        return names

    def collect(self, names: list[str], progress: Callable[[str], None]) -> list[S3Bucket]:
        """Collect each bucket on a bounded pool; buckets outside the target's regions drop out."""
        progress(f"S3: reading {len(names)} buckets")
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="s3") as pool:
            buckets = list(pool.map(self._bucket, names))
        return [bucket for bucket in buckets if bucket is not None]

    def _bucket(self, name: str) -> S3Bucket | None:
        region = self._call(lambda: self._location(name), "s3:GetBucketLocation")
        regions = self.session.target.regions
        if isinstance(region, str) and regions and region not in regions:
            return None

        resource = Resource(
            provider="aws",
            type="aws.s3.bucket",
            id=f"arn:{self.partition}:s3:::{name}",
            account=self.account,
            region=region if isinstance(region, str) else None,
        )
        client = self.session.client("s3", region if isinstance(region, str) else None)
        encryption = self._collect(ENCRYPTION, lambda: _encryption(client, name), "s3:GetBucketEncryption")
        versioning = self._collect(VERSIONING, lambda: _versioning(client, name), "s3:GetBucketVersioning")
        keys = self._kms_keys(encryption, region if isinstance(region, str) else None)
        return S3Bucket(resource, name, encryption, versioning, keys)

    def _location(self, name: str) -> str:
        answer = self.session.client("s3").get_bucket_location(Bucket=name)
        # S3 reports us-east-1 as an empty constraint and eu-west-1 buckets of old as "EU".
        constraint = answer.get("LocationConstraint") or "us-east-1"
        return "eu-west-1" if constraint == "EU" else str(constraint)

    def _kms_keys(
        self, encryption: BucketEncryption | CollectError, region: str | None
    ) -> dict[str, KmsKey | CollectError]:
        if KMS_KEYS.name not in self.facts or not isinstance(encryption, BucketEncryption):
            return {}
        keys: dict[str, KmsKey | CollectError] = {}
        for rule in encryption.rules:
            if rule.kms_key_id and not is_aws_managed_alias(rule.kms_key_id):
                keys[rule.kms_key_id] = self._describe_key(rule.kms_key_id, region)
        return keys

    def _describe_key(self, key_id: str, region: str | None) -> KmsKey | CollectError:
        """Describe each distinct key once per scan, in the key's own region when its ARN gives one."""
        with self._keys_lock:
            key_lock = self._key_locks.setdefault(key_id, threading.Lock())
        # Buckets that share a key wait for the first lookup instead of repeating it.
        with key_lock:
            if key_id not in self._keys:
                key_region = key_id.split(":")[3] if key_id.startswith("arn:") else region
                client = self.session.client("kms", key_region)
                self._keys[key_id] = self._call(lambda: _describe_key(client, key_id), "kms:DescribeKey")
            return self._keys[key_id]

    def _collect(self, spec: FactSpec, read: Callable[[], T], operation: str) -> T | CollectError:
        if spec.name not in self.facts:
            return NOT_COLLECTED
        return self._call(read, operation)

    @staticmethod
    def _call(read: Callable[[], T], operation: str) -> T | CollectError:
        try:
            return read()
        except Exception as error:  # classified into a reason; never lost, never a pass
            return classify(error, operation)


def _encryption(client: Any, name: str) -> BucketEncryption:
    try:
        answer = client.get_bucket_encryption(Bucket=name)
    except ClientError as error:
        if error_code(error) in _NO_ENCRYPTION_CODES:
            return BucketEncryption(configured=False)
        raise
    rules = []
    for rule in answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm"):
            rules.append(EncryptionRule(
                sse_algorithm=default["SSEAlgorithm"],
                kms_key_id=default.get("KMSMasterKeyID"),
                bucket_key_enabled=bool(rule.get("BucketKeyEnabled", False)),
            ))
    return BucketEncryption(configured=bool(rules), rules=tuple(rules))


def _versioning(client: Any, name: str) -> BucketVersioning:
    answer = client.get_bucket_versioning(Bucket=name)
    return BucketVersioning(status=answer.get("Status"), mfa_delete=answer.get("MFADelete"))


def _describe_key(client: Any, key_id: str) -> KmsKey:
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    return KmsKey(key_id=key_id, arn=metadata.get("Arn"), key_manager=metadata.get("KeyManager"))


def is_aws_managed_alias(key_id: str) -> bool:
    """Tell whether a key reference names an AWS managed key by alias (`alias/aws/s3`)."""
    alias = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
    return alias.startswith("alias/aws/")
