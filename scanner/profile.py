"""Scan profiles: which checks run, with which parameters, severities and fail threshold."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scanner.model import Measure, Severity
from scanner.policies import SshPolicy, TlsPolicy, load_ssh_policy, load_tls_policy
from scanner.registry import Registry, is_parameter_value
from scanner.validation import (
    ConfigError,
    deep_merge,
    describe_validation_error,
    read_yaml_mapping,
    suggest_name,
)

DEFAULT_FAIL_ON = Severity.HIGH
_PACKAGED = "scanner.profiles"


class CheckSelection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    include: list[str] = Field(default_factory=lambda: ["*"])
    exclude: list[str] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    """When not empty, only checks of these measures run."""


class ProfileFile(BaseModel):
    """One profile file as written; `extends` is resolved before the merged result is used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    description: str = ""
    extends: str | None = None
    fail_on: Severity | None = None
    checks: CheckSelection = Field(default_factory=CheckSelection)
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    severity: dict[str, Severity] = Field(default_factory=dict)
    tls_policy: str | dict[str, Any] | None = None
    ssh_policy: str | dict[str, Any] | None = None


@dataclass(frozen=True)
class Profile:
    """A resolved profile: the selected check ids and each one's effective settings."""

    name: str
    description: str
    fail_on: Severity
    check_ids: tuple[str, ...]
    parameters: Mapping[str, Mapping[str, Any]]
    severity: Mapping[str, Severity]
    sources: tuple[str, ...]
    tls_policy: TlsPolicy
    ssh_policy: SshPolicy
    warnings: tuple[str, ...] = ()

    def severity_of(self, check_id: str, default: Severity) -> Severity:
        return self.severity.get(check_id, default)


def packaged_profiles() -> list[str]:
    """List the names of the profiles shipped with art32."""
    folder = resources.files(_PACKAGED)
    return sorted(item.name.removesuffix(".yaml") for item in folder.iterdir()
                  if item.name.endswith(".yaml"))


def locate_profile(reference: str, relative_to: Path | None = None) -> Path:
    """Find a profile by packaged name or by path; a path is read relative to `relative_to`."""
    if "/" in reference or reference.endswith((".yaml", ".yml")):
        path = Path(reference).expanduser()
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path

    candidate = resources.files(_PACKAGED) / f"{reference}.yaml"
    if not candidate.is_file():
        names = packaged_profiles()
        hint = suggest_name(reference, names)
        raise ConfigError(
            "profile",
            [f"no profile named {reference!r}{hint}; shipped profiles: {', '.join(names)}; "
             "or give a path to a YAML file"],
        )
    return Path(str(candidate))


def load_profile(reference: str, registry: Registry, relative_to: Path | None = None) -> Profile:
    """Load a profile with its `extends` chain and validate it against the check catalogue."""
    path = locate_profile(reference, relative_to)
    merged, sources = _merge_chain(path, seen=())
    label = sources[0]

    try:
        profile_file = ProfileFile.model_validate(merged)
    except ValidationError as error:
        raise ConfigError(label, describe_validation_error(error, ProfileFile)) from None

    return _resolve(profile_file, registry, label, sources, default_name=path.stem)


