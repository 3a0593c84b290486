"""Counts of findings by status, severity, outcome, measure and Article 32 point."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from scanner.model import Finding, Severity, Status


def summarise(findings: Iterable[Finding]) -> dict[str, dict[str, object]]:
    """Return the report's `summary`.

    `by_status` counts findings per status. The other keys count, for each severity,
    outcome, measure or Article 32 point, the findings per status under it.
    """
    items = list(findings)
    by_status = Counter(f.status.value for f in items)
    return {
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "by_severity": _nested(((f.severity.value,), f.status.value) for f in items),
        "by_outcome": _nested((tuple(o.value for o in f.outcomes), f.status.value) for f in items),
        "by_measure": _nested(((f.measure.value,), f.status.value) for f in items),
        "by_article": _nested((tuple(a.value for a in f.articles), f.status.value) for f in items),
    }


def _nested(rows: Iterable[tuple[tuple[str, ...], str]]) -> dict[str, object]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for keys, status in rows:
        for key in keys:
            counts[key][status] += 1
    return {key: dict(sorted(counter.items())) for key, counter in sorted(counts.items())}


def failing(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """Return the failures at or above `threshold`, the ones that make the scan exit 1."""
    return [f for f in findings if f.status is Status.FAIL and f.severity.at_least(threshold)]
