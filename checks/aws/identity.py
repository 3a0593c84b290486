"""AWS checks of sign-in and records: IAM MFA and access keys, and CloudTrail."""

from __future__ import annotations

from checks.aws.account_facts import IAM_SUMMARY, IAM_USERS, TRAILS, CloudTrailAccount, IamUser, RootAccount, Trail
from scanner.model import Article, Measure, Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import CollectError, Params, check, require

ACCESS = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,)
RECORDS = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.REGULAR_TESTING)


@check(id="aws.iam.root_mfa", title="The AWS account root user has MFA", subject=RootAccount,
       resource_type="aws.account", facts=(IAM_SUMMARY,), measure=Measure.ACCESS_CONTROL,
       outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY, Outcome.AVAILABILITY), articles=ACCESS,
       severity=Severity.CRITICAL,
       rationale="The root user can do anything in the account, including closing it; a password alone guards it.",
       remediation="Sign in as root and assign an MFA device (a hardware key is best), or let the organisation "
                   "manage root credentials centrally and delete them.")
def root_mfa(account: RootAccount, _params: Params) -> Verdict:
    mfa = require(account.mfa_enabled)
    central = account.root_credentials_management
    evidence: dict[str, object] = {"account_mfa_enabled": mfa, "root_has_keys_or_certificates":
                                   account.root_has_credentials}
    if isinstance(central, CollectError):
        evidence["organizations_features"] = f"not read: {central.message}; judged by the account summary"
    else:
        evidence["root_credentials_management"] = central
    if mfa:
        return Verdict(Status.PASS, "The root user has MFA", evidence)
    if central is True and not account.root_has_credentials:
        return Verdict(Status.NOT_APPLICABLE, "The organisation manages root credentials and the account has none",
                       evidence)
    return Verdict(Status.FAIL, "The root user has no MFA", evidence)


@check(id="aws.iam.console_user_mfa", title="IAM users with a console password have MFA", subject=IamUser,
       resource_type="aws.iam.user", facts=(IAM_USERS,), measure=Measure.ACCESS_CONTROL,
       outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), articles=ACCESS, severity=Severity.HIGH,
       rationale="A console password alone is phished or guessed; MFA stops the stolen password from being enough.",
       remediation="Assign an MFA device to the user, or remove the console password if the user needs none.")
def console_user_mfa(user: IamUser, _params: Params) -> Verdict:
    evidence = {"console_password": user.console_password, "mfa_devices": user.mfa_devices}
    if not user.console_password:
        return Verdict(Status.NOT_APPLICABLE, "The user has no console password", evidence)
    if user.mfa_devices:
        return Verdict(Status.PASS, "The console user has an MFA device", evidence)
    return Verdict(Status.FAIL, "The console user has no MFA device", evidence)


@check(id="aws.iam.access_key_rotation", title="Active IAM access keys are rotated", subject=IamUser,
       resource_type="aws.iam.user", facts=(IAM_USERS,), measure=Measure.ACCESS_CONTROL,
       outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), articles=ACCESS, severity=Severity.MEDIUM,
       rationale="Long-lived keys leak through code, logs and laptops; the older a key, the likelier it has.",
       remediation="Create a new key, move its users over, then deactivate and delete the old one; prefer roles.",
       parameters=(Parameter("max_days", int, 90, "oldest an active access key may be, in days"),))
def access_key_rotation(user: IamUser, params: Params) -> Verdict:
    limit = int(params.get("max_days", 90))
    active = [k for k in user.access_keys if k.active]
    old = [f"...{k.key_id_suffix} ({k.age_days} days)" for k in active if k.age_days > limit]
    evidence = {"active_keys": len(active), "older_than_limit": old, "max_days": limit}
    if not active:
        return Verdict(Status.NOT_APPLICABLE, "The user has no active access key", evidence)
    if old:
        return Verdict(Status.FAIL, f"Active keys older than {limit} days: {', '.join(old)}", evidence)
    return Verdict(Status.PASS, f"All {len(active)} active keys are younger than {limit} days", evidence)


