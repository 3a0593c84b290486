"""The lab's AWS resources beyond S3, and the verdict each check must give them.

Resources are found by their Name tag, KMS alias or identifier, because moto picks
random ids. `EXPECTED` maps (label, check id) to the status under `baseline`;
`STRICT_CHANGES` lists where `strict` differs.
"""

from __future__ import annotations

from typing import Any

from scanner.lab.aws import LAB_ACCOUNT, LAB_REGION

TRAIL_BUCKET = "art32-lab-trail-logs"
OLD_KEY_USER = "art32-lab-old-key"


def seed_estate(session: Any, endpoint_url: str, kms_key_arn: str) -> None:
    """Create the resources with the lab's own clients, which may write."""
    def client(service: str, region: str = LAB_REGION) -> Any:
        return session.client(service, endpoint_url=endpoint_url, region_name=region)

    ec2 = client("ec2")
    ec2.enable_ebs_encryption_by_default()
    for name, encrypted in (("art32-lab-volume-encrypted", True), ("art32-lab-volume-plain", False)):
        ec2.create_volume(AvailabilityZone=f"{LAB_REGION}a", Size=1, Encrypted=encrypted,
                          TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}])
    plain = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["art32-lab-volume-plain"]}])["Volumes"][0]
    for name, public in (("art32-lab-snapshot-private", False), ("art32-lab-snapshot-public", True)):
        snapshot = ec2.create_snapshot(VolumeId=plain["VolumeId"], TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": name}]}])
        if public:
            ec2.modify_snapshot_attribute(SnapshotId=snapshot["SnapshotId"], Attribute="createVolumePermission",
                                          OperationType="add", GroupNames=["all"])

    rds = client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="art32-lab-tls", DBParameterGroupFamily="postgres15",
                                  Description="forces TLS")
    rds.modify_db_parameter_group(DBParameterGroupName="art32-lab-tls", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    rds.create_db_parameter_group(DBParameterGroupName="art32-lab-plain", DBParameterGroupFamily="postgres15",
                                  Description="leaves TLS optional")
    for name, good in (("art32-lab-db-good", True), ("art32-lab-db-weak", False)):
        settings: dict[str, Any] = {
            "StorageEncrypted": good, "BackupRetentionPeriod": 14 if good else 1, "DeletionProtection": good,
            "DBParameterGroupName": "art32-lab-tls" if good else "art32-lab-plain",
        }
        if good:
            settings["KmsKeyId"] = kms_key_arn
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                               MasterUsername="lab", MasterUserPassword="lab-password-not-secret",
                               AllocatedStorage=20, **settings)

    dynamodb = client("dynamodb")
    for name, kms, pitr in (("art32-lab-table-good", True, True), ("art32-lab-table-weak", False, False)):
        extra: dict[str, Any] = {"SSESpecification": {"Enabled": True, "SSEType": "KMS",
                                                      "KMSMasterKeyId": kms_key_arn}} if kms else {}
        dynamodb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST", **extra)
        if pitr:
            dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})

    efs = client("efs")
    for name, encrypted in (("art32-lab-efs-encrypted", True), ("art32-lab-efs-plain", False)):
        efs.create_file_system(CreationToken=name, Encrypted=encrypted, Tags=[{"Key": "Name", "Value": name}])

    kms = client("kms")
    rotating = kms.create_key(Description="art32 lab rotating key")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating)
    kms.create_alias(AliasName="alias/art32-lab-rotating", TargetKeyId=rotating)
    kms.create_alias(AliasName="alias/art32-lab-customer", TargetKeyId=kms_key_arn.split("/")[-1])
    asymmetric = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/art32-lab-signing", TargetKeyId=asymmetric)

    iam = client("iam", "us-east-1")
    iam.create_user(UserName="art32-lab-console-mfa")
    iam.create_login_profile(UserName="art32-lab-console-mfa", Password="Lab-Password-1-not-secret")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="art32-lab")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="art32-lab-console-mfa", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.create_user(UserName="art32-lab-console-no-mfa")
    iam.create_login_profile(UserName="art32-lab-console-no-mfa", Password="Lab-Password-2-not-secret")
    iam.create_user(UserName=OLD_KEY_USER)
    iam.create_access_key(UserName=OLD_KEY_USER)

    backup = client("backup")
    backup.create_backup_vault(BackupVaultName="art32-lab-vault-locked")
    backup.put_backup_vault_lock_configuration(BackupVaultName="art32-lab-vault-locked", MinRetentionDays=7)
    backup.create_backup_vault(BackupVaultName="art32-lab-vault-open")
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "art32-lab-daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "art32-lab-vault-locked"}]})

    _seed_load_balancers(client)
    _seed_cloudfront(client("cloudfront", "us-east-1"))

    trails = client("cloudtrail")
    trails.create_trail(Name="art32-lab-trail", S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True,
                        EnableLogFileValidation=True)
    trails.start_logging(Name="art32-lab-trail")


