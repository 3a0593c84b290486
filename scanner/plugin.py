"""The interface between the engine and a provider plugin.

A plugin is a `ProviderPlugin` exposed through the `art32.checks` entry-point group.
It plans units of work for a target, collects typed facts for a unit, and carries
checks: pure functions from one subject's facts to a `Verdict`.
"""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from scanner.model import (
    Article,
    CheckMeta,
    ErrorReason,
    Measure,
    Outcome,
    Parameter,
    Resource,
    Severity,
    Verdict,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
SubjectT = TypeVar("SubjectT")

Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CollectError:
    """A fact that could not be read, with the reason and the operation that failed."""

    reason: ErrorReason
    message: str
    operation: str | None = None

    def evidence(self) -> dict[str, str]:
        result = {"reason": self.reason.value, "error": self.message}
        if self.operation:
            result["operation"] = self.operation
        return result


class FactUnavailable(Exception):
    """Raised inside a check when a fact it needs is a `CollectError`; the runner records ERROR."""

    def __init__(self, error: CollectError) -> None:
        super().__init__(error.message)
        self.error = error


def require(value: T | CollectError) -> T:
    """Return a collected fact, or raise `FactUnavailable` so the check becomes an ERROR finding."""
    if isinstance(value, CollectError):
        raise FactUnavailable(value)
    return value


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A kind of fact a collector can gather, and the permissions that gathering needs."""

    name: str
    permissions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Check(Generic[SubjectT]):
    """A check: metadata plus a pure function from one subject's facts to a verdict."""

    meta: CheckMeta
    subject: type[SubjectT]
    evaluate: Callable[[SubjectT, Params], Verdict]


def check(
    *,
    id: str,
    title: str,
    subject: type[SubjectT],
    resource_type: str,
    facts: Sequence[FactSpec],
    measure: Measure,
    outcomes: Sequence[Outcome],
    articles: Sequence[Article],
    severity: Severity,
    rationale: str,
    remediation: str,
    parameters: Sequence[Parameter] = (),
    scope: str = "global",
    uses_tls_policy: bool = False,
    uses_ssh_policy: bool = False,
) -> Callable[[Callable[[SubjectT, Params], Verdict]], Check[SubjectT]]:
    """Declare a check function with its metadata; the registry validates it when loaded."""

    def wrap(function: Callable[[SubjectT, Params], Verdict]) -> Check[SubjectT]:
        permissions = sorted({p for spec in facts for p in spec.permissions})
        meta = CheckMeta(
            id=id,
            title=title,
            provider=id.split(".", 1)[0],
            resource_type=resource_type,
            measure=measure,
            outcomes=tuple(outcomes),
            articles=tuple(articles),
            severity=severity,
            rationale=rationale,
            remediation=remediation,
            parameters=tuple(parameters),
            permissions=tuple(permissions),
            facts=tuple(spec.name for spec in facts),
            scope=scope,
            uses_tls_policy=uses_tls_policy,
            uses_ssh_policy=uses_ssh_policy,
        )
        return Check(meta=meta, subject=subject, evaluate=function)

    return wrap


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of work: one provider, one target, one scope.

    The scope is a region, `global` for account-wide facts, or `endpoint` or `host` for a
    TLS endpoint or an SSH host, which are one unit each.
    """

    provider: str
    target: str
    scope: str

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.target}/{self.scope}"

    def stable_hash(self) -> int:
        """Return a hash that is the same in every process, for `--shard I/N`."""
        digest = hashlib.sha256(self.key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True, slots=True)
class CollectSettings:
    max_workers: int = 16
    max_connections_per_host: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    ssh_accept_new: bool = False


@dataclass(frozen=True, slots=True)
class CollectRequest:
    """The runner's request to a collector: one unit, and the facts its selected checks read."""

    unit: Unit
    target: BaseModel
    facts: frozenset[str]
    settings: CollectSettings
    progress: Callable[[str], None] = field(default=lambda _description: None)
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The profile's parameters of the unit's checks, by check id, for facts that depend on them."""


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """A collector's result for one unit.

    `subjects` are the per-resource fact records that checks read. `error` is set when the
    unit could not be collected at all, such as an unreachable endpoint or rejected
    credentials. The runner then records ERROR findings against `resource`.
    `subject_errors` does the same for the checks of one subject type, when only the
    listing of those subjects failed (ListBuckets denied, say).
    """

    resource: Resource
    subjects: Sequence[object] = ()
    error: CollectError | None = None
    subject_errors: Mapping[type, CollectError] = field(default_factory=dict)
    account: str | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)
    commands: tuple[str, ...] = ()
    """Commands named by the operator (not art32's own read-only ones) that ran on the target."""


class ProviderPlugin(ABC):
    """A provider of checks: aws, gcp, azure, tls, ssh."""

    name: str
    target_model: type[BaseModel]
    checks: tuple[Check[Any], ...]

    @abstractmethod
    def target_name(self, target: BaseModel) -> str:
        """Return the name that identifies a configured target in units and the report."""

    @abstractmethod
    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        """Return the units needed to run `checks` against `target`, without network calls."""

    unit_concurrency: int = 4
    """Units of this provider collected at once by the default `collect_units`."""

    connection_check: str | None = None
    """A check that alone reports a unit that could not be reached, instead of every check."""

    @abstractmethod
    def collect(self, request: CollectRequest) -> UnitFacts:
        """Gather the requested facts of one unit. Must not raise for API failures."""

    def collect_units(self, requests: Sequence[CollectRequest]) -> Iterator[tuple[Unit, UnitFacts]]:
        """Collect many units, yielding each as it completes.

        The default runs `collect` on a bounded pool. A provider whose tool scans many
        targets best in one batch (sslyze) overrides this.
        """
        with ThreadPoolExecutor(max_workers=self.unit_concurrency, thread_name_prefix=self.name) as pool:
            futures = {pool.submit(self.collect, request): request for request in requests}
            for future in as_completed(futures):
                request = futures[future]
                try:
                    yield request.unit, future.result()
                except Exception as error:  # a plugin bug costs one unit, never the scan
                    log.exception("collector for %s failed", request.unit.key)
                    yield request.unit, failed_unit(request.unit, error)


def failed_unit(unit: Unit, error: BaseException) -> UnitFacts:
    """Return the facts of a unit whose collector raised: one error for all its checks."""
    return UnitFacts(
        resource=Resource(provider=unit.provider, type="target", id=unit.key),
        error=CollectError(ErrorReason.API_ERROR, f"collector failed: {error!r}"),
    )
