"""AWS Backup plans and vault locks, and TLS where AWS terminates it: load balancers and CloudFront."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from checks.aws.errors import call
from checks.aws.regional_facts import pages
from scanner.model import Article, Measure, Outcome, Resource, Severity, Status, Verdict
from scanner.plugin import CollectError, FactSpec, Params, check, require
from scanner.policies import Protocol, TlsPolicy

BACKUP = FactSpec("aws.backup", ("backup:ListBackupPlans", "backup:GetBackupPlan", "backup:ListBackupVaults"))
LISTENERS = FactSpec("aws.elb.listeners", (
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeLoadBalancerPolicies"))
DISTRIBUTIONS = FactSpec("aws.cloudfront.distributions", ("cloudfront:ListDistributions",
                                                          "cloudfront:GetDistribution"))

ELB_PROTOCOLS = {"SSLv3": Protocol.SSL_3_0, "TLSv1": Protocol.TLS_1_0, "TLSv1.1": Protocol.TLS_1_1,
                 "TLSv1.2": Protocol.TLS_1_2, "TLSv1.3": Protocol.TLS_1_3}
TRANSIT = (Article.PSEUDONYMISATION_AND_ENCRYPTION, Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE)
RESTORE = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE, Article.RESTORE_AVAILABILITY)


@dataclass(frozen=True)
class BackupRegion:
    resource: Resource
    plans_with_rules: tuple[str, ...]


@dataclass(frozen=True)
class BackupVault:
    resource: Resource
    locked: bool


@dataclass(frozen=True)
class Listener:
    """A load balancer listener; `protocols` are those its security policy allows, if it has one."""

    resource: Resource
    protocol: str
    policy: str | None
    protocols: tuple[str, ...] | CollectError
    redirects_to_https: bool


@dataclass(frozen=True)
class Distribution:
    resource: Resource
    viewer_protocol_policies: tuple[str, ...]
    minimum_protocol_version: str


def collect_backup(client: Any, account: str, region: str) -> list[Any]:
    plans = []
    for item in pages(client, "list_backup_plans", "BackupPlansList"):
        plan = client.get_backup_plan(BackupPlanId=item["BackupPlanId"])["BackupPlan"]
        if plan.get("Rules"):
            plans.append(plan.get("BackupPlanName", item["BackupPlanId"]))
    region_resource = Resource("aws", "aws.region", f"aws://{account}/{region}", account=account, region=region)
    vaults = [BackupVault(Resource("aws", "aws.backup.vault", v["BackupVaultArn"], account=account, region=region),
                          bool(v.get("Locked")))
              for v in pages(client, "list_backup_vaults", "BackupVaultList")]
    return [BackupRegion(region_resource, tuple(plans)), *vaults]


def collect_listeners(elbv2: Any, elb: Any, account: str, region: str) -> list[Listener]:
    policies: dict[str, tuple[str, ...] | CollectError] = {}

    def protocols_of(name: str) -> tuple[str, ...] | CollectError:
        if name not in policies:
            policies[name] = call(lambda: tuple(elbv2.describe_ssl_policies(Names=[name])["SslPolicies"][0]
                                                .get("SslProtocols", [])), "elasticloadbalancing:DescribeSSLPolicies")
        return policies[name]

    listeners: list[Listener] = []
    for balancer in pages(elbv2, "describe_load_balancers", "LoadBalancers"):
        for item in pages(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=balancer["LoadBalancerArn"]):
            # moto reports a policy on HTTP listeners too; only HTTPS and TLS listeners use one.
            policy = item.get("SslPolicy") if item.get("Protocol") in ("HTTPS", "TLS") else None
            redirect = any(a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
                           for a in item.get("DefaultActions", []))
            listeners.append(Listener(
                Resource("aws", "aws.elb.listener", item["ListenerArn"], account=account, region=region,
                         name=f"{balancer.get('LoadBalancerName')}:{item.get('Port')}"),
                item.get("Protocol", ""), policy, protocols_of(policy) if policy else (), redirect))
    for balancer in pages(elb, "describe_load_balancers", "LoadBalancerDescriptions"):
        name = balancer["LoadBalancerName"]
        arn = f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/{name}"
        protocols = call(lambda name=name: _classic_protocols(elb, name),  # type: ignore[misc]
                         "elasticloadbalancing:DescribeLoadBalancerPolicies")
        for description in balancer.get("ListenerDescriptions", []):
            listener = description["Listener"]
            secure = listener.get("Protocol", "").upper() in ("HTTPS", "SSL")
            listeners.append(Listener(
                Resource("aws", "aws.elb.listener", f"{arn}:{listener.get('LoadBalancerPort')}", account=account,
                         region=region, name=f"{name}:{listener.get('LoadBalancerPort')}"),
                listener.get("Protocol", "").upper(), "classic" if secure else None,
                protocols if secure else (), False))
    return listeners


def _classic_protocols(elb: Any, name: str) -> tuple[str, ...]:
    """Return the protocols a classic load balancer's SSL negotiation policy enables."""
    enabled = []
    for policy in elb.describe_load_balancer_policies(LoadBalancerName=name).get("PolicyDescriptions", []):
        for attribute in policy.get("PolicyAttributeDescriptions", []):
            key = attribute.get("AttributeName", "")
            if key.startswith("Protocol-") and attribute.get("AttributeValue") == "true":
                enabled.append(key.removeprefix("Protocol-"))
    # Without a negotiation policy, AWS applies its default policy, which allows TLS 1.0 to 1.2.
    return tuple(enabled) if enabled else ("TLSv1", "TLSv1.1", "TLSv1.2")


