"""SSH checks of the sshd configuration and of the algorithms the server offers."""

from __future__ import annotations

import functools

from checks.ssh.facts import HANDSHAKE, SSHD, SshHost
from checks.ssh.sshd_config import SshdConfig, method_lists
from scanner.model import Article, Measure, Outcome, Severity, Status, Verdict
from scanner.plugin import Params, check, require
from scanner.policies import SshPolicy

PASSWORD_METHODS = frozenset({"password", "keyboard-interactive"})
PAM_SECOND_FACTORS = ("pam_google_authenticator", "pam_duo", "pam_u2f", "pam_oath")

ssh_check = functools.partial(
    check,
    subject=SshHost,
    resource_type="ssh.host",
    scope="host",
)
# The sshd_config checks protect the same outcomes and read the same fact.
sshd_check = functools.partial(
    ssh_check,
    facts=(SSHD,),
    measure=Measure.ACCESS_CONTROL,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=(Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,),
)


def _has_pam_second_factor(host: SshHost) -> bool:
    text = host.pam_sshd if isinstance(host.pam_sshd, str) else ""
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    return any(module in line for line in lines for module in PAM_SECOND_FACTORS)


def single_factor_methods(settings: dict[str, str], pam_second_factor: bool) -> list[str]:
    """Return the password-type methods that alone let a user log in under these settings."""
    enabled = set()
    if settings.get("passwordauthentication") == "yes":
        enabled.add("password")
    # Without PAM, keyboard-interactive has no backend on Linux. With a PAM second factor it
    # prompts for the code itself, so it is a second factor, not a single one.
    if settings.get("kbdinteractiveauthentication") == "yes" and settings.get("usepam") == "yes" \
            and not pam_second_factor:
        enabled.add("keyboard-interactive")

    lists = method_lists(settings.get("authenticationmethods", "any"))
    if not lists:
        return sorted(enabled)
    return sorted({m for entry in lists if len(entry) == 1 for m in entry if m.split(":")[0] in enabled})


def _scopes(config: SshdConfig) -> list[tuple[str, dict[str, str]]]:
    """Return the global settings and each Match block's effective settings, labelled."""
    global_settings = config.effective_global()
    return [("global", global_settings), *((f"Match {b.criteria}", config.effective(b)) for b in config.matches)]


@sshd_check(
    id="ssh.sshd.password_auth",
    title="sshd allows no password login without a second factor",
    severity=Severity.HIGH,
    rationale=(
        "Passwords alone are guessed, sprayed and reused; a host that accepts them exposes every "
        "account to brute force. Keys, or a password only after a key, close that path."
    ),
    remediation=(
        "Set `PasswordAuthentication no` and `KbdInteractiveAuthentication no`, or require a second "
        "method with `AuthenticationMethods publickey,password`; check every Match block too."
    ),
)
def password_auth(host: SshHost, _params: Params) -> Verdict:
    config = require(host.sshd)
    pam = _has_pam_second_factor(host)
    exposed = {label: methods for label, settings in _scopes(config)
               if (methods := single_factor_methods(settings, pam))}
    evidence = {"single_factor": exposed, "match_blocks": len(config.matches)}
    if exposed:
        where = ", ".join(f"{label} ({', '.join(methods)})" for label, methods in exposed.items())
        return Verdict(Status.FAIL, f"Password login without a second factor is allowed: {where}", evidence)
    return Verdict(Status.PASS, "No password-type login is allowed on its own", evidence)


@sshd_check(
    id="ssh.sshd.root_login",
    title="sshd does not allow root to log in with a password",
    severity=Severity.HIGH,
    rationale=(
        "`PermitRootLogin yes` lets anyone who guesses root's password own the host, with no "
        "named account in the logs to show who did what."
    ),
    remediation="Set `PermitRootLogin no` (or `prohibit-password`) globally and in every Match block.",
)
def root_login(host: SshHost, _params: Params) -> Verdict:
    config = require(host.sshd)
    allowing = [label for label, settings in _scopes(config) if settings.get("permitrootlogin") == "yes"]
    evidence = {"permit_root_login": config.value("permitrootlogin"), "allowed_in": allowing}
    if allowing:
        return Verdict(Status.FAIL, f"PermitRootLogin yes in {', '.join(allowing)}", evidence)
    return Verdict(Status.PASS, f"PermitRootLogin is {config.value('permitrootlogin')}", evidence)


