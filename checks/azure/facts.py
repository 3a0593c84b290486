"""Azure facts: storage account and blob service properties, and Entra sign-in policies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec

ACCOUNTS = FactSpec("azure.storage.accounts", ("Microsoft.Storage/storageAccounts/read",))
BLOB_SERVICES = FactSpec("azure.storage.blob_services", ("Microsoft.Storage/storageAccounts/blobServices/read",))
ENTRA_POLICIES = FactSpec("azure.entra.policies", ("Policy.Read.All",))

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


@dataclass(frozen=True, slots=True)
class AccountSettings:
    https_only: bool
    minimum_tls_version: str | None
    allow_blob_public_access: bool
    allow_shared_key_access: bool
    key_source: str | None
    infrastructure_encryption: bool
    sku: str | None
    public_network_access: str | None
    network_default_action: str | None
    network_rules: int


@dataclass(frozen=True, slots=True)
class BlobService:
    delete_retention_days: int | None
    container_delete_retention_days: int | None
    versioning: bool
    restore_policy: bool


@dataclass(frozen=True)
class StorageAccount:
    resource: Resource
    settings: AccountSettings
    blob_service: BlobService | CollectError = NOT_COLLECTED


@dataclass(frozen=True)
class ConditionalAccessPolicy:
    name: str
    state: str
    include_users: tuple[str, ...]
    include_roles: tuple[str, ...]
    exclude_users: tuple[str, ...]
    include_applications: tuple[str, ...]
    requires_mfa: bool


@dataclass(frozen=True)
class EntraTenant:
    resource: Resource
    tenant_id: str
    security_defaults: bool | CollectError = NOT_COLLECTED
    policies: tuple[ConditionalAccessPolicy, ...] | CollectError = NOT_COLLECTED


@dataclass(frozen=True)
class EntraRole:
    """A privileged directory role, the subject of the admin MFA check."""

    resource: Resource
    role_template_id: str
    role_name: str
    tenant: EntraTenant


def conditional_access_policy(item: dict[str, Any]) -> ConditionalAccessPolicy:
    conditions = item.get("conditions") or {}
    users = conditions.get("users") or {}
    applications = conditions.get("applications") or {}
    grant = item.get("grantControls") or {}
    return ConditionalAccessPolicy(
        name=str(item.get("displayName", item.get("id", "unnamed"))),
        state=str(item.get("state", "")),
        include_users=tuple(users.get("includeUsers") or ()),
        include_roles=tuple(users.get("includeRoles") or ()),
        exclude_users=tuple(users.get("excludeUsers") or ()),
        include_applications=tuple(applications.get("includeApplications") or ()),
        requires_mfa="mfa" in (grant.get("builtInControls") or ()) or bool(grant.get("authenticationStrength")),
    )
