"""Incident response: a current security plan, and users told of breaches of their data in time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .common import attested, moment, unique

REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",  # IR-8 incident response plan, IR-6
    "https://gdpr-info.eu/art-34-gdpr/",
)


@check(
    id="records.incidents.security_plan",
    title="A security plan covering monitoring, emergency response and user notification is current",
    severity="high",
    domain="administrative",
    needs=["records.attestations?"],
    params={
        "incident.plan_max_age_days": 365,
        "incident.plan_covers": ["monitoring", "emergency_response", "user_notification"],
    },
    references=REFERENCES,
    tags=["incident", "attested"],
)
def security_plan(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """The security plan is an attested document (subject security_plan): its latest attestation must be
    unexpired, reviewed within incident.plan_max_age_days, and cover every part in incident.plan_covers.
    Without an attestation the control stays manual.

    Remediation: review the security plan, have its owner attest it (document and sha256 in
    sources.attestations) and make sure it covers incident monitoring, emergency response and user
    notification.
    """
    yield attested(
        evidence["records.attestations"],
        "security_plan",
        "document:security_plan",
        "security plan reviewed",
        params["now"].date(),
        params["incident.plan_max_age_days"],
        params["incident.plan_covers"],
    )


@check(
    id="records.incidents.users_notified",
    title="Users were notified of incidents affecting their personal data within the deadline",
    severity="high",
    domain="administrative",
    needs=["records.incidents"],
    params={"incident.user_notification_hours": 72},
    references=REFERENCES,
    tags=["incident", "breach"],
)
def users_notified(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every incident that affected personal data must show users_notified_at no later than
    incident.user_notification_hours after detected_at. One not yet notified fails once the deadline
    has passed.

    Remediation: notify the affected users now, and put the notification step with its deadline into the
    incident runbook.
    """
    incidents, problems = unique(evidence["records.incidents"], "id", "incident", "the incident export")
    yield from problems
    now = params["now"]
    hours = params["incident.user_notification_hours"]
    limit = timedelta(hours=hours)
    for iid, incident in sorted(incidents.items()):
        if not incident["personal_data"]:
            continue
        resource = f"incident:{iid}"
        detected = moment(incident["detected_at"])
        if incident["users_notified_at"]:
            took = moment(incident["users_notified_at"]) - detected
            spent = took.total_seconds() / 3600
            if took < timedelta(0):
                yield error(
                    resource,
                    "users notified before the incident was detected: the export is wrong",
                    cite=incident,
                )
            elif took > limit:
                yield fail(
                    resource, f"users notified {spent:.0f} h after detection (limit {hours} h)", cite=incident
                )
            else:
                yield ok(
                    resource, f"users notified {spent:.0f} h after detection (limit {hours} h)", cite=incident
                )
        elif now - detected > limit:
            spent = (now - detected).total_seconds() / 3600
            yield fail(
                resource, f"users not notified {spent:.0f} h after detection (limit {hours} h)", cite=incident
            )
        else:
            left = (detected + limit - now).total_seconds() / 3600
            yield ok(
                resource,
                f"users not notified yet; {left:.0f} h of the {hours} h deadline left",
                cite=incident,
            )