def _merge_chain(path: Path, seen: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Read a profile and its ancestors; mappings merge (child wins) and lists replace."""
    key = str(path.resolve())
    if key in seen:
        raise ConfigError(path, ["extends forms a cycle; remove one of the extends keys"])
    data = read_yaml_mapping(path, "profile")

    try:
        ProfileFile.model_validate(data)
    except ValidationError as error:
        raise ConfigError(path, describe_validation_error(error, ProfileFile)) from None

    parent_ref = data.get("extends")
    if not parent_ref:
        return data, (str(path),)

    parent_path = locate_profile(str(parent_ref), path.parent)
    parent, parent_sources = _merge_chain(parent_path, (*seen, key))
    merged = deep_merge(parent, data)
    merged["extends"] = None
    # A profile's name is its own: one that sets none is named after its file, not its parent.
    merged["name"] = data.get("name")
    return merged, (str(path), *parent_sources)


def _resolve(
    profile_file: ProfileFile,
    registry: Registry,
    label: str,
    sources: tuple[str, ...],
    default_name: str,
) -> Profile:
    problems: list[str] = []
    warnings: list[str] = []

    selected = _select(profile_file.checks, registry, warnings)
    overrides = {
        check_id: values
        for check_id, values in profile_file.parameters.items()
        if _known_or_report(f"parameters.{check_id}", check_id, registry, problems, warnings)
    }
    parameters = _parameters(overrides, registry, problems)
    severity = {
        check_id: value
        for check_id, value in profile_file.severity.items()
        if _known_or_report(f"severity.{check_id}", check_id, registry, problems, warnings)
    }

    if problems:
        raise ConfigError(label, problems)

    tls_policy = load_tls_policy(profile_file.tls_policy, label)
    ssh_policy = load_ssh_policy(profile_file.ssh_policy, label)
    return Profile(
        name=profile_file.name or default_name,
        description=profile_file.description,
        fail_on=profile_file.fail_on or DEFAULT_FAIL_ON,
        check_ids=tuple(selected),
        parameters=parameters,
        severity=severity,
        sources=sources,
        tls_policy=tls_policy,
        ssh_policy=ssh_policy,
        warnings=tuple(warnings),
    )


def _select(selection: CheckSelection, registry: Registry, warnings: list[str]) -> list[str]:
    known = list(registry.checks)
    for pattern in (*selection.include, *selection.exclude):
        if not fnmatch.filter(known, pattern):
            warnings.append(f"check pattern {pattern!r} matches no installed check")

    included = {cid for pattern in selection.include for cid in fnmatch.filter(known, pattern)}
    excluded = {cid for pattern in selection.exclude for cid in fnmatch.filter(known, pattern)}
    if selection.measures:
        measures = set(selection.measures)
        included = {cid for cid in included if registry.checks[cid].meta.measure in measures}
    return sorted(included - excluded)


def _parameters(
    overrides: Mapping[str, Mapping[str, Any]], registry: Registry, problems: list[str]
) -> dict[str, dict[str, Any]]:
    """Return every check's parameters: its declared defaults with the profile's overrides."""
    for check_id, values in overrides.items():
        for name, value in values.items():
            problems.extend(_parameter_problems(check_id, name, value, registry))

    result: dict[str, dict[str, Any]] = {}
    for check_id, item in registry.checks.items():
        values = {p.name: p.default for p in item.meta.parameters}
        values.update(overrides.get(check_id, {}))
        result[check_id] = values
    return result


def _known_or_report(
    key: str, check_id: str, registry: Registry, problems: list[str], warnings: list[str]
) -> bool:
    """Tell whether a check id is installed; report a typo as a problem.

    An id whose provider is not installed at all is only a warning, so one profile can
    serve installations with and without a third-party plugin.
    """
    if check_id in registry.checks:
        return True
    provider = check_id.split(".", 1)[0]
    if provider in registry.plugins:
        problems.append(f"{key}: unknown check{suggest_name(check_id, list(registry.checks))}")
    else:
        warnings.append(f"{key}: provider {provider!r} is not installed; the setting is ignored")
    return False


def _parameter_problems(check_id: str, name: str, value: Any, registry: Registry) -> list[str]:
    meta = registry.checks[check_id].meta
    key = f"parameters.{check_id}.{name}"
    parameter = meta.parameter(name)
    if parameter is None:
        names = [p.name for p in meta.parameters]
        listing = ", ".join(names) if names else "none"
        return [f"{key}: unknown parameter{suggest_name(name, names)}; this check takes: {listing}"]
    if not is_parameter_value(parameter.type, value):
        return [f"{key}: expected a {parameter.type.__name__}, got {value!r}"]
    if parameter.choices and value not in parameter.choices:
        return [f"{key}: invalid value {value!r}; expected one of {', '.join(parameter.choices)}"]
    return []