def collect_distributions(client: Any, account: str) -> list[Distribution]:
    items = client.list_distributions().get("DistributionList", {}).get("Items", []) or []
    distributions = []
    for summary in items:
        item = summary
        if not summary.get("DefaultCacheBehavior"):
            # Real summaries carry the settings; an endpoint that leaves them out (moto 5.2) is asked
            # for the distribution's configuration.
            item = {**summary, **client.get_distribution(Id=summary["Id"])["Distribution"]["DistributionConfig"]}
        behaviours = [item.get("DefaultCacheBehavior", {}), *((item.get("CacheBehaviors") or {}).get("Items") or [])]
        certificate = item.get("ViewerCertificate") or {}
        distributions.append(Distribution(
            Resource("aws", "aws.cloudfront.distribution", item["ARN"], account=account,
                     name=item.get("Comment") or item.get("DomainName")),
            tuple(b.get("ViewerProtocolPolicy", "allow-all") for b in behaviours),
            certificate.get("MinimumProtocolVersion", "TLSv1")))
    return distributions


@functools.cache
def cloudfront_policies() -> dict[str, list[str]]:
    """Return CloudFront's named security policies and the protocols each allows."""
    text = (resources.files("scanner.profiles") / "tls" / "cloud" / "cloudfront.yaml").read_text()
    data = yaml.safe_load(text)
    return {name: list(entry["protocols"]) for name, entry in data["policies"].items()}


def _policy(params: Params) -> TlsPolicy:
    policy = params["tls_policy"]
    assert isinstance(policy, TlsPolicy)
    return policy


@check(id="aws.backup.plan_exists", title="AWS Backup has a plan with a rule in each region", subject=BackupRegion,
       resource_type="aws.region", facts=(BACKUP,), scope="regional", measure=Measure.BACKUP,
       outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE), articles=RESTORE, severity=Severity.MEDIUM,
       rationale="A backup plan with a rule makes backups happen on a schedule, kept apart from the resources.",
       remediation="Create a backup plan with a daily rule and assign resources to it (`aws backup "
                   "create-backup-plan`).")
def backup_plan_exists(region: BackupRegion, _params: Params) -> Verdict:
    evidence = {"plans_with_rules": list(region.plans_with_rules)}
    if region.plans_with_rules:
        return Verdict(Status.PASS, f"Backup plan {region.plans_with_rules[0]} has a rule", evidence)
    return Verdict(Status.FAIL, "No backup plan with a rule in this region", evidence)


@check(id="aws.backup.vault_lock", title="AWS Backup vaults are locked", subject=BackupVault,
       resource_type="aws.backup.vault", facts=(BACKUP,), scope="regional", measure=Measure.BACKUP,
       outcomes=(Outcome.INTEGRITY, Outcome.AVAILABILITY, Outcome.RESILIENCE), articles=RESTORE,
       severity=Severity.MEDIUM,
       rationale="Vault Lock stops anyone, an intruder with admin rights included, from deleting recovery points "
                 "early.",
       remediation="`aws backup put-backup-vault-lock-configuration --backup-vault-name NAME --min-retention-days 7`.")
def backup_vault_lock(vault: BackupVault, _params: Params) -> Verdict:
    if vault.locked:
        return Verdict(Status.PASS, "The vault is locked", {"locked": True})
    return Verdict(Status.FAIL, "The vault is not locked", {"locked": False})


