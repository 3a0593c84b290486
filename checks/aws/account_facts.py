"""Account-wide AWS facts: IAM users and root MFA, and CloudTrail trails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from checks.aws.errors import call, error_code
from checks.aws.regional_facts import key_age_days, pages
from checks.aws.session import AwsSession
from scanner.model import Resource
from scanner.plugin import CollectError, FactSpec

IAM_SUMMARY = FactSpec("aws.iam.account_summary", ("iam:GetAccountSummary", "iam:ListOrganizationsFeatures"))
IAM_USERS = FactSpec("aws.iam.users", ("iam:ListUsers", "iam:GetLoginProfile", "iam:ListMFADevices",
                                       "iam:ListAccessKeys"))
TRAILS = FactSpec("aws.cloudtrail.trails", ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus",
                                             "cloudtrail:GetEventSelectors"))


@dataclass(frozen=True, slots=True)
class AccessKey:
    key_id_suffix: str
    """The last four characters of the key id: enough to find it, never the whole id."""
    active: bool
    age_days: int


@dataclass(frozen=True)
class IamUser:
    resource: Resource
    console_password: bool
    mfa_devices: int
    access_keys: tuple[AccessKey, ...]


@dataclass(frozen=True)
class RootAccount:
    resource: Resource
    mfa_enabled: bool | CollectError
    root_credentials_management: bool | CollectError
    """True when the organisation manages root credentials centrally (ListOrganizationsFeatures)."""
    root_has_credentials: bool | None
    """Whether root has access keys or signing certificates; None when the summary failed."""


@dataclass(frozen=True, slots=True)
class Trail:
    name: str
    arn: str
    home_region: str
    multi_region: bool
    organization_trail: bool
    log_file_validation: bool
    kms_key: str | None
    logging: bool | CollectError
    management_events: bool | CollectError


@dataclass(frozen=True)
class CloudTrailAccount:
    resource: Resource
    trails: tuple[Trail, ...]


def root_account(session: AwsSession, account_resource: Resource) -> RootAccount:
    iam = session.client("iam")
    summary = call(lambda: iam.get_account_summary()["SummaryMap"], "iam:GetAccountSummary")
    mfa = summary if isinstance(summary, CollectError) else bool(summary.get("AccountMFAEnabled"))
    # GetAccountSummary counts root access keys and signing certificates, not a password.
    credentials = None if isinstance(summary, CollectError) else bool(
        summary.get("AccountAccessKeysPresent") or summary.get("AccountSigningCertificatesPresent"))
    features = call(lambda: "RootCredentialsManagement" in iam.list_organizations_features().get(
        "EnabledFeatures", []), "iam:ListOrganizationsFeatures")
    return RootAccount(account_resource, mfa, features, credentials)


def iam_users(session: AwsSession, account: str, workers: int) -> list[IamUser]:
    iam = session.client("iam")
    users = list(pages(iam, "list_users", "Users"))

    def build(user: dict[str, Any]) -> IamUser:
        name = user["UserName"]
        keys = tuple(AccessKey(k["AccessKeyId"][-4:], k.get("Status") == "Active", key_age_days(k["CreateDate"]))
                     for k in pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name))
        mfa = len(list(pages(iam, "list_mfa_devices", "MFADevices", UserName=name)))
        return IamUser(Resource("aws", "aws.iam.user", user["Arn"], account=account),
                       _has_console_password(iam, name), mfa, keys)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(build, users))


def _has_console_password(iam: Any, name: str) -> bool:
    try:
        iam.get_login_profile(UserName=name)
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return False
        raise
    return True


def trails(session: AwsSession, account_resource: Resource) -> CloudTrailAccount:
    """Read every trail visible from the default region, shadow copies of other regions' trails included."""
    client = session.client("cloudtrail")
    listed = client.describe_trails(includeShadowTrails=True).get("trailList", [])
    unique = {t["TrailARN"]: t for t in listed}

    def build(item: dict[str, Any]) -> Trail:
        home = session.client("cloudtrail", item.get("HomeRegion"))
        logging = call(lambda: bool(home.get_trail_status(Name=item["TrailARN"]).get("IsLogging")),
                       "cloudtrail:GetTrailStatus")
        management = call(lambda: _logs_management_events(home, item), "cloudtrail:GetEventSelectors")
        return Trail(item["Name"], item["TrailARN"], item.get("HomeRegion", ""),
                     bool(item.get("IsMultiRegionTrail")), bool(item.get("IsOrganizationTrail")),
                     bool(item.get("LogFileValidationEnabled")), item.get("KmsKeyId"), logging, management)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return CloudTrailAccount(account_resource, tuple(pool.map(build, unique.values())))


def _logs_management_events(client: Any, item: dict[str, Any]) -> bool:
    """Tell whether a trail records management events.

    A trail without custom selectors logs all management events (CloudTrail's default),
    so the selectors are only read when the trail reports custom ones.
    """
    if not item.get("HasCustomEventSelectors", False):
        return True
    answer = client.get_event_selectors(TrailName=item["TrailARN"])
    basic = answer.get("EventSelectors") or []
    advanced = answer.get("AdvancedEventSelectors") or []
    if any(s.get("IncludeManagementEvents") for s in basic):
        return True
    return any(field.get("Field") == "eventCategory" and "Management" in field.get("Equals", [])
               for selector in advanced for field in selector.get("FieldSelectors", []))

