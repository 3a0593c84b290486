"""Human-readable views of check metadata for `art32 checks` and `art32 explain`."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scanner.model import CheckMeta
from scanner.profile import Profile


def render_catalogue(catalogue: Sequence[CheckMeta]) -> Table:
    table = Table(title=f"{len(catalogue)} checks", title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("measure", "outcomes", "articles", "severity", "title"):
        table.add_column(column, overflow="fold")
    for meta in catalogue:
        table.add_row(
            meta.id,
            meta.measure.value,
            ", ".join(o.value for o in meta.outcomes),
            ", ".join(a.value for a in meta.articles),
            meta.severity.value,
            meta.title,
        )
    return table


def explain_text(meta: CheckMeta, profiles: Sequence[Profile] = ()) -> Group:
    """Describe one check; `profiles` adds each one's selection, severity and parameters."""
    lines = [
        Text(meta.id, style="bold"),
        Text(meta.title),
        Text(""),
        Text(f"Measure:    {meta.measure.value}"),
        Text(f"Outcomes:   {', '.join(o.value for o in meta.outcomes)}"),
        Text(f"Article 32: {', '.join(a.value for a in meta.articles)}"),
        Text(f"Severity:   {meta.severity.value} (a profile may override it)"),
        Text(f"Resource:   {meta.resource_type} ({meta.scope})"),
        Text(""),
        Text("Why", style="bold"),
        Text(meta.rationale),
        Text(""),
        Text("How to fix", style="bold"),
        Text(meta.remediation),
        Text(""),
        Text("Parameters", style="bold"),
    ]
    if not meta.parameters:
        lines.append(Text("  none"))
    for parameter in meta.parameters:
        choices = f" (one of {', '.join(parameter.choices)})" if parameter.choices else ""
        lines.append(Text(
            f"  {parameter.name}: {parameter.type.__name__} = {parameter.default!r}{choices}"
        ))
        lines.append(Text(f"    {parameter.description}"))
    lines.extend([Text(""), Text("Permissions its collector needs", style="bold")])
    lines.extend(Text(f"  {permission}") for permission in meta.permissions)
    if profiles:
        lines.extend([Text(""), Text("In the shipped profiles", style="bold")])
        lines.extend(Text(f"  {_profile_line(meta, profile)}") for profile in profiles)
    return Group(*lines)


def _profile_line(meta: CheckMeta, profile: Profile) -> str:
    if meta.id not in profile.check_ids:
        return f"{profile.name}: not selected"
    severity = profile.severity_of(meta.id, meta.severity).value
    values = profile.parameters.get(meta.id, {})
    settings = ", ".join(f"{name}={value!r}" for name, value in values.items())
    return f"{profile.name}: severity {severity}" + (f", {settings}" if settings else "")


def catalogue_markdown(catalogue: Sequence[CheckMeta]) -> str:
    """Render the catalogue as the Markdown page docs/checks.md."""
    lines = [
        "# Check catalogue",
        "",
        "Made by `art32 checks --format markdown`; a test keeps this page equal to its output.",
        "",
        "| id | measure | outcomes | Article 32 | severity | title |",
        "|---|---|---|---|---|---|",
    ]
    for meta in catalogue:
        lines.append(
            f"| `{meta.id}` | {meta.measure.value} | {', '.join(o.value for o in meta.outcomes)} "
            f"| {', '.join(a.value for a in meta.articles)} | {meta.severity.value} | {meta.title} |"
        )
    for meta in catalogue:
        lines.extend(["", f"## `{meta.id}`", "", meta.title + ".", "", meta.rationale, ""])
        lines.extend(["**How to fix.** " + meta.remediation, ""])
        if meta.parameters:
            lines.append("**Parameters.**")
            lines.append("")
            for parameter in meta.parameters:
                choices = f" One of: {', '.join(parameter.choices)}." if parameter.choices else ""
                lines.append(
                    f"- `{parameter.name}` ({parameter.type.__name__}, default "
                    f"`{parameter.default}`): {parameter.description}.{choices}"
                )
            lines.append("")
        lines.append("**Permissions.** " + ", ".join(f"`{p}`" for p in meta.permissions))
    permissions = sorted({p for meta in catalogue for p in meta.permissions})
    lines.extend(["", "## Every permission", "", "The union over all checks:", ""])
    lines.extend(f"- `{p}`" for p in permissions)
    return "\n".join(lines) + "\n"
