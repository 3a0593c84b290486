"""Turn YAML and pydantic failures into errors that name the file, the key and the fix."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

_EXPECTED = {
    "list_type": "a list",
    "tuple_type": "a list",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
}


class ConfigError(Exception):
    """Invalid user input: a scan file, a profile or a command-line value. The CLI exits 2."""

    def __init__(self, source: str | Path, problems: Sequence[str]) -> None:
        self.source = str(source)
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        if len(self.problems) == 1:
            return f"{self.source}: {self.problems[0]}"
        lines = [f"{self.source}: {len(self.problems)} problems"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


def read_yaml_mapping(path: Path, kind: str) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping; raise ConfigError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [f"{kind} not found; check the path"]) from None
    except IsADirectoryError:
        raise ConfigError(path, [f"{kind} is a directory; name a YAML file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"{kind} cannot be read: {error}"]) from None

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(path, [_yaml_problem(error)]) from None

    if data is None:
        raise ConfigError(path, [f"{kind} is empty; expected a mapping of keys to values"])
    if not isinstance(data, dict):
        raise ConfigError(
            path, [f"expected a mapping of keys to values at the top level, got {_kind_of(data)}"]
        )
    return data


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}not valid YAML: {problem}"


def describe_validation_error(error: ValidationError, model: type[BaseModel]) -> list[str]:
    """Return one plain sentence per pydantic error, each led by the dotted key path."""
    problems = []
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        key = format_key(location)
        problems.append(f"{key}: {_describe(item, model, location)}")
    return problems


def format_key(location: Sequence[int | str]) -> str:
    """Format a pydantic location as `targets.aws[0].regions`."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _describe(item: Any, model: type[BaseModel], location: tuple[int | str, ...]) -> str:
    kind = item["type"]
    got = item.get("input")

    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, location[:-1])
        hint = _suggest(str(location[-1]), allowed)
        listing = ", ".join(allowed) if allowed else "none"
        return f"unknown key{hint}; allowed keys here: {listing}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_kind_of(got)} {_short(got)}"
    if kind in ("literal_error", "enum"):
        expected = item.get("ctx", {}).get("expected", "")
        return f"invalid value {_short(got)}; expected {expected}"
    bounds = _BOUNDS.get(kind)
    if bounds is not None:
        limit = next(iter(item.get("ctx", {}).values()), "")
        return f"invalid value {_short(got)}; expected a number {bounds} {limit}"
    if kind == "string_pattern_mismatch":
        return f"invalid value {_short(got)}; expected {_pattern_hint(str(item.get('ctx', {}).get('pattern', '')))}"
    if kind == "string_too_short":
        return "expected a non-empty string"
    message = str(item["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    # A validator's own message often names the value already.
    if isinstance(got, str | int | float) and str(got) in message:
        return message
    return f"{message} (got {_short(got)})"


_BOUNDS = {
    "greater_than_equal": "of at least",
    "greater_than": "greater than",
    "less_than_equal": "of at most",
    "less_than": "less than",
}
_PATTERN_HINTS = {
    "[0-9a-fA-F]{8}-": "a UUID such as 00000000-0000-0000-0000-000000000000",
    "[a-z][a-z0-9-]{4,28}": "a Google Cloud project id: 6 to 30 lower-case letters, digits and hyphens",
    "A-Za-z_][A-Za-z0-9_]*$": "an environment variable name such as AUDIT_KEY_PASSPHRASE",
    "[A-Za-z0-9][A-Za-z0-9_.@-]*$": "a name of letters, digits, '.', '_', '@' and '-'",
}


def _pattern_hint(pattern: str) -> str:
    return next((hint for fragment, hint in _PATTERN_HINTS.items() if fragment in pattern),
                f"a value matching {pattern}")


def allowed_keys(model: type[BaseModel], location: Sequence[int | str]) -> list[str]:
    """List the field names of the model that sits at `location` inside `model`."""
    current: Any = model
    for part in location:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            current = field.annotation if field else None
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional and unions with None, so `X | None` is walked as X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


def suggest_name(name: str, known: Sequence[str]) -> str:
    """Return ` (did you mean 'x'?)` for a near miss, or an empty string."""
    return _suggest(name, known)


def _suggest(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "an empty value"
    return type(value).__name__


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge two mappings: nested mappings merge, anything else in `override` replaces."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result
