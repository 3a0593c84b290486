"""S3 facts: typed, frozen records of what the S3 and S3 Control APIs returned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec

BUCKET_LIST = FactSpec("aws.s3.bucket_list", ("s3:ListAllMyBuckets", "s3:GetBucketLocation"))
ENCRYPTION = FactSpec("aws.s3.encryption", ("s3:GetEncryptionConfiguration",))
KMS_KEYS = FactSpec("aws.kms.key", ("kms:DescribeKey",))
VERSIONING = FactSpec("aws.s3.versioning", ("s3:GetBucketVersioning",))
POLICY = FactSpec("aws.s3.policy", ("s3:GetBucketPolicy",))
PUBLIC_ACCESS_BLOCK = FactSpec("aws.s3.public_access_block", ("s3:GetBucketPublicAccessBlock",))
ACCOUNT_PUBLIC_ACCESS_BLOCK = FactSpec(
    "aws.s3.account_public_access_block", ("s3:GetAccountPublicAccessBlock",)
)
OBJECT_LOCK = FactSpec("aws.s3.object_lock", ("s3:GetBucketObjectLockConfiguration",))
LOGGING = FactSpec("aws.s3.logging", ("s3:GetBucketLogging",))

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


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


@dataclass(frozen=True, slots=True)
class BucketPolicy:
    """The bucket policy document as S3 returned it; `text` is None when there is none."""

    text: str | None


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    """The four public access block settings; `configured` is False when none is set."""

    configured: bool
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

    def as_dict(self) -> dict[str, bool]:
        values = (self.block_public_acls, self.ignore_public_acls,
                  self.block_public_policy, self.restrict_public_buckets)
        return dict(zip(self.SETTINGS, values, strict=True))

    @property
    def all_on(self) -> bool:
        return all(self.as_dict().values())

    def combined(self, other: PublicAccessBlock) -> PublicAccessBlock:
        """Return the effective block: S3 applies a setting that is on at either level."""
        return PublicAccessBlock(
            configured=self.configured or other.configured,
            block_public_acls=self.block_public_acls or other.block_public_acls,
            ignore_public_acls=self.ignore_public_acls or other.ignore_public_acls,
            block_public_policy=self.block_public_policy or other.block_public_policy,
            restrict_public_buckets=self.restrict_public_buckets or other.restrict_public_buckets,
        )


@dataclass(frozen=True, slots=True)
class ObjectLock:
    """Object Lock state; `mode` and the retention are the bucket's default retention rule."""

    enabled: bool
    mode: str | None = None
    retention_days: int | None = None


@dataclass(frozen=True, slots=True)
class BucketLogging:
    """Server access logging; `target_bucket` is None when logging is off."""

    target_bucket: str | None
    target_prefix: str | None = None


@dataclass(frozen=True)
class S3Account:
    """Account-wide S3 settings, the subject of account-level checks."""

    resource: Resource
    public_access_block: PublicAccessBlock | CollectError = NOT_COLLECTED


@dataclass(frozen=True)
class S3Bucket:
    """The facts of one bucket; a fact that could not be read is a `CollectError`."""

    resource: Resource
    name: str
    encryption: BucketEncryption | CollectError = NOT_COLLECTED
    versioning: BucketVersioning | CollectError = NOT_COLLECTED
    kms_keys: Mapping[str, KmsKey | CollectError] = field(default_factory=dict)
    policy: BucketPolicy | CollectError = NOT_COLLECTED
    public_access_block: PublicAccessBlock | CollectError = NOT_COLLECTED
    account_public_access_block: PublicAccessBlock | CollectError = NOT_COLLECTED
    object_lock: ObjectLock | CollectError = NOT_COLLECTED
    logging: BucketLogging | CollectError = NOT_COLLECTED


def is_aws_managed_alias(key_id: str) -> bool:
    """Tell whether a key reference names an AWS managed key by alias (`alias/aws/s3`)."""
    alias = key_id.split(":", 5)[-1] if key_id.startswith("arn:") else key_id
    return alias.startswith("alias/aws/")
