"""A Google Cloud project as the scan file names it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from scanner.addresses import is_metadata_address


class GcpTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    credentials_file: Path | None = None
    endpoint_url: str | None = None
    name: str | None = None

    @field_validator("credentials_file")
    @classmethod
    def _check_credentials(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        base = (info.context or {}).get("base_dir")
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not path.is_file():
            raise ValueError(f"credentials file {str(path)!r} not found")
        return path

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL such as http://127.0.0.1:9023")
        if is_metadata_address(parts.hostname):
            raise ValueError("a cloud metadata address is never a scan endpoint")
        return value.rstrip("/")
