"""S3 checks of transport security and public access."""

from __future__ import annotations

from checks.aws.bucket_policy import PolicyError, parse_statements, review_tls_statements
from checks.aws.s3_facts import (
    ACCOUNT_PUBLIC_ACCESS_BLOCK,
    BUCKET_LIST,
    POLICY,
    PUBLIC_ACCESS_BLOCK,
    PublicAccessBlock,
    S3Account,
    S3Bucket,
)
from scanner.model import Article, ErrorReason, Measure, Outcome, Severity, Status, Verdict
from scanner.plugin import Params, check, require

BUCKET = "aws.s3.bucket"

_BLOCK_REMEDIATION = (
    "Turn on all four settings: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and "
    "RestrictPublicBuckets. "
)


@check(
    id="aws.s3.tls_only_policy",
    title="S3 bucket policies deny requests sent without TLS",
    subject=S3Bucket,
    resource_type=BUCKET,
    facts=(BUCKET_LIST, POLICY),
    measure=Measure.TRANSPORT_SECURITY,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=(
        Article.PSEUDONYMISATION_AND_ENCRYPTION,
        Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,
    ),
    severity=Severity.MEDIUM,
    rationale=(
        "S3 answers plain HTTP as well as HTTPS. Only a bucket policy statement that denies "
        "every request where aws:SecureTransport is false makes TLS mandatory for every "
        "client, so personal data never crosses a network unencrypted (Article 32(1)(a)). "
        "The policy is read as IAM evaluates it: an Allow that requires TLS does not stop "
        "another Allow from granting plain HTTP."
    ),
    remediation=(
        "Add to the bucket policy: {\"Sid\": \"DenyInsecureTransport\", \"Effect\": \"Deny\", "
        "\"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": [\"arn:aws:s3:::NAME\", "
        "\"arn:aws:s3:::NAME/*\"], \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}."
    ),
)
def tls_only_policy(bucket: S3Bucket, _params: Params) -> Verdict:
    policy = require(bucket.policy)
    if policy.text is None:
        return Verdict(Status.FAIL, "The bucket has no policy, so plain HTTP requests are not denied",
                       {"policy": "absent"})

    try:
        statements = parse_statements(policy.text)
    except PolicyError as error:
        invalid = {"policy": "invalid", "reason": ErrorReason.INVALID_DATA.value, "error": str(error)}
        return Verdict(Status.ERROR, f"The bucket policy cannot be read: {error}", invalid)

    reviews = review_tls_statements(statements, bucket.resource.id)
    matching = [r.label for r in reviews if r.denies_insecure_transport]
    evidence: dict[str, object] = {
        "policy": "present",
        "statements": len(statements),
        "denying_statements": matching,
        "near_misses": {r.label: r.reason for r in reviews if not r.denies_insecure_transport},
    }
    if matching:
        return Verdict(Status.PASS, f"{matching[0]} denies every request without TLS", evidence)
    return Verdict(Status.FAIL, "No policy statement denies every request without TLS", evidence)


@check(
    id="aws.s3.public_access_block",
    title="S3 buckets block public access, bucket and account settings combined",
    subject=S3Bucket,
    resource_type=BUCKET,
    facts=(BUCKET_LIST, PUBLIC_ACCESS_BLOCK, ACCOUNT_PUBLIC_ACCESS_BLOCK),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,),
    severity=Severity.HIGH,
    rationale=(
        "A public ACL or policy exposes personal data to anyone on the internet, the most "
        "common S3 breach. S3 applies a public access block setting when it is on at the "
        "bucket or at the account, so this check judges the two combined."
    ),
    remediation=_BLOCK_REMEDIATION + (
        "At the bucket: `aws s3api put-public-access-block --bucket NAME "
        "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
        "BlockPublicPolicy=true,RestrictPublicBuckets=true`, or at the account with "
        "`aws s3control put-public-access-block`."
    ),
)
def public_access_block(bucket: S3Bucket, _params: Params) -> Verdict:
    own = require(bucket.public_access_block)
    if own.all_on:
        return Verdict(Status.PASS, "The bucket blocks all public access", _block_evidence(own, None))

    # The account settings only matter when the bucket's own are incomplete.
    account = require(bucket.account_public_access_block)
    effective = own.combined(account)
    evidence = _block_evidence(own, account)
    if effective.all_on:
        return Verdict(Status.PASS, "Bucket and account settings together block all public access", evidence)
    off = [name for name, on in effective.as_dict().items() if not on]
    return Verdict(Status.FAIL, f"Public access is not fully blocked: {', '.join(off)} off", evidence)


def _block_evidence(own: PublicAccessBlock, account: PublicAccessBlock | None) -> dict[str, object]:
    evidence: dict[str, object] = {"bucket": own.as_dict() if own.configured else None}
    if account is not None:
        evidence["account"] = account.as_dict() if account.configured else None
        evidence["effective"] = own.combined(account).as_dict()
    return evidence


@check(
    id="aws.s3.account_public_access_block",
    title="The AWS account blocks public access to S3 for every bucket",
    subject=S3Account,
    resource_type="aws.account",
    facts=(ACCOUNT_PUBLIC_ACCESS_BLOCK,),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY,),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,),
    severity=Severity.HIGH,
    rationale=(
        "The account-level block covers every bucket, those created tomorrow included, so a "
        "single mistaken bucket setting cannot make personal data public."
    ),
    remediation=_BLOCK_REMEDIATION + (
        "`aws s3control put-public-access-block --account-id ACCOUNT "
        "--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
        "BlockPublicPolicy=true,RestrictPublicBuckets=true`."
    ),
)
def account_public_access_block(account: S3Account, _params: Params) -> Verdict:
    block = require(account.public_access_block)
    evidence = {"account": block.as_dict() if block.configured else None}
    if block.all_on:
        return Verdict(Status.PASS, "The account blocks all public access to S3", evidence)
    if not block.configured:
        return Verdict(Status.FAIL, "The account has no public access block", evidence)
    off = [name for name, on in block.as_dict().items() if not on]
    return Verdict(Status.FAIL, f"The account block is incomplete: {', '.join(off)} off", evidence)


CHECKS = (tls_only_policy, public_access_block, account_public_access_block)
