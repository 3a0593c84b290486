"""Parse a Strict-Transport-Security header value as RFC 6797, section 6.1, defines it.

Directive names are case-insensitive, and values are tokens or quoted strings. Every
directive may appear at most once, and `max-age` is required and is a run of digits. A
header that breaks any of these rules is invalid and a browser ignores it, so it counts
as absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_DIRECTIVE = re.compile(rf"^\s*({_TOKEN})\s*(?:=\s*({_TOKEN}|{_QUOTED}))?\s*$")


@dataclass(frozen=True, slots=True)
class Hsts:
    max_age: int
    include_subdomains: bool
    preload: bool


class HstsError(ValueError):
    """The header value is not a valid Strict-Transport-Security value."""


def parse_hsts(value: str) -> Hsts:
    """Return the parsed header; raise HstsError naming the rule it breaks."""
    directives: dict[str, str | None] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        match = _DIRECTIVE.match(part)
        if match is None:
            raise HstsError(f"malformed directive {part.strip()!r}")
        name = match.group(1).lower()
        if name in directives:
            raise HstsError(f"directive {name!r} appears twice")
        directives[name] = _unquote(match.group(2)) if match.group(2) is not None else None

    if "max-age" not in directives:
        raise HstsError("the required max-age directive is missing")
    max_age = directives["max-age"]
    if max_age is None or not max_age.isdigit():
        raise HstsError(f"max-age {max_age!r} is not a number of seconds")
    return Hsts(
        max_age=int(max_age),
        include_subdomains="includesubdomains" in directives,
        preload="preload" in directives,
    )


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
