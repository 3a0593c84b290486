"""Read sshd_config as sshd does: case-insensitive keywords, the first value wins, and
`Match` blocks that override the global settings for the connections they match
(sshd_config(5), OpenSSH 9)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

# OpenSSH's defaults for the keywords the checks read, where the file does not set them.
DEFAULTS = {
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "permitrootlogin": "prohibit-password",
    "authenticationmethods": "any",
    "usepam": "no",
}
ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication"}
_LINE = re.compile(r"^(\S+?)(?:\s*=\s*|\s+)(.*)$")


@dataclass(frozen=True)
class MatchBlock:
    criteria: str
    settings: Mapping[str, str]


@dataclass(frozen=True)
class SshdConfig:
    """Global settings and `Match` blocks, keywords in lower case."""

    settings: Mapping[str, str] = field(default_factory=dict)
    matches: tuple[MatchBlock, ...] = ()
    includes: tuple[str, ...] = ()

    def value(self, keyword: str) -> str:
        return self.settings.get(keyword, DEFAULTS.get(keyword, "")).lower()

    def effective_global(self) -> dict[str, str]:
        """Return the settings for a connection that matches no Match block."""
        result = dict(DEFAULTS)
        result.update({k: v.lower() for k, v in self.settings.items()})
        return result

    def effective(self, block: MatchBlock) -> dict[str, str]:
        """Return the settings for a connection that matches `block` and no other block."""
        result = self.effective_global()
        result.update({k: v.lower() for k, v in block.settings.items()})
        return result


def parse_sshd_config(main: str, included: Mapping[str, list[str]] | None = None) -> SshdConfig:
    """Parse the main file; an Include line reads its files in place, as sshd does.

    `included` maps each Include pattern to the texts of the files it expands to, in
    the order sshd reads them (sorted by name).
    """
    settings: dict[str, str] = {}
    matches: list[tuple[str, dict[str, str]]] = []
    includes: list[str] = []
    for keyword, value in _expand(main, included or {}, includes, depth=0):
        if keyword == "match":
            matches.append((value, {}))
        elif matches:
            matches[-1][1].setdefault(keyword, value)
        else:
            settings.setdefault(keyword, value)
    return SshdConfig(
        settings=settings,
        matches=tuple(MatchBlock(criteria, block) for criteria, block in matches),
        includes=tuple(includes),
    )


def include_patterns(text: str) -> list[str]:
    """Return the patterns of the Include lines of one file."""
    return [pattern for keyword, value in _lines(text) if keyword == "include" for pattern in value.split()]


def _expand(
    text: str, included: Mapping[str, list[str]], includes: list[str], depth: int
) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for keyword, value in _lines(text):
        if keyword != "include":
            lines.append((keyword, value))
            continue
        for pattern in value.split():
            includes.append(pattern)
            # sshd limits Include nesting too; 16 levels is deeper than any real layout.
            if depth < 16:
                for child in included.get(pattern, []):
                    lines.extend(_expand(child, included, includes, depth + 1))
    return lines


def _lines(text: str) -> list[tuple[str, str]]:
    parsed = []
    for raw in text.splitlines():
        match = _LINE.match(raw.strip())
        if match is None or raw.strip().startswith("#"):
            continue
        keyword = ALIASES.get(match.group(1).lower(), match.group(1).lower())
        value = match.group(2).strip()
        if keyword != "match" and value.startswith('"'):
            value = " ".join(shlex.split(value))
        parsed.append((keyword, value))
    return parsed


def method_lists(authentication_methods: str) -> list[list[str]]:
    """Split AuthenticationMethods into its lists; `any` is one list of one method each."""
    if authentication_methods in ("", "any"):
        return []
    return [entry.split(",") for entry in authentication_methods.split()]
