"""The TLS checks on tables of facts: no network."""

from __future__ import annotations

import datetime

import pytest

from checks.tls.certificate import (
    cert_expired,
    cert_expiring,
    cert_hostname,
    cert_key_size,
    cert_signature,
    cert_trusted,
)
from checks.tls.facts import (
    AcceptedSuite,
    Certificate,
    CertificateFacts,
    HttpFacts,
    Renegotiation,
    TlsEndpoint,
)
from checks.tls.protocol import (
    cipher_weak,
    dh_key_size,
    forward_secrecy,
    is_ephemeral,
    protocol_legacy,
    protocol_modern,
)
from checks.tls.vulnerability import compression, heartbleed, hsts, renegotiation, robot
from scanner.model import ErrorReason, Resource, Status
from scanner.plugin import CollectError, FactUnavailable
from scanner.policies import Protocol, load_tls_policy

INTERMEDIATE = {"tls_policy": load_tls_policy("mozilla-intermediate", "test")}
MODERN = {"tls_policy": load_tls_policy("mozilla-modern", "test")}
BSI = {"tls_policy": load_tls_policy("bsi-tr-02102-2", "test")}
NOW = datetime.datetime.now(datetime.UTC)
GOOD_12 = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
GOOD_13 = "TLS_AES_128_GCM_SHA256"


def _suite(name, protocol=Protocol.TLS_1_2, kex="ECDH", bits=256, curve="secp256r1"):
    return AcceptedSuite(name, protocol, kex, bits, curve)


def _endpoint(suites=(), **facts) -> TlsEndpoint:
    protocols = {p: tuple(s for s in suites if s.protocol is p) for p in Protocol}
    return TlsEndpoint(Resource("tls", "tls.endpoint", "tls://127.0.0.1:443"), "127.0.0.1", 443,
                       facts.pop("server_name", "localhost"), None, protocols=protocols, **facts)


def _cert(**changes) -> Certificate:
    values = dict(subject="CN=localhost", issuer="CN=lab CA", not_before=NOW - datetime.timedelta(days=1),
                  not_after=NOW + datetime.timedelta(days=200), key_type="RSA", key_bits=2048,
                  signature_hash="sha256", self_signed=False, dns_names=("localhost",), ip_addresses=())
    values.update(changes)
    return Certificate(**values)


def _certificate(leaf=None, trusted=("Mozilla",), errors=None, chain=()) -> CertificateFacts:
    return CertificateFacts("localhost", (leaf or _cert(), *chain), tuple(trusted), errors or {})


MODERN_SUITES = [_suite(GOOD_12), _suite(GOOD_13, Protocol.TLS_1_3, "ECDH", 253, "X25519")]


@pytest.mark.parametrize(
    ("suites", "params", "expected"),
    [
        (MODERN_SUITES, INTERMEDIATE, Status.PASS),
        ([*MODERN_SUITES, _suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Protocol.TLS_1_0)], INTERMEDIATE, Status.FAIL),
        ([_suite(GOOD_12, Protocol.SSL_3_0)], INTERMEDIATE, Status.FAIL),
        (MODERN_SUITES, MODERN, Status.FAIL),
        ([MODERN_SUITES[1]], MODERN, Status.PASS),
    ],
)
def test_protocol_legacy(suites, params, expected):
    assert protocol_legacy.evaluate(_endpoint(suites), params).status is expected


@pytest.mark.parametrize(
    ("suites", "params", "expected"),
    [
        (MODERN_SUITES, INTERMEDIATE, Status.PASS),
        ([MODERN_SUITES[1]], INTERMEDIATE, Status.PASS),
        ([MODERN_SUITES[0]], MODERN, Status.FAIL),
        ([_suite(GOOD_12, Protocol.TLS_1_1)], INTERMEDIATE, Status.FAIL),
        ([], INTERMEDIATE, Status.FAIL),
    ],
)
def test_protocol_modern(suites, params, expected):
    assert protocol_modern.evaluate(_endpoint(suites), params).status is expected


@pytest.mark.parametrize(
    ("name", "protocol", "expected"),
    [
        (GOOD_12, Protocol.TLS_1_2, Status.PASS),
        ("TLS_RSA_WITH_NULL_SHA256", Protocol.TLS_1_2, Status.FAIL),
        ("TLS_DH_anon_WITH_AES_128_GCM_SHA256", Protocol.TLS_1_2, Status.FAIL),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Protocol.TLS_1_0, Status.FAIL),
        ("TLS_ECDHE_RSA_WITH_RC4_128_SHA", Protocol.TLS_1_0, Status.FAIL),
        ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", Protocol.SSL_3_0, Status.FAIL),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Protocol.TLS_1_2, Status.FAIL),
        # A suite of a protocol the policy forbids is tls.protocol.legacy's finding, not this one's.
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Protocol.TLS_1_0, Status.PASS),
    ],
)
def test_cipher_weak(name, protocol, expected):
    assert cipher_weak.evaluate(_endpoint([_suite(name, protocol)]), INTERMEDIATE).status is expected


