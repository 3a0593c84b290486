from pathlib import Path

import pytest

from scanner.cli import main
from scanner.config import load_scan_file
from scanner.profile import load_profile, packaged_profiles
from scanner.validation import ConfigError, deep_merge
from tests.conftest import write

VALID = """\
profile: baseline
targets:
  aws:
    - name: prod
      aws_profile: prod-audit
      regions: [eu-west-1, eu-central-1]
      endpoint_url: http://127.0.0.1:5000
"""


def _problems(path: Path, registry) -> str:
    with pytest.raises(ConfigError) as raised:
        load_scan_file(path, registry)
    return str(raised.value)


def test_valid_scan_file_loads(tmp_path, registry):
    config = load_scan_file(write(tmp_path / "art32.yaml", VALID), registry)

    assert [t.name for t in config.targets] == ["prod"]
    assert config.profile.name == "baseline"
    assert config.profile.fail_on.value == "high"
    assert "aws.s3.versioning" in config.profile.check_ids


def test_wrong_type_names_key_and_expectation(tmp_path, registry):
    path = write(tmp_path / "art32.yaml", VALID.replace("[eu-west-1, eu-central-1]", "eu-west-1"))

    message = _problems(path, registry)

    assert message.startswith(f"{path}: targets.aws[0].regions: ")
    assert "expected a list, got a string 'eu-west-1'" in message


def test_unknown_key_suggests_fix(tmp_path, registry):
    path = write(tmp_path / "art32.yaml", VALID.replace("regions:", "regoins:"))

    message = _problems(path, registry)

    assert "targets.aws[0].regoins: unknown key (did you mean 'regions'?)" in message
    assert "allowed keys here: name, aws_profile, role_arn" in message


def test_unknown_top_level_key(tmp_path, registry):
    path = write(tmp_path / "art32.yaml", VALID + "profil: strict\n")

    message = _problems(path, registry)

    assert "profil: unknown key (did you mean 'profile'?)" in message


def test_missing_file(tmp_path, registry):
    message = _problems(tmp_path / "absent.yaml", registry)

    assert message == f"{tmp_path / 'absent.yaml'}: scan file not found; check the path"


def test_not_yaml_gives_line_and_column(tmp_path, registry):
    path = write(tmp_path / "art32.yaml", "targets:\n  aws: [\n    - name: x\n")

    message = _problems(path, registry)

    assert message.startswith(f"{path}: line ")
    assert "not valid YAML" in message


def test_empty_file(tmp_path, registry):
    message = _problems(write(tmp_path / "art32.yaml", ""), registry)

    assert "scan file is empty" in message


def test_top_level_list(tmp_path, registry):
    message = _problems(write(tmp_path / "art32.yaml", "- aws\n"), registry)

    assert "expected a mapping of keys to values at the top level, got a list" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("eu-west-1, eu-central-1", "eu-west-1, Frankfurt", "'Frankfurt' is not an AWS region name"),
        ("http://127.0.0.1:5000", "http://169.254.169.254/", "metadata address is never a scan endpoint"),
        ("http://127.0.0.1:5000", "ftp://127.0.0.1", "expected an http:// or https:// URL"),
        ("aws_profile: prod-audit", "role_arn: prod", "expected an IAM role ARN"),
        ("name: prod", "name: 'bad name'", "targets.aws[0].name"),
    ],
)
def test_invalid_target_values(tmp_path, registry, old, new, expected):
    message = _problems(write(tmp_path / "art32.yaml", VALID.replace(old, new)), registry)

    assert expected in message


def test_repeated_target_name(tmp_path, registry):
    text = VALID + "    - name: prod\n"

    message = _problems(write(tmp_path / "art32.yaml", text), registry)

    assert "target name 'prod' repeats targets.aws[0]" in message


def test_no_targets(tmp_path, registry):
    message = _problems(write(tmp_path / "art32.yaml", "profile: baseline\n"), registry)

    assert "no targets" in message


def test_several_problems_listed_together(tmp_path, registry):
    text = VALID.replace("regions:", "regoins:").replace("name: prod", "name: 5")

    message = _problems(write(tmp_path / "art32.yaml", text), registry)

    assert "2 problems" in message


def test_validate_command_exits_two_without_traceback(tmp_path, capsys):
    path = write(tmp_path / "art32.yaml", VALID.replace("regions:", "regoins:"))

    status = main(["validate", "-c", str(path)])

    captured = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in captured.err
    assert "regoins" in captured.err


def test_validate_command_accepts_valid_file(tmp_path, capsys):
    path = write(tmp_path / "art32.yaml", VALID)

    status = main(["validate", "-c", str(path)])

    assert status == 0
    assert "valid" in capsys.readouterr().out


# Profiles


def test_baseline_is_shipped():
    assert "baseline" in packaged_profiles()


def test_unknown_profile_name(tmp_path, registry):
    path = write(tmp_path / "art32.yaml", VALID.replace("profile: baseline", "profile: baseln"))

    message = _problems(path, registry)

    assert "no profile named 'baseln' (did you mean 'baseline'?)" in message


