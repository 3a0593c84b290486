"""Cloud Storage facts: a bucket's settings from the bucket listing, and its IAM policy."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec

BUCKETS = FactSpec("gcp.storage.buckets", ("storage.buckets.list",))
IAM_POLICY = FactSpec("gcp.storage.iam_policy", ("storage.buckets.getIamPolicy",))

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


@dataclass(frozen=True, slots=True)
class BucketSettings:
    default_kms_key: str | None
    public_access_prevention: str | None
    uniform_access: bool
    versioning: bool
    retention_seconds: int | None
    soft_delete_seconds: int | None
    log_bucket: str | None


@dataclass(frozen=True)
class GcsBucket:
    resource: Resource
    name: str
    settings: BucketSettings
    public_members: tuple[str, ...] | CollectError = NOT_COLLECTED
    """Members of the IAM policy that mean anyone: allUsers and allAuthenticatedUsers."""
