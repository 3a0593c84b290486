"""An Azure subscription and its Entra tenant as the scan file names them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from scanner.addresses import is_metadata_address

_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class AzureTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subscription_id: str = Field(pattern=_UUID)
    tenant_id: str | None = Field(None, pattern=_UUID)
    token_file: Path | None = None
    graph_token_file: Path | None = None
    management_url: str = "https://management.azure.com"
    graph_url: str = "https://graph.microsoft.com"
    ca_file: Path | None = None
    name: str | None = None

    @field_validator("token_file", "graph_token_file", "ca_file")
    @classmethod
    def _check_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        base = (info.context or {}).get("base_dir")
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not path.is_file():
            raise ValueError(f"{info.field_name} {str(path)!r} not found")
        return path

    @field_validator("management_url", "graph_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parts = urlsplit(value)
        # Bearer tokens must never travel unencrypted; azure-core refuses them over HTTP too.
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("expected an https:// URL such as https://127.0.0.1:18443")
        if is_metadata_address(parts.hostname):
            raise ValueError("a cloud metadata address is never a scan endpoint")
        return value.rstrip("/")
