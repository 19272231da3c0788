"""EC2: security groups and network ACLs open to the internet, EBS encryption, flow logs (mock_aws)."""

from __future__ import annotations

from .conftest import ACCOUNT, REGIONS, client, collect, judge, status

WORLD4 = [{"CidrIp": "0.0.0.0/0"}]
WORLD6 = [{"CidrIpv6": "::/0"}]


def sg(ec2, name: str, *rules: dict) -> str:
    gid = ec2.create_security_group(GroupName=name, Description=name)["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(rules))
    return f"arn:aws:ec2:{REGIONS[0]}:{ACCOUNT}:security-group/{gid}"


def tcp(low: int, high: int, **ranges) -> dict:
    return {"IpProtocol": "tcp", "FromPort": low, "ToPort": high, **ranges}


def test_security_groups_ports_ranges_ipv6_and_all_traffic(aws):
    ec2 = client("ec2")
    groups = {
        "web": (
            sg(ec2, "web", tcp(443, 443, IpRanges=WORLD4, Ipv6Ranges=WORLD6), tcp(80, 80, IpRanges=WORLD4)),
            "pass",
        ),
        "ssh": (sg(ec2, "ssh", tcp(22, 22, IpRanges=WORLD4)), "fail"),
        "v6-range": (sg(ec2, "v6-range", tcp(440, 450, Ipv6Ranges=WORLD6)), "fail"),
        "all": (sg(ec2, "all", {"IpProtocol": "-1", "IpRanges": WORLD4}), "fail"),
        "udp-dns": (
            sg(ec2, "udp-dns", {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": WORLD4}),
            "fail",
        ),
        "office": (sg(ec2, "office", tcp(22, 22, IpRanges=[{"CidrIp": "198.51.100.0/24"}])), "pass"),
        "ping": (
            sg(ec2, "ping", {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": WORLD4}),
            "pass",
        ),
    }
    evidence = collect("aws.ec2.security_groups")
    found = judge("aws.ec2.sg_public_ingress", evidence)

    for name, (arn, expected) in groups.items():
        assert status(found, arn) == expected, (name, found[arn])
    assert found[groups["v6-range"][0]][1] == "tcp 440-442, 444-450 open to ::/0"
    assert "all traffic open to 0.0.0.0/0" in found[groups["all"][0]][1]
    # the baseline's parameter decides which ports may be public
    relaxed = judge("aws.ec2.sg_public_ingress", evidence, **{"network.allowed_public_ports": [22, 80, 443]})
    assert status(relaxed, groups["ssh"][0]) == "pass"


def test_network_acls_in_rule_order(aws):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    default = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )
    association = default["NetworkAcls"][0]["Associations"][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)

    def entry(number, action, low, high, cidr="0.0.0.0/0"):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol="6",
            RuleAction=action,
            Egress=False,
            CidrBlock=cidr,
            PortRange={"From": low, "To": high},
        )

    entry(100, "allow", 443, 443)
    entry(110, "deny", 0, 65535)
    entry(120, "allow", 22, 22)  # shadowed by the deny above
    arn = f"arn:aws:ec2:{REGIONS[0]}:{ACCOUNT}:network-acl/{acl}"
    found = judge("aws.ec2.nacl_public_ingress", collect("aws.ec2.network_acls"))
    assert status(found, arn) == "pass"

    entry(90, "allow", 3389, 3389)
    found = judge("aws.ec2.nacl_public_ingress", collect("aws.ec2.network_acls"))
    assert found[arn] == ("fail", "tcp 3389 allowed from 0.0.0.0/0")
    assert subnet


def test_ebs_volumes_and_encryption_by_default(aws):
    ec2 = client("ec2")
    good = ec2.create_volume(AvailabilityZone=f"{REGIONS[0]}a", Size=1, Encrypted=True)["VolumeId"]
    bad = ec2.create_volume(AvailabilityZone=f"{REGIONS[0]}a", Size=1)["VolumeId"]
    ec2.enable_ebs_encryption_by_default()

    found = judge("aws.ec2.ebs_encryption", collect("aws.ec2.volumes", regions=REGIONS))

    assert status(found, f"arn:aws:ec2:{REGIONS[0]}:{ACCOUNT}:volume/{good}") == "pass"
    assert status(found, f"arn:aws:ec2:{REGIONS[0]}:{ACCOUNT}:volume/{bad}") == "fail"
    assert status(found, f"aws:{ACCOUNT}:{REGIONS[0]}") == "pass"
    assert status(found, f"aws:{ACCOUNT}:{REGIONS[1]}") == "fail"


def test_vpc_flow_logs(aws):
    ec2 = client("ec2")
    watched = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    blind = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    client("logs").create_log_group(logGroupName="flows")
    ec2.create_flow_logs(
        ResourceIds=[watched],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="flows",
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/flow-logs",
    )
    found = judge("aws.ec2.vpc_flow_logs", collect("aws.ec2.vpcs"))
    assert status(found, f"arn:aws:ec2:{REGIONS[0]}:{ACCOUNT}:vpc/{watched}") == "pass"
    assert status(found, f"arn:aws:ec2:{REGIONS[0]}:{ACCOUNT}:vpc/{blind}") == "fail"
