"""TLS policies as data: shipped files, overrides, errors, and Mozilla's JSON inside sslyze."""

import json
from pathlib import Path

import pytest
import sslyze

from scanner.policies import Protocol, load_tls_policy, tls_policy_names
from scanner.profile import load_profile
from scanner.validation import ConfigError
from tests.conftest import write

SHIPPED = ["anssi", "bsi-tr-02102-2", "mozilla-intermediate", "mozilla-modern", "nist-800-52r2"]
MOZILLA_JSON = Path(sslyze.__file__).parent / "mozilla_tls_profile" / "5.7.json"
MOZILLA_PROTOCOLS = {"TLSv1": "TLSv1.0", "TLSv1.1": "TLSv1.1", "TLSv1.2": "TLSv1.2", "TLSv1.3": "TLSv1.3"}


def test_shipped_policies_load():
    assert tls_policy_names() == SHIPPED
    for name in SHIPPED:
        policy = load_tls_policy(name, "test")
        assert policy.name == name
        assert policy.source.title
        assert Protocol.TLS_1_0 not in policy.protocols


@pytest.mark.parametrize("level", ["intermediate", "modern"])
def test_mozilla_policies_match_sslyze_json(level):
    expected = json.loads(MOZILLA_JSON.read_text())["configurations"][level]

    policy = load_tls_policy(f"mozilla-{level}", "test")

    assert [p.value for p in policy.protocols] == [MOZILLA_PROTOCOLS[v] for v in expected["tls_versions"]]
    assert policy.cipher_suites.tls12 == expected["ciphers"]["iana"]
    assert policy.cipher_suites.tls13 == expected["ciphersuites"]
    assert policy.min_ec_bits == expected["ecdh_param_size"]
    assert policy.min_dh_bits == (expected["dh_param_size"] or 2048)


def test_bsi_needs_larger_keys_than_mozilla():
    assert load_tls_policy("bsi-tr-02102-2", "test").min_rsa_bits == 3000
    assert load_tls_policy("mozilla-intermediate", "test").min_rsa_bits == 2048


def test_override_merges_fields():
    policy = load_tls_policy({"use": "mozilla-intermediate", "override": {"hsts_min_age": 60,
                              "cipher_suites": {"tls13": ["TLS_AES_256_GCM_SHA384"]}}}, "test")

    assert policy.hsts_min_age == 60
    assert policy.cipher_suites.tls13 == ["TLS_AES_256_GCM_SHA384"]
    assert len(policy.cipher_suites.tls12) == 9


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        ("mozilla-intermediat", "no TLS policy named 'mozilla-intermediat' (did you mean 'mozilla-intermediate'?)"),
        ({"use": "anssi", "override": {"min_rsa_bit": 4096}}, "tls_policy.override.min_rsa_bit: unknown key"),
        ({"use": "anssi", "override": {"protocols": ["TLSv1.4"]}}, "tls_policy.override.protocols[0]"),
        ({"use": "anssi", "override": {"required_protocols": ["TLSv1.1"]}}, "are not in protocols"),
        ({"name": "anssi"}, "tls_policy.use: required key is missing"),
    ],
)
def test_policy_errors_name_key(reference, words):
    with pytest.raises(ConfigError) as raised:
        load_tls_policy(reference, "profile.yaml")

    assert words in str(raised.value)


def test_profile_selects_policy(tmp_path, registry):
    path = write(tmp_path / "p.yaml", "extends: baseline\ntls_policy: {use: bsi-tr-02102-2, override: {hsts_min_age: 1}}\n")

    profile = load_profile(str(path), registry)

    assert profile.tls_policy.name == "bsi-tr-02102-2"
    assert profile.tls_policy.hsts_min_age == 1


def test_shipped_profiles_policies(registry):
    assert load_profile("baseline", registry).tls_policy.name == "mozilla-intermediate"
    assert load_profile("strict", registry).tls_policy.name == "mozilla-modern"
