"""Time a full AWS scan of a large account on a moto server: wall time, API requests counted at the server,
peak memory of the scan.

The account: 2,000 IAM roles, 2,000 IAM users, 3,000 security groups and 500 buckets across two regions
(a third of the groups and users carry findings). Targets: under 30 s, under 400 MB, at most 1.2
requests per resource.

    .venv/bin/python bench/aws_scan.py [--scale 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

from vigil.moto_server import MotoServer

REGIONS = ("eu-west-1", "us-east-1")
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGIONS[0],
}
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
)
TARGETS = {"seconds": 30.0, "peak_mb": 400.0, "requests_per_resource": 1.2}


def client(service: str, url: str, region: str = REGIONS[0]):
    return boto3.client(service, region_name=region, endpoint_url=url)


def seed(url: str, roles: int, users: int, groups: int, buckets: int) -> None:
    iam = client("iam", url)
    ec2 = {r: client("ec2", url, r) for r in REGIONS}
    s3 = {r: client("s3", url, r) for r in REGIONS}
    vpcs = {r: ec2[r].describe_vpcs()["Vpcs"][0]["VpcId"] for r in REGIONS}
    # moto builds a service's backend on its first request: make that happen once, not in 8 threads at once
    iam.get_account_summary()
    for region in REGIONS:
        s3[region].list_buckets()

    def role(i: int) -> None:
        iam.create_role(RoleName=f"service-role-{i:05d}", AssumeRolePolicyDocument=TRUST)
        if i % 4 == 0:
            iam.put_role_policy(RoleName=f"service-role-{i:05d}", PolicyName="read", PolicyDocument=POLICY)

    def user(i: int) -> None:
        iam.create_user(UserName=f"user-{i:05d}", Tags=[{"Key": "team", "Value": f"team-{i % 20}"}])
        if i % 3 == 0:
            iam.create_login_profile(UserName=f"user-{i:05d}", Password="Bench-Password-12345")  # noqa: S106

    def group(i: int) -> None:
        region = REGIONS[i % 2]
        gid = ec2[region].create_security_group(
            GroupName=f"sg-{i:05d}", Description="bench", VpcId=vpcs[region]
        )["GroupId"]
        if i % 3 == 0:
            port = (22, 443, 3389)[i % 9 // 3]
            ec2[region].authorize_security_group_ingress(
                GroupId=gid,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )

    def bucket(i: int) -> None:
        region = REGIONS[i % 2]
        kwargs = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3[region].create_bucket(Bucket=f"bench-bucket-{i:05d}", **kwargs)

    # moto's backends are not safe for concurrent writes: one thread per backend (IAM; S3; EC2 per region)
    jobs = [
        lambda: [role(i) for i in range(roles)] + [user(i) for i in range(users)],
        lambda: [bucket(i) for i in range(buckets)],
        *[lambda r=r: [group(i) for i in range(r, groups, len(REGIONS))] for r in range(len(REGIONS))],
    ]
    with ThreadPoolExecutor(len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the account's size")
    args = parser.parse_args()
    sizes = {
        k: max(1, int(v * args.scale))
        for k, v in (("roles", 2000), ("users", 2000), ("groups", 3000), ("buckets", 500))
    }
    os.environ.update(CREDENTIALS)
    server = MotoServer(env={**CREDENTIALS, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
    url = server.start()
    try:
        started = time.perf_counter()
        seed(url, **sizes)
        print(f"seeded {sizes} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        work = Path(tempfile.mkdtemp(prefix="vigil-bench-aws-"))
        (work / "vigil.yaml").write_text(
            json.dumps(
                {"sources": {"aws": [{"name": "bench", "endpoint_url": url, "regions": list(REGIONS)}]}}
            )
        )
        server.requests(reset=True)
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "vigil",
                "--quiet",
                "scan",
                "--config",
                str(work / "vigil.yaml"),
                "--output",
                str(work / "out"),
            ],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        # the scan is the only child waited for so far (the server still runs)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        counted = server.requests()
    finally:
        server.stop()
    if proc.returncode not in (0, 1) or not (work / "out" / "results.json").exists() or not counted["total"]:
        print(proc.stderr[-2000:], file=sys.stderr)
        return 2
    resources = sum(sizes.values())
    figures = {
        "resources": resources,
        "seconds": round(seconds, 1),
        "peak_mb": round(peak_mb, 1),
        "requests": counted["total"],
        "requests_per_resource": round(counted["total"] / resources, 3),
        "by_service": counted["by_service"],
        "load": os.getloadavg(),
    }
    print(json.dumps(figures, indent=1))
    for name, limit in TARGETS.items():
        verdict = "ok" if figures[name] <= limit else "OVER"
        print(f"{name}: {figures[name]} (target {limit}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