def _logging_trails(account: CloudTrailAccount) -> list[Trail]:
    return [t for t in account.trails if t.logging is True]


@check(id="aws.cloudtrail.multi_region", title="A multi-region CloudTrail trail records management events",
       subject=CloudTrailAccount, resource_type="aws.account", facts=(TRAILS,), measure=Measure.LOGGING,
       outcomes=(Outcome.INTEGRITY, Outcome.CONFIDENTIALITY), articles=RECORDS, severity=Severity.HIGH,
       rationale="Without a trail in every region, API activity in an unused region, a favourite of intruders, "
                 "goes unrecorded.",
       remediation="`aws cloudtrail create-trail --name NAME --s3-bucket-name BUCKET --is-multi-region-trail` and "
                   "`aws cloudtrail start-logging --name NAME`; an organisation trail also counts.")
def cloudtrail_multi_region(account: CloudTrailAccount, _params: Params) -> Verdict:
    covering = [t.name for t in _logging_trails(account)
                if t.multi_region and t.management_events is True]
    evidence = {"trails": [t.name for t in account.trails], "covering": covering,
                "organization_trails": [t.name for t in account.trails if t.organization_trail]}
    errors = [t.logging for t in account.trails if isinstance(t.logging, CollectError)]
    if covering:
        return Verdict(Status.PASS, f"Trail {covering[0]} logs management events in every region", evidence)
    if errors:
        require(errors[0])
    return Verdict(Status.FAIL, "No logging multi-region trail records management events", evidence)


@check(id="aws.cloudtrail.log_validation", title="CloudTrail trails validate their log files",
       subject=CloudTrailAccount, resource_type="aws.account", facts=(TRAILS,), measure=Measure.LOGGING,
       outcomes=(Outcome.INTEGRITY,), articles=RECORDS, severity=Severity.MEDIUM,
       rationale="Digest files let an investigator prove that no log file was changed or deleted after delivery.",
       remediation="`aws cloudtrail update-trail --name NAME --enable-log-file-validation`.")
def cloudtrail_log_validation(account: CloudTrailAccount, _params: Params) -> Verdict:
    trails = _logging_trails(account) or list(account.trails)
    missing = [t.name for t in trails if not t.log_file_validation]
    evidence = {"trails": [t.name for t in trails], "without_validation": missing}
    if not trails:
        return Verdict(Status.FAIL, "There is no trail", evidence)
    if missing:
        return Verdict(Status.FAIL, f"Log file validation is off for {', '.join(missing)}", evidence)
    return Verdict(Status.PASS, "Every trail validates its log files", evidence)


@check(id="aws.cloudtrail.kms_encryption", title="CloudTrail trails encrypt their logs with KMS",
       subject=CloudTrailAccount, resource_type="aws.account", facts=(TRAILS,), measure=Measure.ENCRYPTION,
       outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
       severity=Severity.LOW,
       rationale="Logs name users and resources; a KMS key limits who may read them, beyond the bucket's policy.",
       remediation="`aws cloudtrail update-trail --name NAME --kms-key-id KEY`.")
def cloudtrail_kms(account: CloudTrailAccount, _params: Params) -> Verdict:
    trails = _logging_trails(account) or list(account.trails)
    missing = [t.name for t in trails if not t.kms_key]
    evidence = {"trails": [t.name for t in trails], "without_kms": missing}
    if not trails:
        return Verdict(Status.FAIL, "There is no trail", evidence)
    if missing:
        return Verdict(Status.FAIL, f"No KMS key for {', '.join(missing)}", evidence)
    return Verdict(Status.PASS, "Every trail encrypts its logs with KMS", evidence)


CHECKS = (root_mfa, console_user_mfa, access_key_rotation, cloudtrail_multi_region, cloudtrail_log_validation,
          cloudtrail_kms)
