"""TLS facts: what one endpoint accepted and presented, as sslyze and one HTTPS request saw it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec
from scanner.policies import Protocol

_CONNECT = ("network:tcp-connect",)
PROTOCOLS = FactSpec("tls.protocols", _CONNECT)
CURVES = FactSpec("tls.curves", _CONNECT)
CERTIFICATE = FactSpec("tls.certificate", _CONNECT)
VULNERABILITIES = FactSpec("tls.vulnerabilities", _CONNECT)
HTTP_HEADERS = FactSpec("tls.http_headers", _CONNECT)

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


@dataclass(frozen=True, slots=True)
class AcceptedSuite:
    """A cipher suite the server accepted, with the ephemeral key it sent for it."""

    name: str
    protocol: Protocol
    key_exchange: str | None = None
    """`DH`, `ECDH` or None (no ephemeral key: RSA key exchange, or TLS 1.3 without one)."""
    key_bits: int | None = None
    curve: str | None = None


@dataclass(frozen=True, slots=True)
class Certificate:
    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    key_type: str
    key_bits: int
    signature_hash: str | None
    self_signed: bool
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    common_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """The chain as received, and whether any trust store (or the `ca_file`) verifies it."""

    server_name: str
    chain: tuple[Certificate, ...]
    trusted_by: tuple[str, ...]
    validation_errors: Mapping[str, str]

    @property
    def leaf(self) -> Certificate:
        return self.chain[0]


@dataclass(frozen=True, slots=True)
class Renegotiation:
    secure_renegotiation: bool
    client_renegotiation_dos: bool


@dataclass(frozen=True, slots=True)
class HttpFacts:
    """The first HTTPS response to `GET /`: `is_http` is False when the service is not HTTP."""

    is_http: bool
    status: int | None = None
    hsts_header: str | None = None


@dataclass(frozen=True)
class TlsEndpoint:
    """Facts of one TLS endpoint; a fact that could not be read is a `CollectError`."""

    resource: Resource
    host: str
    port: int
    server_name: str
    starttls: str | None
    protocols: Mapping[Protocol, tuple[AcceptedSuite, ...] | CollectError] = field(default_factory=dict)
    curves: tuple[str, ...] | CollectError = NOT_COLLECTED
    certificate: CertificateFacts | CollectError = NOT_COLLECTED
    heartbleed: bool | CollectError = NOT_COLLECTED
    robot: str | CollectError = NOT_COLLECTED
    ccs_injection: bool | CollectError = NOT_COLLECTED
    renegotiation: Renegotiation | CollectError = NOT_COLLECTED
    compression: bool | CollectError = NOT_COLLECTED
    http: HttpFacts | CollectError = NOT_COLLECTED
    highest_protocol: str | None = None
