import dataclasses
from importlib.metadata import EntryPoint

import pytest

from checks.aws import PLUGIN as AWS_PLUGIN
from checks.aws.s3 import versioning
from scanner.model import Parameter
from scanner.registry import PluginError, Registry, _load_entry_point
from tests.plugins import FakePlugin, fake_check


def test_entry_points_find_builtin_checks(registry):
    assert "aws" in registry.plugins
    assert "aws.s3.default_encryption" in registry.checks
    assert "aws.s3.versioning" in registry.checks


def test_catalogue_carries_metadata(registry):
    meta = registry.checks["aws.s3.default_encryption"].meta

    assert meta.measure.value == "encryption"
    assert [o.value for o in meta.outcomes] == ["confidentiality"]
    assert [a.value for a in meta.articles] == ["32(1)(a)"]
    assert "s3:GetEncryptionConfiguration" in meta.permissions
    assert meta.parameter("min_key").default == "provider"


def _with_meta(**changes):
    item = fake_check()
    return dataclasses.replace(item, meta=dataclasses.replace(item.meta, **changes))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": "fake.Bad-Id"}, "lower-case and dotted"),
        ({"id": "other.thing"}, "must start with its provider, 'fake.'"),
        ({"outcomes": ()}, "at least one outcome"),
        ({"articles": ()}, "at least one Article 32 point"),
        ({"articles": ("32(1)(e)",)}, "articles must be among"),
        ({"measure": "encryption-ish"}, "measure 'encryption-ish' must be one of"),
        ({"permissions": ()}, "no permissions"),
        ({"title": " "}, "title must be a non-empty string"),
        ({"scope": "planet"}, "scope 'planet'"),
        ({"parameters": (Parameter("min_days", int, "seven", "days kept"),)},
         "the default 'seven' is not a int"),
        ({"parameters": (Parameter("level", str, "x", "level", choices=("a", "b")),)},
         "not among its choices"),
        ({"parameters": (Parameter("flag", int, True, "a flag"),)}, "is not a int"),
    ],
)
def test_invalid_metadata_names_plugin_and_check(changes, expected):
    plugin = FakePlugin(checks=(_with_meta(**changes),))

    with pytest.raises(PluginError) as raised:
        Registry.from_plugins([plugin])

    assert "plugin 'fake'" in str(raised.value)
    assert expected in str(raised.value)


def test_duplicate_check_id_rejected():
    plugin = FakePlugin(checks=(fake_check(), fake_check()))

    with pytest.raises(PluginError, match="already used by another check"):
        Registry.from_plugins([plugin])


def test_duplicate_plugin_rejected():
    with pytest.raises(PluginError, match="registered twice"):
        Registry.from_plugins([FakePlugin(), FakePlugin()])


def test_check_of_another_provider_rejected():
    plugin = FakePlugin(checks=(versioning,))

    with pytest.raises(PluginError, match="must start with its provider"):
        Registry.from_plugins([plugin])


def test_entry_point_import_failure_names_plugin():
    entry_point = EntryPoint(name="broken", value="no_such_module:PLUGIN", group="art32.checks")

    with pytest.raises(PluginError) as raised:
        _load_entry_point(entry_point)

    assert "plugin 'broken' (no_such_module:PLUGIN) failed to load" in str(raised.value)
    assert "ModuleNotFoundError" in str(raised.value)


def test_entry_point_wrong_object_rejected():
    entry_point = EntryPoint(name="aws", value="checks.aws.s3:CHECKS", group="art32.checks")

    with pytest.raises(PluginError, match="is a tuple, expected a ProviderPlugin"):
        _load_entry_point(entry_point)


def test_entry_point_name_must_match_plugin():
    entry_point = EntryPoint(name="amazon", value="checks.aws:PLUGIN", group="art32.checks")

    with pytest.raises(PluginError, match="calls itself 'aws'"):
        _load_entry_point(entry_point)


def test_builtin_plugin_validates():
    registry = Registry.from_plugins([AWS_PLUGIN])

    assert set(registry.checks) >= {"aws.s3.default_encryption", "aws.s3.versioning"}
