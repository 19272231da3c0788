"""ELBv2 evidence per region: load balancers with their listeners, and the TLS protocols of each
security policy the listeners use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import botocore.exceptions

from vigil.registry import collector

from .api import aws_unit, describe, expander, paginate, unit_session

TTL = timedelta(hours=24)


def _action(action: Mapping[str, Any]) -> dict[str, Any]:
    redirect = action.get("RedirectConfig") or {}
    return {"type": action.get("Type"), "redirect_protocol": redirect.get("Protocol")}


@collector(
    name="aws.elbv2.load_balancers",
    kind="aws.elbv2.load_balancers",
    source="aws",
    ttl=TTL,
    expand=expander("elbv2", regional=True),
)
@aws_unit("aws.elbv2.load_balancers")
def load_balancers(unit: Mapping[str, Any], ctx: Any) -> list[dict[str, Any]]:
    """Load balancers, their listeners (protocol, TLS policy and its protocols, default actions)
    (elasticloadbalancing:DescribeLoadBalancers, DescribeListeners, DescribeSSLPolicies)."""
    with unit_session(unit, "elbv2") as (session, _):
        client = session.client("elbv2", unit["region"])
        account, _ = session.account_id()
        items = []
        policies: set[str] = set()
        for lb in paginate(client, "describe_load_balancers", "LoadBalancers"):
            item: dict[str, Any] = {
                "arn": lb["LoadBalancerArn"],
                "name": lb.get("LoadBalancerName"),
                "type": lb.get("Type"),
                "scheme": lb.get("Scheme"),
                "account_id": account,
                "region": unit["region"],
                "listeners": [],
                "unreadable": {},
            }
            try:
                for listener in paginate(
                    client, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]
                ):
                    item["listeners"].append(
                        {
                            "arn": listener["ListenerArn"],
                            "port": listener.get("Port"),
                            "protocol": listener.get("Protocol"),
                            "ssl_policy": listener.get("SslPolicy"),
                            "default_actions": [_action(a) for a in listener.get("DefaultActions", ())],
                        }
                    )
                    if listener.get("SslPolicy"):
                        policies.add(listener["SslPolicy"])
            except botocore.exceptions.ClientError as exc:
                item["unreadable"]["listeners"] = describe(exc, "elbv2")
            items.append(item)
        protocols = _policy_protocols(client, sorted(policies))
        for item in items:
            for listener in item["listeners"]:
                if listener["ssl_policy"]:
                    listener["ssl_protocols"] = protocols.get(listener["ssl_policy"])
        return items


def _policy_protocols(client: Any, names: list[str]) -> dict[str, list[str]]:
    """The TLS protocols of each named security policy, in one call for all of them."""
    if not names:
        return {}
    try:
        reply = client.describe_ssl_policies(Names=names)
    except botocore.exceptions.ClientError:
        return {}  # unknown to this endpoint: the check reads the protocols from the policy's name
    return {p["Name"]: list(p.get("SslProtocols", ())) for p in reply.get("SslPolicies", ())}
