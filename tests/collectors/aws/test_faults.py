"""Faults: an endpoint that refuses connections, a service that throttles, a service the credentials may not
read. Error findings for what could not be read, everything else judged, exit code 1, reports written."""

from __future__ import annotations

import json
import socket
from urllib.request import Request, urlopen

import boto3
import pytest

from vigil.moto_server import MotoServer

from .conftest import CREDENTIALS, by_check, scan

REGION = "eu-west-1"


def refused_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_auditor(url: str) -> dict[str, str]:
    """An auditor allowed everything but S3, and a bucket and an open security group to judge."""
    kwargs = {
        "region_name": REGION,
        "endpoint_url": url,
        **{k.lower(): v for k, v in CREDENTIALS.items() if k != "AWS_DEFAULT_REGION"},
    }
    iam = boto3.client("iam", **kwargs)
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="audit-but-not-s3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    boto3.client("s3", **kwargs).create_bucket(
        Bucket="orders", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    ec2 = boto3.client("ec2", **kwargs)
    group = ec2.create_security_group(GroupName="ssh", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    # from now on moto checks every request against the caller's IAM policies
    reset = Request(
        f"{url}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
    urlopen(reset, timeout=10).read()  # noqa: S310 - our loopback server
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        "group": group,
    }


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    # kms throttles every time (its units fail after the retries), iam only twice (retried, then fine)
    server = MotoServer(env=CREDENTIALS)
    url = server.start()
    try:
        auditor = seed_auditor(url)
        server.throttle("kms=100000,iam=2")
        work = tmp_path_factory.mktemp("aws-faults")
        (work / "staff.csv").write_text(
            "id,name,status,personal_data_access\ne1,Ann,active,yes\n", encoding="utf-8"
        )
        sources = {
            "aws": [
                {
                    "name": "reachable",
                    "endpoint_url": url,
                    "regions": [REGION],
                    "budgets": {"max_attempts": 3},
                },
                {
                    "name": "unreachable",
                    "endpoint_url": f"http://127.0.0.1:{refused_port()}",
                    "regions": [REGION],
                    "budgets": {"max_attempts": 1},
                },
            ],
            "personnel": "staff.csv",
        }
        env = {k: v for k, v in auditor.items() if k.startswith("AWS_")}
        code, stderr, results = scan(work, sources, env=env)
    finally:
        server.stop()
    return {"code": code, "stderr": stderr, "results": results, "dir": work, "group": auditor["group"]}


def errors(results: dict, check: str) -> list[str]:
    return [f["message"] for f in results["findings"] if f["check_id"] == check and f["status"] == "error"]


def _the_run_completes_with_exit_1_and_every_report(faulty):
    assert faulty["code"] == 1
    for name in ("results.json", "report.html", "results.sarif", "junit.xml", "findings.csv", "summary.md"):
        assert (faulty["dir"] / "out" / name).exists(), name
    assert "Traceback" not in faulty["stderr"]


def _refused_endpoint_becomes_error_findings(faulty):
    messages = errors(faulty["results"], "aws.ec2.sg_public_ingress")
    assert any("cannot reach the AWS endpoint" in m for m in messages), messages


def _denied_service_errors_only_its_checks_naming_the_permission(faulty):
    found = by_check(faulty["results"])
    messages = errors(faulty["results"], "aws.s3.bucket_not_public")
    assert any("s3:ListAllMyBuckets denied" in m for m in messages), messages
    sg = f"arn:aws:ec2:{REGION}:123456789012:security-group/{faulty['group']}"
    assert found[("aws.ec2.sg_public_ingress", sg)] == "fail", "EC2 is still judged"


def _throttling_is_retried_or_reported(faulty):
    messages = errors(faulty["results"], "aws.kms.key_rotation")
    assert any("throttled after every retry" in m for m in messages), messages
    assert "aws iam reachable:global:" in faulty["stderr"]
    assert not errors(faulty["results"], "aws.iam.no_admin_access") or all(
        "unreachable" in m or "cannot reach" in m
        for m in errors(faulty["results"], "aws.iam.no_admin_access")
    )
    assert " 2 throttled" in faulty["stderr"] or " 1 throttled" in faulty["stderr"], faulty["stderr"]
    people = [
        f for f in faulty["results"]["findings"] if f["check_id"] == "records.personnel.access_only_active"
    ]
    assert [f["status"] for f in people] == ["pass"], "other sources are judged as usual"


def test_faults_end_to_end(faulty):
    # one test, so that the server and the scan run once even when pytest-xdist spreads tests
    _the_run_completes_with_exit_1_and_every_report(faulty)
    _refused_endpoint_becomes_error_findings(faulty)
    _denied_service_errors_only_its_checks_naming_the_permission(faulty)
    _throttling_is_retried_or_reported(faulty)
