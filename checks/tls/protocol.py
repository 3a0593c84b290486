"""TLS checks of the handshake, protocol versions, cipher suites and key exchange."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from checks.tls.facts import CURVES, PROTOCOLS, AcceptedSuite, TlsEndpoint
from scanner.model import Article, Measure, Outcome, Severity, Status, Verdict
from scanner.plugin import FactSpec, Params, check, require
from scanner.policies import Protocol, TlsPolicy

CONNECT = FactSpec("tls.connect", ("network:tcp-connect",))
IN_TRANSIT = (Outcome.CONFIDENTIALITY, Outcome.INTEGRITY)
TRANSIT_ARTICLES = (
    Article.PSEUDONYMISATION_AND_ENCRYPTION,
    Article.CONFIDENTIALITY_INTEGRITY_AVAILABILITY_RESILIENCE,
)
MODERN = (Protocol.TLS_1_2, Protocol.TLS_1_3)
ALWAYS_WEAK = ("_NULL_", "_anon_", "_EXPORT", "_RC4_", "_3DES_", "_DES_", "_DES40_", "_MD5")
"""Name fragments of suites that no policy allows: no encryption, no authentication, broken ciphers."""

tls_check = functools.partial(
    check,
    subject=TlsEndpoint,
    resource_type="tls.endpoint",
    measure=Measure.TRANSPORT_SECURITY,
    articles=TRANSIT_ARTICLES,
    scope="endpoint",
    uses_tls_policy=True,
)


def policy_of(params: Params) -> TlsPolicy:
    policy = params["tls_policy"]
    assert isinstance(policy, TlsPolicy)
    return policy


def accepted_protocols(endpoint: TlsEndpoint) -> list[Protocol]:
    """Return the protocols with at least one accepted suite; raises when a probe failed."""
    return [p for p in Protocol if require(endpoint.protocols.get(p, ())) != ()]


def accepted_suites(endpoint: TlsEndpoint) -> list[AcceptedSuite]:
    return [s for p in Protocol for s in require(endpoint.protocols.get(p, ()))]


def _names(protocols: Iterable[Protocol]) -> list[str]:
    return [p.value for p in protocols]


@tls_check(
    id="tls.handshake",
    title="The TLS endpoint completes a handshake",
    facts=(CONNECT,),
    outcomes=(*IN_TRANSIT, Outcome.AVAILABILITY),
    severity=Severity.HIGH,
    rationale=(
        "An endpoint that refuses connections or every TLS handshake serves no protected "
        "channel at all; clients either fail or fall back to something weaker."
    ),
    remediation="Check that the service listens on the address and port, and that its TLS configuration loads.",
)
def handshake(endpoint: TlsEndpoint, params: Params) -> Verdict:
    evidence = {"highest_protocol": endpoint.highest_protocol, "server_name": endpoint.server_name,
                "starttls": endpoint.starttls, "tls_policy": policy_of(params).name}
    return Verdict(Status.PASS, f"Handshake completed; highest protocol {endpoint.highest_protocol}", evidence)


@tls_check(
    id="tls.protocol.legacy",
    title="TLS endpoints refuse SSL, TLS 1.0 and TLS 1.1",
    facts=(PROTOCOLS,),
    outcomes=IN_TRANSIT,
    severity=Severity.HIGH,
    rationale=(
        "SSL 2.0 and 3.0 are broken (DROWN, POODLE) and TLS 1.0 and 1.1 were deprecated by "
        "RFC 8996 in 2021. A server that still accepts them lets an attacker who can "
        "downgrade a client read or alter personal data in transit."
    ),
    remediation="Allow only the protocols the TLS policy lists, for example `ssl_protocols TLSv1.2 TLSv1.3;` in nginx.",
)
def protocol_legacy(endpoint: TlsEndpoint, params: Params) -> Verdict:
    policy = policy_of(params)
    accepted = accepted_protocols(endpoint)
    outside = [p for p in accepted if p not in policy.protocols]
    evidence = {"accepted": _names(accepted), "allowed": _names(policy.protocols), "tls_policy": policy.name}
    if outside:
        return Verdict(Status.FAIL, f"Accepts {', '.join(_names(outside))}, outside {policy.name}", evidence)
    return Verdict(Status.PASS, f"Accepts only {', '.join(_names(accepted)) or 'no protocol'}", evidence)


@tls_check(
    id="tls.protocol.modern",
    title="TLS endpoints offer TLS 1.2 or 1.3 and every protocol the policy requires",
    facts=(PROTOCOLS,),
    outcomes=IN_TRANSIT,
    severity=Severity.HIGH,
    rationale=(
        "Current clients only trust TLS 1.2 and 1.3; a policy may also require TLS 1.3 "
        "(Mozilla modern, NIST SP 800-52r2) for its stronger handshake."
    ),
    remediation="Enable TLS 1.2 and TLS 1.3 in the server's TLS configuration.",
)
def protocol_modern(endpoint: TlsEndpoint, params: Params) -> Verdict:
    policy = policy_of(params)
    accepted = accepted_protocols(endpoint)
    missing = [p for p in policy.required_protocols if p not in accepted]
    evidence = {"accepted": _names(accepted), "required": _names(policy.required_protocols),
                "tls_policy": policy.name}
    if not any(p in accepted for p in MODERN):
        return Verdict(Status.FAIL, "Neither TLS 1.2 nor TLS 1.3 is accepted", evidence)
    if missing:
        return Verdict(Status.FAIL, f"{policy.name} requires {', '.join(_names(missing))}", evidence)
    return Verdict(Status.PASS, f"Offers {', '.join(_names(p for p in accepted if p in MODERN))}", evidence)


@tls_check(
    id="tls.cipher.weak",
    title="TLS endpoints accept only cipher suites the policy allows",
    facts=(PROTOCOLS,),
    outcomes=IN_TRANSIT,
    severity=Severity.HIGH,
    rationale=(
        "NULL and anonymous suites give no confidentiality or no authentication; export, "
        "RC4, DES and 3DES suites are broken or too weak (SWEET32). Suites outside the chosen "
        "guideline's list fall short of the protection it was chosen for."
    ),
    remediation=(
        "Restrict the server to the policy's suites, for example the `ssl_ciphers` line "
        "of Mozilla's configuration generator for nginx."
    ),
)
def cipher_weak(endpoint: TlsEndpoint, params: Params) -> Verdict:
    policy = policy_of(params)
    suites = accepted_suites(endpoint)
    broken = sorted({s.name for s in suites if any(f in s.name for f in ALWAYS_WEAK)})
    outside = sorted({
        s.name for s in suites
        if s.protocol in policy.protocols and s.name not in _allowed(policy, s.protocol) and s.name not in broken
    })
    evidence = {"broken": broken, "outside_policy": outside, "accepted": len(suites), "tls_policy": policy.name}
    if broken or outside:
        rejected = broken + outside
        listed = rejected[:4]
        more = f" and {len(rejected) - len(listed)} more" if len(rejected) > len(listed) else ""
        return Verdict(Status.FAIL, f"Accepts weak or disallowed suites: {', '.join(listed)}{more}", evidence)
    return Verdict(Status.PASS, f"All {len(suites)} accepted suites are allowed by {policy.name}", evidence)


def _allowed(policy: TlsPolicy, protocol: Protocol) -> list[str]:
    return policy.cipher_suites.tls13 if protocol is Protocol.TLS_1_3 else policy.cipher_suites.tls12


@tls_check(
    id="tls.cipher.forward_secrecy",
    title="TLS endpoints use forward-secret key exchange only",
    facts=(PROTOCOLS,),
    outcomes=(Outcome.CONFIDENTIALITY,),
    severity=Severity.MEDIUM,
    rationale=(
        "With RSA key exchange, anyone who later obtains the server's private key can decrypt "
        "every recorded session. (EC)DHE suites make each session's key ephemeral."
    ),
    remediation="Remove TLS_RSA_* suites; keep only ECDHE and DHE suites before TLS 1.3.",
)
def forward_secrecy(endpoint: TlsEndpoint, params: Params) -> Verdict:
    suites = [s for s in accepted_suites(endpoint) if s.protocol is not Protocol.TLS_1_3]
    static = sorted({s.name for s in suites if not is_ephemeral(s.name)})
    evidence = {"static_key_exchange": static, "tls_policy": policy_of(params).name}
    if static:
        return Verdict(Status.FAIL, f"Accepts {len(static)} suites without (EC)DHE: {', '.join(static[:3])}", evidence)
    return Verdict(Status.PASS, "Every accepted suite before TLS 1.3 uses (EC)DHE", evidence)


@tls_check(
    id="tls.dh.key_size",
    title="TLS endpoints use (EC)DH groups of at least the policy's size",
    facts=(PROTOCOLS, CURVES),
    outcomes=(Outcome.CONFIDENTIALITY,),
    severity=Severity.MEDIUM,
    rationale=(
        "Finite-field DH groups of 1024 bits are within reach of well-funded attackers "
        "(Logjam), and small elliptic curves fall short of the guideline's security level."
    ),
    remediation="Use DH parameters of at least the policy's min_dh_bits (ssl_dhparam) and only the policy's curves.",
)
def dh_key_size(endpoint: TlsEndpoint, params: Params) -> Verdict:
    policy = policy_of(params)
    suites = [s for s in accepted_suites(endpoint) if s.key_exchange and s.key_bits]
    dh_sizes = sorted({s.key_bits for s in suites if s.key_exchange == "DH" and s.key_bits})
    curves = sorted({s.curve or f"{s.key_bits}-bit curve" for s in suites if s.key_exchange == "ECDH"})
    weak_curves = sorted({s.curve or str(s.key_bits) for s in suites
                          if s.key_exchange == "ECDH" and curve_bits(s) < policy.min_ec_bits})
    weak_dh = [size for size in dh_sizes if size < policy.min_dh_bits]
    evidence = {"dh_bits": dh_sizes, "curves": curves, "min_dh_bits": policy.min_dh_bits,
                "min_ec_bits": policy.min_ec_bits, "tls_policy": policy.name}
    if not suites:
        return Verdict(Status.NOT_APPLICABLE, "No ephemeral (EC)DH key exchange was negotiated", evidence)
    if weak_dh or weak_curves:
        parts = [f"DH {size} bits" for size in weak_dh] + [f"curve {c}" for c in weak_curves]
        return Verdict(Status.FAIL, f"Key exchange below {policy.name}: {', '.join(parts)}", evidence)
    return Verdict(Status.PASS, "Every (EC)DH group meets the policy's minimum size", evidence)


def is_ephemeral(suite: str) -> bool:
    """Tell whether a suite before TLS 1.3 uses an ephemeral key exchange (ECDHE, DHE, or the
    anonymous DH variants, which cipher.weak rejects for their missing authentication)."""
    key_exchange = suite.removeprefix("TLS_").removeprefix("SSL_").split("_WITH_", 1)[0]
    return key_exchange.startswith(("ECDHE", "DHE")) or key_exchange in ("DH_anon", "ECDH_anon")


def curve_bits(suite: AcceptedSuite) -> int:
    """Return a curve's size on the scale of NIST curves; X25519's 253-bit key counts as 256."""
    equivalents = {"X25519": 256, "X448": 448}
    return equivalents.get(suite.curve or "", suite.key_bits or 0)


CHECKS = (handshake, protocol_legacy, protocol_modern, cipher_weak, forward_secrecy, dh_key_size)
