"""Discover provider plugins through the `art32.checks` entry points and validate their checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from scanner.model import Article, CheckMeta, Measure, Outcome, Severity
from scanner.plugin import Check, ProviderPlugin

ENTRY_POINT_GROUP = "art32.checks"

_CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SCOPES = ("global", "regional", "endpoint", "host")


class PluginError(Exception):
    """A plugin that cannot be loaded or whose metadata is invalid."""


@dataclass(frozen=True)
class Registry:
    """The loaded plugins and the check catalogue, indexed by check id."""

    plugins: dict[str, ProviderPlugin]
    checks: dict[str, Check[Any]]

    @classmethod
    def load(cls) -> Registry:
        """Load every plugin of the entry-point group; raise `PluginError` naming a bad one."""
        return cls.from_plugins(_load_entry_point(ep) for ep in _entry_points())

    @classmethod
    def from_plugins(cls, plugins: Iterable[ProviderPlugin]) -> Registry:
        by_name: dict[str, ProviderPlugin] = {}
        checks: dict[str, Check[Any]] = {}
        for plugin in plugins:
            _validate_plugin(plugin, by_name)
            by_name[plugin.name] = plugin

            for item in plugin.checks:
                problems = validate_check(item, plugin.name)
                if item.meta.id in checks:
                    problems.append("the id is already used by another check")
                if problems:
                    raise PluginError(
                        f"plugin {plugin.name!r}: check {item.meta.id!r} is invalid: "
                        + "; ".join(problems)
                    )
                checks[item.meta.id] = item

        return cls(plugins=by_name, checks=dict(sorted(checks.items())))

    def catalogue(self) -> list[CheckMeta]:
        return [item.meta for item in self.checks.values()]


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _load_entry_point(entry_point: EntryPoint) -> ProviderPlugin:
    label = f"plugin {entry_point.name!r} ({entry_point.value})"
    try:
        plugin = entry_point.load()
    except Exception as error:  # any import failure of third-party code must name the plugin
        raise PluginError(f"{label} failed to load: {type(error).__name__}: {error}") from error

    if not isinstance(plugin, ProviderPlugin):
        raise PluginError(f"{label} is a {type(plugin).__name__}, expected a ProviderPlugin")
    if plugin.name != entry_point.name:
        raise PluginError(f"{label} calls itself {plugin.name!r}; rename the entry point")
    return plugin


def _validate_plugin(plugin: ProviderPlugin, loaded: dict[str, ProviderPlugin]) -> None:
    name = getattr(plugin, "name", None)
    if not isinstance(name, str) or not _PROVIDER_NAME.match(name):
        raise PluginError(f"plugin {name!r}: the name must be a lower-case word such as 'aws'")
    if name in loaded:
        raise PluginError(f"plugin {name!r} is registered twice")
    if not plugin.checks:
        raise PluginError(f"plugin {name!r} declares no checks")


def validate_check(item: Check[Any], provider: str) -> list[str]:
    """Return every problem with a check's metadata; an empty list means it is valid."""
    meta = item.meta
    problems: list[str] = []

    if not _CHECK_ID.match(meta.id):
        problems.append("the id must be lower-case and dotted, such as 'aws.s3.versioning'")
    if not meta.id.startswith(provider + "."):
        problems.append(f"the id must start with its provider, {provider + '.'!r}")
    if meta.provider != provider:
        problems.append(f"provider is {meta.provider!r}, expected {provider!r}")
    for label, text in (("title", meta.title), ("rationale", meta.rationale),
                        ("remediation", meta.remediation), ("resource_type", meta.resource_type)):
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{label} must be a non-empty string")

    problems.extend(_validate_enums(meta))
    problems.extend(_validate_parameters(meta))

    if not meta.permissions:
        problems.append("no permissions: declare the facts its collector reads")
    if any(not isinstance(p, str) or not p or " " in p for p in meta.permissions):
        problems.append("permissions must be non-empty strings without spaces")
    if meta.scope not in _SCOPES:
        problems.append(f"scope {meta.scope!r} must be one of {', '.join(_SCOPES)}")
    return problems


def _validate_enums(meta: CheckMeta) -> list[str]:
    problems: list[str] = []
    if not isinstance(meta.measure, Measure):
        problems.append(f"measure {meta.measure!r} must be one of {_values(Measure)}")
    if not isinstance(meta.severity, Severity):
        problems.append(f"severity {meta.severity!r} must be one of {_values(Severity)}")
    if not meta.outcomes:
        problems.append("at least one outcome is required")
    if any(not isinstance(o, Outcome) for o in meta.outcomes):
        problems.append(f"outcomes must be among {_values(Outcome)}")
    if len(set(meta.outcomes)) != len(meta.outcomes):
        problems.append("outcomes repeat a value")
    if not meta.articles:
        problems.append("at least one Article 32 point is required")
    if any(not isinstance(a, Article) for a in meta.articles):
        problems.append(f"articles must be among {_values(Article)}")
    return problems


def _validate_parameters(meta: CheckMeta) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for parameter in meta.parameters:
        label = f"parameter {parameter.name!r}"
        if not _PARAMETER_NAME.match(parameter.name):
            problems.append(f"{label}: the name must be lower-case snake_case")
        if parameter.name in seen:
            problems.append(f"{label} is declared twice")
        seen.add(parameter.name)
        if parameter.type not in (str, int, float, bool):
            problems.append(f"{label}: the type must be str, int, float or bool")
        elif not is_parameter_value(parameter.type, parameter.default):
            problems.append(f"{label}: the default {parameter.default!r} is not a {parameter.type.__name__}")
        if parameter.choices and parameter.default not in parameter.choices:
            problems.append(f"{label}: the default {parameter.default!r} is not among its choices")
        if not parameter.description.strip():
            problems.append(f"{label}: a description is required")
    return problems


def is_parameter_value(expected: type, value: object) -> bool:
    """Tell whether `value` fits a parameter type; bool is not an int here, an int is a float."""
    if expected is bool or isinstance(value, bool):
        return expected is bool and isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float)
    return isinstance(value, expected)


def _values(enum: Any) -> str:
    return ", ".join(member.value for member in enum)
