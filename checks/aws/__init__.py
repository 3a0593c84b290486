"""The AWS provider plugin: plans units per account and region and collects their facts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from checks.aws import edge, estate, identity, s3, s3_access
from checks.aws.account_facts import (
    IAM_SUMMARY,
    IAM_USERS,
    TRAILS,
    CloudTrailAccount,
    IamUser,
    RootAccount,
    iam_users,
    root_account,
    trails,
)
from checks.aws.errors import classify
from checks.aws.regional_facts import RegionalCollector
from checks.aws.s3_collector import S3Collector
from checks.aws.s3_facts import ACCOUNT_PUBLIC_ACCESS_BLOCK, BUCKET_LIST, S3Bucket
from checks.aws.session import AwsSession
from checks.aws.target import AwsTarget
from scanner.model import CheckMeta, Resource
from scanner.plugin import CollectError, CollectRequest, ProviderPlugin, Unit, UnitFacts

ALL_REGIONS = "all-regions"


class AwsPlugin(ProviderPlugin):
    name = "aws"
    target_model = AwsTarget
    checks = (*s3.CHECKS, *s3_access.CHECKS, *estate.CHECKS, *identity.CHECKS, *edge.CHECKS)

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
            # Without a region list, one unit discovers the enabled regions (DescribeRegions)
            # when it runs, since planning makes no network call.
            regions = target.regions or [ALL_REGIONS]
            units.extend(Unit("aws", name, region) for region in regions)
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
            self._collect_account(session, account_resource, request, subjects, subject_errors)
        else:
            self._collect_regions(session, account, partition, request, subjects, subject_errors)

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


    @staticmethod
    def _collect_account(session: AwsSession, account_resource: Resource, request: CollectRequest,
                         subjects: list[Any], subject_errors: dict[type, CollectError]) -> None:
        """Add IAM and CloudTrail facts; a failed listing is an error for its checks only."""
        steps: list[tuple[str, type, Any]] = [
            (IAM_SUMMARY.name, RootAccount, lambda: [root_account(session, account_resource)]),
            (IAM_USERS.name, IamUser,
             lambda: iam_users(session, account_resource.account or "", request.settings.max_workers)),
            (TRAILS.name, CloudTrailAccount, lambda: [trails(session, account_resource)]),
            (edge.DISTRIBUTIONS.name, edge.Distribution,
             lambda: edge.collect_distributions(session.client("cloudfront", "us-east-1"),
                                                account_resource.account or "")),
        ]
        for fact, kind, read in steps:
            if fact not in request.facts:
                continue
            try:
                subjects.extend(read())
            except Exception as error:  # the listing failed: an error for this kind's checks
                subject_errors[kind] = classify(error, fact)

    @staticmethod
    def _collect_regions(session: AwsSession, account: str, partition: str, request: CollectRequest,
                         subjects: list[Any], subject_errors: dict[type, CollectError]) -> None:
        regions = [request.unit.scope]
        if request.unit.scope == ALL_REGIONS:
            ec2 = session.client("ec2")
            regions = sorted(r["RegionName"] for r in ec2.describe_regions()["Regions"])
        for region in regions:
            request.progress(f"{region}: reading regional services")
            collector = RegionalCollector(session, account, partition, region, request.facts,
                                          request.settings.max_workers)
            subjects.extend(collector.collect())
            for kind, error in collector.errors.items():
                subject_errors.setdefault(kind, error)
            AwsPlugin._collect_edge(session, account, region, request, subjects, subject_errors)

    @staticmethod
    def _collect_edge(session: AwsSession, account: str, region: str, request: CollectRequest,
                      subjects: list[Any], subject_errors: dict[type, CollectError]) -> None:
        steps: list[tuple[str, tuple[type, ...], Any, str]] = [
            (edge.BACKUP.name, (edge.BackupRegion, edge.BackupVault),
             lambda: edge.collect_backup(session.client("backup", region), account, region), "backup:ListBackupPlans"),
            (edge.LISTENERS.name, (edge.Listener,),
             lambda: edge.collect_listeners(session.client("elbv2", region), session.client("elb", region),
                                            account, region), "elasticloadbalancing:DescribeLoadBalancers"),
        ]
        for fact, kinds, read, operation in steps:
            if fact not in request.facts:
                continue
            try:
                subjects.extend(read())
            except Exception as error:  # the listing failed: an error for these checks in this region
                for kind in kinds:
                    subject_errors.setdefault(kind, classify(error, operation))


PLUGIN = AwsPlugin()
