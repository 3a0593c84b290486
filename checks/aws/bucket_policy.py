"""Read a bucket policy the way IAM evaluates it, for the one question S3 checks ask of it:
does a statement deny every request that is not sent over TLS?

IAM facts relied on here, from the IAM JSON policy reference:
- `Statement` may be one object or a list.
- `Action`, `Resource` and condition values may be a string or a list.
- Action names and condition keys are case-insensitive.
- `*` and `?` are the only wildcards in actions and resources.
- `Bool` and `BoolIfExists` compare the strings "true" and "false"; a JSON boolean is read
  as its string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SECURE_TRANSPORT = "aws:securetransport"
_BOOL_OPERATORS = ("Bool", "BoolIfExists")
_ALL_S3_ACTIONS = frozenset({"s3:*", "*"})


class PolicyError(ValueError):
    """The policy is not JSON, or not shaped like an IAM policy document."""


@dataclass(frozen=True, slots=True)
class StatementReview:
    """Whether one statement denies insecure transport, and if not, why not."""

    label: str
    denies_insecure_transport: bool
    reason: str


def parse_statements(text: str) -> list[dict[str, Any]]:
    """Return the policy's statements; raise PolicyError for a document IAM would reject."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyError(f"the policy is not valid JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise PolicyError("the policy has no Statement")

    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise PolicyError("Statement must be an object or a list of objects")
    return statements


def review_tls_statements(statements: Sequence[dict[str, Any]], bucket_arn: str) -> list[StatementReview]:
    """Review each statement against the TLS-only rule for the bucket `bucket_arn`."""
    reviews = []
    for index, statement in enumerate(statements):
        label = f"Sid {statement['Sid']!r}" if statement.get("Sid") else f"statement {index + 1}"
        reason = _why_not_tls_deny(statement, bucket_arn)
        reviews.append(StatementReview(label, reason is None, reason or "denies every request without TLS"))
    return reviews


def _why_not_tls_deny(statement: dict[str, Any], bucket_arn: str) -> str | None:
    """Return why a statement does not deny all insecure requests, or None when it does."""
    if statement.get("Effect") != "Deny":
        return f"Effect is {statement.get('Effect')!r}, not 'Deny'; an Allow never blocks a request"
    for exempting in ("NotPrincipal", "NotAction", "NotResource"):
        if exempting in statement:
            return f"uses {exempting}, which exempts part of the requests"

    checks = (
        (_covers_every_principal(statement.get("Principal")), "Principal is not every principal ('*')"),
        (_covers_every_s3_action(statement.get("Action")), "Action does not cover all S3 actions ('s3:*')"),
        (_covers_bucket_and_objects(statement.get("Resource"), bucket_arn),
         "Resource does not cover both the bucket and all of its objects"),
    )
    for covered, reason in checks:
        if not covered:
            return reason
    return _condition_problem(statement.get("Condition"))


def _covers_every_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS"))
    return False


def _covers_every_s3_action(action: Any) -> bool:
    return any(isinstance(a, str) and a.lower() in _ALL_S3_ACTIONS for a in _as_list(action))


def _covers_bucket_and_objects(resource: Any, bucket_arn: str) -> bool:
    patterns = [p for p in _as_list(resource) if isinstance(p, str)]
    covers_bucket = any(_wildcard(p).fullmatch(bucket_arn) for p in patterns)
    covers_objects = any(_covers_prefix(p, bucket_arn + "/") for p in patterns)
    return covers_bucket and covers_objects


def _covers_prefix(pattern: str, prefix: str) -> bool:
    """Tell whether `pattern` matches every string that starts with `prefix`.

    That holds when the pattern ends in `*` and what comes before that `*` matches some
    leading part of the prefix, since the `*` then absorbs the rest of any such string.
    """
    if not pattern.endswith("*"):
        return False
    head = _wildcard(pattern.rstrip("*"))
    return any(head.fullmatch(prefix[:length]) for length in range(len(prefix) + 1))


def _condition_problem(condition: Any) -> str | None:
    if not isinstance(condition, dict) or not condition:
        return "has no aws:SecureTransport condition, so it is not about transport"

    found = False
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            return f"condition operator {operator!r} has no key-value block"
        for key, value in tests.items():
            if key.lower() != SECURE_TRANSPORT:
                return f"condition also tests {key!r}, so only some insecure requests are denied"
            if operator not in _BOOL_OPERATORS:
                return f"tests aws:SecureTransport with {operator!r}, not Bool or BoolIfExists"
            if "false" not in {_bool_string(v) for v in _as_list(value)}:
                return "matches aws:SecureTransport true, so it denies requests over TLS, not without"
            found = True
    return None if found else "has no aws:SecureTransport condition"


def _bool_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def _wildcard(pattern: str) -> re.Pattern[str]:
    """Compile an IAM resource pattern: `*` is any run of characters, `?` any one."""
    parts = []
    for character in pattern:
        if character == "*":
            parts.append(".*")
        elif character == "?":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.DOTALL)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
