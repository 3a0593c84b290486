"""Microsoft Entra ID checks: MFA for every sign-in, and for privileged roles."""

from __future__ import annotations

from checks.azure.facts import ENTRA_POLICIES, ConditionalAccessPolicy, EntraRole, EntraTenant
from scanner.model import Article, Measure, Outcome, Severity, Status, Verdict
from scanner.plugin import Params, check, require

ACCESS = (Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,)


def _all_users_mfa(policy: ConditionalAccessPolicy) -> bool:
    return (policy.state == "enabled" and policy.requires_mfa and "All" in policy.include_users
            and "All" in policy.include_applications)


@check(
    id="azure.entra.mfa_enforced",
    title="Entra ID requires MFA for every user's sign-in",
    subject=EntraTenant,
    resource_type="azure.entra.tenant",
    facts=(ENTRA_POLICIES,),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=ACCESS,
    severity=Severity.HIGH,
    rationale=(
        "Phished and reused passwords are the most common way into cloud tenants; MFA on every "
        "sign-in, by security defaults or a conditional access policy, stops them."
    ),
    remediation=(
        "Enable security defaults, or an enabled conditional access policy for all users and all "
        "cloud apps that grants access only with MFA; keep break-glass exclusions few and monitored."
    ),
)
def mfa_enforced(tenant: EntraTenant, _params: Params) -> Verdict:
    defaults = require(tenant.security_defaults)
    policies = require(tenant.policies)
    covering = [p for p in policies if _all_users_mfa(p)]
    evidence = {"security_defaults": defaults, "covering_policies": [p.name for p in covering],
                "excluded_users": sorted({u for p in covering for u in p.exclude_users}),
                "report_only": [p.name for p in policies if p.state == "enabledForReportingButNotEnforced"]}
    if defaults:
        return Verdict(Status.PASS, "Security defaults require MFA", evidence)
    if covering:
        return Verdict(Status.PASS, f"Conditional access policy {covering[0].name!r} requires MFA for all users",
                       evidence)
    return Verdict(Status.FAIL, "Neither security defaults nor an enabled all-users MFA policy", evidence)


@check(
    id="azure.entra.admin_mfa",
    title="Entra ID requires MFA for each privileged directory role",
    subject=EntraRole,
    resource_type="azure.entra.role",
    facts=(ENTRA_POLICIES,),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY, Outcome.AVAILABILITY),
    articles=ACCESS,
    severity=Severity.CRITICAL,
    rationale="A privileged role controls the whole tenant, every mailbox and file of every data subject in it.",
    remediation="Cover the role with security defaults, an all-users MFA policy, or a conditional access policy "
                "that includes the role and requires MFA.",
)
def admin_mfa(role: EntraRole, _params: Params) -> Verdict:
    defaults = require(role.tenant.security_defaults)
    policies = require(role.tenant.policies)
    covering = [p.name for p in policies if _all_users_mfa(p) or (
        p.state == "enabled" and p.requires_mfa and role.role_template_id in p.include_roles)]
    evidence = {"role": role.role_name, "security_defaults": defaults, "covering_policies": covering}
    if defaults:
        return Verdict(Status.PASS, f"Security defaults require MFA for {role.role_name}", evidence)
    if covering:
        return Verdict(Status.PASS, f"{covering[0]!r} requires MFA for {role.role_name}", evidence)
    return Verdict(Status.FAIL, f"No enabled policy requires MFA for {role.role_name}", evidence)


CHECKS = (mfa_enforced, admin_mfa)