def test_chacha_outside_bsi():
    suites = [_suite("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")]

    assert cipher_weak.evaluate(_endpoint(suites), INTERMEDIATE).status is Status.PASS
    assert cipher_weak.evaluate(_endpoint(suites), BSI).status is Status.FAIL


@pytest.mark.parametrize(
    ("name", "ephemeral"),
    [
        ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", True),
        ("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", True),
        ("TLS_DH_anon_WITH_AES_128_CBC_SHA", True),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", False),
        ("TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", False),
        ("TLS_DH_RSA_WITH_AES_128_GCM_SHA256", False),
        ("TLS_PSK_WITH_AES_128_GCM_SHA256", False),
    ],
)
def test_forward_secrecy_names(name, ephemeral):
    assert is_ephemeral(name) is ephemeral
    verdict = forward_secrecy.evaluate(_endpoint([_suite(name)]), INTERMEDIATE)
    assert verdict.status is (Status.PASS if ephemeral else Status.FAIL)


def test_tls13_suites_never_fail_forward_secrecy():
    suites = [_suite("TLS_AES_128_GCM_SHA256", Protocol.TLS_1_3, None, None, None)]

    assert forward_secrecy.evaluate(_endpoint(suites), INTERMEDIATE).status is Status.PASS


@pytest.mark.parametrize(
    ("suites", "params", "expected"),
    [
        ([_suite(GOOD_12)], INTERMEDIATE, Status.PASS),
        ([_suite(GOOD_13, Protocol.TLS_1_3, "ECDH", 253, "X25519")], INTERMEDIATE, Status.PASS),
        ([_suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex="DH", bits=1024, curve=None)], INTERMEDIATE, Status.FAIL),
        ([_suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex="DH", bits=2048, curve=None)], INTERMEDIATE, Status.PASS),
        ([_suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", kex="DH", bits=2048, curve=None)], BSI, Status.FAIL),
        ([_suite(GOOD_12, bits=224, curve="secp224r1")], INTERMEDIATE, Status.FAIL),
        ([_suite("TLS_RSA_WITH_AES_128_GCM_SHA256", kex=None, bits=None, curve=None)], INTERMEDIATE,
         Status.NOT_APPLICABLE),
    ],
)
def test_dh_key_size(suites, params, expected):
    assert dh_key_size.evaluate(_endpoint(suites), params).status is expected


def test_protocol_probe_error_is_unavailable():
    failed = CollectError(ErrorReason.API_ERROR, "sslyze CONNECTIVITY_ISSUE")
    endpoint = _endpoint(MODERN_SUITES)
    broken = TlsEndpoint(endpoint.resource, "127.0.0.1", 443, "localhost", None,
                         protocols={**endpoint.protocols, Protocol.TLS_1_0: failed})

    with pytest.raises(FactUnavailable):
        protocol_legacy.evaluate(broken, INTERMEDIATE)


# Certificates


@pytest.mark.parametrize(
    ("leaf", "expired", "expiring"),
    [
        (_cert(), Status.PASS, Status.PASS),
        (_cert(not_after=NOW - datetime.timedelta(days=3)), Status.FAIL, Status.NOT_APPLICABLE),
        (_cert(not_before=NOW + datetime.timedelta(days=3)), Status.FAIL, Status.PASS),
        (_cert(not_after=NOW + datetime.timedelta(days=10)), Status.PASS, Status.FAIL),
        (_cert(not_after=NOW + datetime.timedelta(days=31)), Status.PASS, Status.PASS),
    ],
)
def test_certificate_dates(leaf, expired, expiring):
    endpoint = _endpoint(certificate=_certificate(leaf))

    assert cert_expired.evaluate(endpoint, INTERMEDIATE).status is expired
    assert cert_expiring.evaluate(endpoint, {**INTERMEDIATE, "warn_days": 30}).status is expiring


