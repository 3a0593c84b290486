"""The Google Cloud provider plugin: Cloud Storage buckets of a project, read through a GET-only session."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from checks.gcp import storage
from checks.gcp.collector import collect_project
from checks.gcp.target import GcpTarget
from scanner.model import CheckMeta
from scanner.plugin import CollectRequest, ProviderPlugin, Unit, UnitFacts


class GcpPlugin(ProviderPlugin):
    name = "gcp"
    target_model = GcpTarget
    checks = storage.CHECKS

    def target_name(self, target: BaseModel) -> str:
        assert isinstance(target, GcpTarget)
        return target.name or target.project

    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        return [Unit("gcp", self.target_name(target), "global")]

    def collect(self, request: CollectRequest) -> UnitFacts:
        return collect_project(request)


PLUGIN = GcpPlugin()
