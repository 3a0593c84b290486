"""An AWS account as the scan file names it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.addresses import is_metadata_address

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class AwsTarget(BaseModel):
    """One AWS account; credentials come from `aws_profile`, `role_arn`, or the default chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
    aws_profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    regions: list[str] = Field(default_factory=list)
    endpoint_url: str | None = None

    @field_validator("role_arn")
    @classmethod
    def _check_role_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError("expected an IAM role ARN such as arn:aws:iam::123456789012:role/audit")
        return value

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, value: list[str]) -> list[str]:
        for region in value:
            if not _REGION.match(region):
                raise ValueError(f"{region!r} is not an AWS region name such as eu-west-1")
        if len(set(value)) != len(value):
            raise ValueError("a region is listed twice")
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL such as http://127.0.0.1:5000")
        if is_metadata_address(parts.hostname):
            raise ValueError("a cloud metadata address is never a scan endpoint")
        return value.rstrip("/")

    def display_name(self) -> str:
        return self.name or self.aws_profile or "default"
