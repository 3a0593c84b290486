"""Facts of regional AWS services: EBS, RDS, DynamoDB, EFS and KMS, read once per region."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from checks.aws.errors import call, classify
from checks.aws.session import AwsSession
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, FactSpec

T = TypeVar("T")

EBS_DEFAULT = FactSpec("aws.ebs.default_encryption", ("ec2:GetEbsEncryptionByDefault",))
EBS_VOLUMES = FactSpec("aws.ebs.volumes", ("ec2:DescribeVolumes",))
EBS_SNAPSHOTS = FactSpec("aws.ebs.snapshots", ("ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute"))
RDS = FactSpec("aws.rds.databases", ("rds:DescribeDBInstances", "rds:DescribeDBClusters"))
RDS_PARAMETERS = FactSpec("aws.rds.parameters", ("rds:DescribeDBParameters", "rds:DescribeDBClusterParameters"))
DYNAMODB = FactSpec("aws.dynamodb.tables", ("dynamodb:ListTables", "dynamodb:DescribeTable"))
DYNAMODB_PITR = FactSpec("aws.dynamodb.backups", ("dynamodb:DescribeContinuousBackups",))
EFS = FactSpec("aws.efs.file_systems", ("elasticfilesystem:DescribeFileSystems",))
KMS = FactSpec("aws.kms.keys", ("kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyRotationStatus"))

TLS_PARAMETERS = {"rds.force_ssl": "1", "require_secure_transport": "1"}
"""Parameters that force TLS: rds.force_ssl (PostgreSQL, SQL Server) and require_secure_transport (MySQL, MariaDB)."""

NOT_COLLECTED = CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


@dataclass(frozen=True)
class EbsRegion:
    resource: Resource
    default_encryption: bool | CollectError


@dataclass(frozen=True)
class EbsVolume:
    resource: Resource
    encrypted: bool
    kms_key: str | None


@dataclass(frozen=True)
class EbsSnapshot:
    resource: Resource
    encrypted: bool
    public: bool | CollectError


@dataclass(frozen=True)
class RdsDatabase:
    """A DB instance or an Aurora cluster; instances of a cluster are judged through the cluster."""

    resource: Resource
    kind: str
    engine: str
    encrypted: bool
    kms_key: str | None
    backup_retention_days: int
    deletion_protection: bool
    tls_parameter: dict[str, str] | CollectError


@dataclass(frozen=True)
class DynamoTable:
    resource: Resource
    sse_type: str | None
    """None means the AWS owned key, DynamoDB's default; `KMS` a KMS key (AWS managed or customer)."""
    kms_key: str | None
    point_in_time_recovery: bool | CollectError


@dataclass(frozen=True)
class EfsFileSystem:
    resource: Resource
    encrypted: bool


@dataclass(frozen=True)
class KmsKeyInfo:
    resource: Resource
    manager: str
    spec: str
    usage: str
    origin: str
    state: str
    rotation: bool | CollectError


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Yield every item of a paginated listing."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


