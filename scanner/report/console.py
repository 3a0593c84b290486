"""The console summary: counts by status, outcome and measure, then what failed."""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.table import Table

from scanner.model import Finding, Severity, Status
from scanner.report.summary import summarise
from scanner.runner import ScanResult

_STATUS_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "red",
    Status.ERROR: "yellow",
    Status.NOT_APPLICABLE: "dim",
    Status.WAIVED: "cyan",
}
MAX_MATRIX_CHECKS = 8
"""Resource types with more checks get a list of exceptions instead of a matrix."""
_SHOWN_STATUSES = (Status.PASS, Status.FAIL, Status.ERROR, Status.NOT_APPLICABLE, Status.WAIVED)


def render_console(
    result: ScanResult, console: Console, fail_on: Severity, show_all: bool = False
) -> None:
    """Print the summary; with `show_all`, every finding, else only failures and errors."""
    summary = summarise(result.findings)
    targets = ", ".join(f"{t.provider}:{t.name}" for t in result.targets)
    console.print(f"[bold]art32[/bold] profile [bold]{result.profile}[/bold], targets {targets}")

    by_status = summary["by_status"]
    counts = "  ".join(
        f"[{_STATUS_STYLE[s]}]{s.value}: {by_status[s.value]}[/]" for s in _SHOWN_STATUSES
    )
    noun = "finding" if len(result.findings) == 1 else "findings"
    console.print(f"{len(result.findings)} {noun}  {counts}")
    console.print(_matrix("Outcome", summary["by_outcome"]))
    console.print(_matrix("Measure", summary["by_measure"]))

    if show_all:
        for table in _verdict_matrices(result.findings):
            console.print(table)
    problems = [f for f in result.findings if f.status in (Status.FAIL, Status.ERROR)]
    if problems:
        console.print(_findings_table(problems, fail_on))
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow] {warning.code}: {warning.message}")


def _matrix(label: str, rows: dict[str, object]) -> Table:
    table = Table(title=f"By {label.lower()}", title_justify="left")
    table.add_column(label)
    for status in _SHOWN_STATUSES[:4]:
        table.add_column(status.value, justify="right", style=_STATUS_STYLE[status])
    for key, counts in rows.items():
        assert isinstance(counts, dict)
        table.add_row(key, *(str(counts.get(s.value, 0)) for s in _SHOWN_STATUSES[:4]))
    return table


def _findings_table(findings: list[Finding], fail_on: Severity) -> Table:
    ordered = sorted(
        findings,
        key=lambda f: (f.status is not Status.FAIL, -f.severity.rank, f.check_id, f.resource.id),
    )
    table = Table(title=f"Failures and errors (the scan fails at {fail_on.value} or above)",
                  title_justify="left")
    table.add_column("status")
    table.add_column("severity")
    table.add_column("check", no_wrap=True)
    table.add_column("resource", overflow="fold")
    table.add_column("message", overflow="fold")
    for finding in ordered:
        style = _STATUS_STYLE[finding.status]
        table.add_row(
            f"[{style}]{finding.status.value}[/]",
            finding.severity.value,
            finding.check_id,
            finding.resource.label,
            finding.message,
        )
    return table


def _verdict_matrices(findings: tuple[Finding, ...]) -> list[Table]:
    """Return one resources-by-checks table of statuses per resource type."""
    by_type: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_type[finding.resource.type].append(finding)

    tables = []
    for resource_type, group in sorted(by_type.items()):
        check_ids = sorted({f.check_id for f in group})
        if len(check_ids) > MAX_MATRIX_CHECKS:
            tables.append(_exceptions_table(resource_type, group))
            continue
        prefix = _common_family(check_ids)
        table = Table(title=f"Verdicts: {resource_type}", title_justify="left")
        table.add_column("resource", overflow="fold")
        for check_id in check_ids:
            table.add_column(check_id.removeprefix(prefix), justify="center")

        cells: dict[str, dict[str, Status]] = defaultdict(dict)
        for finding in group:
            cells[finding.resource.id][finding.check_id] = finding.status
        for resource_id, statuses in sorted(cells.items()):
            table.add_row(resource_id, *(_status_cell(statuses.get(c)) for c in check_ids))
        tables.append(table)
    return tables


def _exceptions_table(resource_type: str, group: list[Finding]) -> Table:
    """List, per resource, the checks that did not pass: too many checks for a matrix."""
    table = Table(title=f"Verdicts: {resource_type} (checks that did not pass)", title_justify="left")
    table.add_column("resource", overflow="fold")
    table.add_column("passed", justify="right")
    table.add_column("did not pass", overflow="fold")
    by_resource: dict[str, list[Finding]] = defaultdict(list)
    for finding in group:
        by_resource[finding.resource.label].append(finding)
    for resource_id, findings in sorted(by_resource.items()):
        passed = sum(f.status is Status.PASS for f in findings)
        others = sorted((f for f in findings if f.status is not Status.PASS), key=lambda f: f.check_id)
        cells = ", ".join(f"{f.check_id} {_status_cell(f.status)}" for f in others) or "-"
        table.add_row(resource_id, f"{passed}/{len(findings)}", cells)
    return table


def _common_family(check_ids: list[str]) -> str:
    """Return the dotted prefix all ids share (`aws.s3.`), to keep column headers short."""
    families = [check_id.split(".")[:-1] for check_id in check_ids]
    shared: list[str] = []
    for parts in zip(*families, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return ".".join(shared) + "." if shared else ""


def _status_cell(status: Status | None) -> str:
    if status is None:
        return ""
    return f"[{_STATUS_STYLE[status]}]{status.value}[/]"
