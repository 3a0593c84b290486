"""Typed, immutable records shared by the engine, the check plugins and the renderers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JsonValue = Any
"""A value that `json.dumps` accepts: evidence is built from these only."""


class Severity(StrEnum):
    """How much a failure matters; ordered from info to critical."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


class Outcome(StrEnum):
    """The property of processing that a measure protects."""

    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"
    RESILIENCE = "resilience"


class Measure(StrEnum):
    ENCRYPTION = "encryption"
    PSEUDONYMISATION = "pseudonymisation"
    ACCESS_CONTROL = "access_control"
    TRANSPORT_SECURITY = "transport_security"
    BACKUP = "backup"
    LOGGING = "logging"
    TESTING = "testing"


class Article(StrEnum):
    """A point of GDPR Article 32(1)."""

    PSEUDONYMISATION_AND_ENCRYPTION = "32(1)(a)"
    CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE = "32(1)(b)"
    RESTORE_AVAILABILITY = "32(1)(c)"
    REGULAR_TESTING = "32(1)(d)"


class ErrorReason(StrEnum):
    """The reason a fact could not be collected or a check could not be evaluated."""

    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"
    TIMED_OUT = "timed_out"
    UNREACHABLE = "unreachable"
    CONNECTION_REFUSED = "connection_refused"
    DNS_FAILED = "dns_failed"
    HANDSHAKE_FAILED = "handshake_failed"
    HOST_KEY_UNKNOWN = "host_key_unknown"
    HOST_KEY_CHANGED = "host_key_changed"
    AUTHENTICATION_FAILED = "authentication_failed"
    NOT_IMPLEMENTED = "not_implemented"
    CREDENTIALS = "credentials"
    READ_ONLY_GUARD = "read_only_guard"
    API_ERROR = "api_error"
    INVALID_DATA = "invalid_data"
    CHECK_FAILED = "check_failed"


@dataclass(frozen=True, slots=True)
class Parameter:
    """A typed, tunable input of a check; profiles override `default`."""

    name: str
    type: type[str] | type[int] | type[float] | type[bool]
    default: str | int | float | bool
    description: str
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "choices": list(self.choices),
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class CheckMeta:
    """Everything about a check that is data: what it judges, why, and how to fix it."""

    id: str
    title: str
    provider: str
    resource_type: str
    measure: Measure
    outcomes: tuple[Outcome, ...]
    articles: tuple[Article, ...]
    severity: Severity
    rationale: str
    remediation: str
    parameters: tuple[Parameter, ...] = ()
    permissions: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    scope: str = "global"
    uses_tls_policy: bool = False
    """The runner passes the profile's TLS policy as the `tls_policy` parameter."""
    uses_ssh_policy: bool = False
    """The runner passes the profile's SSH policy as the `ssh_policy` parameter."""

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "title": self.title,
            "provider": self.provider,
            "resource_type": self.resource_type,
            "measure": self.measure.value,
            "outcomes": [o.value for o in self.outcomes],
            "articles": [a.value for a in self.articles],
            "severity": self.severity.value,
            "scope": self.scope,
            "rationale": self.rationale,
            "remediation": self.remediation,
            "parameters": [p.to_dict() for p in self.parameters],
            "permissions": list(self.permissions),
        }


@dataclass(frozen=True, slots=True)
class Resource:
    """The thing a finding is about; `id` is stable across scans (an ARN, `aws://ACCOUNT`, ...)."""

    provider: str
    type: str
    id: str
    account: str | None = None
    region: str | None = None
    name: str | None = None
    """A label for people (the scan file's target name); matching always uses `id`."""

    def to_dict(self) -> dict[str, JsonValue]:
        result: dict[str, JsonValue] = {
            "provider": self.provider,
            "type": self.type,
            "id": self.id,
            "account": self.account,
            "region": self.region,
        }
        if self.name is not None:
            result["name"] = self.name
        return result

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


@dataclass(frozen=True, slots=True)
class Verdict:
    """A check function's result for one subject, before the runner adds metadata and resource."""

    status: Status
    message: str
    evidence: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    title: str
    status: Status
    severity: Severity
    measure: Measure
    outcomes: tuple[Outcome, ...]
    articles: tuple[Article, ...]
    resource: Resource
    message: str
    evidence: Mapping[str, JsonValue]
    remediation: str
    waiver: Mapping[str, JsonValue] | None = None

    @property
    def error_reason(self) -> str | None:
        if self.status is not Status.ERROR:
            return None
        reason = self.evidence.get("reason")
        return str(reason) if reason is not None else None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "check_id": self.check_id,
            "title": self.title,
            "status": self.status.value,
            "severity": self.severity.value,
            "measure": self.measure.value,
            "outcomes": [o.value for o in self.outcomes],
            "articles": [a.value for a in self.articles],
            "resource": self.resource.to_dict(),
            "message": self.message,
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
            "waiver": dict(self.waiver) if self.waiver is not None else None,
        }
