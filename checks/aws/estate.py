"""AWS checks beyond S3: encryption at rest, backups and resilience of EBS, RDS, DynamoDB, EFS and KMS."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from checks.aws.regional_facts import (
    DYNAMODB,
    DYNAMODB_PITR,
    EBS_DEFAULT,
    EBS_SNAPSHOTS,
    EBS_VOLUMES,
    EFS,
    KMS,
    RDS,
    RDS_PARAMETERS,
    TLS_PARAMETERS,
    DynamoTable,
    EbsRegion,
    EbsSnapshot,
    EbsVolume,
    EfsFileSystem,
    KmsKeyInfo,
    RdsDatabase,
)
from scanner.model import Article, Measure, Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import Params, check, require

regional = functools.partial(check, scope="regional")
AT_REST: dict[str, Any] = dict(measure=Measure.ENCRYPTION, outcomes=(Outcome.CONFIDENTIALITY,),
               articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,))
RESTORE = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.RESTORE_AVAILABILITY)


def _judge(passes: bool, yes: str, no: str, evidence: Mapping[str, object]) -> Verdict:
    return Verdict(Status.PASS if passes else Status.FAIL, yes if passes else no, evidence)


@regional(id="aws.ebs.default_encryption", title="EBS encrypts new volumes by default in each region",
          subject=EbsRegion, resource_type="aws.region", facts=(EBS_DEFAULT,), severity=Severity.MEDIUM,
          rationale="With encryption by default, no new volume or snapshot copy can be created unencrypted.",
          remediation="`aws ec2 enable-ebs-encryption-by-default --region REGION` in every region in use.",
          **AT_REST)
def ebs_default_encryption(region: EbsRegion, _params: Params) -> Verdict:
    on = require(region.default_encryption)
    return _judge(on, "EBS encryption by default is on", "EBS encryption by default is off",
                  {"ebs_encryption_by_default": on})


@regional(id="aws.ebs.volume_encrypted", title="EBS volumes are encrypted", subject=EbsVolume,
          resource_type="aws.ebs.volume", facts=(EBS_VOLUMES,), severity=Severity.HIGH,
          rationale="An unencrypted volume exposes its data in snapshots, copies and on retired disks.",
          remediation="Snapshot the volume, copy the snapshot with encryption, and replace the volume with one "
                      "created from the encrypted copy.", **AT_REST)
def ebs_volume_encrypted(volume: EbsVolume, _params: Params) -> Verdict:
    return _judge(volume.encrypted, "The volume is encrypted", "The volume is not encrypted",
                  {"encrypted": volume.encrypted, "kms_key": volume.kms_key})


@regional(id="aws.ebs.snapshot_encrypted", title="EBS snapshots are encrypted and not public", subject=EbsSnapshot,
          resource_type="aws.ebs.snapshot", facts=(EBS_SNAPSHOTS,), severity=Severity.HIGH,
          rationale="A public snapshot can be copied by any AWS account; an unencrypted one exposes the disk image.",
          remediation="Remove public create-volume permission (`aws ec2 modify-snapshot-attribute ... --group-names "
                      "all --operation-type remove`) and replace unencrypted snapshots with encrypted copies.",
          **AT_REST)
def ebs_snapshot_encrypted(snapshot: EbsSnapshot, _params: Params) -> Verdict:
    public = require(snapshot.public)
    evidence = {"encrypted": snapshot.encrypted, "public": public}
    if public:
        return Verdict(Status.FAIL, "The snapshot is public: any AWS account can create a volume from it", evidence)
    return _judge(snapshot.encrypted, "The snapshot is encrypted and private", "The snapshot is not encrypted",
                  evidence)


@regional(id="aws.rds.storage_encrypted", title="RDS databases encrypt their storage", subject=RdsDatabase,
          resource_type="aws.rds.database", facts=(RDS,), severity=Severity.HIGH,
          rationale="RDS storage encryption covers the database, its backups, replicas and snapshots.",
          remediation="Encryption is set at creation: restore an encrypted copy of a snapshot into a new database.",
          parameters=(Parameter("require_customer_key", bool, False,
                                "whether an AWS managed key (aws/rds) fails: strict requires a customer key"),),
          **AT_REST)
def rds_storage_encrypted(database: RdsDatabase, params: Params) -> Verdict:
    evidence = {"encrypted": database.encrypted, "kms_key": database.kms_key, "kind": database.kind}
    if not database.encrypted:
        return Verdict(Status.FAIL, f"The DB {database.kind}'s storage is not encrypted", evidence)
    # TODO: tell AWS managed from customer keys by DescribeKey instead of by alias, as S3 does.
    if params.get("require_customer_key") and "alias/aws/" in (database.kms_key or "alias/aws/rds"):
        return Verdict(Status.FAIL, "Storage uses the AWS managed key aws/rds", evidence)
    return Verdict(Status.PASS, f"The DB {database.kind}'s storage is encrypted", evidence)


@regional(id="aws.rds.backup_retention", title="RDS databases keep automated backups long enough",
          subject=RdsDatabase, resource_type="aws.rds.database", facts=(RDS,), measure=Measure.BACKUP,
          outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE), articles=RESTORE, severity=Severity.MEDIUM,
          rationale="Automated backups allow point-in-time restore within the retention window.",
          remediation="`aws rds modify-db-instance --db-instance-identifier ID --backup-retention-period 7`.",
          parameters=(Parameter("min_days", int, 7, "shortest automated backup retention that passes, in days"),))
def rds_backup_retention(database: RdsDatabase, params: Params) -> Verdict:
    minimum = int(params.get("min_days", 7))
    days = database.backup_retention_days
    return _judge(days >= minimum, f"Automated backups are kept {days} days",
                  f"Automated backups are kept {days} days; at least {minimum} needed",
                  {"backup_retention_days": days, "min_days": minimum})


@regional(id="aws.rds.deletion_protection", title="RDS databases have deletion protection", subject=RdsDatabase,
          resource_type="aws.rds.database", facts=(RDS,), measure=Measure.BACKUP,
          outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE), articles=RESTORE, severity=Severity.MEDIUM,
          rationale="Deletion protection stops a mistaken or malicious delete of a whole database.",
          remediation="`aws rds modify-db-instance --db-instance-identifier ID --deletion-protection`.")
def rds_deletion_protection(database: RdsDatabase, _params: Params) -> Verdict:
    on = database.deletion_protection
    return _judge(on, "Deletion protection is on", "Deletion protection is off", {"deletion_protection": on})


@regional(id="aws.rds.tls_enforced", title="RDS databases accept only TLS connections", subject=RdsDatabase,
          resource_type="aws.rds.database", facts=(RDS, RDS_PARAMETERS), measure=Measure.TRANSPORT_SECURITY,
          outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
          articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION, Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE),
          severity=Severity.HIGH,
          rationale="Without rds.force_ssl or require_secure_transport, clients may send queries and results "
                    "in clear text.",
          remediation="Set rds.force_ssl=1 (PostgreSQL, SQL Server) or require_secure_transport=1 (MySQL, MariaDB) "
                      "in the DB's parameter group.")
def rds_tls_enforced(database: RdsDatabase, _params: Params) -> Verdict:
    parameters = require(database.tls_parameter)
    forced = any(parameters.get(name) == value for name, value in TLS_PARAMETERS.items())
    return _judge(forced, "The parameter group forces TLS", "The parameter group does not force TLS",
                  {"parameters": parameters, "engine": database.engine})


@regional(id="aws.dynamodb.point_in_time_recovery", title="DynamoDB tables have point-in-time recovery",
          subject=DynamoTable, resource_type="aws.dynamodb.table", facts=(DYNAMODB, DYNAMODB_PITR),
          measure=Measure.BACKUP, outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE, Outcome.INTEGRITY),
          articles=RESTORE, severity=Severity.MEDIUM,
          rationale="PITR restores a table to any second of the last 35 days after a bad write or delete.",
          remediation="`aws dynamodb update-continuous-backups --table-name NAME "
                      "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`.")
def dynamodb_pitr(table: DynamoTable, _params: Params) -> Verdict:
    on = require(table.point_in_time_recovery)
    return _judge(on, "Point-in-time recovery is on", "Point-in-time recovery is off", {"pitr": on})


@regional(id="aws.dynamodb.kms_encryption", title="DynamoDB tables encrypt with a KMS key", subject=DynamoTable,
          resource_type="aws.dynamodb.table", facts=(DYNAMODB,), severity=Severity.MEDIUM,
          rationale="Tables are always encrypted; with a KMS key, its policy and CloudTrail control and record "
                    "who may decrypt.",
          remediation="`aws dynamodb update-table --table-name NAME --sse-specification "
                      "Enabled=true,SSEType=KMS,KMSMasterKeyId=KEY`.", **AT_REST)
def dynamodb_kms(table: DynamoTable, _params: Params) -> Verdict:
    kms = table.sse_type == "KMS"
    return _judge(kms, "The table is encrypted with a KMS key", "The table uses the AWS owned key",
                  {"sse_type": table.sse_type, "kms_key": table.kms_key})


@regional(id="aws.efs.encrypted", title="EFS file systems are encrypted at rest", subject=EfsFileSystem,
          resource_type="aws.efs.file_system", facts=(EFS,), severity=Severity.HIGH,
          rationale="An unencrypted file system exposes every file on it to anyone with the underlying storage.",
          remediation="Encryption is set at creation: create an encrypted file system and copy the data (DataSync).",
          **AT_REST)
def efs_encrypted(file_system: EfsFileSystem, _params: Params) -> Verdict:
    return _judge(file_system.encrypted, "The file system is encrypted", "The file system is not encrypted",
                  {"encrypted": file_system.encrypted})


@regional(id="aws.kms.key_rotation", title="Customer-managed KMS keys rotate their key material",
          subject=KmsKeyInfo, resource_type="aws.kms.key", facts=(KMS,), measure=Measure.ENCRYPTION,
          outcomes=(Outcome.CONFIDENTIALITY,), articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION,),
          severity=Severity.LOW,
          rationale="Rotation limits how much data one key version protects, and what a leaked version exposes.",
          remediation="`aws kms enable-key-rotation --key-id KEY`.")
def kms_key_rotation(key: KmsKeyInfo, _params: Params) -> Verdict:
    evidence = {"manager": key.manager, "spec": key.spec, "origin": key.origin, "state": key.state}
    reason = None
    if key.manager != "CUSTOMER":
        reason = "AWS manages this key and rotates it"
    elif key.spec != "SYMMETRIC_DEFAULT" or key.usage == "GENERATE_VERIFY_MAC":
        reason = f"{key.spec} keys cannot rotate automatically"
    elif key.origin != "AWS_KMS":
        reason = "imported key material cannot rotate automatically"
    elif key.state != "Enabled":
        reason = f"the key is {key.state}"
    if reason:
        return Verdict(Status.NOT_APPLICABLE, f"Not applicable: {reason}", evidence)
    on = require(key.rotation)
    return _judge(on, "Automatic rotation is on", "Automatic rotation is off", {**evidence, "rotation": on})


CHECKS = (ebs_default_encryption, ebs_volume_encrypted, ebs_snapshot_encrypted, rds_storage_encrypted,
          rds_backup_retention, rds_deletion_protection, rds_tls_enforced, dynamodb_pitr, dynamodb_kms,
          efs_encrypted, kms_key_rotation)
