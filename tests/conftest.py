"""Shared fixtures: a safe environment for the SDKs and one local lab per test session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep every SDK away from metadata addresses and from the user's own credentials,
# before any test imports boto3.
_HOME = Path(tempfile.mkdtemp(prefix="art32-test-home-"))
os.environ.update({
    "AWS_EC2_METADATA_DISABLED": "true",
    "GCE_METADATA_HOST": "127.0.0.1:1",
    "GCE_METADATA_IP": "127.0.0.1:1",
    "NO_GCE_CHECK": "True",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    "AWS_SHARED_CREDENTIALS_FILE": str(_HOME / "no-credentials"),
    "AWS_CONFIG_FILE": str(_HOME / "no-config"),
})
for _variable in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"):
    os.environ.pop(_variable, None)

from scanner.lab import Lab  # noqa: E402
from scanner.registry import Registry  # noqa: E402


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load()


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """moto's server on loopback, seeded with the lab's buckets, for the whole session."""
    with Lab() as running:
        yield running


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
