"""The scan file: targets per provider and scan settings, validated before any network call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from scanner.plugin import CollectSettings, ProviderPlugin
from scanner.profile import Profile, load_profile
from scanner.registry import Registry
from scanner.validation import ConfigError, describe_validation_error, read_yaml_mapping


class Settings(BaseModel):
    """Scan-wide limits; the defaults suit one account of a few thousand resources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_workers: int = Field(16, ge=1, le=256, description="concurrent API calls per target")
    connect_timeout: float = Field(10.0, gt=0, le=300, description="seconds")
    read_timeout: float = Field(30.0, gt=0, le=600, description="seconds")
    max_attempts: int = Field(5, ge=1, le=20, description="attempts per API call, retries included")
    max_connections_per_host: int = Field(5, ge=1, le=64, description="concurrent connections to one TLS or SSH host")

    def collect_settings(self) -> CollectSettings:
        return CollectSettings(
            max_workers=self.max_workers,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_attempts=self.max_attempts,
            max_connections_per_host=self.max_connections_per_host,
        )


@dataclass(frozen=True)
class ConfiguredTarget:
    plugin: ProviderPlugin
    name: str
    model: BaseModel


@dataclass(frozen=True)
class ScanConfig:
    """A validated scan file with its resolved profile."""

    source: str
    profile: Profile
    targets: tuple[ConfiguredTarget, ...]
    settings: Settings
    ssh_accept_new: bool = False
    """Record unknown SSH host keys on first use (`--ssh-accept-new`)."""


def scan_file_model(registry: Registry) -> type[BaseModel]:
    """Build the scan-file model from the installed plugins' target models."""
    fields: dict[str, Any] = {
        name: (list[plugin.target_model], Field(default_factory=list))  # type: ignore[name-defined]
        for name, plugin in registry.plugins.items()
    }
    targets = create_model(
        "Targets", __config__=ConfigDict(extra="forbid", frozen=True), **fields
    )
    return create_model(
        "ScanFile",
        __config__=ConfigDict(extra="forbid", frozen=True),
        profile=(str, "baseline"),
        targets=(targets, Field(default_factory=targets)),
        settings=(Settings, Settings()),
    )


def load_scan_file(
    path: Path, registry: Registry, profile_override: str | None = None
) -> ScanConfig:
    """Read and validate a scan file and its profile; raise ConfigError naming key and fix."""
    data = read_yaml_mapping(path, "scan file")
    return build_scan_config(data, str(path), registry, path.parent, profile_override)


def load_scan_config(
    path: Path | None,
    registry: Registry,
    profile_override: str | None = None,
    extra_tls: Sequence[str] = (),
) -> ScanConfig:
    """Load a scan file, if any, and add the endpoints given as `--tls HOST:PORT`."""
    data: dict[str, Any] = read_yaml_mapping(path, "scan file") if path is not None else {}
    if extra_tls:
        targets = data.setdefault("targets", {})
        if not isinstance(targets, dict):
            targets = data["targets"] = {}
        listed = targets.setdefault("tls", [])
        if isinstance(listed, list):
            listed.extend(parse_host_port(text) for text in extra_tls)
    source = str(path) if path is not None else "--tls"
    base_dir = path.parent if path is not None else Path.cwd()
    return build_scan_config(data, source, registry, base_dir, profile_override)


def parse_host_port(text: str, default_port: int = 443) -> dict[str, Any]:
    """Parse `HOST:PORT`, `[IPv6]:PORT` or `HOST` into scan-file keys; raise ConfigError."""
    host, port = text, str(default_port)
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            host = ""
        port = rest.removeprefix(":") or port
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif ":" in text:
        # An IPv6 address needs brackets, or its last group could be taken for a port.
        host = ""
    if not host or not port.isdigit():
        raise ConfigError("--tls", [f"invalid endpoint {text!r}; expected HOST:PORT such as 127.0.0.1:8443, "
                                    "with an IPv6 address in brackets: [::1]:443"])
    return {"host": host, "port": int(port)}


def build_scan_config(
    data: Mapping[str, Any],
    source: str,
    registry: Registry,
    base_dir: Path,
    profile_override: str | None = None,
) -> ScanConfig:
    model = scan_file_model(registry)
    try:
        scan_file = model.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as error:
        raise ConfigError(source, describe_validation_error(error, model)) from None

    targets = _configured_targets(scan_file, registry, source)
    if profile_override is not None:
        profile = load_profile(profile_override, registry, Path.cwd())
    else:
        try:
            profile = load_profile(scan_file.profile, registry, base_dir)  # type: ignore[attr-defined]
        except ConfigError as error:
            # A profile that cannot be found is a mistake in the scan file's `profile` key.
            if error.source != "profile":
                raise
            raise ConfigError(source, [p.replace("no profile named", "profile: no profile named", 1)
                                       for p in error.problems]) from None
    settings: Settings = scan_file.settings  # type: ignore[attr-defined]
    return ScanConfig(source=source, profile=profile, targets=targets, settings=settings)


def _configured_targets(
    scan_file: BaseModel, registry: Registry, source: str
) -> tuple[ConfiguredTarget, ...]:
    targets: list[ConfiguredTarget] = []
    problems: list[str] = []
    for provider, plugin in registry.plugins.items():
        seen: dict[str, int] = {}
        for index, model in enumerate(getattr(scan_file.targets, provider)):  # type: ignore[attr-defined]
            name = plugin.target_name(model)
            if name in seen:
                problems.append(
                    f"targets.{provider}[{index}]: target name {name!r} repeats "
                    f"targets.{provider}[{seen[name]}]; give each target a distinct name"
                )
            seen[name] = index
            targets.append(ConfiguredTarget(plugin=plugin, name=name, model=model))

    if problems:
        raise ConfigError(source, problems)
    if not targets:
        raise ConfigError(source, ["targets: no targets; name at least one, such as targets.aws"])
    return tuple(targets)
