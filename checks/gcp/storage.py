"""Cloud Storage checks: keys, public access, uniform access, versioning, retention and logging."""

from __future__ import annotations

import functools

from checks.gcp.facts import BUCKETS, IAM_POLICY, GcsBucket
from scanner.model import Article, Measure, Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import Params, check, require

gcs_check = functools.partial(check, subject=GcsBucket, resource_type="gcp.storage.bucket")
ACCESS = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,)
RESTORE = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.RESTORE_AVAILABILITY)


@gcs_check(
    id="gcp.storage.cmek",
    title="Cloud Storage buckets encrypt with a customer-managed KMS key",
    facts=(BUCKETS,),
    measure=Measure.ENCRYPTION,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
    severity=Severity.MEDIUM,
    rationale=(
        "Google encrypts every object with Google-managed keys; a customer-managed Cloud KMS key "
        "adds a key policy the controller sets and the power to make the data unreadable by "
        "disabling the key."
    ),
    remediation="Set a default key: `gcloud storage buckets update gs://NAME --default-encryption-key=KEY`.",
)
def cmek(bucket: GcsBucket, _params: Params) -> Verdict:
    key = bucket.settings.default_kms_key
    evidence = {"default_kms_key": key}
    if key:
        return Verdict(Status.PASS, "New objects are encrypted with a customer-managed key", evidence)
    return Verdict(Status.FAIL, "No default KMS key: Google-managed keys only", evidence)


@gcs_check(
    id="gcp.storage.public_access_prevention",
    title="Cloud Storage buckets enforce public access prevention",
    facts=(BUCKETS,),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=ACCESS,
    severity=Severity.HIGH,
    rationale=(
        "With public access prevention enforced, no IAM binding or ACL can make the bucket's "
        "objects public, whatever a later change grants."
    ),
    remediation="`gcloud storage buckets update gs://NAME --public-access-prevention`, or enforce the "
                "organisation policy constraint storage.publicAccessPrevention.",
)
def public_access_prevention(bucket: GcsBucket, _params: Params) -> Verdict:
    setting = bucket.settings.public_access_prevention
    # TODO: read the organisation policy constraint storage.publicAccessPrevention, so that an
    # "inherited" bucket under an enforcing policy passes; until then "inherited" fails.
    evidence = {"public_access_prevention": setting, "organisation_policy": "not read"}
    if setting == "enforced":
        return Verdict(Status.PASS, "Public access prevention is enforced on the bucket", evidence)
    return Verdict(Status.FAIL, f"Public access prevention is {setting or 'unset'}; the organisation "
                   "policy was not read, so only an enforced bucket setting passes", evidence)


@gcs_check(
    id="gcp.storage.uniform_access",
    title="Cloud Storage buckets use uniform bucket-level access",
    facts=(BUCKETS,),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=ACCESS,
    severity=Severity.MEDIUM,
    rationale="Per-object ACLs scatter access decisions over millions of objects; uniform access keeps them in IAM.",
    remediation="`gcloud storage buckets update gs://NAME --uniform-bucket-level-access`.",
)
def uniform_access(bucket: GcsBucket, _params: Params) -> Verdict:
    on = bucket.settings.uniform_access
    evidence = {"uniform_bucket_level_access": on}
    if on:
        return Verdict(Status.PASS, "Uniform bucket-level access is on", evidence)
    return Verdict(Status.FAIL, "Uniform bucket-level access is off: object ACLs apply", evidence)


@gcs_check(
    id="gcp.storage.public_iam",
    title="Cloud Storage bucket IAM grants nothing to allUsers or allAuthenticatedUsers",
    facts=(BUCKETS, IAM_POLICY),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=ACCESS,
    severity=Severity.CRITICAL,
    rationale="allUsers is anyone on the internet; allAuthenticatedUsers is anyone with a Google account.",
    remediation="Remove the bindings: `gcloud storage buckets remove-iam-policy-binding gs://NAME --member=allUsers "
                "--role=ROLE`.",
)
def public_iam(bucket: GcsBucket, _params: Params) -> Verdict:
    members = require(bucket.public_members)
    evidence = {"public_members": list(members)}
    if members:
        return Verdict(Status.FAIL, f"The bucket's IAM policy grants access to {', '.join(members)}", evidence)
    return Verdict(Status.PASS, "No IAM binding grants public access", evidence)


@gcs_check(
    id="gcp.storage.versioning",
    title="Cloud Storage buckets keep noncurrent object versions",
    facts=(BUCKETS,),
    measure=Measure.BACKUP,
    outcomes=(Outcome.INTEGRITY, Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=RESTORE,
    severity=Severity.MEDIUM,
    rationale="Versioning keeps overwritten and deleted objects, so a mistake or an attack can be undone.",
    remediation="`gcloud storage buckets update gs://NAME --versioning`.",
)
def versioning(bucket: GcsBucket, _params: Params) -> Verdict:
    on = bucket.settings.versioning
    evidence = {"versioning": on}
    if on:
        return Verdict(Status.PASS, "Object versioning is on", evidence)
    return Verdict(Status.FAIL, "Object versioning is off", evidence)


@gcs_check(
    id="gcp.storage.retention",
    title="Cloud Storage buckets keep deleted data for a minimum time",
    facts=(BUCKETS,),
    measure=Measure.BACKUP,
    outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=RESTORE,
    severity=Severity.MEDIUM,
    rationale=(
        "A retention policy forbids deleting objects before an age; soft delete keeps deleted "
        "objects restorable for a while. Either lets data be restored after a deletion."
    ),
    remediation="Set a soft-delete policy of at least min_days (`gcloud storage buckets update gs://NAME "
                "--soft-delete-duration=7d`) or a retention policy.",
    parameters=(Parameter("min_days", int, 7, "shortest retention or soft-delete duration that passes, in days"),),
)
def retention(bucket: GcsBucket, params: Params) -> Verdict:
    minimum = int(params.get("min_days", 7)) * 86400
    settings = bucket.settings
    evidence = {"retention_seconds": settings.retention_seconds, "soft_delete_seconds": settings.soft_delete_seconds,
                "min_seconds": minimum}
    retention_seconds = settings.retention_seconds or 0
    soft_delete_seconds = settings.soft_delete_seconds or 0
    if retention_seconds >= minimum:
        return Verdict(Status.PASS, f"Retention policy of {retention_seconds // 86400} days", evidence)
    if soft_delete_seconds >= minimum:
        return Verdict(Status.PASS, f"Soft delete keeps objects {soft_delete_seconds // 86400} days", evidence)
    return Verdict(Status.FAIL, f"Neither retention nor soft delete reaches {minimum // 86400} days", evidence)


@gcs_check(
    id="gcp.storage.logging",
    title="Cloud Storage buckets record usage logs",
    facts=(BUCKETS,),
    measure=Measure.LOGGING,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.REGULAR_TESTING),
    severity=Severity.LOW,
    rationale="Usage logs show who read which object, evidence a breach investigation needs.",
    remediation="`gcloud storage buckets update gs://NAME --log-bucket=gs://LOGS --log-object-prefix=NAME`, or "
                "enable Data Access audit logs.",
)
def logging(bucket: GcsBucket, _params: Params) -> Verdict:
    target = bucket.settings.log_bucket
    evidence = {"log_bucket": target}
    if target:
        return Verdict(Status.PASS, f"Usage logs go to {target}", evidence)
    return Verdict(Status.FAIL, "Usage logging is off", evidence)


CHECKS = (cmek, public_access_prevention, uniform_access, public_iam, versioning, retention, logging)
