"""Azure Storage checks: transport, public access, keys, encryption, soft delete and redundancy."""

from __future__ import annotations

import functools
from collections.abc import Callable

from checks.azure.facts import ACCOUNTS, BLOB_SERVICES, StorageAccount
from scanner.model import Article, Measure, Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import Check, Params, check, require
from scanner.policies import Protocol, TlsPolicy

storage_check = functools.partial(check, subject=StorageAccount, resource_type="azure.storage.account")
TRANSIT = (Article.PSEUDONYMISATION_AND_ENCRYPTION, Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE)
ACCESS = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,)
RESTORE = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.RESTORE_AVAILABILITY)
AZURE_TLS = {"TLS1_0": Protocol.TLS_1_0, "TLS1_1": Protocol.TLS_1_1, "TLS1_2": Protocol.TLS_1_2,
             "TLS1_3": Protocol.TLS_1_3}
GEO_REDUNDANT = frozenset({"Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"})


def _setting_check(
    check_id: str, title: str, measure: Measure, outcomes: tuple[Outcome, ...], articles: tuple[Article, ...],
    severity: Severity, rationale: str, remediation: str,
    judge: Callable[[StorageAccount], tuple[bool, str, dict[str, object]]],
) -> Check[StorageAccount]:
    """Declare a check that reads one account setting: `judge` returns (passes, message, evidence)."""

    @storage_check(id=check_id, title=title, facts=(ACCOUNTS,), measure=measure, outcomes=outcomes,
                   articles=articles, severity=severity, rationale=rationale, remediation=remediation)
    def evaluate(account: StorageAccount, _params: Params) -> Verdict:
        passes, message, evidence = judge(account)
        return Verdict(Status.PASS if passes else Status.FAIL, message, evidence)

    return evaluate


https_only = _setting_check(
    "azure.storage.https_only", "Storage accounts accept only HTTPS", Measure.TRANSPORT_SECURITY,
    (Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), TRANSIT, Severity.HIGH,
    "With secure transfer off, the account's endpoints accept plain HTTP, and data and shared keys cross "
    "networks unencrypted.",
    "`az storage account update --name NAME --https-only true`.",
    lambda a: (a.settings.https_only,
               "Secure transfer (HTTPS only) is " + ("required" if a.settings.https_only else "off"),
               {"supports_https_traffic_only": a.settings.https_only}),
)
public_blob_access = _setting_check(
    "azure.storage.public_blob_access", "Storage accounts forbid anonymous blob access", Measure.ACCESS_CONTROL,
    (Outcome.CONFIDENTIALITY,), ACCESS, Severity.HIGH,
    "With anonymous access allowed, one container set to public exposes its blobs to anyone.",
    "`az storage account update --name NAME --allow-blob-public-access false`.",
    lambda a: (not a.settings.allow_blob_public_access,
               "Anonymous blob access is " + ("allowed" if a.settings.allow_blob_public_access else "forbidden"),
               {"allow_blob_public_access": a.settings.allow_blob_public_access}),
)
shared_key_access = _setting_check(
    "azure.storage.shared_key_access", "Storage accounts require Entra ID instead of shared keys",
    Measure.ACCESS_CONTROL, (Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), ACCESS, Severity.MEDIUM,
    "A shared key grants full access to the whole account, cannot be scoped or tied to a person, and "
    "leaks in connection strings; Entra ID authorisation is scoped and logged per identity.",
    "`az storage account update --name NAME --allow-shared-key-access false`.",
    lambda a: (not a.settings.allow_shared_key_access,
               "Shared key access is " + ("allowed" if a.settings.allow_shared_key_access else "disabled"),
               {"allow_shared_key_access": a.settings.allow_shared_key_access}),
)
cmk = _setting_check(
    "azure.storage.cmk", "Storage accounts encrypt with a customer-managed key in Key Vault",
    Measure.ENCRYPTION, (Outcome.CONFIDENTIALITY,), (Article.PSEUDONYMISATION_AND_ENCRYPTION,), Severity.MEDIUM,
    "Microsoft-managed keys protect against stolen disks; a key in the controller's Key Vault adds control "
    "over who may decrypt and the power to revoke access.",
    "Configure customer-managed keys: `az storage account update --encryption-key-source Microsoft.Keyvault ...`.",
    lambda a: ((a.settings.key_source or "").lower() == "microsoft.keyvault",
               f"Encryption key source is {a.settings.key_source}", {"key_source": a.settings.key_source}),
)
infrastructure_encryption = _setting_check(
    "azure.storage.infrastructure_encryption", "Storage accounts encrypt twice (infrastructure encryption)",
    Measure.ENCRYPTION, (Outcome.CONFIDENTIALITY,), (Article.PSEUDONYMISATION_AND_ENCRYPTION,), Severity.LOW,
    "Infrastructure encryption adds a second layer with a separate key and algorithm implementation, for "
    "data whose exposure would be severe.",
    "Set when the account is created: `az storage account create ... --require-infrastructure-encryption`.",
    lambda a: (a.settings.infrastructure_encryption,
               "Infrastructure encryption is " + ("on" if a.settings.infrastructure_encryption else "off"),
               {"require_infrastructure_encryption": a.settings.infrastructure_encryption}),
)
public_network = _setting_check(
    "azure.storage.public_network", "Storage accounts restrict public network access",
    Measure.ACCESS_CONTROL, (Outcome.CONFIDENTIALITY,), ACCESS, Severity.MEDIUM,
    "An account reachable from any network relies on credentials alone; network rules or private "
    "endpoints shrink who can even try.",
    "Disable public network access, or set the default action to Deny with IP or virtual network rules.",
    lambda a: (
        (a.settings.public_network_access or "Enabled") == "Disabled" or
        ((a.settings.network_default_action or "Allow") == "Deny"),
        f"Public network access {a.settings.public_network_access or 'Enabled'}, default action "
        f"{a.settings.network_default_action or 'Allow'}, {a.settings.network_rules} network rules",
        {"public_network_access": a.settings.public_network_access,
         "default_action": a.settings.network_default_action, "network_rules": a.settings.network_rules},
    ),
)


