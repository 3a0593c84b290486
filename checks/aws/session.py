"""Guarded boto3 clients for one target: adaptive retries, timeouts, one read-only guard."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

from checks.aws.guard import ReadOnlyGuard
from checks.aws.target import AwsTarget
from scanner import __version__
from scanner.plugin import CollectSettings

DEFAULT_REGION = "us-east-1"


class AwsSession:
    """Create clients for one target; every client shares the session's guard and call counter."""

    def __init__(self, target: AwsTarget, settings: CollectSettings) -> None:
        self.target = target
        self.guard = ReadOnlyGuard()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=max(settings.max_workers, 10),
            user_agent_extra=f"art32/{__version__}",
        )

        # Raises ProfileNotFound for an unknown profile; the collector records it as an error.
        self._session: Any = boto3.Session(profile_name=target.aws_profile)
        self._session.events.register("before-call", self.guard)
        self.default_region = (
            target.regions[0] if target.regions else self._session.region_name or DEFAULT_REGION
        )
        if target.role_arn:
            self._assume_role(target.role_arn, target.external_id)

    def client(self, service: str, region: str | None = None) -> Any:
        """Return a cached client; boto3 clients are thread-safe, sessions are not."""
        key = (service, region or self.default_region)
        with self._lock:
            if key not in self._clients:
                client = self._session.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.target.endpoint_url,
                    config=self._config,
                )
                if service == "s3control" and self.target.endpoint_url:
                    client.meta.events.register(
                        "before-sign.s3-control", keep_endpoint_host(self.target.endpoint_url)
                    )
                self._clients[key] = client
            return self._clients[key]

    def _assume_role(self, role_arn: str, external_id: str | None) -> None:
        """Replace the session's credentials with refreshable ones for the audit role."""
        botocore_session = self._session._session
        source = botocore_session.get_credentials()
        extra: dict[str, str] = {"RoleSessionName": "art32-scan"}
        if external_id:
            extra["ExternalId"] = external_id

        def create_sts_client(service: str, **kwargs: Any) -> Any:
            kwargs.setdefault("region_name", self.default_region)
            kwargs.setdefault("endpoint_url", self.target.endpoint_url)
            kwargs.setdefault("config", self._config)
            return botocore_session.create_client(service, **kwargs)

        fetcher = AssumeRoleCredentialFetcher(
            client_creator=create_sts_client,
            source_credentials=source,
            role_arn=role_arn,
            extra_args=extra,
        )
        # botocore has no public setter for refreshable credentials; this is the attribute its
        # own assume-role provider fills (botocore 1.34 to at least 1.43).
        botocore_session._credentials = DeferredRefreshableCredentials(
            refresh_using=fetcher.fetch_credentials, method="assume-role"
        )


def keep_endpoint_host(endpoint_url: str) -> Callable[..., None]:
    """Return a handler that undoes S3 Control's account-id host prefix on a custom endpoint.

    botocore (1.34 to at least 1.43) sends S3 Control calls to `ACCOUNT.HOST` even for a
    custom endpoint, and `inject_host_prefix=False` does not stop it. That name does not
    resolve for a local or S3-compatible endpoint, so the request goes to the endpoint's
    own host. The account id still travels in the x-amz-account-id header.
    """
    host = urlsplit(endpoint_url).netloc

    def rewrite(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc.endswith("." + host):
            request.url = urlunsplit(parts._replace(netloc=host))

    return rewrite
