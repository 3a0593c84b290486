"""The local lab: real stand-ins on loopback, started and seeded for `art32 demo` and tests.

The lab keeps its credentials and generated scan file in a temporary folder of its own and
points the AWS SDK there through environment variables while it runs, so `~/.aws` is never
read or written.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import yaml

from scanner.lab import ssh as ssh_lab
from scanner.lab.aws import LAB_ACCESS_KEY, LAB_PROFILE, LAB_REGION, LAB_SECRET_KEY, MotoLab
from scanner.lab.certs import LabCA
from scanner.lab.cloud_labs import GCP_PROJECT, AzureLab, GcsLab
from scanner.lab.tls import LabTlsServer, NginxLab, SmtpLab

LAB_ENVIRONMENT = {
    # Keep every SDK away from cloud metadata addresses.
    "AWS_EC2_METADATA_DISABLED": "true",
    "GCE_METADATA_HOST": "127.0.0.1:1",
    "GCE_METADATA_IP": "127.0.0.1:1",
    "NO_GCE_CHECK": "True",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


class LabUnavailable(Exception):
    """The lab cannot start: a stand-in's package is missing."""


class Lab:
    """Start the stand-ins this machine has, seed them and write a scan file for them."""

    def __init__(self, profile: str = "baseline", folder: Path | None = None) -> None:
        self.profile = profile
        self.folder = folder or Path(tempfile.mkdtemp(prefix="art32-lab-"))
        self._owns_folder = folder is None
        self.scan_file = self.folder / "art32.yaml"
        self.skipped: list[str] = []
        self.aws: MotoLab | None = None
        self.tls: NginxLab | None = None
        self.smtp: SmtpLab | None = None
        self.ssh: ssh_lab.SshLab | None = None
        self.gcs: GcsLab | None = None
        self.azure: AzureLab | None = None
        self.ca: LabCA | None = None
        self._saved_environment: dict[str, str | None] = {}

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def environment(self) -> dict[str, str]:
        return {
            **LAB_ENVIRONMENT,
            "AWS_SHARED_CREDENTIALS_FILE": str(self.folder / "aws-credentials"),
            "AWS_CONFIG_FILE": str(self.folder / "aws-config"),
        }

    def start(self) -> None:
        """Start every stand-in this machine can run; raise LabUnavailable when none can."""
        self._write_aws_files()
        self._set_environment()
        try:
            self._start_aws()
            self._start_tls()
            self._start_ssh()
            self._start_clouds()
        except BaseException:
            self.stop()
            raise
        if all(s is None for s in (self.aws, self.tls, self.smtp, self.ssh, self.gcs, self.azure)):
            raise LabUnavailable("; ".join(self.skipped))
        self._write_scan_file()

    def _start_aws(self) -> None:
        if importlib.util.find_spec("moto") is None:
            self.skipped.append("aws: moto is not installed (pip install 'art32-scanner[lab]')")
            return
        self.aws = MotoLab()
        self.aws.start()
        self.aws.seed()

    def _start_tls(self) -> None:
        self.ca = LabCA(self.folder)
        if NginxLab.available():
            self.tls = NginxLab(self.folder, self.ca)
            self.tls.start()
        else:
            self.skipped.append("tls: nginx is not installed (apt-get install nginx-light)")
        if SmtpLab.available():
            self.smtp = SmtpLab(self.ca)
            self.smtp.start()
        else:
            self.skipped.append("smtp: aiosmtpd is not installed (pip install 'art32-scanner[lab]')")

    def _start_ssh(self) -> None:
        reason = ssh_lab.available()
        if reason is not None:
            self.skipped.append(f"ssh: {reason}")
            return
        self.ssh = ssh_lab.SshLab(self.folder)
        self.ssh.start()

    def _start_clouds(self) -> None:
        if GcsLab.available():
            self.gcs = GcsLab()
            self.gcs.start()
        else:
            self.skipped.append("gcp: gcp-storage-emulator is not installed (pip install 'art32-scanner[lab]')")
        if self.ca is not None:
            self.azure = AzureLab(self.folder, self.ca)
            self.azure.start()

    def stop(self) -> None:
        for stand_in in (self.aws, self.tls, self.smtp, self.ssh, self.gcs, self.azure):
            if stand_in is not None:
                stand_in.stop()
        self.aws = None
        self.tls = None
        self.smtp = None
        self.ssh = None
        self.gcs = None
        self.azure = None
        self._restore_environment()
        if self._owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _write_aws_files(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        credentials = (
            f"[{LAB_PROFILE}]\naws_access_key_id = {LAB_ACCESS_KEY}\n"
            f"aws_secret_access_key = {LAB_SECRET_KEY}\n"
        )
        (self.folder / "aws-credentials").write_text(credentials, encoding="utf-8")
        (self.folder / "aws-config").write_text(
            f"[profile {LAB_PROFILE}]\nregion = {LAB_REGION}\n", encoding="utf-8"
        )

    def _write_scan_file(self) -> None:
        targets: dict[str, list[dict[str, object]]] = {}
        if self.aws is not None:
            targets["aws"] = [{
                "name": "lab",
                "aws_profile": LAB_PROFILE,
                "regions": [LAB_REGION],
                "endpoint_url": self.aws.endpoint_url,
            }]
        if self.ca is not None:
            targets["tls"] = [{
                "name": server.name,
                "host": "127.0.0.1",
                "port": server.port,
                "sni": "localhost",
                "ca_file": str(self.ca.cert_path),
                **({"starttls": "smtp"} if server is self._smtp_server() else {}),
            } for server in self.tls_servers()]
        if self.ssh is not None:
            targets["ssh"] = [{
                "name": host.name,
                "host": "127.0.0.1",
                "port": host.port,
                "user": ssh_lab.AUDIT_USER,
                "key_file": str(self.ssh.key_file),
                "known_hosts": str(self.ssh.known_hosts),
                "sudo": True,
            } for host in self.ssh.hosts]
        if self.gcs is not None:
            targets["gcp"] = [{"name": "gcp-lab", "project": GCP_PROJECT, "endpoint_url": self.gcs.endpoint_url}]
        if self.azure is not None:
            targets["azure"] = self.azure.targets()
        document = {"profile": self.profile, "targets": targets}
        self.scan_file.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    def tls_servers(self) -> list[LabTlsServer]:
        """Return the running TLS endpoints of the lab, SMTP with STARTTLS included."""
        servers = list(self.tls.servers) if self.tls is not None else []
        if self.smtp is not None:
            servers.append(self.smtp.server)
        return servers

    def _smtp_server(self) -> LabTlsServer | None:
        return self.smtp.server if self.smtp is not None else None

    def _set_environment(self) -> None:
        for key, value in self.environment.items():
            self._saved_environment[key] = os.environ.get(key)
            os.environ[key] = value

    def _restore_environment(self) -> None:
        for key, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environment.clear()
