"""A Linux host as the scan file names it, reached over SSH with a key."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from scanner.addresses import is_metadata_address

_PROXY_JUMP = re.compile(r"^(?:[A-Za-z0-9._-]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::\d{1,5})?$")


class SshTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(22, ge=1, le=65535)
    user: str = Field(min_length=1)
    key_file: Path | None = None
    known_hosts: Path = Path("~/.ssh/known_hosts")
    proxy_jump: str | None = None
    key_passphrase_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    sudo: bool = False
    name: str | None = None

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        host = value.strip("[]")
        if is_metadata_address(host):
            raise ValueError("a cloud metadata address is never a scan target")
        return host

    @field_validator("proxy_jump")
    @classmethod
    def _check_proxy_jump(cls, value: str | None) -> str | None:
        if value is not None and not _PROXY_JUMP.match(value):
            raise ValueError(f"{value!r} is not [user@]host[:port], as OpenSSH's ProxyJump takes")
        return value

    @field_validator("key_file", "known_hosts")
    @classmethod
    def _resolve(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        base = (info.context or {}).get("base_dir")
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if info.field_name == "key_file" and not path.is_file():
            raise ValueError(f"key file {str(path)!r} not found")
        return path

    @field_validator("key_passphrase_env")
    @classmethod
    def _check_passphrase_env(cls, value: str | None) -> str | None:
        # The variable is read when the scan starts; its absence is an error before any connection.
        if value is not None and value not in os.environ:
            raise ValueError(f"environment variable {value} is not set; export the key's passphrase in it")
        return value

    def display_name(self) -> str:
        if self.name:
            return self.name
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def resource_id(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ssh://{host}:{self.port}"
