"""Collect Azure Storage facts through Resource Manager and Entra policies through Graph.

Every request passes one guard that rejects any method but GET and HEAD before it is sent.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from checks.azure.facts import (
    BLOB_SERVICES,
    ENTRA_POLICIES,
    AccountSettings,
    BlobService,
    EntraRole,
    EntraTenant,
    StorageAccount,
    conditional_access_policy,
)
from checks.azure.roles import PRIVILEGED_ROLES
from checks.azure.target import AzureTarget
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, CollectRequest, UnitFacts

READ_METHODS = frozenset({"GET", "HEAD"})


class WriteRejected(Exception):
    """Raised before sending a request that could change the subscription or tenant."""


class ReadOnlyPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """The guard of every Resource Manager call."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        method = request.http_request.method.upper()
        if method not in READ_METHODS:
            raise WriteRejected(f"read-only guard rejected {method} {request.http_request.url.split('?')[0]}")


class FileTokenCredential(TokenCredential):
    """A pre-issued bearer token read from a file (CI, the lab). The token is never logged."""

    def __init__(self, path: Path) -> None:
        self._token = path.read_text(encoding="utf-8").strip()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def collect_subscription(request: CollectRequest) -> UnitFacts:
    target = request.target
    assert isinstance(target, AzureTarget)
    subscription = Resource("azure", "azure.subscription", f"/subscriptions/{target.subscription_id}",
                            account=target.subscription_id, name=target.name)
    subjects: list[Any] = []
    subject_errors: dict[type, CollectError] = {}

    try:
        accounts = _storage_accounts(target, BLOB_SERVICES.name in request.facts, request.settings.max_workers)
        subjects.extend(accounts)
    except Exception as error:  # without the listing no account can be judged
        subject_errors[StorageAccount] = classify(error, "Microsoft.Storage/storageAccounts/read")

    if ENTRA_POLICIES.name in request.facts:
        tenant = _entra_tenant(target)
        subjects.append(tenant)
        subjects.extend(EntraRole(Resource("azure", "azure.entra.role",
                                           f"/tenants/{tenant.tenant_id}/roles/{role_id}", name=role_name),
                                  role_id, role_name, tenant)
                        for role_id, role_name in PRIVILEGED_ROLES.items())
    return UnitFacts(resource=subscription, subjects=subjects, subject_errors=subject_errors,
                     account=target.subscription_id)


def _credential(target: AzureTarget, token_file: Path | None) -> TokenCredential:
    if token_file is not None:
        return FileTokenCredential(token_file)
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _storage_accounts(target: AzureTarget, read_blob: bool, workers: int) -> list[StorageAccount]:
    from azure.mgmt.storage import StorageManagementClient

    client = StorageManagementClient(
        _credential(target, target.token_file),
        target.subscription_id,
        base_url=target.management_url,
        connection_verify=str(target.ca_file) if target.ca_file else True,
        per_call_policies=[ReadOnlyPolicy()],
    )
    accounts = list(client.storage_accounts.list())

    def build(account: Any) -> StorageAccount:
        resource = Resource("azure", "azure.storage.account", str(account.id), account=target.subscription_id,
                            region=account.location)
        blob: BlobService | CollectError = _not_requested()
        if read_blob:
            try:
                blob = _blob_service(client, str(account.id), str(account.name))
            except Exception as error:  # one account's blob service failing costs only its checks
                blob = classify(error, "Microsoft.Storage/storageAccounts/blobServices/read")
        return StorageAccount(resource, _settings(account), blob)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="azure") as pool:
        return list(pool.map(build, accounts))


def _settings(account: Any) -> AccountSettings:
    encryption = account.encryption
    rules = account.network_rule_set
    return AccountSettings(
        https_only=bool(account.enable_https_traffic_only),
        minimum_tls_version=account.minimum_tls_version,
        # Absent means allowed for accounts created before the defaults changed.
        allow_blob_public_access=account.allow_blob_public_access is not False,
        allow_shared_key_access=account.allow_shared_key_access is not False,
        key_source=encryption.key_source if encryption else None,
        infrastructure_encryption=bool(encryption and encryption.require_infrastructure_encryption),
        sku=account.sku.name if account.sku else None,
        public_network_access=account.public_network_access,
        network_default_action=rules.default_action if rules else None,
        network_rules=len((rules.ip_rules or []) + (rules.virtual_network_rules or [])) if rules else 0,
    )