class RegionalCollector:
    """Collect the requested regional facts of one region."""

    def __init__(self, session: AwsSession, account: str, partition: str, region: str,
                 facts: frozenset[str], workers: int) -> None:
        self.session, self.account, self.partition, self.region = session, account, partition, region
        self.facts, self.workers = facts, workers
        self.errors: dict[type, CollectError] = {}

    def collect(self) -> list[Any]:
        subjects: list[Any] = []
        steps: list[tuple[FactSpec, type, Callable[[], list[Any]], str]] = [
            (EBS_DEFAULT, EbsRegion, self._ebs_default, "ec2:GetEbsEncryptionByDefault"),
            (EBS_VOLUMES, EbsVolume, self._volumes, "ec2:DescribeVolumes"),
            (EBS_SNAPSHOTS, EbsSnapshot, self._snapshots, "ec2:DescribeSnapshots"),
            (RDS, RdsDatabase, self._databases, "rds:DescribeDBInstances"),
            (DYNAMODB, DynamoTable, self._tables, "dynamodb:ListTables"),
            (EFS, EfsFileSystem, self._file_systems, "elasticfilesystem:DescribeFileSystems"),
            (KMS, KmsKeyInfo, self._keys, "kms:ListKeys"),
        ]
        for spec, kind, read, operation in steps:
            if spec.name not in self.facts:
                continue
            try:
                subjects.extend(read())
            except Exception as error:  # the listing failed: every check of this kind is an ERROR
                self.errors[kind] = classify(error, operation)
        return subjects

    def _resource(self, kind: str, arn: str, tags: list[dict[str, str]] | None = None) -> Resource:
        name = next((t.get("Value") for t in tags or [] if t.get("Key") == "Name"), None)
        return Resource("aws", kind, arn, account=self.account, region=self.region, name=name)

    def _arn(self, service: str, path: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{path}"

    def _client(self, service: str) -> Any:
        return self.session.client(service, self.region)

    def _ebs_default(self) -> list[EbsRegion]:
        value = call(lambda: bool(self._client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"]),
                     "ec2:GetEbsEncryptionByDefault")
        resource = Resource("aws", "aws.region", f"aws://{self.account}/{self.region}", account=self.account,
                            region=self.region)
        return [EbsRegion(resource, value)]

    def _volumes(self) -> list[EbsVolume]:
        return [EbsVolume(self._resource("aws.ebs.volume", self._arn("ec2", f"volume/{v['VolumeId']}"), v.get("Tags")),
                          bool(v.get("Encrypted")), v.get("KmsKeyId"))
                for v in pages(self._client("ec2"), "describe_volumes", "Volumes")]

    def _snapshots(self) -> list[EbsSnapshot]:
        client = self._client("ec2")
        snapshots = list(pages(client, "describe_snapshots", "Snapshots", OwnerIds=["self"]))

        def build(snapshot: dict[str, Any]) -> EbsSnapshot:
            public = call(lambda: any(p.get("Group") == "all" for p in client.describe_snapshot_attribute(
                SnapshotId=snapshot["SnapshotId"], Attribute="createVolumePermission")["CreateVolumePermissions"]),
                "ec2:DescribeSnapshotAttribute")
            arn = f"arn:{self.partition}:ec2:{self.region}::snapshot/{snapshot['SnapshotId']}"
            return EbsSnapshot(self._resource("aws.ebs.snapshot", arn, snapshot.get("Tags")),
                               bool(snapshot.get("Encrypted")), public)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(build, snapshots))

    def _databases(self) -> list[RdsDatabase]:
        client = self._client("rds")
        read_parameters = RDS_PARAMETERS.name in self.facts
        groups: dict[tuple[str, str], dict[str, str] | CollectError] = {}

        def parameters(kind: str, name: str) -> dict[str, str] | CollectError:
            if not read_parameters:
                return NOT_COLLECTED
            if (kind, name) not in groups:
                groups[(kind, name)] = call(lambda: _tls_parameters(client, kind, name),
                                            "rds:DescribeDBParameters")
            return groups[(kind, name)]

        databases: list[RdsDatabase] = []
        for cluster in pages(client, "describe_db_clusters", "DBClusters"):
            databases.append(RdsDatabase(
                self._resource("aws.rds.cluster", cluster["DBClusterArn"]), "cluster", cluster.get("Engine", ""),
                bool(cluster.get("StorageEncrypted")), cluster.get("KmsKeyId"),
                int(cluster.get("BackupRetentionPeriod", 0)), bool(cluster.get("DeletionProtection")),
                parameters("cluster", cluster.get("DBClusterParameterGroup", ""))))
        for instance in pages(client, "describe_db_instances", "DBInstances"):
            if instance.get("DBClusterIdentifier"):
                continue
            group = (instance.get("DBParameterGroups") or [{}])[0].get("DBParameterGroupName", "")
            databases.append(RdsDatabase(
                self._resource("aws.rds.instance", instance["DBInstanceArn"]), "instance", instance.get("Engine", ""),
                bool(instance.get("StorageEncrypted")), instance.get("KmsKeyId"),
                int(instance.get("BackupRetentionPeriod", 0)), bool(instance.get("DeletionProtection")),
                parameters("instance", group)))
        return databases

    def _tables(self) -> list[DynamoTable]:
        client = self._client("dynamodb")
        names = list(pages(client, "list_tables", "TableNames"))

        def build(name: str) -> DynamoTable:
            table = client.describe_table(TableName=name)["Table"]
            sse = table.get("SSEDescription") or {}
            pitr: bool | CollectError = NOT_COLLECTED
            if DYNAMODB_PITR.name in self.facts:
                pitr = call(lambda: client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
                            .get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED",
                            "dynamodb:DescribeContinuousBackups")
            enabled = sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING")
            return DynamoTable(self._resource("aws.dynamodb.table", table["TableArn"]),
                               sse.get("SSEType") if enabled else None, sse.get("KMSMasterKeyArn"), pitr)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(build, names))

    def _file_systems(self) -> list[EfsFileSystem]:
        return [EfsFileSystem(self._resource("aws.efs.file_system", fs.get("FileSystemArn")
                                             or self._arn("elasticfilesystem", f"file-system/{fs['FileSystemId']}"),
                                             fs.get("Tags")),
                              bool(fs.get("Encrypted")))
                for fs in pages(self._client("efs"), "describe_file_systems", "FileSystems")]

    def _keys(self) -> list[KmsKeyInfo]:
        client = self._client("kms")
        ids = [k["KeyId"] for k in pages(client, "list_keys", "Keys")]
        aliases = {a["TargetKeyId"]: a["AliasName"] for a in pages(client, "list_aliases", "Aliases")
                   if a.get("TargetKeyId")}

        def build(key_id: str) -> KmsKeyInfo:
            metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
            alias = aliases.get(metadata["KeyId"])
            # Only AWS may create aliases under alias/aws/, so such a key is AWS managed whatever
            # KeyManager reports (moto 5.2 reports CUSTOMER for them).
            manager = "AWS" if (alias or "").startswith("alias/aws/") else metadata.get("KeyManager", "")
            symmetric = metadata.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
            rotation: bool | CollectError = False
            if manager == "CUSTOMER" and symmetric and metadata.get("Origin") == "AWS_KMS" \
                    and metadata.get("KeyState") == "Enabled":
                rotation = call(lambda: bool(client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]),
                                "kms:GetKeyRotationStatus")
            resource = Resource("aws", "aws.kms.key", metadata["Arn"], account=self.account, region=self.region,
                                name=alias)
            return KmsKeyInfo(resource, manager,
                              metadata.get("KeySpec", "SYMMETRIC_DEFAULT"), metadata.get("KeyUsage", ""),
                              metadata.get("Origin", ""), metadata.get("KeyState", ""), rotation)

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return list(pool.map(build, ids))


def _tls_parameters(client: Any, kind: str, group: str) -> dict[str, str]:
    """Return the TLS-forcing parameters that the group sets, by name."""
    if not group:
        return {}
    if kind == "cluster":
        items = pages(client, "describe_db_cluster_parameters", "Parameters", DBClusterParameterGroupName=group)
    else:
        items = pages(client, "describe_db_parameters", "Parameters", DBParameterGroupName=group)
    return {p["ParameterName"]: str(p.get("ParameterValue", "")) for p in items
            if p.get("ParameterName") in TLS_PARAMETERS and p.get("ParameterValue") is not None}


def key_age_days(created: datetime.datetime) -> int:
    return (datetime.datetime.now(datetime.UTC) - created.astimezone(datetime.UTC)).days