def _seed_load_balancers(client: Any) -> None:
    import tempfile
    from pathlib import Path

    from scanner.lab.certs import LabCA

    ec2, elbv2 = client("ec2"), client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24",
                                 AvailabilityZone=f"{LAB_REGION}{zone}")["Subnet"]["SubnetId"]
               for i, zone in ((1, "a"), (2, "b"))]
    balancer = elbv2.create_load_balancer(Name="art32-lab-alb", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="art32-lab-targets", Protocol="HTTP", Port=80,
                                      VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    with tempfile.TemporaryDirectory() as folder:
        issued = LabCA(Path(folder), "art32-lab-acm").issue("alb")
        certificate = client("acm").import_certificate(
            Certificate=issued.cert.read_bytes(), PrivateKey=issued.key.read_bytes(),
            CertificateChain=(Path(folder) / "art32-lab-acm-ca.pem").read_bytes())["CertificateArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                        "StatusCode": "HTTP_301"}}]
    for port, protocol, policy, actions in ((443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06", forward),
                                            (8443, "HTTPS", "ELBSecurityPolicy-2016-08", forward),
                                            (80, "HTTP", None, redirect), (8080, "HTTP", None, forward)):
        settings: dict[str, Any] = {"Certificates": [{"CertificateArn": certificate}], "SslPolicy": policy} \
            if policy else {}
        elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol=protocol, Port=port,
                              DefaultActions=actions, **settings)
    client("elb").create_load_balancer(
        LoadBalancerName="art32-lab-classic", AvailabilityZones=[f"{LAB_REGION}a"],
        Listeners=[{"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP", "InstancePort": 80,
                    "SSLCertificateId": certificate}])


def _seed_cloudfront(cloudfront: Any) -> None:
    for name, viewer, minimum in (("art32-lab-cdn-good", "redirect-to-https", "TLSv1.2_2021"),
                                  ("art32-lab-cdn-weak", "allow-all", "TLSv1")):
        cloudfront.create_distribution(DistributionConfig={
            "CallerReference": name, "Comment": name, "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": f"{name}.example.com",
                                                   "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                                          "OriginProtocolPolicy": "https-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": viewer,
                                     "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                     "MinTTL": 0},
            "ViewerCertificate": {"CloudFrontDefaultCertificate": False, "MinimumProtocolVersion": minimum,
                                  "ACMCertificateArn": f"arn:aws:acm:us-east-1:{LAB_ACCOUNT}:certificate/lab",
                                  "SSLSupportMethod": "sni-only"},
        })


def _arn(service: str, path: str) -> str:
    return f"arn:aws:{service}:{LAB_REGION}:{LAB_ACCOUNT}:{path}"


ACCOUNT = f"aws://{LAB_ACCOUNT}"
EXPECTED: dict[tuple[str, str], str] = {
    (f"aws://{LAB_ACCOUNT}/{LAB_REGION}", "aws.ebs.default_encryption"): "pass",
    ("art32-lab-volume-encrypted", "aws.ebs.volume_encrypted"): "pass",
    ("art32-lab-volume-plain", "aws.ebs.volume_encrypted"): "fail",
    ("art32-lab-snapshot-private", "aws.ebs.snapshot_encrypted"): "fail",
    ("art32-lab-snapshot-public", "aws.ebs.snapshot_encrypted"): "fail",
    (_arn("rds", "db:art32-lab-db-good"), "aws.rds.storage_encrypted"): "pass",
    (_arn("rds", "db:art32-lab-db-weak"), "aws.rds.storage_encrypted"): "fail",
    (_arn("rds", "db:art32-lab-db-good"), "aws.rds.backup_retention"): "pass",
    (_arn("rds", "db:art32-lab-db-weak"), "aws.rds.backup_retention"): "fail",
    (_arn("rds", "db:art32-lab-db-good"), "aws.rds.deletion_protection"): "pass",
    (_arn("rds", "db:art32-lab-db-weak"), "aws.rds.deletion_protection"): "fail",
    (_arn("rds", "db:art32-lab-db-good"), "aws.rds.tls_enforced"): "pass",
    (_arn("rds", "db:art32-lab-db-weak"), "aws.rds.tls_enforced"): "fail",
    (_arn("dynamodb", "table/art32-lab-table-good"), "aws.dynamodb.point_in_time_recovery"): "pass",
    (_arn("dynamodb", "table/art32-lab-table-weak"), "aws.dynamodb.point_in_time_recovery"): "fail",
    ("art32-lab-efs-encrypted", "aws.efs.encrypted"): "pass",
    ("art32-lab-efs-plain", "aws.efs.encrypted"): "fail",
    ("alias/art32-lab-rotating", "aws.kms.key_rotation"): "pass",
    ("alias/art32-lab-customer", "aws.kms.key_rotation"): "fail",
    ("alias/art32-lab-signing", "aws.kms.key_rotation"): "not_applicable",
    # Created by moto for EBS encryption by default: an AWS managed key.
    ("alias/aws/ebs", "aws.kms.key_rotation"): "not_applicable",
    (ACCOUNT, "aws.iam.root_mfa"): "fail",
    (f"arn:aws:iam::{LAB_ACCOUNT}:user/art32-lab-console-mfa", "aws.iam.console_user_mfa"): "pass",
    (f"arn:aws:iam::{LAB_ACCOUNT}:user/art32-lab-console-no-mfa", "aws.iam.console_user_mfa"): "fail",
    (f"arn:aws:iam::{LAB_ACCOUNT}:user/{OLD_KEY_USER}", "aws.iam.console_user_mfa"): "not_applicable",
    (f"arn:aws:iam::{LAB_ACCOUNT}:user/art32-lab-console-mfa", "aws.iam.access_key_rotation"): "not_applicable",
    (f"arn:aws:iam::{LAB_ACCOUNT}:user/art32-lab-console-no-mfa", "aws.iam.access_key_rotation"): "not_applicable",
    # A key made today is young; its failing case is tested on facts.
    (f"arn:aws:iam::{LAB_ACCOUNT}:user/{OLD_KEY_USER}", "aws.iam.access_key_rotation"): "pass",
    (ACCOUNT, "aws.cloudtrail.multi_region"): "pass",
    (ACCOUNT, "aws.cloudtrail.log_validation"): "pass",
    (ACCOUNT, "aws.cloudtrail.kms_encryption"): "fail",
    (f"aws://{LAB_ACCOUNT}/{LAB_REGION}", "aws.backup.plan_exists"): "pass",
    (_arn("backup", "backup-vault:art32-lab-vault-locked"), "aws.backup.vault_lock"): "pass",
    (_arn("backup", "backup-vault:art32-lab-vault-open"), "aws.backup.vault_lock"): "fail",
    ("art32-lab-alb:443", "aws.elb.tls_policy"): "pass",
    ("art32-lab-alb:8443", "aws.elb.tls_policy"): "fail",
    ("art32-lab-alb:80", "aws.elb.tls_policy"): "not_applicable",
    ("art32-lab-alb:8080", "aws.elb.tls_policy"): "not_applicable",
    ("art32-lab-classic:443", "aws.elb.tls_policy"): "fail",
    ("art32-lab-alb:443", "aws.elb.https_only"): "not_applicable",
    ("art32-lab-alb:8443", "aws.elb.https_only"): "not_applicable",
    ("art32-lab-alb:80", "aws.elb.https_only"): "pass",
    ("art32-lab-alb:8080", "aws.elb.https_only"): "fail",
    ("art32-lab-classic:443", "aws.elb.https_only"): "not_applicable",
    ("art32-lab-cdn-good", "aws.cloudfront.tls_policy"): "pass",
    ("art32-lab-cdn-weak", "aws.cloudfront.tls_policy"): "fail",
}
BASELINE_EXCLUDED = ("aws.dynamodb.kms_encryption",)
# Strict judges by Mozilla modern, TLS 1.3 only: policies that allow TLS 1.2 fail there.
STRICT_EXTRA: dict[tuple[str, str], str] = {
    ("art32-lab-alb:443", "aws.elb.tls_policy"): "fail",
    ("art32-lab-cdn-good", "aws.cloudfront.tls_policy"): "fail",
    (_arn("dynamodb", "table/art32-lab-table-good"), "aws.dynamodb.kms_encryption"): "pass",
    (_arn("dynamodb", "table/art32-lab-table-weak"), "aws.dynamodb.kms_encryption"): "fail",
}