@sshd_check(
    id="ssh.sshd.mfa",
    title="sshd requires a second factor",
    severity=Severity.MEDIUM,
    rationale=(
        "A stolen key or password is enough to log in unless a second, independent factor is "
        "required: two methods in AuthenticationMethods, or a PAM one-time-code module."
    ),
    remediation=(
        "Set `AuthenticationMethods publickey,keyboard-interactive` with a PAM module such as "
        "pam_google_authenticator or pam_u2f, or `publickey,password`. Exempt service accounts in a "
        "Match block only where a key alone is accepted by design."
    ),
)
def mfa(host: SshHost, _params: Params) -> Verdict:
    config = require(host.sshd)
    lists = method_lists(config.value("authenticationmethods"))
    two_methods = bool(lists) and all(len(entry) >= 2 for entry in lists)
    pam = _has_pam_second_factor(host) and config.value("usepam") == "yes" \
        and config.value("kbdinteractiveauthentication") == "yes"
    exemptions = [f"Match {b.criteria}" for b in config.matches
                  if "authenticationmethods" in b.settings
                  and not all(len(e) >= 2 for e in method_lists(b.settings["authenticationmethods"].lower()))]
    evidence = {"authentication_methods": config.value("authenticationmethods"), "pam_second_factor": pam,
                "exemptions": exemptions}
    if two_methods:
        return Verdict(Status.PASS, "AuthenticationMethods requires two methods", evidence)
    if pam:
        return Verdict(Status.PASS, "keyboard-interactive asks for a PAM second factor", evidence)
    return Verdict(Status.FAIL, "No second factor is required for SSH login", evidence)


@ssh_check(
    id="ssh.sshd.algorithms",
    title="sshd offers only key exchange, host key, cipher and MAC algorithms the SSH policy allows",
    facts=(HANDSHAKE,),
    measure=Measure.TRANSPORT_SECURITY,
    outcomes=(Outcome.CONFIDENTIALITY, Outcome.INTEGRITY),
    articles=(Article.PSEUDONYMISATION_AND_ENCRYPTION, Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE),
    severity=Severity.MEDIUM,
    rationale=(
        "SHA-1 key exchange and MACs, small DH groups, CBC ciphers and ssh-rsa signatures are "
        "weak or broken; a client that still offers them can be downgraded to them."
    ),
    remediation=(
        "Restrict KexAlgorithms, HostKeyAlgorithms, Ciphers and MACs to the policy's lists, as "
        "ssh-audit's hardening guides show."
    ),
    uses_ssh_policy=True,
)
def algorithms(host: SshHost, params: Params) -> Verdict:
    policy = params["ssh_policy"]
    assert isinstance(policy, SshPolicy)
    offered = require(host.algorithms)
    outside = {
        "kex": [a for a in offered.kex if a not in policy.kex],
        "host_keys": [a for a in offered.host_keys if a not in policy.host_keys],
        "ciphers": [a for a in offered.ciphers if a not in policy.ciphers],
        "macs": [a for a in offered.macs if a not in policy.macs],
    }
    outside = {kind: names for kind, names in outside.items() if names}
    evidence = {"banner": offered.banner, "outside_policy": outside, "ssh_policy": policy.name}
    if outside:
        names = [name for group in outside.values() for name in group]
        return Verdict(Status.FAIL, f"Offers {len(names)} algorithms outside {policy.name}: {', '.join(names[:4])}",
                       evidence)
    return Verdict(Status.PASS, f"Every offered algorithm is allowed by {policy.name}", evidence)


CHECKS = (password_auth, root_login, mfa, algorithms)
