"""The SSH provider plugin: one unit per host, hosts collected concurrently."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from checks.ssh import hardening, system
from checks.ssh.collector import collect_host
from checks.ssh.target import SshTarget
from scanner.model import CheckMeta
from scanner.plugin import CollectRequest, ProviderPlugin, Unit, UnitFacts


class SshPlugin(ProviderPlugin):
    name = "ssh"
    target_model = SshTarget
    checks = (*hardening.CHECKS, *system.CHECKS)
    unit_concurrency = 20

    def target_name(self, target: BaseModel) -> str:
        assert isinstance(target, SshTarget)
        return target.display_name()

    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        return [Unit("ssh", self.target_name(target), "host")]

    def collect(self, request: CollectRequest) -> UnitFacts:
        return collect_host(request, request.settings.ssh_accept_new)


PLUGIN = SshPlugin()
