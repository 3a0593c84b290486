"""Plan units of work, collect their facts on bounded thread pools, and evaluate checks."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from scanner.config import ConfiguredTarget, ScanConfig
from scanner.model import ErrorReason, Finding, Resource, Status, Verdict
from scanner.plugin import (
    Check,
    CollectError,
    CollectRequest,
    FactUnavailable,
    Unit,
    UnitFacts,
    failed_unit,
)
from scanner.registry import Registry

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class PlannedUnit:
    unit: Unit
    target: ConfiguredTarget
    checks: tuple[Check[Any], ...]

    @property
    def facts(self) -> frozenset[str]:
        return frozenset(name for item in self.checks for name in item.meta.facts)


@dataclass(frozen=True)
class ScanWarning:
    code: str
    message: str
    resource: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "resource": self.resource}


@dataclass(frozen=True)
class TargetResult:
    provider: str
    name: str
    account: str | None = None
    commands: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"provider": self.provider, "name": self.name}
        if self.account is not None:
            result["account"] = self.account
        if self.commands:
            result["commands"] = list(self.commands)
        return result


@dataclass(frozen=True)
class ScanResult:
    profile: str
    started_at: datetime
    finished_at: datetime
    complete: bool
    targets: tuple[TargetResult, ...]
    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...] = ()
    api_calls: Mapping[str, int] = field(default_factory=dict)


class ProgressSink:
    """Receives progress events; the default does nothing (pipes, tests)."""

    def start(self, total_units: int) -> None:
        pass

    def describe(self, unit: Unit, text: str) -> None:
        pass

    def unit_done(self, unit: Unit) -> None:
        pass


def plan(config: ScanConfig, registry: Registry) -> list[PlannedUnit]:
    """Return the units the selected checks need, in a stable order. Makes no network call."""
    selected = [registry.checks[cid] for cid in config.profile.check_ids]
    planned: list[PlannedUnit] = []
    for target in config.targets:
        provider_checks = [c for c in selected if c.meta.provider == target.plugin.name]
        if not provider_checks:
            continue
        for unit in target.plugin.plan(target.model, [c.meta for c in provider_checks]):
            in_scope = tuple(c for c in provider_checks if _in_scope(c, unit))
            if in_scope:
                planned.append(PlannedUnit(unit=unit, target=target, checks=in_scope))
    return planned


def _in_scope(item: Check[Any], unit: Unit) -> bool:
    """Tell whether a check runs in a unit: global checks in the `global` unit, regional ones
    in each region's unit, and an endpoint or host check in its own unit."""
    if item.meta.scope == "regional":
        return unit.scope not in ("global", "endpoint", "host")
    return unit.scope == item.meta.scope


def run_scan(
    config: ScanConfig,
    registry: Registry,
    progress: ProgressSink | None = None,
    units: Sequence[PlannedUnit] | None = None,
) -> ScanResult:
    """Run every planned unit; a failing collector or check becomes ERROR findings."""
    sink = progress or ProgressSink()
    planned = list(units) if units is not None else plan(config, registry)
    started_at = datetime.now(UTC)
    sink.start(len(planned))

    by_plugin: dict[str, list[PlannedUnit]] = defaultdict(list)
    for item in planned:
        by_plugin[item.target.plugin.name].append(item)

    def run_plugin(items: list[PlannedUnit]) -> list[tuple[PlannedUnit, UnitFacts, list[Finding]]]:
        done = []
        for item, facts in _collect_all(items, config, sink):
            done.append((item, facts, evaluate_unit(item, facts, config)))
            sink.unit_done(item.unit)
        return done

    # Providers run side by side; each bounds its own units and calls.
    with ThreadPoolExecutor(max_workers=max(len(by_plugin), 1), thread_name_prefix="provider") as pool:
        results = [r for batch in pool.map(run_plugin, by_plugin.values()) for r in batch]

    findings = sorted(
        (f for _, _, unit_findings in results for f in unit_findings),
        key=lambda f: (f.check_id, f.resource.id),
    )
    return ScanResult(
        profile=config.profile.name,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        complete=True,
        targets=_target_results(config, results),
        findings=tuple(findings),
        warnings=tuple(ScanWarning("profile", text) for text in config.profile.warnings),
        api_calls=_sum_calls(facts for _, facts, _ in results),
    )