def test_profile_path_relative_to_scan_file(tmp_path, registry):
    write(tmp_path / "mine.yaml", "name: mine\nfail_on: medium\n")
    path = write(tmp_path / "art32.yaml", VALID.replace("profile: baseline", "profile: ./mine.yaml"))

    config = load_scan_file(path, registry)

    assert config.profile.name == "mine"
    assert config.profile.fail_on.value == "medium"


def test_extends_merges_mappings_and_replaces_lists(tmp_path, registry):
    write(tmp_path / "parent.yaml", (
        "name: parent\nfail_on: critical\n"
        "checks: {include: ['aws.*'], exclude: ['aws.s3.versioning']}\n"
        "severity: {aws.s3.versioning: low}\n"
    ))
    child = write(tmp_path / "child.yaml", (
        "name: child\nextends: ./parent.yaml\n"
        "checks: {exclude: []}\n"
        "parameters: {aws.s3.default_encryption: {min_key: kms}}\n"
    ))

    profile = load_profile(str(child), registry)

    assert profile.fail_on.value == "critical"
    assert "aws.s3.versioning" in profile.check_ids
    assert profile.severity["aws.s3.versioning"].value == "low"
    assert profile.parameters["aws.s3.default_encryption"]["min_key"] == "kms"
    assert profile.sources == (str(child), str(tmp_path / "./parent.yaml"))


def test_extends_packaged_profile(tmp_path, registry):
    child = write(tmp_path / "child.yaml", "extends: baseline\nfail_on: low\n")

    profile = load_profile(str(child), registry)

    assert profile.name == "child"
    assert profile.fail_on.value == "low"


def test_extends_cycle_rejected(tmp_path, registry):
    write(tmp_path / "a.yaml", "extends: ./b.yaml\n")
    write(tmp_path / "b.yaml", "extends: ./a.yaml\n")

    with pytest.raises(ConfigError, match="extends forms a cycle"):
        load_profile(str(tmp_path / "a.yaml"), registry)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parameters: {aws.s3.default_encryptoin: {min_key: kms}}",
         "parameters.aws.s3.default_encryptoin: unknown check (did you mean 'aws.s3.default_encryption'?)"),
        ("parameters: {aws.s3.default_encryption: {min_kye: kms}}",
         "unknown parameter (did you mean 'min_key'?); this check takes: min_key"),
        ("parameters: {aws.s3.default_encryption: {min_key: hsm}}",
         "invalid value 'hsm'; expected one of provider, kms, customer_kms"),
        ("parameters: {aws.s3.default_encryption: {min_key: 3}}", "expected a str, got 3"),
        ("severity: {aws.s3.versioning: severe}", "severity.aws.s3.versioning: invalid value 'severe'"),
        ("fail_on: urgent", "fail_on: invalid value 'urgent'"),
        ("check: {include: ['*']}", "check: unknown key (did you mean 'checks'?)"),
    ],
)
def test_profile_errors_name_key(tmp_path, registry, text, expected):
    path = write(tmp_path / "profile.yaml", text + "\n")

    with pytest.raises(ConfigError) as raised:
        load_profile(str(path), registry)

    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_pattern_matching_nothing_warns(tmp_path, registry):
    path = write(tmp_path / "p.yaml", "checks: {exclude: ['aws.lambda.*']}\n")

    profile = load_profile(str(path), registry)

    assert profile.warnings == ("check pattern 'aws.lambda.*' matches no installed check",)


def test_deep_merge():
    merged = deep_merge({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3]}, "c": 2})

    assert merged == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}


def test_setting_for_missing_provider_warns(tmp_path, registry):
    path = write(tmp_path / "p.yaml", "severity: {oci.storage.versioning: low}\n")

    profile = load_profile(str(path), registry)

    assert profile.warnings == (
        "severity.oci.storage.versioning: provider 'oci' is not installed; the setting is ignored",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("targets:\n  azure:\n    - subscription_id: not-a-uuid\n",
         "targets.azure[0].subscription_id: invalid value 'not-a-uuid'; expected a UUID"),
        ("targets:\n  tls:\n    - {host: 127.0.0.1, port: 70000}\n",
         "targets.tls[0].port: invalid value 70000; expected a number of at most 65535"),
        ("targets: {tls: [{host: 127.0.0.1}]}\nsettings: {max_workers: -3}\n",
         "settings.max_workers: invalid value -3; expected a number of at least 1"),
        ("targets:\n  gcp:\n    - project: Bad_Project\n", "expected a Google Cloud project id"),
        ("profile: baselin\ntargets: {tls: [{host: 127.0.0.1}]}\n", "profile: no profile named 'baselin'"),
    ],
)
def test_messages_say_what_was_expected(tmp_path, registry, text, expected):
    path = write(tmp_path / "art32.yaml", text)

    message = _problems(path, registry)

    assert message.startswith(str(path))
    assert expected in message


def test_child_profile_keeps_own_name(tmp_path, registry):
    child = write(tmp_path / "team.yaml", "extends: baseline\nfail_on: low\n")

    assert load_profile(str(child), registry).name == "team"
