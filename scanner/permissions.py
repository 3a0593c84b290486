"""Least-privilege grants for the checks a profile selects, built from the collectors' declarations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from scanner.model import CheckMeta

# Permissions that are not a cloud API's: network reach and an SSH login.
_NON_API = ("network:", "ssh:")


def permissions_of(checks: Sequence[CheckMeta], provider: str) -> list[str]:
    """Return the sorted permissions that the provider's selected checks declare."""
    return sorted({p for meta in checks if meta.provider == provider for p in meta.permissions
                   if not p.startswith(_NON_API)})


def render_permissions(checks: Sequence[CheckMeta], provider: str) -> str:
    """Render the grant in the form the provider takes it."""
    permissions = permissions_of(checks, provider)
    if provider == "aws":
        return json.dumps(_aws_policy(permissions), indent=2) + "\n"
    if provider == "gcp":
        return yaml.safe_dump(_gcp_role(permissions), sort_keys=False)
    if provider == "azure":
        return json.dumps(_azure_role(permissions), indent=2) + "\n"
    needs = sorted({p for meta in checks if meta.provider == provider for p in meta.permissions})
    return "\n".join(needs) + "\n"


def _aws_policy(actions: list[str]) -> dict[str, Any]:
    """Build an IAM policy document of exactly the read actions the collectors call."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Art32ReadOnlyScan", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def _gcp_role(permissions: list[str]) -> dict[str, Any]:
    """Build a custom role for `gcloud iam roles create art32Scanner --project=PROJECT --file=FILE`."""
    return {
        "title": "art32 scanner",
        "description": "Read-only settings of Cloud Storage buckets, for art32 scans",
        "stage": "GA",
        "includedPermissions": permissions,
    }


def _azure_role(permissions: list[str]) -> dict[str, Any]:
    """Build a role definition for `az role definition create`, and the Graph permissions to grant."""
    actions = [p for p in permissions if p.startswith("Microsoft.")]
    graph = [p for p in permissions if not p.startswith("Microsoft.")]
    return {
        "role_definition": {
            "Name": "art32 scanner",
            "IsCustom": True,
            "Description": "Read-only settings of storage accounts, for art32 scans",
            "Actions": actions,
            "NotActions": [],
            "DataActions": [],
            "AssignableScopes": ["/subscriptions/SUBSCRIPTION_ID"],
        },
        "graph_application_permissions": graph,
    }
