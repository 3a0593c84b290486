"""The read-only guard: every AWS call of a scan passes here before it is signed and sent."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup")
"""Operation name prefixes that AWS uses for calls that change nothing."""

ALLOWED_OPERATIONS = frozenset({
    # Assuming the configured audit role creates temporary credentials, not resources.
    "sts:AssumeRole",
})

REJECTED_READS = frozenset({
    # These read the data itself (objects, secrets), which a scan of settings never needs.
    "s3:GetObject",
    "s3:GetObjectTorrent",
    "s3:SelectObjectContent",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:GetParametersForImport",
})


class OperationRejected(Exception):
    """Raised before sending a call that is not a read of settings."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"read-only guard rejected {operation}: art32 only sends calls that read settings"
        )
        self.operation = operation


def operation_name(service: str, operation: str) -> str:
    return f"{service}:{operation}"


def is_allowed(service: str, operation: str) -> bool:
    """Tell whether an operation reads settings and may be sent."""
    name = operation_name(service, operation)
    if name in REJECTED_READS:
        return False
    return name in ALLOWED_OPERATIONS or operation.startswith(READ_PREFIXES)


class ReadOnlyGuard:
    """A botocore `before-call` handler that rejects writes and counts the calls it lets through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        # The boto3 client name, so S3 Control calls count apart from S3 calls.
        service = model.service_model.service_name
        name = operation_name(service, model.name)
        if not is_allowed(service, model.name):
            raise OperationRejected(name)
        with self._lock:
            self._calls[name] += 1

    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._calls)
