"""The demo's AWS account: a moto server on a free loopback port seeded with good and bad resources in two
regions. `expected` lists what each check must find, so the end-to-end tests hold the demo to it."""

from __future__ import annotations

import atexit
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("vigil.demo")

ACCOUNT = "123456789012"
REGIONS = ("eu-west-1", "us-east-1")
VENDOR = "999999999999"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": REGIONS[0]}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _client(service: str, url: str, region: str = REGIONS[0]) -> Any:
    import boto3

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="demo",
        aws_secret_access_key="demo",  # noqa: S106 - moto's fake credentials
    )


def arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def seed(url: str, managed_policies: bool = True) -> dict[str, dict[str, list[str]]]:
    """Create the demo account; returns {check id: {"fail": [resources], "pass": [resources]}}.
    managed_policies: the server loaded AWS's managed policies (MOTO_IAM_LOAD_MANAGED_POLICIES), so the
    deploy user can hold AdministratorAccess itself; otherwise a customer policy of the same content."""
    expected: dict[str, dict[str, list[str]]] = {}

    def expect(check: str, status: str, resource: str) -> None:
        expected.setdefault(check, {"fail": [], "pass": []})[status].append(resource)

    _seed_iam(url, expect, managed_policies)
    for region in REGIONS:
        _seed_network(url, region, expect)
    _seed_data(url, expect)
    _seed_monitoring(url, expect)
    return expected


