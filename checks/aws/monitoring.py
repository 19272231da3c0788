"""Monitoring and detection: a multi-region CloudTrail that logs and validates its files, and GuardDuty
in every scanned region."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check


@check(
    id="aws.cloudtrail.multi_region_trail",
    title="Each account has a multi-region CloudTrail that is logging with log file validation",
    severity="high",
    domain="technical",
    needs=["aws.cloudtrail.trails"],
    tags=["aws", "logging", "monitoring"],
)
def multi_region_trail(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Incident monitoring starts with a record of every API call in every region: a multi-region trail
    that is logging now, with log file validation so that tampering with the record shows. An
    organisation trail in the management account covers its members.

    Remediation: create a multi-region trail (or an organisation trail) with log file validation on, to
    a bucket only the security team can write to, and start logging.
    """
    by_account: dict[str, list[Mapping]] = defaultdict(list)
    for item in evidence["aws.cloudtrail.trails"]:
        by_account[item["account_id"]].append(item)
    org_trails = [
        t
        for items in by_account.values()
        for t in items
        if t.get("type") == "trail" and t["organization_trail"]
    ]
    for account, items in sorted(by_account.items()):
        resource = f"aws:{account}"
        trails = [t for t in items if t.get("type") == "trail"] + [
            t for t in org_trails if t["account_id"] != account
        ]
        good = [t for t in trails if t["multi_region"] and t["logging"] and t["log_file_validation"]]
        if good:
            yield ok(resource, f"trail {good[0]['arn']} covers every region", cite=good[0])
            continue
        unknown = [t for t in trails if (t.get("unreadable") or {}).get("logging")]
        if unknown:
            yield error(resource, unknown[0]["unreadable"]["logging"], cite=unknown[0])
            continue
        if not trails:
            yield fail(resource, "no CloudTrail trail in the scanned regions", cite=tuple(items))
            continue
        gaps = []
        for trail in trails:
            missing = [
                text
                for flag, text in (
                    ("multi_region", "single-region"),
                    ("logging", "not logging"),
                    ("log_file_validation", "no log file validation"),
                )
                if not trail[flag]
            ]
            gaps.append(f"{trail['name']}: {', '.join(missing)}")
        yield fail(resource, "no complete trail: " + "; ".join(gaps), cite=tuple(trails))


@check(
    id="aws.guardduty.enabled",
    title="GuardDuty is enabled in every scanned region",
    severity="high",
    domain="technical",
    needs=["aws.guardduty.detectors"],
    tags=["aws", "detection"],
)
def guardduty_enabled(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """The policy promises intrusion detection in real time; on AWS that is GuardDuty, which watches
    CloudTrail, VPC flow and DNS logs of one region per detector, so every region needs one.

    Remediation: enable GuardDuty in the region (or for the whole organisation from the delegated
    administrator account, with auto-enable for new accounts).
    """
    for item in evidence["aws.guardduty.detectors"]:
        resource = f"aws:{item['account_id']}:{item['region']}"
        enabled = [d for d in item.get("detectors", ()) if d.get("status") == "ENABLED"]
        if enabled:
            yield ok(resource, f"detector {enabled[0]['arn']} enabled", cite=item)
        elif item.get("detectors"):
            yield fail(resource, "the GuardDuty detector is suspended", cite=item)
        else:
            yield fail(resource, "GuardDuty is not enabled", cite=item)
