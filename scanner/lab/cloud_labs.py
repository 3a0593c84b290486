"""Start the Google Cloud Storage emulator and the Azure fake, and seed them."""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from pathlib import Path

from scanner.lab.azure import GCS_BUCKETS, GOOD_SUBSCRIPTION, GOOD_TENANT, WEAK_SUBSCRIPTION, WEAK_TENANT, fake_data
from scanner.lab.certs import LabCA
from scanner.lab.process import LOOPBACK, ServerProcess, free_port

GCP_PROJECT = "art32-lab"


class GcsLab:
    """gcp-storage-emulator in memory on 127.0.0.1, seeded with buckets."""

    def __init__(self) -> None:
        self.endpoint_url = ""
        self._server: ServerProcess | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("gcp-storage-emulator") is not None

    def start(self) -> None:
        port = free_port()
        binary = shutil.which("gcp-storage-emulator") or "gcp-storage-emulator"
        self._server = ServerProcess([binary, "start", "--host", LOOPBACK, "--port", str(port), "--in-memory"], port,
                                     ready_path=None)
        self._server.start()
        self.endpoint_url = self._server.url
        self._seed()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _seed(self) -> None:
        """Create the buckets with the lab's own client, which may write, then patch their settings."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        client = storage.Client(project=GCP_PROJECT, credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": self.endpoint_url})
        for name, spec in GCS_BUCKETS.items():
            bucket = client.create_bucket(name)
            bucket.versioning_enabled = spec["versioning"]
            bucket.default_kms_key_name = spec["kms"]
            bucket.iam_configuration.uniform_bucket_level_access_enabled = spec["uniform"]
            bucket.iam_configuration.public_access_prevention = spec["pap"]
            bucket.soft_delete_policy.retention_duration_seconds = spec["soft_delete_days"] * 86400
            if spec.get("retention_days"):
                bucket.retention_period = spec["retention_days"] * 86400
            if spec["log"]:
                bucket.enable_logging("art32-lab-gcs-logs", f"{name}/")
            bucket.patch()
            if spec["public"]:
                policy = bucket.get_iam_policy(requested_policy_version=3)
                policy.bindings.append({"role": "roles/storage.objectViewer", "members": {"allUsers"}})
                bucket.set_iam_policy(policy)


class AzureLab:
    """The HTTPS fake of Resource Manager and Graph, with one token file per lab tenant."""

    def __init__(self, folder: Path, ca: LabCA) -> None:
        self.folder = folder / "azure"
        self.ca = ca
        self.url = ""
        self.token_files: dict[str, Path] = {}
        self._server: ServerProcess | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tokens = {tenant: secrets.token_urlsafe(24) for tenant in (GOOD_TENANT, WEAK_TENANT)}
        for tenant, token in tokens.items():
            path = self.folder / f"token-{tenant}.txt"
            path.write_text(token)
            path.chmod(0o600)
            self.token_files[tenant] = path
        data = self.folder / "fake.json"
        data.write_text(json.dumps(fake_data(tokens)))
        data.chmod(0o600)

        issued = self.ca.issue("azure-fake")
        port = free_port()
        command = [sys.executable, "-m", "scanner.lab.azure", str(data), str(issued.chain), str(issued.key), str(port)]
        self._server = ServerProcess(command, port, ready_path=None)
        self._server.start()
        self.url = f"https://{LOOPBACK}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def targets(self) -> list[dict[str, object]]:
        subscriptions = {GOOD_TENANT: GOOD_SUBSCRIPTION, WEAK_TENANT: WEAK_SUBSCRIPTION}
        return [{
            "name": "contoso-lab" if tenant == GOOD_TENANT else "fabrikam-lab",
            "subscription_id": subscriptions[tenant],
            "tenant_id": tenant,
            "token_file": str(path),
            "graph_token_file": str(path),
            "management_url": self.url,
            "graph_url": self.url,
            "ca_file": str(self.ca.cert_path),
        } for tenant, path in self.token_files.items()]

