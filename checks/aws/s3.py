"""S3 checks of encryption at rest, versioning, Object Lock and access logging."""

from __future__ import annotations

from checks.aws.s3_facts import (
    BUCKET_LIST,
    ENCRYPTION,
    KMS_KEYS,
    LOGGING,
    OBJECT_LOCK,
    VERSIONING,
    BucketEncryption,
    EncryptionRule,
    S3Bucket,
    is_aws_managed_alias,
)
from scanner.model import Article, Measure, Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import Params, check, require

BUCKET = "aws.s3.bucket"
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})
KEY_LEVELS = ("provider", "kms", "customer_kms")


@check(
    id="aws.s3.default_encryption",
    title="S3 buckets encrypt new objects by default",
    subject=S3Bucket,
    resource_type=BUCKET,
    facts=(BUCKET_LIST, ENCRYPTION, KMS_KEYS),
    measure=Measure.ENCRYPTION,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
    severity=Severity.HIGH,
    rationale=(
        "Article 32(1)(a) names encryption of personal data. Default encryption decides how "
        "every new object is encrypted at rest and who controls the key: with SSE-S3 AWS holds "
        "the key; with a KMS key its policy and CloudTrail record who may decrypt."
    ),
    remediation=(
        "Set default encryption: `aws s3api put-bucket-encryption --bucket NAME "
        "--server-side-encryption-configuration '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":"
        "{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY_ARN\"}}]}'`, or in Terraform "
        "`aws_s3_bucket_server_side_encryption_configuration`."
    ),
    parameters=(
        Parameter(
            "min_key",
            str,
            "provider",
            "weakest key that passes: provider (SSE-S3 is enough), kms (any KMS key, AWS "
            "managed included), customer_kms (a customer managed KMS key)",
            choices=KEY_LEVELS,
        ),
    ),
)
def default_encryption(bucket: S3Bucket, params: Params) -> Verdict:
    encryption: BucketEncryption = require(bucket.encryption)
    min_key = str(params.get("min_key", "provider"))

    if not encryption.configured:
        evidence = {"configured": False, "sse_algorithm": "AES256", "min_key": min_key}
        message = "No default encryption configuration returned; S3 applies SSE-S3 (AWS-held keys)"
        status = Status.PASS if min_key == "provider" else Status.FAIL
        return Verdict(status, message, evidence)

    rule = encryption.rules[0]
    evidence = _rule_evidence(rule, min_key)
    if rule.sse_algorithm == "AES256":
        status = Status.PASS if min_key == "provider" else Status.FAIL
        return Verdict(status, "Default encryption is SSE-S3 (AWS-held keys)", evidence)
    if rule.sse_algorithm not in KMS_ALGORITHMS:
        return Verdict(Status.ERROR, f"Unrecognised SSE algorithm {rule.sse_algorithm!r}", evidence)
    if min_key != "customer_kms":
        return Verdict(Status.PASS, f"Default encryption is {rule.sse_algorithm} with a KMS key", evidence)
    return _judge_customer_key(bucket, rule, evidence)


def _judge_customer_key(bucket: S3Bucket, rule: EncryptionRule, evidence: dict[str, object]) -> Verdict:
    key_id = rule.kms_key_id
    if key_id is None or is_aws_managed_alias(key_id):
        return Verdict(Status.FAIL, "Default encryption uses the AWS managed key aws/s3", evidence)

    key = require(bucket.kms_keys[key_id])
    evidence["key_manager"] = key.key_manager
    if key.key_manager == "CUSTOMER":
        return Verdict(Status.PASS, "Default encryption uses a customer managed KMS key", evidence)
    return Verdict(Status.FAIL, f"Default encryption uses a KMS key managed by {key.key_manager}", evidence)


def _rule_evidence(rule: EncryptionRule, min_key: str) -> dict[str, object]:
    return {
        "configured": True,
        "sse_algorithm": rule.sse_algorithm,
        "kms_key_id": rule.kms_key_id,
        "bucket_key_enabled": rule.bucket_key_enabled,
        "min_key": min_key,
    }


