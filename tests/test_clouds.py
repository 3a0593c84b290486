"""Google Cloud Storage and Azure against the lab's emulator and HTTPS fake: guards and errors."""

from __future__ import annotations

import pytest

from checks.azure.collector import ReadOnlyHttpSession, collect_subscription
from checks.azure.collector import WriteRejected as AzureWriteRejected
from checks.azure.facts import AccountSettings, StorageAccount
from checks.azure.storage import min_tls
from checks.azure.target import AzureTarget
from checks.gcp.collector import ReadOnlySession, WriteRejected, collect_project
from checks.gcp.target import GcpTarget
from scanner.model import Resource, Status
from scanner.plugin import CollectRequest, CollectSettings, Unit
from scanner.policies import load_tls_policy
from tests.conftest import write
from tests.servers import closed_port

ALL_AZURE = frozenset({"azure.storage.accounts", "azure.storage.blob_services", "azure.entra.policies"})


def _request(target, facts, provider):
    return CollectRequest(unit=Unit(provider, "t", "global"), target=target, facts=facts,
                          settings=CollectSettings(max_workers=4, connect_timeout=2, read_timeout=2))


def test_gcs_session_rejects_writes():
    from google.auth.credentials import AnonymousCredentials

    session = ReadOnlySession(AnonymousCredentials())

    with pytest.raises(WriteRejected, match="read-only guard rejected POST"):
        session.request("POST", f"http://127.0.0.1:{closed_port()}/storage/v1/b")


def test_graph_session_rejects_writes():
    with pytest.raises(AzureWriteRejected, match="read-only guard rejected PATCH"):
        ReadOnlyHttpSession().request("PATCH", f"https://127.0.0.1:{closed_port()}/v1.0/policies")


def test_gcs_collector_reads_lab(lab):
    if lab.gcs is None:
        pytest.skip("gcp-storage-emulator is not installed")
    target = GcpTarget(project="art32-lab", endpoint_url=lab.gcs.endpoint_url)

    facts = collect_project(_request(target, frozenset({"gcp.storage.buckets", "gcp.storage.iam_policy"}), "gcp"))

    names = sorted(s.name for s in facts.subjects)
    assert names == ["art32-lab-gcs-good", "art32-lab-gcs-retention", "art32-lab-gcs-weak"]
    weak = next(s for s in facts.subjects if s.name == "art32-lab-gcs-weak")
    assert weak.public_members == ("allUsers",)


def test_gcs_unreachable_is_error():
    target = GcpTarget(project="art32-lab", endpoint_url=f"http://127.0.0.1:{closed_port()}")

    facts = collect_project(_request(target, frozenset({"gcp.storage.buckets"}), "gcp"))

    assert facts.error is not None
    assert facts.error.reason.value == "unreachable"


def test_azure_wrong_token_is_access_denied(lab, tmp_path):
    target = AzureTarget(**{**lab.azure.targets()[0], "token_file": write(tmp_path / "t", "not-a-lab-token"),
                            "graph_token_file": write(tmp_path / "g", "not-a-lab-token")})

    facts = collect_subscription(_request(target, ALL_AZURE, "azure"))

    assert next(iter(facts.subject_errors.values())).reason.value == "access_denied"
    tenant = next(s for s in facts.subjects if type(s).__name__ == "EntraTenant")
    assert tenant.security_defaults.reason.value == "access_denied"


def test_azure_target_requires_https(tmp_path):
    with pytest.raises(ValueError, match="expected an https:// URL"):
        AzureTarget(subscription_id="aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", management_url="http://127.0.0.1:1")


def _account(tls: str | None) -> StorageAccount:
    settings = AccountSettings(True, tls, False, False, None, False, "Standard_LRS", "Enabled", "Allow", 0)
    return StorageAccount(Resource("azure", "azure.storage.account", "/subscriptions/x"), settings)


@pytest.mark.parametrize(
    ("tls", "policy", "expected"),
    [
        ("TLS1_2", "mozilla-intermediate", Status.PASS),
        ("TLS1_3", "mozilla-intermediate", Status.PASS),
        ("TLS1_1", "mozilla-intermediate", Status.FAIL),
        (None, "mozilla-intermediate", Status.FAIL),
        ("TLS1_2", "mozilla-modern", Status.FAIL),
        ("TLS1_3", "mozilla-modern", Status.PASS),
        ("TLS9_9", "mozilla-intermediate", Status.ERROR),
    ],
)
def test_azure_min_tls_against_policy(tls, policy, expected):
    params = {"tls_policy": load_tls_policy(policy, "test")}

    assert min_tls.evaluate(_account(tls), params).status is expected
