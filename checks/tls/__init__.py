"""The TLS provider plugin: one unit per endpoint, all endpoints scanned by one sslyze Scanner."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import BaseModel

from checks.tls import certificate, protocol, vulnerability
from checks.tls.collector import collect_endpoints
from checks.tls.target import TlsTarget
from scanner.model import CheckMeta
from scanner.plugin import CollectRequest, ProviderPlugin, Unit, UnitFacts


class TlsPlugin(ProviderPlugin):
    name = "tls"
    target_model = TlsTarget
    checks = (*protocol.CHECKS, *certificate.CHECKS, *vulnerability.CHECKS)
    connection_check = "tls.handshake"

    def target_name(self, target: BaseModel) -> str:
        assert isinstance(target, TlsTarget)
        return target.display_name()

    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        return [Unit("tls", self.target_name(target), "endpoint")]

    def collect(self, request: CollectRequest) -> UnitFacts:
        return next(iter(self.collect_units([request])))[1]

    def collect_units(self, requests: Sequence[CollectRequest]) -> Iterator[tuple[Unit, UnitFacts]]:
        if not requests:
            return iter(())
        settings = requests[0].settings
        return collect_endpoints(requests, settings.max_connections_per_host, settings.read_timeout)


PLUGIN = TlsPlugin()
