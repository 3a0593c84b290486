"""TLS and SSH policies as data: what a profile judges endpoints and hosts by.

TLS policies live in `profiles/tls/NAME.yaml`, and SSH policies in
`profiles/ssh/NAME.yaml`. A profile names one by name, or as
`{use: NAME, override: {FIELD: VALUE}}`, where mappings merge and lists replace.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scanner.validation import (
    ConfigError,
    deep_merge,
    describe_validation_error,
    read_yaml_mapping,
    suggest_name,
)

DEFAULT_TLS_POLICY = "mozilla-intermediate"
DEFAULT_SSH_POLICY = "openssh-hardened"


class Protocol(StrEnum):
    SSL_2_0 = "SSLv2"
    SSL_3_0 = "SSLv3"
    TLS_1_0 = "TLSv1.0"
    TLS_1_1 = "TLSv1.1"
    TLS_1_2 = "TLSv1.2"
    TLS_1_3 = "TLSv1.3"


PolicyT = TypeVar("PolicyT", bound=BaseModel)


class PolicySource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    version: str
    url: str | None = None
    note: str = ""


class CipherSuites(BaseModel):
    """Allowed suites by IANA name; `tls12` applies to every protocol before TLS 1.3."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tls12: list[str] = Field(default_factory=list)
    tls13: list[str] = Field(default_factory=list)


class TlsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source: PolicySource
    protocols: list[Protocol]
    required_protocols: list[Protocol] = Field(default_factory=list)
    cipher_suites: CipherSuites
    groups: list[str]
    min_rsa_bits: int = Field(ge=512)
    min_ec_bits: int = Field(ge=160)
    min_dh_bits: int = Field(ge=512)
    hsts_min_age: int = Field(31536000, ge=0, description="seconds")

    @model_validator(mode="after")
    def _required_are_allowed(self) -> TlsPolicy:
        missing = [p.value for p in self.required_protocols if p not in self.protocols]
        if missing:
            raise ValueError(f"required_protocols {missing} are not in protocols")
        return self


class SshPolicy(BaseModel):
    """Allowed SSH algorithms by name, as a server's KEXINIT lists them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source: PolicySource
    kex: list[str]
    host_keys: list[str]
    ciphers: list[str]
    macs: list[str]


class PolicyReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    use: str
    override: dict[str, Any] = Field(default_factory=dict)


def tls_policy_names() -> list[str]:
    return policy_names("tls")


def policy_names(kind: str) -> list[str]:
    folder = resources.files("scanner.profiles") / kind
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_tls_policy(reference: str | dict[str, Any] | None, source: str) -> TlsPolicy:
    """Resolve a profile's `tls_policy` value; `source` names the profile in errors."""
    return _load_policy("tls", TlsPolicy, reference or DEFAULT_TLS_POLICY, source)


def load_ssh_policy(reference: str | dict[str, Any] | None, source: str) -> SshPolicy:
    """Resolve a profile's `ssh_policy` value; `source` names the profile in errors."""
    return _load_policy("ssh", SshPolicy, reference or DEFAULT_SSH_POLICY, source)


def _load_policy(kind: str, model: type[PolicyT], reference: str | dict[str, Any], source: str) -> PolicyT:
    key = f"{kind}_policy"
    if isinstance(reference, str):
        reference = {"use": reference}
    try:
        parsed = PolicyReference.model_validate(reference)
    except ValidationError as error:
        problems = describe_validation_error(error, PolicyReference)
        raise ConfigError(source, [f"{key}.{p}" for p in problems]) from None

    path = _policy_path(kind, parsed.use, source)
    data = read_yaml_mapping(path, f"{kind.upper()} policy")
    merged = deep_merge(data, parsed.override)
    try:
        return model.model_validate(merged)
    except ValidationError as error:
        label = source if parsed.override else str(path)
        prefix = f"{key}.override." if parsed.override else ""
        problems = [prefix + p for p in describe_validation_error(error, model)]
        raise ConfigError(label, problems) from None


def _policy_path(kind: str, name: str, source: str) -> Path:
    if "/" in name or name.endswith((".yaml", ".yml")):
        return Path(name).expanduser()
    candidate = resources.files("scanner.profiles") / kind / f"{name}.yaml"
    if not candidate.is_file():
        names = policy_names(kind)
        raise ConfigError(source, [
            f"{kind}_policy: no {kind.upper()} policy named {name!r}{suggest_name(name, names)}; "
            f"shipped policies: {', '.join(names)}"
        ])
    return Path(str(candidate))
