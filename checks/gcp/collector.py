"""Collect Cloud Storage facts through a session that sends only GET and HEAD requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from requests import exceptions as requests_exceptions

from checks.gcp.facts import IAM_POLICY, BucketSettings, GcsBucket
from checks.gcp.target import GcpTarget
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, CollectRequest, UnitFacts

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
READ_METHODS = frozenset({"GET", "HEAD"})


class WriteRejected(Exception):
    """Raised before sending a request that could change the project."""


class ReadOnlySession(AuthorizedSession):
    """The one guard of every Cloud Storage call: any method but GET or HEAD is rejected unsent."""

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        if method.upper() not in READ_METHODS:
            raise WriteRejected(f"read-only guard rejected {method} {url.split('?')[0]}")
        return super().request(method, url, *args, **kwargs)


def collect_project(request: CollectRequest) -> UnitFacts:
    target = request.target
    assert isinstance(target, GcpTarget)
    project_id = f"//cloudresourcemanager.googleapis.com/projects/{target.project}"
    project_resource = Resource("gcp", "gcp.project", project_id, account=target.project)
    # Retries of google-api-core stop at the read timeout instead of its default 120 s.
    retry = DEFAULT_RETRY.with_timeout(request.settings.read_timeout)
    timeout = (request.settings.connect_timeout, request.settings.read_timeout)
    try:
        client = _client(target)
        buckets = list(client.list_buckets(project=target.project, retry=retry, timeout=timeout))
    except Exception as error:  # credentials, reachability or the listing itself failed
        return UnitFacts(resource=project_resource, error=classify(error, "storage.buckets.list"))

    with ThreadPoolExecutor(max_workers=request.settings.max_workers, thread_name_prefix="gcs") as pool:
        subjects = list(pool.map(lambda b: _bucket(b, target, IAM_POLICY.name in request.facts, retry), buckets))
    return UnitFacts(resource=project_resource, subjects=subjects, account=target.project)


def _client(target: GcpTarget) -> storage.Client:
    credentials = _credentials(target)
    options = {"api_endpoint": target.endpoint_url} if target.endpoint_url else None
    return storage.Client(project=target.project, credentials=credentials, _http=ReadOnlySession(credentials),
                          client_options=options)


def _credentials(target: GcpTarget) -> Credentials:
    if target.credentials_file is not None:
        from google.oauth2 import service_account

        return service_account.Credentials.from_service_account_file(
            str(target.credentials_file), scopes=["https://www.googleapis.com/auth/devstorage.read_only"])
    if target.endpoint_url is not None:
        # An emulator or a local endpoint takes no Google credentials.
        return AnonymousCredentials()
    import google.auth

    credentials, _project = google.auth.default(scopes=["https://www.googleapis.com/auth/devstorage.read_only"])
    return credentials


def _bucket(bucket: Any, target: GcpTarget, read_iam: bool, retry: Any) -> GcsBucket:
    resource = Resource("gcp", "gcp.storage.bucket", f"//storage.googleapis.com/projects/_/buckets/{bucket.name}",
                        account=target.project, region=(bucket.location or "").lower() or None)
    soft_delete = bucket.soft_delete_policy
    logging_config = bucket.get_logging() or {}
    settings = BucketSettings(
        default_kms_key=bucket.default_kms_key_name,
        public_access_prevention=bucket.iam_configuration.public_access_prevention,
        uniform_access=bool(bucket.iam_configuration.uniform_bucket_level_access_enabled),
        versioning=bool(bucket.versioning_enabled),
        retention_seconds=bucket.retention_period,
        soft_delete_seconds=soft_delete.retention_duration_seconds if soft_delete else None,
        log_bucket=logging_config.get("logBucket"),
    )
    members: tuple[str, ...] | CollectError = ()
    if read_iam:
        try:
            policy = bucket.get_iam_policy(requested_policy_version=3, retry=retry)
            members = tuple(sorted({m for binding in policy.bindings for m in binding.get("members", ())
                                    if m in PUBLIC_MEMBERS}))
        except Exception as error:  # one bucket's policy failing costs only that bucket's check
            members = classify(error, "storage.buckets.getIamPolicy")
    return GcsBucket(resource, bucket.name, settings, members)


def classify(error: BaseException, operation: str) -> CollectError:
    if isinstance(error, WriteRejected):
        return CollectError(ErrorReason.READ_ONLY_GUARD, str(error), operation)
    if isinstance(error, api_exceptions.Forbidden | api_exceptions.Unauthorized):
        return CollectError(ErrorReason.ACCESS_DENIED, f"access denied: {error.message}", operation)
    if isinstance(error, api_exceptions.TooManyRequests):
        return CollectError(ErrorReason.THROTTLED, f"throttled: {error.message}", operation)
    if isinstance(error, DefaultCredentialsError | GoogleAuthError):
        return CollectError(ErrorReason.CREDENTIALS, f"credentials: {error}", operation)
    if isinstance(error, requests_exceptions.Timeout):
        return CollectError(ErrorReason.TIMED_OUT, f"timed out: {error}", operation)
    if isinstance(error, api_exceptions.RetryError) and error.cause is not None:
        return classify(error.cause, operation)
    if isinstance(error, requests_exceptions.ConnectionError):
        return CollectError(ErrorReason.UNREACHABLE, f"unreachable: {error}", operation)
    if isinstance(error, api_exceptions.MethodNotImplemented):
        return CollectError(ErrorReason.NOT_IMPLEMENTED, f"not implemented by the endpoint: {error}", operation)
    return CollectError(ErrorReason.API_ERROR, f"{type(error).__name__}: {error}", operation)
