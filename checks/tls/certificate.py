"""TLS checks of the server's certificate chain."""

from __future__ import annotations

import datetime
import ipaddress

from checks.tls.facts import CERTIFICATE, Certificate, CertificateFacts, TlsEndpoint
from checks.tls.protocol import IN_TRANSIT, policy_of, tls_check
from scanner.model import Outcome, Parameter, Severity, Status, Verdict
from scanner.plugin import Params, require

WEAK_HASHES = frozenset({"md5", "sha1"})
_RENEW = "Renew the certificate before it expires, ideally automatically (ACME)."


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _leaf_evidence(facts: CertificateFacts) -> dict[str, object]:
    leaf = facts.leaf
    return {"subject": leaf.subject, "issuer": leaf.issuer,
            "not_before": leaf.not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "not_after": leaf.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")}


@tls_check(
    id="tls.cert.expired",
    title="TLS certificates are within their validity period",
    facts=(CERTIFICATE,),
    outcomes=(*IN_TRANSIT, Outcome.AVAILABILITY),
    severity=Severity.HIGH,
    rationale=(
        "Clients reject an expired or not yet valid certificate, or teach users to click "
        "through warnings, which is how interception goes unnoticed."
    ),
    remediation=_RENEW,
)
def cert_expired(endpoint: TlsEndpoint, _params: Params) -> Verdict:
    facts = require(endpoint.certificate)
    leaf, now = facts.leaf, _now()
    evidence = _leaf_evidence(facts)
    if leaf.not_after < now:
        return Verdict(Status.FAIL, f"The certificate expired on {leaf.not_after:%Y-%m-%d}", evidence)
    if leaf.not_before > now:
        return Verdict(Status.FAIL, f"The certificate is not valid before {leaf.not_before:%Y-%m-%d}", evidence)
    return Verdict(Status.PASS, f"The certificate is valid until {leaf.not_after:%Y-%m-%d}", evidence)


@tls_check(
    id="tls.cert.expiring",
    title="TLS certificates are renewed well before they expire",
    facts=(CERTIFICATE,),
    outcomes=(Outcome.AVAILABILITY, Outcome.RESILIENCE),
    severity=Severity.MEDIUM,
    rationale="A certificate close to its end date is an outage in waiting if renewal has stalled.",
    remediation=_RENEW,
    parameters=(Parameter("warn_days", int, 30, "days before expiry from which the check fails"),),
)
def cert_expiring(endpoint: TlsEndpoint, params: Params) -> Verdict:
    facts = require(endpoint.certificate)
    warn_days = int(params.get("warn_days", 30))
    remaining = facts.leaf.not_after - _now()
    evidence = {**_leaf_evidence(facts), "days_left": remaining.days, "warn_days": warn_days}
    if remaining.total_seconds() < 0:
        return Verdict(Status.NOT_APPLICABLE, "The certificate has already expired (see tls.cert.expired)", evidence)
    if remaining.days < warn_days:
        return Verdict(Status.FAIL, f"The certificate expires in {remaining.days} days", evidence)
    return Verdict(Status.PASS, f"The certificate expires in {remaining.days} days", evidence)


@tls_check(
    id="tls.cert.trusted",
    title="TLS certificate chains verify against trusted roots",
    facts=(CERTIFICATE,),
    outcomes=IN_TRANSIT,
    severity=Severity.HIGH,
    rationale=(
        "A chain that no trust store verifies cannot prove the server's identity: clients "
        "either refuse it or are trained to accept any certificate, an interceptor's included."
    ),
    remediation=(
        "Serve a certificate from a trusted CA with its full intermediate chain; "
        "for an internal CA, set the target's ca_file."
    ),
)
def cert_trusted(endpoint: TlsEndpoint, _params: Params) -> Verdict:
    facts = require(endpoint.certificate)
    evidence = {"trusted_by": list(facts.trusted_by), "errors": dict(facts.validation_errors),
                "chain_length": len(facts.chain)}
    if facts.trusted_by:
        return Verdict(Status.PASS, f"The chain verifies against {', '.join(facts.trusted_by)}", evidence)
    # Path validation in sslyze 6 also checks the name and the dates. A chain that fails only
    # on those is trusted: tls.cert.hostname and tls.cert.expired report them.
    if facts.validation_errors and all(_judged_elsewhere(e) for e in facts.validation_errors.values()):
        evidence["judged_elsewhere"] = True
        return Verdict(Status.PASS, "The chain verifies apart from its name or dates (judged by other checks)",
                       evidence)
    first = next(iter(facts.validation_errors.values()), "no trust store verified it")
    return Verdict(Status.FAIL, f"The chain does not verify: {first}", evidence)


def _judged_elsewhere(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in (
        "subjectaltname", "hostname", "name mismatch", "not valid at validation time",
    ))


@tls_check(
    id="tls.cert.hostname",
    title="TLS certificates name the host clients connect to",
    facts=(CERTIFICATE,),
    outcomes=IN_TRANSIT,
    severity=Severity.HIGH,
    rationale=(
        "A certificate for another name fails every client that checks names, "
        "and proves nothing to those that don't."
    ),
    remediation="Issue the certificate with the service's name (or address) in its subjectAltName.",
)
def cert_hostname(endpoint: TlsEndpoint, _params: Params) -> Verdict:
    facts = require(endpoint.certificate)
    leaf = facts.leaf
    evidence = {"server_name": endpoint.server_name, "dns_names": list(leaf.dns_names),
                "ip_addresses": list(leaf.ip_addresses)}
    if matches_hostname(leaf, endpoint.server_name):
        return Verdict(Status.PASS, f"The certificate names {endpoint.server_name}", evidence)
    return Verdict(Status.FAIL, f"The certificate does not name {endpoint.server_name}", evidence)


def matches_hostname(cert: Certificate, name: str) -> bool:
    """Match a name as RFC 6125 does: subjectAltName first, a wildcard covers one left label."""
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return str(address) in {str(ipaddress.ip_address(a)) for a in cert.ip_addresses}

    candidates = cert.dns_names or (() if cert.ip_addresses else cert.common_names)
    host = name.lower().rstrip(".")
    return any(_dns_match(pattern.lower().rstrip("."), host) for pattern in candidates)


def _dns_match(pattern: str, host: str) -> bool:
    if not pattern.startswith("*."):
        return pattern == host
    suffix = pattern[1:]
    label, dot, rest = host.partition(".")
    return bool(label) and bool(dot) and "." + rest == suffix and rest.count(".") >= 1


@tls_check(
    id="tls.cert.key_size",
    title="TLS certificate keys meet the policy's minimum size",
    facts=(CERTIFICATE,),
    outcomes=IN_TRANSIT,
    severity=Severity.MEDIUM,
    rationale=(
        "The certificate key authenticates the server for the certificate's lifetime; RSA "
        "below 2048 bits (3000 for BSI) or curves below 256 bits fall short of current guidance."
    ),
    remediation="Reissue the certificate with an RSA key of at least min_rsa_bits, or an ECDSA P-256 or P-384 key.",
)
def cert_key_size(endpoint: TlsEndpoint, params: Params) -> Verdict:
    policy = policy_of(params)
    leaf = require(endpoint.certificate).leaf
    evidence = {"key_type": leaf.key_type, "key_bits": leaf.key_bits, "min_rsa_bits": policy.min_rsa_bits,
                "min_ec_bits": policy.min_ec_bits, "tls_policy": policy.name}
    minimum = {"RSA": policy.min_rsa_bits, "EC": policy.min_ec_bits}.get(leaf.key_type)
    if leaf.key_type in ("Ed25519", "Ed448"):
        return Verdict(Status.PASS, f"The certificate key is {leaf.key_type}", evidence)
    if minimum is None:
        return Verdict(Status.FAIL, f"The certificate key type {leaf.key_type} is not allowed", evidence)
    if leaf.key_bits < minimum:
        return Verdict(Status.FAIL, f"{leaf.key_type} key of {leaf.key_bits} bits; {policy.name} needs {minimum}",
                       evidence)
    return Verdict(Status.PASS, f"{leaf.key_type} key of {leaf.key_bits} bits", evidence)


@tls_check(
    id="tls.cert.signature",
    title="TLS certificate chains use no SHA-1 or MD5 signatures",
    facts=(CERTIFICATE,),
    outcomes=IN_TRANSIT,
    severity=Severity.MEDIUM,
    rationale="Collisions have been shown for MD5 and SHA-1, so signatures made with them can be forged.",
    remediation="Reissue the certificate (and any intermediate) with SHA-256 or stronger signatures.",
)
def cert_signature(endpoint: TlsEndpoint, _params: Params) -> Verdict:
    chain = require(endpoint.certificate).chain
    # A self-signed root's own signature is never checked by clients, so it does not count.
    weak = [c.subject for c in chain if not c.self_signed and (c.signature_hash or "") in WEAK_HASHES]
    evidence = {"signatures": [c.signature_hash for c in chain], "weak": weak}
    if weak:
        return Verdict(Status.FAIL, f"Weak signature hash on {', '.join(weak)}", evidence)
    return Verdict(Status.PASS, "Every signature in the chain uses SHA-256 or stronger", evidence)


CHECKS = (cert_expired, cert_expiring, cert_trusted, cert_hostname, cert_key_size, cert_signature)
