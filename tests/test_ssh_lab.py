"""The SSH collector against real sshd hosts of the lab: host keys, timeouts, sudo, commands."""

from __future__ import annotations

import socket
import threading

import pytest
import yaml

from scanner.config import load_scan_file
from scanner.lab import ssh as ssh_lab
from scanner.model import Status
from scanner.runner import run_scan
from tests.conftest import write
from tests.servers import closed_port

pytestmark = pytest.mark.skipif(ssh_lab.available() is not None, reason=str(ssh_lab.available()))


def _target(lab, host_name, **changes):
    host = next(h for h in lab.ssh.hosts if h.name == host_name)
    entry = {"name": host_name, "host": "127.0.0.1", "port": host.port, "user": ssh_lab.AUDIT_USER,
             "key_file": str(lab.ssh.key_file), "known_hosts": str(lab.ssh.known_hosts), "sudo": True}
    entry.update(changes)
    return entry


def _scan(tmp_path, registry, targets, profile="baseline", accept_new=False):
    path = write(tmp_path / "art32.yaml", yaml.safe_dump({"profile": profile, "targets": {"ssh": targets}}))
    config = load_scan_file(path, registry)
    if accept_new:
        import dataclasses

        config = dataclasses.replace(config, ssh_accept_new=True)
    return {(f.resource.name, f.check_id): f for f in run_scan(config, registry).findings}


def test_unknown_host_key_rejected(tmp_path, registry, lab):
    empty = write(tmp_path / "known_hosts", "")

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", known_hosts=str(empty))])

    finding = findings[("ssh-hardened", "ssh.sshd.password_auth")]
    assert finding.status is Status.ERROR
    assert finding.evidence["reason"] == "host_key_unknown"
    assert "--ssh-accept-new" in finding.message
    assert empty.read_text() == ""


def test_accept_new_records_key(tmp_path, registry, lab):
    empty = write(tmp_path / "known_hosts", "")

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", known_hosts=str(empty))], accept_new=True)

    assert findings[("ssh-hardened", "ssh.sshd.root_login")].status is Status.PASS
    assert "ssh-ed25519" in empty.read_text()


def test_changed_host_key_rejected(tmp_path, registry, lab):
    weak = next(h for h in lab.ssh.hosts if h.name == "ssh-weak")
    hardened = next(h for h in lab.ssh.hosts if h.name == "ssh-hardened")
    # Give the hardened host's address the weak host's key: a changed key.
    lines = lab.ssh.known_hosts.read_text().splitlines()
    weak_key = next(line for line in lines if f"]:{weak.port} ssh-ed25519" in line)
    swapped = write(tmp_path / "known_hosts", weak_key.replace(f"]:{weak.port}", f"]:{hardened.port}") + "\n")

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", known_hosts=str(swapped))], accept_new=True)

    finding = findings[("ssh-hardened", "ssh.sshd.mfa")]
    assert finding.status is Status.ERROR
    assert finding.evidence["reason"] == "host_key_changed"


def test_stalled_banner_times_out(tmp_path, registry, lab):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    target = _target(lab, "ssh-hardened", port=listener.getsockname()[1], name="stalled")
    path = write(tmp_path / "art32.yaml", yaml.safe_dump({
        "targets": {"ssh": [target]}, "settings": {"connect_timeout": 1}}))

    try:
        findings = run_scan(load_scan_file(path, registry), registry).findings
    finally:
        listener.close()

    assert {f.evidence["reason"] for f in findings} == {"timed_out"}


def test_closed_port_is_connection_refused(tmp_path, registry, lab):
    findings = _scan(tmp_path, registry, [_target(lab, "ssh-weak", port=closed_port(), name="closed")])

    assert {f.evidence["reason"] for f in findings.values()} == {"connection_refused"}


def test_sudo_refused_errors_only_root_facts(tmp_path, registry, lab):
    findings = _scan(tmp_path, registry, [_target(lab, "ssh-weak")])

    assert findings[("ssh-weak", "ssh.backup.scheduled")].status is Status.ERROR
    assert "sudo -n failed" in findings[("ssh-weak", "ssh.backup.scheduled")].message
    assert findings[("ssh-weak", "ssh.sshd.root_login")].status is Status.FAIL
    assert findings[("ssh-weak", "ssh.disk.encrypted")].status is not Status.ERROR