def _seed_iam(url: str, expect: Any, managed_policies: bool) -> None:
    iam = _client("iam", url)
    user = f"arn:aws:iam::{ACCOUNT}:user/"
    role = f"arn:aws:iam::{ACCOUNT}:role/"
    iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=5)
    expect("aws.iam.password_policy", "pass", f"aws:{ACCOUNT}")
    read_only = iam.create_policy(
        PolicyName="read-orders",
        PolicyDocument=_doc(
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::orders/*"}
        ),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="developers")
    iam.attach_group_policy(GroupName="developers", PolicyArn=read_only)
    iam.create_group(GroupName="ops")
    iam.put_group_policy(
        GroupName="ops",
        PolicyName="everything-but-billing",
        PolicyDocument=_doc({"Effect": "Allow", "NotAction": ["aws-portal:*"], "Resource": "*"}),
    )
    # tagged with the roster's ids, so the records checks join them to people: Farid and Ben are cleared
    # and current; Eve left the company in September and her console user is still there
    for name, group, mfa, admin, person in (
        ("alice", "developers", True, False, "e1006"),
        ("bob", "developers", False, False, "e1002"),
        ("carol", "ops", True, True, "e1005"),
    ):
        iam.create_user(UserName=name, Tags=[{"Key": "employee_id", "Value": person}])
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")  # noqa: S106
        iam.add_user_to_group(GroupName=group, UserName=name)
        if mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"][
                "SerialNumber"
            ]
            iam.enable_mfa_device(
                UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
            )
        expect("aws.iam.console_mfa", "pass" if mfa else "fail", user + name)
        expect("aws.iam.no_admin_access", "fail" if admin else "pass", user + name)
    iam.create_user(UserName="ci-deploy")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    if not managed_policies:
        admin = iam.create_policy(
            PolicyName="deploy-everything",
            PolicyDocument=_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="ci-deploy", PolicyArn=admin)
    iam.create_access_key(UserName="ci-deploy")
    expect("aws.iam.no_admin_access", "fail", user + "ci-deploy")
    expect("aws.iam.access_key_rotation", "pass", user + "ci-deploy#access-key-1")

    def make_role(name: str, trust: dict, policy: dict | None = None) -> None:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=_doc(trust))
        if policy:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=_doc(policy))

    scoped = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders/*"}
    assume = "sts:AssumeRole"
    make_role(
        "app", {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": assume}, scoped
    )
    make_role(
        "open-to-all",
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}, "Action": assume},
    )
    make_role(
        "weak-condition",
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": assume,
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
    )
    make_role(
        "org-members",
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": assume,
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-demo12345"}},
        },
    )
    make_role("vendor-no-external-id", {"Effect": "Allow", "Principal": {"AWS": VENDOR}, "Action": assume})
    make_role(
        "vendor",
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
            "Action": assume,
            "Condition": {"StringEquals": {"sts:ExternalId": "demo-vendor-7f3a"}},
        },
    )
    make_role(
        "batch",
        {"Effect": "Allow", "Principal": {"Service": "batch.amazonaws.com"}, "Action": assume},
        {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]},
    )
    for name, status in (
        ("open-to-all", "fail"),
        ("weak-condition", "fail"),
        ("org-members", "pass"),
        ("vendor-no-external-id", "fail"),
        ("vendor", "pass"),
        ("app", "pass"),
    ):
        expect("aws.iam.role_trust", status, role + name)
    expect("aws.iam.no_admin_access", "fail", role + "batch")
    expect("aws.iam.no_admin_access", "pass", role + "app")


def _seed_network(url: str, region: str, expect: Any) -> None:
    ec2 = _client("ec2", url, region)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    world4 = [{"CidrIp": "0.0.0.0/0"}]
    world6 = [{"CidrIpv6": "::/0"}]
    groups = {
        "web": (
            [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": world4,
                    "Ipv6Ranges": world6,
                },
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "Ipv6Ranges": world6},
            ],
            "pass",
        ),
        "ssh-from-anywhere": (
            [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": world4}],
            "fail",
        ),
        "wide-range-v6": (
            [{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 1024, "Ipv6Ranges": world6}],
            "fail",
        ),
        "all-traffic": ([{"IpProtocol": "-1", "IpRanges": world4}], "fail"),
        "office-only": (
            [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}],
            "pass",
        ),
    }
    for name, (rules, status) in groups.items():
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=rules)
        expect("aws.ec2.sg_public_ingress", status, arn("ec2", region, f"security-group/{gid}"))
    # the default network ACL allows everything: a finding by the letter of the policy, kept in the demo
    for acl in ec2.describe_network_acls()["NetworkAcls"]:
        expect(
            "aws.ec2.nacl_public_ingress", "fail", arn("ec2", region, f"network-acl/{acl['NetworkAclId']}")
        )
    zone = f"{region}a"
    good = ec2.create_volume(AvailabilityZone=zone, Size=8, Encrypted=True)["VolumeId"]
    expect("aws.ec2.ebs_encryption", "pass", arn("ec2", region, f"volume/{good}"))
    if region == REGIONS[0]:
        ec2.enable_ebs_encryption_by_default()
        expect("aws.ec2.ebs_encryption", "pass", f"aws:{ACCOUNT}:{region}")
        logs = _client("logs", url, region)
        logs.create_log_group(logGroupName="vpc-flow")
        ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogGroupName="vpc-flow",
            DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/app",
        )
        expect("aws.ec2.vpc_flow_logs", "pass", arn("ec2", region, f"vpc/{vpc}"))
        guardduty = _client("guardduty", url, region)
        guardduty.create_detector(Enable=True)
        expect("aws.guardduty.enabled", "pass", f"aws:{ACCOUNT}:{region}")
    else:
        bad = ec2.create_volume(AvailabilityZone=zone, Size=8)["VolumeId"]
        expect("aws.ec2.ebs_encryption", "fail", arn("ec2", region, f"volume/{bad}"))
        expect("aws.ec2.ebs_encryption", "fail", f"aws:{ACCOUNT}:{region}")
        expect("aws.ec2.vpc_flow_logs", "fail", arn("ec2", region, f"vpc/{vpc}"))
        expect("aws.guardduty.enabled", "fail", f"aws:{ACCOUNT}:{region}")


def _seed_data(url: str, expect: Any) -> None:
    region = REGIONS[0]
    s3 = _client("s3", url, region)
    where = {"LocationConstraint": region}
    tls_only = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::acme-support-tickets", "arn:aws:s3:::acme-support-tickets/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.create_bucket(Bucket="acme-support-tickets", CreateBucketConfiguration=where)
    s3.put_public_access_block(
        Bucket="acme-support-tickets",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    s3.put_bucket_policy(Bucket="acme-support-tickets", Policy=_doc(tls_only))
    s3.put_bucket_versioning(Bucket="acme-support-tickets", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="acme-support-tickets",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket="acme-support-tickets",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "delete-after-resolution",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 21},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                }
            ]
        },
    )
    good = "arn:aws:s3:::acme-support-tickets"
    for check in ("aws.s3.bucket_not_public", "aws.s3.bucket_public_access_block", "aws.s3.bucket_tls_only"):
        expect(check, "pass", good)
    expect("aws.retention.support", "pass", good)
    s3.create_bucket(Bucket="acme-public-exports", CreateBucketConfiguration=where, ACL="public-read")
    s3.put_bucket_policy(
        Bucket="acme-public-exports",
        Policy=_doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::acme-public-exports/*",
            }
        ),
    )
    bad = "arn:aws:s3:::acme-public-exports"
    for check in ("aws.s3.bucket_not_public", "aws.s3.bucket_public_access_block", "aws.s3.bucket_tls_only"):
        expect(check, "fail", bad)
    expect("aws.s3.account_public_access_block", "fail", f"aws:{ACCOUNT}")
    us = _client("s3", url, REGIONS[1])
    us.create_bucket(Bucket="acme-transactions")
    us.put_bucket_lifecycle_configuration(
        Bucket="acme-transactions",
        LifecycleConfiguration={
            "Rules": [
                {"ID": "tidy", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 365}}
            ]
        },
    )
    expect("aws.retention.transactions", "fail", "arn:aws:s3:::acme-transactions")
    us.create_bucket(Bucket="acme-accounts")
    expect("aws.retention.accounts", "fail", "arn:aws:s3:::acme-accounts")
    logs = _client("logs", url, region)
    for name, days in (("support-chat", 14), ("payments-ledger", 3653), ("account-events", None)):
        logs.create_log_group(logGroupName=name)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    group = arn("logs", region, "log-group:")
    expect("aws.retention.support", "pass", group + "support-chat")
    expect("aws.retention.transactions", "pass", group + "payments-ledger")
    expect("aws.retention.accounts", "fail", group + "account-events")
    rds = _client("rds", url, region)
    for name, encrypted, public in (("orders-db", True, False), ("legacy-db", False, True)):
        db = rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="dbadmin",
            MasterUserPassword="not-a-real-secret-1",  # noqa: S106 - moto
            AllocatedStorage=20,
            StorageEncrypted=encrypted,
            PubliclyAccessible=public,
        )["DBInstance"]["DBInstanceArn"]
        expect("aws.rds.storage_encrypted", "pass" if encrypted else "fail", db)
        expect("aws.rds.not_public", "fail" if public else "pass", db)
    kms = _client("kms", url, region)
    for rotate in (True, False):
        key = kms.create_key(Description="demo")["KeyMetadata"]
        if rotate:
            kms.enable_key_rotation(KeyId=key["KeyId"])
        expect("aws.kms.key_rotation", "pass" if rotate else "fail", key["Arn"])


def _seed_monitoring(url: str, expect: Any) -> None:
    region = REGIONS[0]
    s3 = _client("s3", url, region)
    s3.create_bucket(Bucket="acme-audit-trail", CreateBucketConfiguration={"LocationConstraint": region})
    trail = _client("cloudtrail", url, region)
    trail.create_trail(
        Name="org-audit",
        S3BucketName="acme-audit-trail",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
    )
    trail.start_logging(Name="org-audit")
    expect("aws.cloudtrail.multi_region_trail", "pass", f"aws:{ACCOUNT}")
    _seed_load_balancers(url, region, expect)


def _seed_load_balancers(url: str, region: str, expect: Any) -> None:
    ec2 = _client("ec2", url, region)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    acm = _client("acm", url, region)
    cert = acm.request_certificate(DomainName="shop.example.com")["CertificateArn"]
    elb = _client("elbv2", url, region)
    for name, http_redirect, policy, status in (
        ("shop", True, "ELBSecurityPolicy-TLS13-1-2-2021-06", "pass"),
        ("legacy", False, "ELBSecurityPolicy-2016-08", "fail"),
    ):
        lb = elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
        tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=8080, VpcId=lb["VpcId"])
        forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroups"][0]["TargetGroupArn"]}]
        redirect = [
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ]
        elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=redirect if http_redirect else forward,
        )
        elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTPS",
            Port=443,
            SslPolicy=policy,
            Certificates=[{"CertificateArn": cert}],
            DefaultActions=forward,
        )
        expect("aws.elbv2.https_only", status, lb["LoadBalancerArn"])


DATASETS = {
    "support": {"buckets": ["acme-support-tickets"], "log_groups": ["support-chat"]},
    "transactions": {"buckets": ["acme-transactions"], "log_groups": ["payments-ledger"]},
    "accounts": {"buckets": ["acme-accounts"], "log_groups": ["account-events"]},
}


PLACEHOLDER = "http://moto.invalid"  # examples/demo/vigil.yaml's endpoint_url until the server runs
_server: Any = None


def attach(config: Path) -> None:
    """Start the demo's AWS account (a seeded moto server on a free loopback port) and point the demo's
    vigil.yaml at it; the server stops when the process ends. Without moto
    (a test dependency) the AWS entry stays unreachable and its checks report errors."""
    global _server
    text = config.read_text(encoding="utf-8")
    if PLACEHOLDER not in text:
        return
    try:
        import moto  # noqa: F401 - only to tell the user what is missing

        from vigil.moto_server import MotoServer
    except ImportError:
        log.warning("moto is not installed: the demo's AWS account is not served (pip install -e '.[test]')")
        return
    if _server is None or _server.proc is None or _server.proc.poll() is not None:
        # one seeded server per process: scans only read it, so a second demo reuses it
        _server = MotoServer(env=CREDENTIALS)
        _server.start()
        atexit.register(_server.stop)
        for key, value in CREDENTIALS.items():  # moto takes any credentials, but boto3 wants some
            os.environ.setdefault(key, value)
        seed(_server.url, managed_policies=False)
    url = _server.url
    config.write_text(text.replace(PLACEHOLDER, url), encoding="utf-8")