@check(
    id="aws.s3.versioning",
    title="S3 buckets keep earlier versions of objects",
    subject=S3Bucket,
    resource_type=BUCKET,
    facts=(BUCKET_LIST, VERSIONING),
    measure=Measure.BACKUP,
    outcomes=(Outcome.INTEGRITY, Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=(
        Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,
        Article.RESTORE_AVAILABILITY,
    ),
    severity=Severity.MEDIUM,
    rationale=(
        "Article 32(1)(c) asks for the ability to restore access to personal data in time. "
        "Versioning keeps every overwritten or deleted object, so a mistake or a ransomware "
        "overwrite can be undone."
    ),
    remediation=(
        "Enable versioning: `aws s3api put-bucket-versioning --bucket NAME "
        "--versioning-configuration Status=Enabled`, or in Terraform `aws_s3_bucket_versioning`; "
        "add a lifecycle rule to expire old versions."
    ),
)
def versioning(bucket: S3Bucket, _params: Params) -> Verdict:
    facts = require(bucket.versioning)
    evidence = {"status": facts.status, "mfa_delete": facts.mfa_delete}
    if facts.status == "Enabled":
        return Verdict(Status.PASS, "Versioning is enabled", evidence)
    if facts.status == "Suspended":
        return Verdict(Status.FAIL, "Versioning is suspended: new writes keep no earlier version", evidence)
    return Verdict(Status.FAIL, "Versioning was never enabled", evidence)


@check(
    id="aws.s3.object_lock",
    title="S3 buckets protect objects with Object Lock",
    subject=S3Bucket,
    resource_type=BUCKET,
    facts=(BUCKET_LIST, OBJECT_LOCK),
    measure=Measure.BACKUP,
    outcomes=(Outcome.INTEGRITY, Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=(
        Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,
        Article.RESTORE_AVAILABILITY,
    ),
    severity=Severity.MEDIUM,
    rationale=(
        "Object Lock stores objects write-once-read-many: no user, root included in "
        "compliance mode, can delete or overwrite a locked version before its retention ends. "
        "It keeps backups and records restorable after a ransomware attack or a compromised "
        "administrator (Article 32(1)(b) and (c))."
    ),
    remediation=(
        "Object Lock is set when a bucket is created (`aws s3api create-bucket ... "
        "--object-lock-enabled-for-bucket`) or enabled later through AWS support for existing "
        "buckets. Then set a default retention: `aws s3api put-object-lock-configuration "
        "--bucket NAME --object-lock-configuration '{\"ObjectLockEnabled\":\"Enabled\",\"Rule\":"
        "{\"DefaultRetention\":{\"Mode\":\"GOVERNANCE\",\"Days\":30}}}'`."
    ),
    parameters=(
        Parameter(
            "min_retention_days",
            int,
            0,
            "shortest default retention that passes, in days; 0 accepts Object Lock "
            "without a default retention rule",
        ),
    ),
)
def object_lock(bucket: S3Bucket, params: Params) -> Verdict:
    facts = require(bucket.object_lock)
    minimum = int(params.get("min_retention_days", 0))
    evidence = {
        "enabled": facts.enabled,
        "mode": facts.mode,
        "retention_days": facts.retention_days,
        "min_retention_days": minimum,
    }
    if not facts.enabled:
        return Verdict(Status.FAIL, "Object Lock is not enabled", evidence)
    if minimum and (facts.retention_days or 0) < minimum:
        found = "no default retention" if facts.retention_days is None else f"{facts.retention_days} days"
        return Verdict(
            Status.FAIL, f"Object Lock default retention is {found}; at least {minimum} days needed", evidence
        )
    retention = "no default retention" if facts.retention_days is None else (
        f"{facts.mode} retention of {facts.retention_days} days"
    )
    return Verdict(Status.PASS, f"Object Lock is enabled with {retention}", evidence)


@check(
    id="aws.s3.access_logging",
    title="S3 buckets log requests with server access logging",
    subject=S3Bucket,
    resource_type=BUCKET,
    facts=(BUCKET_LIST, LOGGING),
    measure=Measure.LOGGING,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=(
        Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,
        Article.REGULAR_TESTING,
    ),
    severity=Severity.MEDIUM,
    rationale=(
        "A record of who read or changed which object is what shows whether personal data "
        "was accessed without authority, and what a breach notification under Article 33 "
        "must report. Server access logs record every request to the bucket."
    ),
    remediation=(
        "Enable server access logging to a separate log bucket: `aws s3api put-bucket-logging "
        "--bucket NAME --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"LOG_BUCKET\","
        "\"TargetPrefix\":\"NAME/\"}}'`. CloudTrail data events are an alternative that this "
        "check does not read."
    ),
)
def access_logging(bucket: S3Bucket, _params: Params) -> Verdict:
    facts = require(bucket.logging)
    evidence = {"target_bucket": facts.target_bucket, "target_prefix": facts.target_prefix}
    if facts.target_bucket is None:
        return Verdict(Status.FAIL, "Server access logging is off", evidence)
    return Verdict(Status.PASS, f"Server access logs go to bucket {facts.target_bucket}", evidence)


CHECKS = (default_encryption, versioning, object_lock, access_logging)
