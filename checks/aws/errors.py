"""Map botocore exceptions to an error reason a security engineer can act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from checks.aws.guard import OperationRejected
from scanner.model import ErrorReason
from scanner.plugin import CollectError

T = TypeVar("T")

_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
    "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "AllAccessDisabled",
})
_THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "SlowDown", "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
})
_NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented", "NotImplementedError", "InvalidAction"})


def call(read: Callable[[], T], operation: str) -> T | CollectError:
    """Return what `read` returns, or its failure as a `CollectError`: never lost, never a pass."""
    try:
        return read()
    except Exception as error:  # every failure is classified into a reason
        return classify(error, operation)


def classify(error: Exception, operation: str) -> CollectError:
    """Return the `CollectError` for an exception raised by a boto3 call."""
    reason = _reason(error)
    return CollectError(reason=reason, message=_message(error, reason), operation=operation)


def _reason(error: Exception) -> ErrorReason:
    if isinstance(error, OperationRejected):
        return ErrorReason.READ_ONLY_GUARD
    if isinstance(error, ClientError):
        return _client_error_reason(error)
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        return ErrorReason.TIMED_OUT
    if isinstance(error, EndpointConnectionError | ConnectionClosedError):
        return ErrorReason.UNREACHABLE
    if isinstance(error, NoCredentialsError | PartialCredentialsError | ProfileNotFound):
        return ErrorReason.CREDENTIALS
    if isinstance(error, NoRegionError | BotoCoreError):
        return ErrorReason.API_ERROR
    return ErrorReason.API_ERROR


def _client_error_reason(error: ClientError) -> ErrorReason:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _THROTTLE_CODES or status == 429:
        return ErrorReason.THROTTLED
    # Some endpoints (moto's JSON-protocol services among them) return a denial as
    # HTTP 403 with no AccessDenied code, so the status counts as much as the code.
    if code in _DENIED_CODES or status == 403:
        return ErrorReason.ACCESS_DENIED
    if code in _NOT_IMPLEMENTED_CODES or status == 501:
        return ErrorReason.NOT_IMPLEMENTED
    return ErrorReason.API_ERROR


def _message(error: Exception, reason: ErrorReason) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "unknown")
        text = details.get("Message") or ""
        return f"{reason.value.replace('_', ' ')}: {code}{': ' + text if text else ''}"
    return f"{reason.value.replace('_', ' ')}: {error}"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
