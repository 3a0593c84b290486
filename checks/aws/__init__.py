"""The AWS provider plugin: plans units per account and region and collects their facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from checks.aws import s3
from checks.aws.errors import classify
from checks.aws.s3_facts import BUCKET_LIST, S3Collector
from checks.aws.session import AwsSession
from checks.aws.target import AwsTarget
from scanner.model import CheckMeta, Resource
from scanner.plugin import CollectError, CollectRequest, ProviderPlugin, Unit, UnitFacts


class AwsPlugin(ProviderPlugin):
    name = "aws"
    target_model = AwsTarget
    checks = s3.CHECKS

    def target_name(self, target: BaseModel) -> str:
        assert isinstance(target, AwsTarget)
        return target.display_name()

    def plan(self, target: BaseModel, checks: Sequence[CheckMeta]) -> list[Unit]:
        assert isinstance(target, AwsTarget)
        name = target.display_name()
        units = []
        if any(meta.scope == "global" for meta in checks):
            units.append(Unit("aws", name, "global"))
        if any(meta.scope == "regional" for meta in checks):
            # TODO: with no regions listed, discover the enabled ones (DescribeRegions).
            units.extend(Unit("aws", name, region) for region in target.regions)
        return units

    def collect(self, request: CollectRequest) -> UnitFacts:
        target = request.target
        assert isinstance(target, AwsTarget)
        placeholder = Resource("aws", "aws.account", f"aws://{target.display_name()}")

        try:
            session = AwsSession(target, request.settings)
            identity = session.client("sts").get_caller_identity()
        except Exception as error:  # reachability and credentials fail here, once per unit
            return UnitFacts(resource=placeholder, error=classify(error, "sts:GetCallerIdentity"))

        account = str(identity["Account"])
        partition = str(identity["Arn"]).split(":")[1]
        account_resource = Resource("aws", "aws.account", f"aws://{account}", account=account)
        subjects: list[Any] = []
        error: CollectError | None = None

        if request.unit.scope == "global" and BUCKET_LIST.name in request.facts:
            collector = S3Collector(
                session, account, partition, request.facts, request.settings.max_workers
            )
            try:
                names = collector.list_buckets()
            except Exception as list_error:  # without the list no bucket can be judged
                error = classify(list_error, "s3:ListBuckets")
            else:
                subjects.extend(collector.collect(names, request.progress))

        return UnitFacts(
            resource=account_resource,
            subjects=subjects,
            error=error,
            account=account,
            api_calls=session.guard.calls(),
        )


PLUGIN = AwsPlugin()
