"""A small in-memory provider plugin for engine tests: no network, facts given directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from scanner.model import (
    Article,
    CheckMeta,
    ErrorReason,
    Measure,
    Outcome,
    Resource,
    Severity,
    Status,
    Verdict,
)
from scanner.plugin import (
    CollectError,
    CollectRequest,
    FactSpec,
    Params,
    ProviderPlugin,
    Unit,
    UnitFacts,
    check,
    require,
)

FLAG = FactSpec("fake.flag", ("fake:GetFlag",))


class FakeTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    flags: dict[str, bool] = {}
    unreachable: bool = False


@dataclass(frozen=True)
class FakeThing:
    resource: Resource
    flag: bool | CollectError


def fake_check(check_id: str = "fake.flag_on", *, raises: bool = False):
    @check(
        id=check_id,
        title="Fake things have their flag on",
        subject=FakeThing,
        resource_type="fake.thing",
        facts=(FLAG,),
        measure=Measure.ENCRYPTION,
        outcomes=(Outcome.CONFIDENTIALITY,),
        articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
        severity=Severity.HIGH,
        rationale="A test check.",
        remediation="Turn the flag on.",
    )
    def evaluate(thing: FakeThing, _params: Params) -> Verdict:
        if raises:
            raise RuntimeError("bug in check")
        on = require(thing.flag)
        return Verdict(Status.PASS if on else Status.FAIL, f"flag is {on}")

    return evaluate


class FakePlugin(ProviderPlugin):
    name = "fake"
    target_model = FakeTarget

    def __init__(self, checks=None) -> None:
        self.checks = tuple(checks) if checks is not None else (fake_check(),)

    def target_name(self, target: BaseModel) -> str:
        return target.name  # type: ignore[attr-defined]

    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        return [Unit("fake", self.target_name(target), "global")]

    def collect(self, request: CollectRequest) -> UnitFacts:
        target = request.target
        resource = Resource("fake", "fake.target", f"fake://{target.name}")
        if target.unreachable:
            return UnitFacts(resource, error=CollectError(ErrorReason.UNREACHABLE, "no route"))
        things = [
            FakeThing(Resource("fake", "fake.thing", f"fake://{target.name}/{name}"), value)
            for name, value in sorted(target.flags.items())
        ]
        return UnitFacts(resource, subjects=things)
