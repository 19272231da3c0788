"""An interrupted scan resumes from the evidence already in the output folder (sources.aws[].resume)."""

from __future__ import annotations

import boto3

from vigil.moto_server import MotoServer

from .conftest import CREDENTIALS, by_check, scan

REGION = "eu-west-1"


def test_a_rerun_reuses_fresh_unit_evidence_and_calls_aws_only_for_the_rest(tmp_path):
    server = MotoServer(env=CREDENTIALS)
    url = server.start()
    try:
        keys = {k.lower(): v for k, v in CREDENTIALS.items() if k != "AWS_DEFAULT_REGION"}
        ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=url, **keys)
        group = ec2.create_security_group(GroupName="ssh", Description="ssh")["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
        entry = {"name": "acct", "endpoint_url": url, "regions": [REGION], "resume": True}
        server.requests(reset=True)
        code, _, first = scan(tmp_path, {"aws": [entry]})
        first_requests = server.requests(reset=True)["total"]
        # an interruption: the run's documents are stored, one unit's is lost, no index was written
        evidence = tmp_path / "out" / "evidence"
        (evidence / "index.json").unlink()
        lost = next(
            p
            for p in (evidence / "objects").rglob("*.json")
            if '"collector":"aws.ec2.security_groups"' in p.read_text()
        )
        lost.unlink()
        code_again, stderr, second = scan(tmp_path, {"aws": [entry]})
        second_requests = server.requests()
    finally:
        server.stop()
    assert code == code_again == 1
    assert by_check(first) == by_check(second)
    sg = f"arn:aws:ec2:{REGION}:123456789012:security-group/{group}"
    assert by_check(second)[("aws.ec2.sg_public_ingress", sg)] == "fail"
    assert "resumed from evidence collected" in stderr
    assert first_requests > 20
    # only the lost unit is collected again: its list call and the account lookup
    assert second_requests["by_service"].keys() <= {"ec2", "sts"} and second_requests["total"] <= 3, (
        second_requests
    )
