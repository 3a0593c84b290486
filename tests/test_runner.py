"""The runner: planning, and errors that never cost other findings."""

from __future__ import annotations

from pathlib import Path

from scanner.config import build_scan_config, load_scan_file
from scanner.lab.aws import BUCKETS, LAB_PROFILE, LAB_REGION
from scanner.model import Status
from scanner.registry import Registry
from scanner.runner import plan, run_scan
from tests.conftest import write
from tests.plugins import FakePlugin, fake_check
from tests.servers import closed_port


def test_unreachable_target_keeps_healthy_findings(tmp_path, lab, registry):
    port = closed_port()
    path = write(tmp_path / "art32.yaml", f"""\
targets:
  aws:
    - name: broken
      aws_profile: {LAB_PROFILE}
      endpoint_url: http://127.0.0.1:{port}
    - name: lab
      aws_profile: {LAB_PROFILE}
      regions: [{LAB_REGION}]
      endpoint_url: {lab.aws.endpoint_url}
settings:
  max_attempts: 1
""")
    config = load_scan_file(path, registry)

    result = run_scan(config, registry)

    broken = [f for f in result.findings if f.resource.id == "aws://broken"]
    healthy = [f for f in result.findings if f.resource.id != "aws://broken"]
    aws_checks = [c for c in config.profile.check_ids if c.startswith("aws.")]
    assert sorted(f.check_id for f in broken) == aws_checks
    for finding in broken:
        assert finding.status is Status.ERROR
        assert finding.evidence["reason"] == "unreachable"
        assert f"127.0.0.1:{port}" in finding.message
    s3_bucket_checks = [c for c in aws_checks if c.startswith("aws.s3.") and c != "aws.s3.account_public_access_block"]
    buckets = [f for f in healthy if f.resource.type == "aws.s3.bucket"]
    assert len(buckets) == len(s3_bucket_checks) * len(BUCKETS)
    # The lab's one expected error is its invalid bucket policy.
    errors = [f.resource.id for f in healthy if f.status is Status.ERROR and f.resource.provider == "aws"]
    assert errors == ["arn:aws:s3:::art32-lab-policy-invalid"]
    assert [t.name for t in result.targets] == ["broken", "lab"]
    assert result.targets[1].account == "123456789012"


def _fake_config(registry: Registry, targets: list[dict]):
    data = {"profile": "baseline", "targets": {"fake": targets}}
    return build_scan_config(data, "inline", registry, Path.cwd())


def test_raising_check_is_error_and_others_kept():
    registry = Registry.from_plugins(
        [FakePlugin(checks=(fake_check("fake.good"), fake_check("fake.buggy", raises=True)))]
    )
    config = _fake_config(registry, [{"name": "one", "flags": {"a": True, "b": False}}])

    result = run_scan(config, registry)

    by_check = {(f.check_id, f.resource.id): f for f in result.findings}
    assert by_check[("fake.good", "fake://one/a")].status is Status.PASS
    assert by_check[("fake.good", "fake://one/b")].status is Status.FAIL
    buggy = by_check[("fake.buggy", "fake://one/a")]
    assert buggy.status is Status.ERROR
    assert buggy.evidence["reason"] == "check_failed"
    assert "bug in check" in buggy.message


def test_unit_error_gives_error_per_check():
    registry = Registry.from_plugins([FakePlugin()])
    config = _fake_config(registry, [
        {"name": "down", "unreachable": True},
        {"name": "up", "flags": {"a": True}},
    ])

    result = run_scan(config, registry)

    statuses = {f.resource.id: f.status for f in result.findings}
    assert statuses == {"fake://down": Status.ERROR, "fake://up/a": Status.PASS}


def test_collector_that_raises_costs_one_unit():
    class ExplodingPlugin(FakePlugin):
        def collect(self, request):
            if request.target.name == "bad":
                raise RuntimeError("plugin bug")
            return super().collect(request)

    registry = Registry.from_plugins([ExplodingPlugin()])
    config = _fake_config(registry, [{"name": "bad"}, {"name": "good", "flags": {"a": False}}])

    result = run_scan(config, registry)

    statuses = sorted((f.resource.id, f.status.value) for f in result.findings)
    assert statuses == [("fake/bad/global", "error"), ("fake://good/a", "fail")]
    error = next(f for f in result.findings if f.status is Status.ERROR)
    assert "plugin bug" in error.message


def test_plan_units_are_stable(registry, tmp_path):
    path = write(tmp_path / "art32.yaml", """\
targets:
  aws:
    - name: prod
      regions: [eu-west-1, eu-central-1]
""")
    config = load_scan_file(path, registry)

    units = plan(config, registry)

    assert [u.unit.key for u in units] == ["aws/prod/global", "aws/prod/eu-west-1", "aws/prod/eu-central-1"]
    assert all(c.meta.scope == "regional" for c in units[1].checks)
    assert units[0].unit.stable_hash() == plan(config, registry)[0].unit.stable_hash()
    assert units[0].facts >= {"aws.s3.encryption", "aws.s3.versioning", "aws.s3.policy"}


def test_profile_excluding_checks_plans_nothing(registry, tmp_path):
    write(tmp_path / "none.yaml", "checks: {include: ['aws.s3.versioning']}\n")
    path = write(tmp_path / "art32.yaml", "profile: ./none.yaml\ntargets: {aws: [{name: x}]}\n")
    config = load_scan_file(path, registry)

    units = plan(config, registry)

    assert [c.meta.id for c in units[0].checks] == ["aws.s3.versioning"]
    assert units[0].facts == {"aws.s3.bucket_list", "aws.s3.versioning"}


def test_progress_bar_only_on_terminal():
    import io

    from rich.console import Console

    from scanner.progress import RichProgress

    registry = Registry.from_plugins([FakePlugin()])
    config = _fake_config(registry, [{"name": "one", "flags": {"a": True}}])
    stream = io.StringIO()

    with RichProgress(Console(file=stream, force_terminal=True, width=80)) as progress:
        run_scan(config, registry, progress)

    assert "fake/one/global" in stream.getvalue() or "scanning" in stream.getvalue()


def test_no_regions_plans_discovery_unit(registry, tmp_path):
    path = write(tmp_path / "art32.yaml", "targets:\n  aws:\n    - name: prod\n")
    config = load_scan_file(path, registry)

    units = plan(config, registry)

    assert [u.unit.key for u in units] == ["aws/prod/global", "aws/prod/all-regions"]
