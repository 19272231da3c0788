"""EC2 evidence per region: security groups, network ACLs, EBS volumes and encryption by default, VPCs
with their flow logs. List calls only: they already return every attribute the checks read."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.registry import collector

from .api import arn, aws_unit, expander, paginate, unit_session

TTL = timedelta(hours=24)
ec2_units = expander("ec2", regional=True)


def _tags(items: list[Mapping] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or ()}


def _rule(perm: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "protocol": str(perm.get("IpProtocol", "-1")),
        "from_port": perm.get("FromPort"),
        "to_port": perm.get("ToPort"),
        "ipv4": [r["CidrIp"] for r in perm.get("IpRanges", ())],
        "ipv6": [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", ())],
        "prefix_lists": [r["PrefixListId"] for r in perm.get("PrefixListIds", ())],
        "groups": [r.get("GroupId", "") for r in perm.get("UserIdGroupPairs", ())],
    }


@collector(
    name="aws.ec2.security_groups", kind="aws.ec2.security_groups", source="aws", ttl=TTL, expand=ec2_units
)
@aws_unit("aws.ec2.security_groups")
def security_groups(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Security groups with their inbound rules (ec2:DescribeSecurityGroups)."""
    with unit_session(unit, "ec2") as (session, _):
        client = session.client("ec2", unit["region"])
        account, partition = session.account_id()
        region = unit["region"]
        return [
            {
                "arn": arn(partition, "ec2", region, account, f"security-group/{group['GroupId']}"),
                "group_id": group["GroupId"],
                "group_name": group.get("GroupName", ""),
                "vpc_id": group.get("VpcId"),
                "account_id": account,
                "region": region,
                "tags": _tags(group.get("Tags")),
                "ingress": [_rule(p) for p in group.get("IpPermissions", ())],
            }
            for group in paginate(client, "describe_security_groups", "SecurityGroups", MaxResults=1000)
        ]


@collector(name="aws.ec2.network_acls", kind="aws.ec2.network_acls", source="aws", ttl=TTL, expand=ec2_units)
@aws_unit("aws.ec2.network_acls")
def network_acls(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Network ACLs with their inbound entries in rule order (ec2:DescribeNetworkAcls)."""
    with unit_session(unit, "ec2") as (session, _):
        client = session.client("ec2", unit["region"])
        account, partition = session.account_id()
        region = unit["region"]
        items = []
        for acl in paginate(client, "describe_network_acls", "NetworkAcls", MaxResults=1000):
            entries = sorted(
                (e for e in acl.get("Entries", ()) if not e.get("Egress")), key=lambda e: e["RuleNumber"]
            )
            items.append(
                {
                    "arn": arn(partition, "ec2", region, account, f"network-acl/{acl['NetworkAclId']}"),
                    "network_acl_id": acl["NetworkAclId"],
                    "vpc_id": acl.get("VpcId"),
                    "is_default": bool(acl.get("IsDefault")),
                    "subnets": [a["SubnetId"] for a in acl.get("Associations", ()) if a.get("SubnetId")],
                    "account_id": account,
                    "region": region,
                    "ingress": [
                        {
                            "rule_number": e["RuleNumber"],
                            "action": e.get("RuleAction", "deny"),
                            "protocol": str(e.get("Protocol", "-1")),
                            "cidr": e.get("CidrBlock") or e.get("Ipv6CidrBlock"),
                            "from_port": (e.get("PortRange") or {}).get("From"),
                            "to_port": (e.get("PortRange") or {}).get("To"),
                        }
                        for e in entries
                    ],
                }
            )
        return items


@collector(name="aws.ec2.volumes", kind="aws.ec2.volumes", source="aws", ttl=TTL, expand=ec2_units)
@aws_unit("aws.ec2.volumes")
def volumes(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """The region's EBS encryption-by-default setting (one item of type "region") and its EBS volumes
    (ec2:GetEbsEncryptionByDefault, ec2:DescribeVolumes)."""
    with unit_session(unit, "ec2") as (session, _):
        client = session.client("ec2", unit["region"])
        account, partition = session.account_id()
        region = unit["region"]
        items: list[dict[str, Any]] = [
            {
                "type": "region",
                "account_id": account,
                "region": region,
                "ebs_encryption_by_default": bool(
                    client.get_ebs_encryption_by_default().get("EbsEncryptionByDefault")
                ),
            }
        ]
        for volume in paginate(client, "describe_volumes", "Volumes", MaxResults=500):
            items.append(
                {
                    "type": "volume",
                    "arn": arn(partition, "ec2", region, account, f"volume/{volume['VolumeId']}"),
                    "volume_id": volume["VolumeId"],
                    "account_id": account,
                    "region": region,
                    "encrypted": bool(volume.get("Encrypted")),
                    "kms_key_id": volume.get("KmsKeyId"),
                    "state": volume.get("State"),
                    "attached_to": [a["InstanceId"] for a in volume.get("Attachments", ())],
                }
            )
        return items


@collector(name="aws.ec2.vpcs", kind="aws.ec2.vpcs", source="aws", ttl=TTL, expand=ec2_units)
@aws_unit("aws.ec2.vpcs")
def vpcs(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """VPCs with the flow logs that capture their traffic (ec2:DescribeVpcs, ec2:DescribeFlowLogs)."""
    with unit_session(unit, "ec2") as (session, _):
        client = session.client("ec2", unit["region"])
        account, partition = session.account_id()
        region = unit["region"]
        logs: dict[str, list[dict[str, Any]]] = {}
        for flow in paginate(client, "describe_flow_logs", "FlowLogs", MaxResults=1000):
            logs.setdefault(flow.get("ResourceId", ""), []).append(
                {
                    "id": flow["FlowLogId"],
                    "status": flow.get("FlowLogStatus"),
                    "traffic_type": flow.get("TrafficType"),
                    "deliver_status": flow.get("DeliverLogsStatus"),
                }
            )
        return [
            {
                "arn": arn(partition, "ec2", region, account, f"vpc/{vpc['VpcId']}"),
                "vpc_id": vpc["VpcId"],
                "is_default": bool(vpc.get("IsDefault")),
                "account_id": account,
                "region": region,
                "tags": _tags(vpc.get("Tags")),
                "flow_logs": logs.get(vpc["VpcId"], []),
            }
            for vpc in paginate(client, "describe_vpcs", "Vpcs", MaxResults=1000)
        ]