def _blob_service(client: Any, account_id: str, name: str) -> BlobService:
    group = account_id.split("/resourceGroups/", 1)[1].split("/", 1)[0]
    properties = client.blob_services.get_service_properties(group, name)
    delete = properties.delete_retention_policy
    container = properties.container_delete_retention_policy
    restore = properties.restore_policy
    return BlobService(
        delete_retention_days=delete.days if delete and delete.enabled else None,
        container_delete_retention_days=container.days if container and container.enabled else None,
        versioning=bool(properties.is_versioning_enabled),
        restore_policy=bool(restore and restore.enabled),
    )


def _entra_tenant(target: AzureTarget) -> EntraTenant:
    tenant_id = target.tenant_id or "unknown"
    resource = Resource("azure", "azure.entra.tenant", f"/tenants/{tenant_id}", name=target.name)
    try:
        session = _graph_session(target)
        defaults = _graph_get(session, target, "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")
        policies = _graph_get(session, target, "/v1.0/identity/conditionalAccess/policies")
    except Exception as error:  # the Graph token, permission or reachability failed
        failure = classify(error, "Policy.Read.All")
        return EntraTenant(resource, tenant_id, failure, failure)
    return EntraTenant(
        resource, tenant_id,
        security_defaults=bool(defaults.get("isEnabled")),
        policies=tuple(conditional_access_policy(item) for item in policies.get("value", [])),
    )


class ReadOnlyHttpSession(requests.Session):
    """The guard of every Graph call: any method but GET or HEAD is rejected unsent."""

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        verb = method.decode() if isinstance(method, bytes) else str(method)
        if verb.upper() not in READ_METHODS:
            raise WriteRejected(f"read-only guard rejected {verb} {url!s}")
        return super().request(verb, url, *args, **kwargs)


def _graph_session(target: AzureTarget) -> requests.Session:
    session = ReadOnlyHttpSession()
    token = _credential(target, target.graph_token_file).get_token("https://graph.microsoft.com/.default").token
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _graph_get(session: requests.Session, target: AzureTarget, path: str) -> dict[str, Any]:
    # An explicit verify, because requests lets REQUESTS_CA_BUNDLE override a session's own.
    verify = str(target.ca_file) if target.ca_file else True
    response = session.get(target.graph_url + path, timeout=30, verify=verify)
    if response.status_code in (401, 403):
        raise PermissionError(f"Graph returned HTTP {response.status_code} for {path}")
    response.raise_for_status()
    body = response.json()
    assert isinstance(body, dict)
    return body


def _not_requested() -> CollectError:
    return CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


def classify(error: BaseException, operation: str) -> CollectError:
    if isinstance(error, WriteRejected):
        return CollectError(ErrorReason.READ_ONLY_GUARD, str(error), operation)
    if isinstance(error, ClientAuthenticationError | PermissionError):
        return CollectError(ErrorReason.ACCESS_DENIED, f"access denied: {error}", operation)
    if isinstance(error, HttpResponseError):
        status = error.status_code
        reason = {403: ErrorReason.ACCESS_DENIED, 401: ErrorReason.ACCESS_DENIED,
                  429: ErrorReason.THROTTLED, 501: ErrorReason.NOT_IMPLEMENTED}.get(status or 0, ErrorReason.API_ERROR)
        return CollectError(reason, f"HTTP {status}: {error.message}", operation)
    if isinstance(error, ServiceRequestError | requests.ConnectionError):
        return CollectError(ErrorReason.UNREACHABLE, f"unreachable: {error}", operation)
    if isinstance(error, requests.Timeout):
        return CollectError(ErrorReason.TIMED_OUT, f"timed out: {error}", operation)
    return CollectError(ErrorReason.API_ERROR, f"{type(error).__name__}: {error}", operation)