def _collect_all(
    items: list[PlannedUnit], config: ScanConfig, sink: ProgressSink
) -> Iterator[tuple[PlannedUnit, UnitFacts]]:
    """Yield each unit's facts as its plugin completes them; a plugin crash fails the rest."""
    pending = {item.unit: item for item in items}
    plugin = items[0].target.plugin
    settings = replace(config.settings.collect_settings(), ssh_accept_new=config.ssh_accept_new)
    requests = [
        CollectRequest(
            unit=item.unit,
            target=item.target.model,
            facts=item.facts,
            settings=settings,
            progress=_describer(sink, item.unit),
            parameters={c.meta.id: config.profile.parameters.get(c.meta.id, {}) for c in item.checks},
        )
        for item in items
    ]
    try:
        for unit, facts in plugin.collect_units(requests):
            item = pending.pop(unit, None)
            if item is not None:
                yield item, facts
    except Exception as error:  # a plugin bug must cost its own units, never the scan
        log.exception("provider %s failed", plugin.name)
        for item in list(pending.values()):
            yield item, failed_unit(item.unit, error)
        return
    for item in pending.values():
        yield item, failed_unit(item.unit, RuntimeError("the collector returned no result"))


def _describer(sink: ProgressSink, unit: Unit) -> Callable[[str], None]:
    return lambda text: sink.describe(unit, text)


def evaluate_unit(item: PlannedUnit, facts: UnitFacts, config: ScanConfig) -> list[Finding]:
    """Apply the unit's checks to its subjects."""
    findings: list[Finding] = []
    reporting = _checks_reporting_unit_error(item)
    for check_item in item.checks:
        if facts.error is not None and check_item not in reporting:
            continue
        unit_error = facts.error or facts.subject_errors.get(check_item.subject)
        if unit_error is not None:
            findings.append(_error_finding(check_item, facts.resource, unit_error, config))
            continue
        params: dict[str, Any] = dict(config.profile.parameters.get(check_item.meta.id, {}))
        if check_item.meta.uses_tls_policy:
            params["tls_policy"] = config.profile.tls_policy
        if check_item.meta.uses_ssh_policy:
            params["ssh_policy"] = config.profile.ssh_policy
        for subject in facts.subjects:
            if isinstance(subject, check_item.subject):
                findings.append(_evaluate(check_item, subject, params, config))
    return findings


def _checks_reporting_unit_error(item: PlannedUnit) -> tuple[Check[Any], ...]:
    """Return the checks that report an unreachable unit: the plugin's connection check alone
    when it has one (one ERROR per TLS endpoint), else every check of the unit."""
    name = item.target.plugin.connection_check
    if name is None:
        return item.checks
    chosen = [c for c in item.checks if c.meta.id == name] or list(item.checks[:1])
    return tuple(chosen)


def _evaluate(item: Check[Any], subject: Any, params: Mapping[str, Any], config: ScanConfig) -> Finding:
    resource: Resource = subject.resource
    try:
        verdict = item.evaluate(subject, params)
    except FactUnavailable as unavailable:
        return _error_finding(item, resource, unavailable.error, config)
    except Exception as error:  # a check bug is an ERROR finding, never a PASS
        log.exception("check %s failed on %s", item.meta.id, resource.id)
        failure = CollectError(ErrorReason.CHECK_FAILED, f"check raised {error!r}")
        return _error_finding(item, resource, failure, config)
    return _finding(item, resource, verdict, config)


def _error_finding(
    item: Check[Any], resource: Resource, error: CollectError, config: ScanConfig
) -> Finding:
    verdict = Verdict(Status.ERROR, f"Could not evaluate: {error.message}", error.evidence())
    return _finding(item, resource, verdict, config)


def _finding(item: Check[Any], resource: Resource, verdict: Verdict, config: ScanConfig) -> Finding:
    meta = item.meta
    return Finding(
        check_id=meta.id,
        title=meta.title,
        status=verdict.status,
        severity=config.profile.severity_of(meta.id, meta.severity),
        measure=meta.measure,
        outcomes=meta.outcomes,
        articles=meta.articles,
        resource=resource,
        message=verdict.message,
        evidence=dict(verdict.evidence),
        remediation=meta.remediation,
    )


def _target_results(
    config: ScanConfig, results: Sequence[tuple[PlannedUnit, UnitFacts, list[Finding]]]
) -> tuple[TargetResult, ...]:
    accounts: dict[tuple[str, str], str] = {}
    commands: dict[tuple[str, str], list[str]] = defaultdict(list)
    for item, facts, _ in results:
        key = (item.unit.provider, item.target.name)
        if facts.account:
            accounts[key] = facts.account
        commands[key].extend(c for c in facts.commands if c not in commands[key])
    return tuple(
        TargetResult(t.plugin.name, t.name, accounts.get((t.plugin.name, t.name)),
                     tuple(commands.get((t.plugin.name, t.name), ())))
        for t in config.targets
    )


def _sum_calls(all_facts: Any) -> dict[str, int]:
    total: Counter[str] = Counter()
    for facts in all_facts:
        total.update(facts.api_calls)
    return dict(sorted(total.items()))