@storage_check(
    id="azure.storage.min_tls",
    title="Storage accounts refuse TLS versions the TLS policy does not allow",
    facts=(ACCOUNTS,),
    measure=Measure.TRANSPORT_SECURITY,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=TRANSIT,
    severity=Severity.HIGH,
    rationale="minimumTlsVersion sets the oldest TLS version the account's endpoints accept.",
    remediation="`az storage account update --name NAME --min-tls-version TLS1_2`.",
    uses_tls_policy=True,
)
def min_tls(account: StorageAccount, params: Params) -> Verdict:
    policy = params["tls_policy"]
    assert isinstance(policy, TlsPolicy)
    setting = account.settings.minimum_tls_version or "TLS1_0"
    minimum = AZURE_TLS.get(setting)
    allowed = [p for p in Protocol if p in policy.protocols]
    # The account accepts its minimum and every later version; each of those must be allowed.
    accepted = [p for p in Protocol if minimum is not None and list(Protocol).index(p) >= list(Protocol).index(minimum)
                and p in (Protocol.TLS_1_0, Protocol.TLS_1_1, Protocol.TLS_1_2, Protocol.TLS_1_3)]
    outside = [p.value for p in accepted if p not in allowed]
    evidence = {"minimum_tls_version": setting, "allowed": [p.value for p in allowed], "tls_policy": policy.name}
    if minimum is None:
        return Verdict(Status.ERROR, f"Unrecognised minimumTlsVersion {setting!r}", evidence)
    if outside:
        return Verdict(Status.FAIL, f"Minimum TLS version {setting} lets {', '.join(outside)} through, "
                       f"outside {policy.name}", evidence)
    return Verdict(Status.PASS, f"Minimum TLS version {setting} meets {policy.name}", evidence)


def _blob_check(
    check_id: str, title: str, severity: Severity, rationale: str, remediation: str,
    judge: Callable[[StorageAccount, Params], tuple[bool, str, dict[str, object]]],
    parameters: tuple[Parameter, ...] = (),
) -> Check[StorageAccount]:
    @storage_check(id=check_id, title=title, facts=(ACCOUNTS, BLOB_SERVICES), measure=Measure.BACKUP,
                   outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE, Outcome.INTEGRITY), articles=RESTORE,
                   severity=severity, rationale=rationale, remediation=remediation, parameters=parameters)
    def evaluate(account: StorageAccount, params: Params) -> Verdict:
        require(account.blob_service)
        passes, message, evidence = judge(account, params)
        return Verdict(Status.PASS if passes else Status.FAIL, message, evidence)

    return evaluate


