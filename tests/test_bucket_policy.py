"""Bucket policies read as IAM reads them: spellings that deny plain HTTP, and near misses."""

from __future__ import annotations

import json

import pytest

from checks.aws.bucket_policy import PolicyError, parse_statements, review_tls_statements
from checks.aws.s3_access import tls_only_policy
from checks.aws.s3_facts import BucketPolicy, S3Bucket
from scanner.lab.aws import tls_deny
from scanner.model import Resource, Status

NAME = "personal-data"
ARN = f"arn:aws:s3:::{NAME}"


def _verdict(document: object) -> Status:
    text = document if isinstance(document, str) else json.dumps(document)
    bucket = S3Bucket(Resource("aws", "aws.s3.bucket", ARN), NAME, policy=BucketPolicy(text))
    return tls_only_policy.evaluate(bucket, {}).status


def _document(*statements: dict, single: bool = False) -> dict:
    body = statements[0] if single else list(statements)
    return {"Version": "2012-10-17", "Statement": body}


DENYING = {
    "canonical": tls_deny(NAME),
    "bool if exists": tls_deny(NAME, Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}),
    "json false": tls_deny(NAME, Condition={"Bool": {"aws:SecureTransport": False}}),
    "value list": tls_deny(NAME, Condition={"Bool": {"aws:SecureTransport": ["false"]}}),
    "upper-case value": tls_deny(NAME, Condition={"Bool": {"aws:SecureTransport": "FALSE"}}),
    "lower-case key": tls_deny(NAME, Condition={"Bool": {"aws:securetransport": "false"}}),
    "principal aws star": tls_deny(NAME, Principal={"AWS": "*"}),
    "principal aws list": tls_deny(NAME, Principal={"AWS": ["*"]}),
    "action star": tls_deny(NAME, Action="*"),
    "action list with s3 star": tls_deny(NAME, Action=["s3:GetObject", "s3:*"]),
    "action upper case": tls_deny(NAME, Action="S3:*"),
    "resource star": tls_deny(NAME, Resource="*"),
    "resource wildcard suffix": tls_deny(NAME, Resource=f"{ARN}*"),
    "resource question marks": tls_deny(NAME, Resource=[ARN, "arn:aws:s3:::personal-dat?/*"]),
    "resource list, more entries": tls_deny(NAME, Resource=["arn:aws:s3:::other", ARN, f"{ARN}/*"]),
}

NEAR_MISSES = {
    "allow requiring tls": tls_deny(
        NAME, Effect="Allow", Condition={"Bool": {"aws:SecureTransport": "true"}}),
    "deny over tls": tls_deny(NAME, Condition={"Bool": {"aws:SecureTransport": "true"}}),
    "effect lower case": tls_deny(NAME, Effect="deny"),
    "one principal": tls_deny(NAME, Principal={"AWS": "arn:aws:iam::123456789012:root"}),
    "service principal only": tls_deny(NAME, Principal={"Service": "*"}),
    "not principal": {k: v for k, v in tls_deny(NAME, NotPrincipal={"AWS": "x"}).items()
                      if k != "Principal"},
    "read actions only": tls_deny(NAME, Action=["s3:GetObject", "s3:ListBucket"]),
    "s3 get star": tls_deny(NAME, Action="s3:Get*"),
    "not action": {k: v for k, v in tls_deny(NAME, NotAction="s3:GetObject").items() if k != "Action"},
    "objects only": tls_deny(NAME, Resource=f"{ARN}/*"),
    "bucket only": tls_deny(NAME, Resource=ARN),
    "object prefix only": tls_deny(NAME, Resource=[ARN, f"{ARN}/public/*"]),
    "other bucket": tls_deny(NAME, Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"]),
    "extra condition": tls_deny(NAME, Condition={
        "Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}),
    "no condition": {k: v for k, v in tls_deny(NAME).items() if k != "Condition"},
    "string operator": tls_deny(NAME, Condition={"StringEquals": {"aws:SecureTransport": "false"}}),
    "tls version instead": tls_deny(NAME, Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
}


@pytest.mark.parametrize("statement", DENYING.values(), ids=DENYING.keys())
def test_spellings_that_deny_plain_http(statement):
    assert _verdict(_document(statement)) is Status.PASS


@pytest.mark.parametrize("statement", DENYING.values(), ids=DENYING.keys())
def test_statement_as_single_object(statement):
    assert _verdict(_document(statement, single=True)) is Status.PASS


@pytest.mark.parametrize("statement", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_near_misses_fail(statement):
    assert _verdict(_document(statement)) is Status.FAIL


def test_one_denying_statement_among_others_passes():
    allow = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "s3:GetObject", "Resource": f"{ARN}/*"}

    assert _verdict(_document(allow, NEAR_MISSES["objects only"], tls_deny(NAME))) is Status.PASS


def test_near_miss_reasons_are_evidence():
    bucket = S3Bucket(Resource("aws", "aws.s3.bucket", ARN), NAME,
                      policy=BucketPolicy(json.dumps(_document(NEAR_MISSES["objects only"]))))

    verdict = tls_only_policy.evaluate(bucket, {})

    assert verdict.evidence["denying_statements"] == []
    assert verdict.evidence["near_misses"] == {
        "Sid 'DenyInsecureTransport'": "Resource does not cover both the bucket and all of its objects",
    }


def test_no_policy_fails():
    bucket = S3Bucket(Resource("aws", "aws.s3.bucket", ARN), NAME, policy=BucketPolicy(None))

    verdict = tls_only_policy.evaluate(bucket, {})

    assert verdict.status is Status.FAIL
    assert verdict.evidence == {"policy": "absent"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"Statement": [', "not valid JSON"),
        ("[]", "no Statement"),
        ('{"Version": "2012-10-17"}', "no Statement"),
        ('{"Statement": "Deny"}', "Statement must be an object or a list"),
        ('{"Statement": [1, 2]}', "Statement must be an object or a list"),
    ],
)
def test_unreadable_policy_is_error(text, words):
    with pytest.raises(PolicyError, match=words):
        parse_statements(text)
    assert _verdict(text) is Status.ERROR


def test_statement_labels_prefer_sid():
    reviews = review_tls_statements([{"Effect": "Allow"}, {"Sid": "Mine", "Effect": "Allow"}], ARN)

    assert [r.label for r in reviews] == ["statement 1", "Sid 'Mine'"]


def test_partition_taken_from_resource_id():
    china = "arn:aws-cn:s3:::data"
    statement = tls_deny("data", Resource=[china, f"{china}/*"])

    assert review_tls_statements([statement], china)[0].denies_insecure_transport