@pytest.mark.parametrize(
    ("trusted", "errors", "expected"),
    [
        (("Mozilla",), {}, Status.PASS),
        ((), {"Mozilla": "validation failed: unable to get local issuer certificate"}, Status.FAIL),
        ((), {"Mozilla": "validation failed: leaf certificate has no matching subjectAltName"}, Status.PASS),
        ((), {"Mozilla": "validation failed: cert is not valid at validation time"}, Status.PASS),
        ((), {}, Status.FAIL),
    ],
)
def test_certificate_trust(trusted, errors, expected):
    endpoint = _endpoint(certificate=_certificate(trusted=trusted, errors=errors))

    assert cert_trusted.evaluate(endpoint, INTERMEDIATE).status is expected


@pytest.mark.parametrize(
    ("names", "addresses", "server_name", "expected"),
    [
        (("localhost",), (), "localhost", Status.PASS),
        (("LOCALHOST",), (), "localhost.", Status.PASS),
        (("*.example.com",), (), "api.example.com", Status.PASS),
        (("*.example.com",), (), "example.com", Status.FAIL),
        (("*.example.com",), (), "a.b.example.com", Status.FAIL),
        (("*.com",), (), "example.com", Status.FAIL),
        (("other.example",), (), "localhost", Status.FAIL),
        ((), ("127.0.0.1",), "127.0.0.1", Status.PASS),
        (("127.0.0.1",), (), "127.0.0.1", Status.FAIL),
        ((), ("::1",), "[::1]", Status.PASS),
    ],
)
def test_certificate_hostname(names, addresses, server_name, expected):
    leaf = _cert(dns_names=names, ip_addresses=addresses)
    endpoint = _endpoint(certificate=_certificate(leaf), server_name=server_name)

    assert cert_hostname.evaluate(endpoint, INTERMEDIATE).status is expected


def test_common_name_used_only_without_san():
    leaf = _cert(dns_names=(), common_names=("localhost",))

    assert cert_hostname.evaluate(_endpoint(certificate=_certificate(leaf)), INTERMEDIATE).status is Status.PASS


@pytest.mark.parametrize(
    ("key_type", "bits", "params", "expected"),
    [
        ("RSA", 2048, INTERMEDIATE, Status.PASS),
        ("RSA", 2048, BSI, Status.FAIL),
        ("RSA", 3072, BSI, Status.PASS),
        ("RSA", 1024, INTERMEDIATE, Status.FAIL),
        ("EC", 256, INTERMEDIATE, Status.PASS),
        ("EC", 224, INTERMEDIATE, Status.FAIL),
        ("Ed25519", 256, INTERMEDIATE, Status.PASS),
        ("DSA", 2048, INTERMEDIATE, Status.FAIL),
    ],
)
def test_certificate_key_size(key_type, bits, params, expected):
    leaf = _cert(key_type=key_type, key_bits=bits)

    assert cert_key_size.evaluate(_endpoint(certificate=_certificate(leaf)), params).status is expected


def test_certificate_signature():
    root = _cert(subject="CN=root", issuer="CN=root", self_signed=True, signature_hash="sha1")
    sha1_leaf = _cert(signature_hash="sha1")

    assert cert_signature.evaluate(_endpoint(certificate=_certificate(chain=(root,))), {}).status is Status.PASS
    assert cert_signature.evaluate(_endpoint(certificate=_certificate(sha1_leaf)), {}).status is Status.FAIL


# Vulnerabilities and HSTS


def test_vulnerability_checks():
    safe = _endpoint(heartbleed=False, robot="NOT_VULNERABLE_NO_ORACLE", compression=False,
                     renegotiation=Renegotiation(True, False))
    weak = _endpoint(heartbleed=True, robot="VULNERABLE_WEAK_ORACLE", compression=True,
                     renegotiation=Renegotiation(False, False))

    for item in (heartbleed, robot, compression, renegotiation):
        assert item.evaluate(safe, INTERMEDIATE).status is Status.PASS, item.meta.id
        assert item.evaluate(weak, INTERMEDIATE).status is Status.FAIL, item.meta.id
    dos = _endpoint(renegotiation=Renegotiation(True, True))
    assert renegotiation.evaluate(dos, INTERMEDIATE).status is Status.FAIL


@pytest.mark.parametrize(
    ("http", "expected"),
    [
        (HttpFacts(True, 200, "max-age=31536000"), Status.PASS),
        (HttpFacts(True, 200, "max-age=300"), Status.FAIL),
        (HttpFacts(True, 200, None), Status.FAIL),
        (HttpFacts(True, 200, "max-age=31536000; max-age=1"), Status.FAIL),
        (HttpFacts(True, 301, 'MAX-AGE="63072000"; includeSubDomains'), Status.PASS),
        (HttpFacts(False), Status.NOT_APPLICABLE),
    ],
)
def test_hsts_check(http, expected):
    assert hsts.evaluate(_endpoint(http=http), INTERMEDIATE).status is expected
