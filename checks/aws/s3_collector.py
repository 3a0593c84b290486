"""Read S3 facts: each API call once per bucket, however many checks read its result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from checks.aws.errors import call, error_code
from checks.aws.s3_facts import (
    ACCOUNT_PUBLIC_ACCESS_BLOCK,
    ENCRYPTION,
    KMS_KEYS,
    LOGGING,
    NOT_COLLECTED,
    OBJECT_LOCK,
    POLICY,
    PUBLIC_ACCESS_BLOCK,
    VERSIONING,
    BucketEncryption,
    BucketLogging,
    BucketPolicy,
    BucketVersioning,
    EncryptionRule,
    KmsKey,
    ObjectLock,
    PublicAccessBlock,
    S3Account,
    S3Bucket,
    is_aws_managed_alias,
)
from checks.aws.session import AwsSession
from scanner.model import Resource
from scanner.plugin import CollectError, FactSpec

T = TypeVar("T")

# Real S3 applies SSE-S3 to every bucket and always returns a configuration; moto and some
# S3-compatible stores return this error code instead. Both mean provider-managed keys at most.
_NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"
_NO_POLICY = "NoSuchBucketPolicy"
_NO_PUBLIC_ACCESS_BLOCK = "NoSuchPublicAccessBlockConfiguration"
_NO_OBJECT_LOCK = "ObjectLockConfigurationNotFoundError"


class S3Collector:
    """Read the requested S3 facts of the account and of every bucket in the target's regions."""

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
        self._account_block: PublicAccessBlock | CollectError = NOT_COLLECTED

    def account_settings(self) -> S3Account:
        """Read account-wide settings; bucket checks that combine levels read them too."""
        self._account_block = self._collect(
            ACCOUNT_PUBLIC_ACCESS_BLOCK, self._read_account_block, "s3:GetAccountPublicAccessBlock"
        )
        resource = Resource("aws", "aws.account", f"aws://{self.account}", account=self.account)
        return S3Account(resource=resource, public_access_block=self._account_block)

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
        location = call(lambda: self._location(name), "s3:GetBucketLocation")
        region = location if isinstance(location, str) else None
        regions = self.session.target.regions
        if region and regions and region not in regions:
            return None

        resource = Resource(
            provider="aws",
            type="aws.s3.bucket",
            id=f"arn:{self.partition}:s3:::{name}",
            account=self.account,
            region=region,
        )
        client = self.session.client("s3", region)
        encryption = self._collect(ENCRYPTION, lambda: _encryption(client, name), "s3:GetBucketEncryption")
        return S3Bucket(
            resource=resource,
            name=name,
            encryption=encryption,
            versioning=self._collect(VERSIONING, lambda: _versioning(client, name), "s3:GetBucketVersioning"),
            kms_keys=self._kms_keys(encryption, region),
            policy=self._collect(POLICY, lambda: _policy(client, name), "s3:GetBucketPolicy"),
            public_access_block=self._collect(
                PUBLIC_ACCESS_BLOCK, lambda: _bucket_block(client, name), "s3:GetPublicAccessBlock"
            ),
            account_public_access_block=self._account_block,
            object_lock=self._collect(
                OBJECT_LOCK, lambda: _object_lock(client, name), "s3:GetObjectLockConfiguration"
            ),
            logging=self._collect(LOGGING, lambda: _logging(client, name), "s3:GetBucketLogging"),
        )

    def _location(self, name: str) -> str:
        answer = self.session.client("s3").get_bucket_location(Bucket=name)
        # S3 reports us-east-1 as an empty constraint and eu-west-1 buckets of old as "EU".
        constraint = answer.get("LocationConstraint") or "us-east-1"
        return "eu-west-1" if constraint == "EU" else str(constraint)

    def _read_account_block(self) -> PublicAccessBlock:
        client = self.session.client("s3control")
        try:
            answer = client.get_public_access_block(AccountId=self.account)
        except ClientError as error:
            if error_code(error) == _NO_PUBLIC_ACCESS_BLOCK:
                return PublicAccessBlock(configured=False)
            raise
        return _block(answer["PublicAccessBlockConfiguration"])

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
                self._keys[key_id] = call(lambda: _describe_key(client, key_id), "kms:DescribeKey")
            return self._keys[key_id]

    def _collect(self, spec: FactSpec, read: Callable[[], T], operation: str) -> T | CollectError:
        if spec.name not in self.facts:
            return NOT_COLLECTED
        return call(read, operation)


def _absent_when(code: str, read: Callable[[], T], absent: T) -> T:
    """Return `absent` when S3 returns the error `code`, its way of saying a setting was never made."""
    try:
        return read()
    except ClientError as error:
        if error_code(error) == code:
            return absent
        raise


def _encryption(client: Any, name: str) -> BucketEncryption:
    answer = _absent_when(_NO_ENCRYPTION, lambda: client.get_bucket_encryption(Bucket=name), None)
    if answer is None:
        return BucketEncryption(configured=False)
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


def _policy(client: Any, name: str) -> BucketPolicy:
    answer = _absent_when(_NO_POLICY, lambda: client.get_bucket_policy(Bucket=name), None)
    return BucketPolicy(text=answer.get("Policy") if answer else None)


def _bucket_block(client: Any, name: str) -> PublicAccessBlock:
    answer = _absent_when(
        _NO_PUBLIC_ACCESS_BLOCK, lambda: client.get_public_access_block(Bucket=name), None
    )
    if answer is None:
        return PublicAccessBlock(configured=False)
    return _block(answer["PublicAccessBlockConfiguration"])


def _block(settings: dict[str, Any]) -> PublicAccessBlock:
    return PublicAccessBlock(
        configured=True,
        block_public_acls=bool(settings.get("BlockPublicAcls", False)),
        ignore_public_acls=bool(settings.get("IgnorePublicAcls", False)),
        block_public_policy=bool(settings.get("BlockPublicPolicy", False)),
        restrict_public_buckets=bool(settings.get("RestrictPublicBuckets", False)),
    )


def _object_lock(client: Any, name: str) -> ObjectLock:
    answer = _absent_when(
        _NO_OBJECT_LOCK, lambda: client.get_object_lock_configuration(Bucket=name), None
    )
    if answer is None:
        return ObjectLock(enabled=False)
    configuration = answer.get("ObjectLockConfiguration", {})
    retention = configuration.get("Rule", {}).get("DefaultRetention", {})
    days = retention.get("Days") or 0
    years = retention.get("Years") or 0
    # A retention year is counted as 365 days, so Days and Years compare on one scale.
    total_days = days + 365 * years if retention else None
    return ObjectLock(
        enabled=configuration.get("ObjectLockEnabled") == "Enabled",
        mode=retention.get("Mode"),
        retention_days=total_days,
    )


def _logging(client: Any, name: str) -> BucketLogging:
    enabled = client.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    if not enabled:
        return BucketLogging(target_bucket=None)
    return BucketLogging(target_bucket=enabled.get("TargetBucket"), target_prefix=enabled.get("TargetPrefix"))


def _describe_key(client: Any, key_id: str) -> KmsKey:
    metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
    return KmsKey(key_id=key_id, arn=metadata.get("Arn"), key_manager=metadata.get("KeyManager"))