def test_last_backup_command(tmp_path, registry, lab):
    profile = write(tmp_path / "backups.yaml", (
        "extends: baseline\n"
        "parameters: {ssh.backup.recent: {last_backup_command: 'cat /etc/art32-last-backup', max_age_hours: 26}}\n"
    ))
    targets = [_target(lab, "ssh-hardened"), _target(lab, "ssh-weak")]

    findings = _scan(tmp_path, registry, targets, profile=str(profile))

    assert findings[("ssh-hardened", "ssh.backup.recent")].status is Status.PASS
    assert findings[("ssh-hardened", "ssh.backup.recent")].evidence["command"] == "cat /etc/art32-last-backup"
    assert findings[("ssh-weak", "ssh.backup.recent")].status is Status.ERROR


def test_wrong_key_is_authentication_failure(tmp_path, registry, lab):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    other = tmp_path / "other_key"
    other.write_bytes(ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", key_file=str(other))])

    assert findings[("ssh-hardened", "ssh.sshd.mfa")].evidence["reason"] == "authentication_failed"
    assert findings[("ssh-hardened", "ssh.sshd.algorithms")].status is Status.PASS


def test_proxy_jump_reaches_host(tmp_path, registry, lab):
    bastion = next(h for h in lab.ssh.hosts if h.name == "ssh-hardened")
    jump = f"{ssh_lab.AUDIT_USER}@127.0.0.1:{bastion.port}"

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-weak", proxy_jump=jump)])

    assert findings[("ssh-weak", "ssh.sshd.root_login")].status is Status.FAIL
    assert findings[("ssh-weak", "ssh.sshd.algorithms")].status is Status.FAIL


def test_passphrase_from_environment(tmp_path, registry, lab, monkeypatch):
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_ssh_private_key(lab.ssh.key_file.read_bytes(), password=None)
    locked = tmp_path / "locked_key"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                         serialization.BestAvailableEncryption(b"lab passphrase")))
    monkeypatch.setenv("ART32_TEST_PASSPHRASE", "lab passphrase")

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", key_file=str(locked),
                                                  key_passphrase_env="ART32_TEST_PASSPHRASE")])

    assert findings[("ssh-hardened", "ssh.sshd.mfa")].status is Status.PASS


def test_missing_passphrase_variable_rejected(tmp_path, capsys, lab):
    target = _target(lab, "ssh-hardened", key_passphrase_env="ART32_UNSET_VARIABLE")
    path = write(tmp_path / "art32.yaml", yaml.safe_dump({"targets": {"ssh": [target]}}))

    from scanner.cli import main

    assert main(["validate", "-c", str(path)]) == 2
    assert "ART32_UNSET_VARIABLE is not set" in capsys.readouterr().err


def test_operator_command_listed_in_report(tmp_path, registry, lab):
    profile = write(tmp_path / "backups.yaml", (
        "extends: baseline\nparameters: {ssh.backup.recent: {last_backup_command: 'cat /etc/art32-last-backup'}}\n"))
    path = write(tmp_path / "art32.yaml", yaml.safe_dump({
        "profile": str(profile), "targets": {"ssh": [_target(lab, "ssh-hardened")]}}))

    result = run_scan(load_scan_file(path, registry), registry)

    assert result.targets[0].to_dict()["commands"] == ["cat /etc/art32-last-backup"]


def test_unverified_host_gets_no_algorithm_verdict(tmp_path, registry, lab):
    empty = write(tmp_path / "known_hosts", "")

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", known_hosts=str(empty))])

    assert findings[("ssh-hardened", "ssh.sshd.algorithms")].status is Status.ERROR


def test_invalid_key_file_is_credentials_error(tmp_path, registry, lab):
    not_a_key = write(tmp_path / "not_a_key", "hello\n")

    findings = _scan(tmp_path, registry, [_target(lab, "ssh-hardened", key_file=str(not_a_key))])

    assert findings[("ssh-hardened", "ssh.sshd.mfa")].evidence["reason"] == "credentials"


@pytest.mark.parametrize("jump", ["audit@127.0.0.1:notaport", "@@bad:port", "a b"])
def test_invalid_proxy_jump_rejected(tmp_path, capsys, lab, jump):
    from scanner.cli import main

    path = write(tmp_path / "art32.yaml", yaml.safe_dump({"targets": {"ssh": [_target(lab, "ssh-weak",
                                                                                      proxy_jump=jump)]}}))

    assert main(["validate", "-c", str(path)]) == 2
    assert "is not [user@]host[:port]" in capsys.readouterr().err