@check(id="aws.elb.tls_policy", title="Load balancer listeners allow only protocols the TLS policy allows",
       subject=Listener, resource_type="aws.elb.listener", facts=(LISTENERS,), scope="regional",
       measure=Measure.TRANSPORT_SECURITY, outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), articles=TRANSIT,
       severity=Severity.HIGH, uses_tls_policy=True,
       rationale="A listener's security policy decides the protocols clients may use; older policies still allow "
                 "TLS 1.0 and 1.1. The protocols are read from the policy itself (DescribeSSLPolicies), never "
                 "guessed from its name.",
       remediation="Switch the listener to a policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.")
def elb_tls_policy(listener: Listener, params: Params) -> Verdict:
    policy = _policy(params)
    if listener.policy is None:
        return Verdict(Status.NOT_APPLICABLE, f"{listener.protocol} listener: no TLS", {"protocol": listener.protocol})
    protocols = require(listener.protocols)
    allowed = {p.value for p in policy.protocols}
    outside = [p for p in protocols if ELB_PROTOCOLS.get(p, Protocol.SSL_2_0).value not in allowed]
    evidence = {"security_policy": listener.policy, "protocols": list(protocols), "tls_policy": policy.name}
    if outside:
        return Verdict(Status.FAIL, f"Policy {listener.policy} allows {', '.join(outside)}", evidence)
    return Verdict(Status.PASS, f"Policy {listener.policy} allows only {', '.join(protocols)}", evidence)


@check(id="aws.elb.https_only", title="Load balancers serve no content over plain HTTP", subject=Listener,
       resource_type="aws.elb.listener", facts=(LISTENERS,), scope="regional", measure=Measure.TRANSPORT_SECURITY,
       outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), articles=TRANSIT, severity=Severity.HIGH,
       rationale="An HTTP listener that forwards requests sends personal data unencrypted; one that redirects to "
                 "HTTPS does not.",
       remediation="Make the HTTP listener's default action a redirect to HTTPS (status 301).")
def elb_https_only(listener: Listener, _params: Params) -> Verdict:
    evidence = {"protocol": listener.protocol, "redirects_to_https": listener.redirects_to_https}
    if listener.protocol.upper() != "HTTP":
        return Verdict(Status.NOT_APPLICABLE, f"{listener.protocol} listener", evidence)
    if listener.redirects_to_https:
        return Verdict(Status.PASS, "The HTTP listener redirects to HTTPS", evidence)
    return Verdict(Status.FAIL, "The HTTP listener serves content without TLS", evidence)


@check(id="aws.cloudfront.tls_policy", title="CloudFront requires HTTPS with a protocol the TLS policy allows",
       subject=Distribution, resource_type="aws.cloudfront.distribution", facts=(DISTRIBUTIONS,),
       measure=Measure.TRANSPORT_SECURITY, outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY), articles=TRANSIT,
       severity=Severity.HIGH, uses_tls_policy=True,
       rationale="Viewers reach CloudFront over HTTP unless every behaviour redirects or requires HTTPS, and the "
                 "minimum protocol version names a policy whose protocols are mapped in data.",
       remediation="Set ViewerProtocolPolicy to redirect-to-https and MinimumProtocolVersion to TLSv1.2_2021 or newer.")
def cloudfront_tls_policy(distribution: Distribution, params: Params) -> Verdict:
    policy = _policy(params)
    named = cloudfront_policies().get(distribution.minimum_protocol_version)
    evidence = {"viewer_protocol_policies": list(distribution.viewer_protocol_policies),
                "minimum_protocol_version": distribution.minimum_protocol_version, "protocols": named,
                "tls_policy": policy.name}
    if "allow-all" in distribution.viewer_protocol_policies:
        return Verdict(Status.FAIL, "A cache behaviour allows plain HTTP", evidence)
    if named is None:
        return Verdict(Status.ERROR, f"Unknown CloudFront policy {distribution.minimum_protocol_version}", evidence)
    allowed = {p.value for p in policy.protocols}
    outside = [p for p in named if p not in allowed]
    if outside:
        return Verdict(Status.FAIL, f"{distribution.minimum_protocol_version} allows {', '.join(outside)}", evidence)
    return Verdict(Status.PASS, f"HTTPS only, with {distribution.minimum_protocol_version}", evidence)


CHECKS = (backup_plan_exists, backup_vault_lock, elb_tls_policy, elb_https_only, cloudfront_tls_policy)