def _days(value: int | None) -> str:
    return "off" if value is None else f"{value} days"


blob_soft_delete = _blob_check(
    "azure.storage.blob_soft_delete", "Storage accounts keep deleted blobs for a minimum time", Severity.MEDIUM,
    "Soft delete keeps deleted or overwritten blobs restorable for the retention period.",
    "`az storage account blob-service-properties update --enable-delete-retention true "
    "--delete-retention-days 14`.",
    lambda a, p: (
        (a.blob_service.delete_retention_days or 0) >= int(p.get("min_days", 7)),  # type: ignore[union-attr]
        f"Blob soft delete: {_days(a.blob_service.delete_retention_days)}",  # type: ignore[union-attr]
        {"delete_retention_days": a.blob_service.delete_retention_days,  # type: ignore[union-attr]
         "min_days": int(p.get("min_days", 7))},
    ),
    parameters=(Parameter("min_days", int, 7, "shortest blob soft-delete retention that passes, in days"),),
)
container_soft_delete = _blob_check(
    "azure.storage.container_soft_delete", "Storage accounts keep deleted containers restorable", Severity.MEDIUM,
    "Deleting a container deletes every blob in it at once; container soft delete makes that undoable.",
    "`az storage account blob-service-properties update --enable-container-delete-retention true "
    "--container-delete-retention-days 7`.",
    lambda a, _p: (
        a.blob_service.container_delete_retention_days is not None,  # type: ignore[union-attr]
        f"Container soft delete: {_days(a.blob_service.container_delete_retention_days)}",  # type: ignore[union-attr]
        {"container_delete_retention_days": a.blob_service.container_delete_retention_days},  # type: ignore[union-attr]
    ),
)
versioning = _blob_check(
    "azure.storage.versioning", "Storage accounts keep previous blob versions", Severity.MEDIUM,
    "Blob versioning keeps every earlier version of a blob, so an overwrite can be rolled back.",
    "`az storage account blob-service-properties update --enable-versioning true`.",
    lambda a, _p: (
        a.blob_service.versioning,  # type: ignore[union-attr]
        "Blob versioning is " + ("on" if a.blob_service.versioning else "off"),  # type: ignore[union-attr]
        {"is_versioning_enabled": a.blob_service.versioning},  # type: ignore[union-attr]
    ),
)
point_in_time_restore = _blob_check(
    "azure.storage.point_in_time_restore", "Storage accounts can restore block blobs to an earlier time",
    Severity.LOW,
    "Point-in-time restore rolls a whole account's block blobs back to a moment before an incident.",
    "`az storage account blob-service-properties update --enable-restore-policy true --restore-days 6`.",
    lambda a, _p: (
        a.blob_service.restore_policy,  # type: ignore[union-attr]
        "Point-in-time restore is " + ("on" if a.blob_service.restore_policy else "off"),  # type: ignore[union-attr]
        {"restore_policy": a.blob_service.restore_policy},  # type: ignore[union-attr]
    ),
)


@storage_check(
    id="azure.storage.geo_redundancy",
    title="Storage accounts replicate to a second region when the profile requires it",
    facts=(ACCOUNTS,),
    measure=Measure.BACKUP,
    outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE),
    articles=RESTORE,
    severity=Severity.MEDIUM,
    rationale="A geo-redundant SKU keeps a copy in a paired region, so a regional outage loses no data.",
    remediation="`az storage account update --name NAME --sku Standard_GZRS` (or GRS, RA-GRS, RA-GZRS).",
    parameters=(Parameter("required", bool, False, "whether the profile requires geo-redundant storage"),),
)
def geo_redundancy(account: StorageAccount, params: Params) -> Verdict:
    sku = account.settings.sku
    evidence = {"sku": sku, "required": bool(params.get("required", False))}
    if not params.get("required", False):
        return Verdict(Status.NOT_APPLICABLE, "The profile does not require geo-redundancy", evidence)
    if sku in GEO_REDUNDANT:
        return Verdict(Status.PASS, f"SKU {sku} is geo-redundant", evidence)
    return Verdict(Status.FAIL, f"SKU {sku} keeps no copy in a second region", evidence)


CHECKS = (https_only, min_tls, public_blob_access, shared_key_access, cmk, infrastructure_encryption,
          blob_soft_delete, container_soft_delete, versioning, point_in_time_restore, geo_redundancy, public_network)
