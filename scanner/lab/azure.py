"""A local HTTPS fake of Azure Resource Manager and Microsoft Graph, and the Google Cloud
Storage emulator, seeded with resources whose expected verdicts are written beside them.

The fake serves only the GET routes the collectors read, over TLS with a lab certificate,
because azure-core sends bearer tokens over HTTPS only. Each tenant has its own token,
and the fake serves that tenant's data for it. Run the fake as
`python -m scanner.lab.azure DATA.json CERT KEY PORT`.
"""

from __future__ import annotations

import json
import re
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

GOOD_TENANT = "11111111-1111-4111-8111-111111111111"
WEAK_TENANT = "22222222-2222-4222-8222-222222222222"
GOOD_SUBSCRIPTION = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
WEAK_SUBSCRIPTION = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def _account(subscription: str, name: str, **properties: Any) -> dict[str, Any]:
    resource_id = (f"/subscriptions/{subscription}/resourceGroups/art32-lab/providers/"
                   f"Microsoft.Storage/storageAccounts/{name}")
    base = {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False, "publicNetworkAccess": "Disabled",
            "encryption": {"keySource": "Microsoft.Keyvault", "requireInfrastructureEncryption": True},
            "networkAcls": {"defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []}}
    sku = properties.pop("sku", "Standard_RAGZRS")
    base.update(properties)
    return {"id": resource_id, "name": name, "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
            "kind": "StorageV2", "sku": {"name": sku, "tier": "Standard"}, "properties": base}


def _blob_service(
    delete_days: int | None, container_days: int | None, versioning: bool, restore: bool
) -> dict[str, Any]:
    return {"properties": {
        "deleteRetentionPolicy": {"enabled": delete_days is not None, "days": delete_days},
        "containerDeleteRetentionPolicy": {"enabled": container_days is not None, "days": container_days},
        "isVersioningEnabled": versioning,
        "restorePolicy": {"enabled": restore, "days": 6 if restore else None},
    }}


AZURE_ACCOUNTS = {
    GOOD_SUBSCRIPTION: [
        (_account(GOOD_SUBSCRIPTION, "art32labgood"), _blob_service(14, 7, True, True)),
    ],
    WEAK_SUBSCRIPTION: [
        (_account(WEAK_SUBSCRIPTION, "art32labweak", supportsHttpsTrafficOnly=False, minimumTlsVersion="TLS1_0",
                  allowBlobPublicAccess=True, allowSharedKeyAccess=None, publicNetworkAccess="Enabled",
                  encryption={"keySource": "Microsoft.Storage"}, networkAcls={"defaultAction": "Allow"},
                  sku="Standard_LRS"),
         _blob_service(None, None, False, False)),
        (_account(WEAK_SUBSCRIPTION, "art32labpartial", minimumTlsVersion="TLS1_2", sku="Standard_ZRS",
                  publicNetworkAccess="Enabled", networkAcls={"defaultAction": "Deny",
                                                              "ipRules": [{"value": "192.0.2.0/24"}]}),
         _blob_service(3, 7, True, False)),
    ],
}

# Expected status per check for each account: under baseline, and where strict differs.
_STRICT_ONLY = ("azure.storage.shared_key_access", "azure.storage.cmk", "azure.storage.infrastructure_encryption",
                "azure.storage.point_in_time_restore", "azure.storage.public_network")
AZURE_EXPECTED: dict[str, dict[str, dict[str, str]]] = {
    "art32labgood": {
        "baseline": {"azure.storage.https_only": "pass", "azure.storage.min_tls": "pass",
                     "azure.storage.public_blob_access": "pass", "azure.storage.blob_soft_delete": "pass",
                     "azure.storage.container_soft_delete": "pass", "azure.storage.versioning": "pass",
                     "azure.storage.geo_redundancy": "not_applicable"},
        "strict": {**{c: "pass" for c in _STRICT_ONLY}, "azure.storage.geo_redundancy": "pass",
                   "azure.storage.min_tls": "fail"},
    },
    "art32labweak": {
        "baseline": {"azure.storage.https_only": "fail", "azure.storage.min_tls": "fail",
                     "azure.storage.public_blob_access": "fail", "azure.storage.blob_soft_delete": "fail",
                     "azure.storage.container_soft_delete": "fail", "azure.storage.versioning": "fail",
                     "azure.storage.geo_redundancy": "not_applicable"},
        "strict": {**{c: "fail" for c in _STRICT_ONLY}, "azure.storage.geo_redundancy": "fail"},
    },
    "art32labpartial": {
        "baseline": {"azure.storage.https_only": "pass", "azure.storage.min_tls": "pass",
                     "azure.storage.public_blob_access": "pass", "azure.storage.blob_soft_delete": "fail",
                     "azure.storage.container_soft_delete": "pass", "azure.storage.versioning": "pass",
                     "azure.storage.geo_redundancy": "not_applicable"},
        "strict": {"azure.storage.shared_key_access": "pass", "azure.storage.cmk": "pass",
                   "azure.storage.infrastructure_encryption": "pass", "azure.storage.point_in_time_restore": "fail",
                   "azure.storage.public_network": "pass", "azure.storage.geo_redundancy": "fail",
                   "azure.storage.min_tls": "fail"},
    },
}

GRAPH = {
    GOOD_TENANT: {
        "security_defaults": False,
        "policies": [{"id": "1", "displayName": "Require MFA for all users", "state": "enabled",
                      "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": ["break-glass-1"]},
                                     "applications": {"includeApplications": ["All"]}},
                      "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}}],
    },
    WEAK_TENANT: {
        "security_defaults": False,
        "policies": [
            {"id": "2", "displayName": "MFA for global admins", "state": "enabled",
             "conditions": {"users": {"includeRoles": [GLOBAL_ADMIN]},
                            "applications": {"includeApplications": ["All"]}},
             "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
            {"id": "3", "displayName": "MFA for everyone (report only)",
             "state": "enabledForReportingButNotEnforced",
             "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["All"]}},
             "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
        ],
    },
}
# Expected verdicts: the good tenant covers everyone; the weak one only global admins.
ENTRA_EXPECTED = {GOOD_TENANT: ("pass", "pass"), WEAK_TENANT: ("fail", "fail")}
"""Per tenant: (azure.entra.mfa_enforced, azure.entra.admin_mfa for roles other than Global Administrator)."""

GCS_BUCKETS: dict[str, dict[str, Any]] = {
    "art32-lab-gcs-good": {"kms": "projects/art32-lab/locations/eu/keyRings/lab/cryptoKeys/data", "pap": "enforced",
                           "uniform": True, "versioning": True, "soft_delete_days": 7, "log": True, "public": False},
    "art32-lab-gcs-weak": {"kms": None, "pap": "inherited", "uniform": False, "versioning": False,
                           "soft_delete_days": 0, "log": False, "public": True},
    "art32-lab-gcs-retention": {"kms": None, "pap": "enforced", "uniform": True, "versioning": False,
                                "retention_days": 30, "soft_delete_days": 0, "log": False, "public": False},
}
GCS_EXPECTED = {
    "art32-lab-gcs-good": {"gcp.storage.cmek": "pass", "gcp.storage.public_access_prevention": "pass",
                           "gcp.storage.uniform_access": "pass", "gcp.storage.public_iam": "pass",
                           "gcp.storage.versioning": "pass", "gcp.storage.retention": "pass",
                           "gcp.storage.logging": "pass"},
    "art32-lab-gcs-weak": {"gcp.storage.cmek": "fail", "gcp.storage.public_access_prevention": "fail",
                           "gcp.storage.uniform_access": "fail", "gcp.storage.public_iam": "fail",
                           "gcp.storage.versioning": "fail", "gcp.storage.retention": "fail",
                           "gcp.storage.logging": "fail"},
    "art32-lab-gcs-retention": {"gcp.storage.cmek": "fail", "gcp.storage.public_access_prevention": "pass",
                                "gcp.storage.uniform_access": "pass", "gcp.storage.public_iam": "pass",
                                "gcp.storage.versioning": "fail", "gcp.storage.retention": "pass",
                                "gcp.storage.logging": "fail"},
}
GCS_STRICT_ONLY = ("gcp.storage.cmek", "gcp.storage.logging")


def fake_data(tokens: dict[str, str]) -> dict[str, Any]:
    """Return the fake's data: per bearer token, that tenant's subscriptions and Graph responses."""
    subscriptions = {GOOD_TENANT: GOOD_SUBSCRIPTION, WEAK_TENANT: WEAK_SUBSCRIPTION}
    return {token: {"subscription": subscriptions[tenant],
                    "accounts": AZURE_ACCOUNTS[subscriptions[tenant]],
                    "graph": GRAPH[tenant]} for tenant, token in tokens.items()}


class FakeHandler(BaseHTTPRequestHandler):
    data: ClassVar[dict[str, Any]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        tenant = self.data.get(token)
        if tenant is None:
            self._send(401, {"error": {"code": "InvalidAuthenticationToken", "message": "unknown token"}})
            return
        path = self.path.split("?", 1)[0]
        self._send(*self._route(path, tenant))

    def _route(self, path: str, tenant: dict[str, Any]) -> tuple[int, Any]:
        subscription = tenant["subscription"]
        if path == f"/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts":
            return 200, {"value": [account for account, _ in tenant["accounts"]]}
        match = re.fullmatch(rf"/subscriptions/{subscription}/resourceGroups/[^/]+/providers/Microsoft\.Storage/"
                             r"storageAccounts/([^/]+)/blobServices/default", path)
        if match:
            for account, blob in tenant["accounts"]:
                if account["name"] == match.group(1):
                    return 200, {"id": account["id"] + "/blobServices/default", "name": "default", **blob}
        if path == "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy":
            return 200, {"isEnabled": tenant["graph"]["security_defaults"]}
        if path == "/v1.0/identity/conditionalAccess/policies":
            return 200, {"value": tenant["graph"]["policies"]}
        return 404, {"error": {"code": "NotFound", "message": f"no route {path}"}}

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main() -> None:
    data_file, cert, key, port = sys.argv[1:5]
    FakeHandler.data = json.loads(Path(data_file).read_text())
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), FakeHandler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
