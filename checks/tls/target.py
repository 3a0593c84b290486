"""A TLS endpoint as the scan file or `--tls HOST:PORT` names it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from scanner.addresses import is_ip, is_metadata_address


class StartTls(StrEnum):
    SMTP = "smtp"
    IMAP = "imap"
    POP3 = "pop3"
    FTP = "ftp"
    XMPP = "xmpp"
    LDAP = "ldap"
    POSTGRES = "postgres"
    RDP = "rdp"


class TlsTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(443, ge=1, le=65535)
    sni: str | None = None
    starttls: StartTls | None = None
    ca_file: Path | None = None
    name: str | None = None

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        host = value.strip("[]")
        if is_metadata_address(host):
            raise ValueError("a cloud metadata address is never a scan target")
        if any(c in host for c in "/ :") and not is_ip(host):
            raise ValueError(f"{value!r} is not a host name or address; give the port in `port`")
        return host

    @field_validator("ca_file")
    @classmethod
    def _check_ca_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        base = (info.context or {}).get("base_dir")
        path = value.expanduser()
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not path.is_file():
            raise ValueError(f"CA file {str(path)!r} not found; give a PEM file of trust anchors")
        return path

    @property
    def server_name(self) -> str:
        return self.sni or self.host

    def display_name(self) -> str:
        if self.name:
            return self.name
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def resource_id(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        suffix = f"?sni={self.sni}" if self.sni and self.sni != self.host else ""
        return f"tls://{host}:{self.port}{suffix}"
