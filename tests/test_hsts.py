"""Strict-Transport-Security parsing by RFC 6797, section 6.1."""

import pytest

from checks.tls.hsts import Hsts, HstsError, parse_hsts

VALID = [
    ("max-age=31536000", Hsts(31536000, False, False)),
    ("max-age=31536000; includeSubDomains", Hsts(31536000, True, False)),
    ("MAX-AGE=10;INCLUDESUBDOMAINS;Preload", Hsts(10, True, True)),
    ('max-age="63072000"', Hsts(63072000, False, False)),
    ("  max-age = 5 ;  includeSubDomains  ", Hsts(5, True, False)),
    ("max-age=0", Hsts(0, False, False)),
    ("max-age=100; unknown-directive=value; other", Hsts(100, False, False)),
    ("includeSubDomains; max-age=7", Hsts(7, True, False)),
    ("max-age=1;;", Hsts(1, False, False)),
]

INVALID = [
    ("", "max-age directive is missing"),
    ("includeSubDomains", "max-age directive is missing"),
    ("max-age=-1", "is not a number"),
    ("max-age=1y", "is not a number"),
    ("max-age", "is not a number"),
    ("max-age=1; max-age=2", "appears twice"),
    ("max-age=1; includeSubDomains; includesubdomains", "appears twice"),
    ('max-age="1', "malformed directive"),
    ("max-age=1, includeSubDomains", "malformed directive"),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_valid_headers(value, expected):
    assert parse_hsts(value) == expected


@pytest.mark.parametrize(("value", "words"), INVALID)
def test_invalid_headers_rejected(value, words):
    with pytest.raises(HstsError, match=words):
        parse_hsts(value)
