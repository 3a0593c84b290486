"""The AWS provider plugin: plans units per account and region and collects their facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from checks.aws import s3, s3_access
from checks.aws.errors import classify
from checks.aws.s3_collector import S3Collector
from checks.aws.s3_facts import ACCOUNT_PUBLIC_ACCESS_BLOCK, BUCKET_LIST, S3Bucket
from checks.aws.session import AwsSession
from checks.aws.target import AwsTarget
from scanner.model import CheckMeta, Resource
from scanner.plugin import CollectError, CollectRequest, ProviderPlugin, Unit, UnitFacts


class AwsPlugin(ProviderPlugin):
    name = "aws"
    target_model = AwsTarget
    checks = (*s3.CHECKS, *s3_access.CHECKS)

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
        subject_errors: dict[type, CollectError] = {}

        if request.unit.scope == "global":
            listing_error = self._collect_s3(session, account, partition, request, subjects)
            if listing_error is not None:
                subject_errors[S3Bucket] = listing_error

        return UnitFacts(
            resource=account_resource,
            subjects=subjects,
            subject_errors=subject_errors,
            account=account,
            api_calls=session.guard.calls(),
        )

    @staticmethod
    def _collect_s3(
        session: AwsSession, account: str, partition: str, request: CollectRequest, subjects: list[Any]
    ) -> CollectError | None:
        """Add the account's S3 settings and its buckets to `subjects`; return a unit-wide error."""
        collector = S3Collector(session, account, partition, request.facts, request.settings.max_workers)
        if ACCOUNT_PUBLIC_ACCESS_BLOCK.name in request.facts:
            subjects.append(collector.account_settings())
        if BUCKET_LIST.name not in request.facts:
            return None

        try:
            names = collector.list_buckets()
        except Exception as error:  # without the list no bucket can be judged
            return classify(error, "s3:ListBuckets")
        subjects.extend(collector.collect(names, request.progress))
        return None


PLUGIN = AwsPlugin()
