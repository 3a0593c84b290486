"""The Azure provider plugin: Storage accounts through Resource Manager, sign-in policies through Graph."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from checks.azure import entra, storage
from checks.azure.collector import collect_subscription
from checks.azure.target import AzureTarget
from scanner.model import CheckMeta
from scanner.plugin import CollectRequest, ProviderPlugin, Unit, UnitFacts


class AzurePlugin(ProviderPlugin):
    name = "azure"
    target_model = AzureTarget
    checks = (*storage.CHECKS, *entra.CHECKS)

    def target_name(self, target: BaseModel) -> str:
        assert isinstance(target, AzureTarget)
        return target.name or target.subscription_id

    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        return [Unit("azure", self.target_name(target), "global")]

    def collect(self, request: CollectRequest) -> UnitFacts:
        return collect_subscription(request)


PLUGIN = AzurePlugin()
