"""Third parties: every vendor receiving personal data has a signed confidentiality agreement in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

from vigil.model import Outcome, fail, ok
from vigil.registry import check

from .common import day

REFERENCES = ("https://gdpr-info.eu/art-28-gdpr/", "https://www.iso.org/standard/27001")


@check(
    id="records.vendors.agreement_in_force",
    title="Vendors receiving personal data have a signed confidentiality agreement or DPA in force",
    severity="high",
    domain="administrative",
    needs=["records.vendor_agreements"],
    params={"vendors.agreement_types": ["dpa", "nda", "confidentiality"]},
    references=REFERENCES,
    tags=["third-party", "contract"],
)
def agreement_in_force(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A vendor with any row marked personal_data needs an agreement of a type in vendors.agreement_types,
    signed (signed_at not after today) and not expired (expires_at empty or not before today); when the
    export says since when the vendor receives data (data_since), the agreement must be signed by then.

    Remediation: have the vendor sign a data-processing agreement with a confidentiality clause, or stop
    the transfer of personal data to them.
    """
    today = params["now"].date()
    kinds = {k.lower() for k in params["vendors.agreement_types"]}
    vendors: dict[str, list[Mapping]] = defaultdict(list)
    for row in evidence["records.vendor_agreements"]:
        vendors[row["vendor"].strip().lower()].append(row)
    for key in sorted(vendors):
        rows = vendors[key]
        if not any(r["personal_data"] for r in rows):
            continue
        resource = f"vendor:{rows[0]['vendor']}"
        starts = sorted(r["data_since"] for r in rows if r["data_since"])
        valid = [
            r
            for r in rows
            if r["agreement"] in kinds
            and r["signed_at"]
            and day(r["signed_at"]) <= today
            and (not r["expires_at"] or day(r["expires_at"]) >= today)
        ]
        if not valid:
            expired = [r for r in rows if r["agreement"] in kinds and r["expires_at"] and r["signed_at"]]
            if expired:
                last = max(expired, key=lambda r: r["expires_at"])
                yield fail(resource, f"{last['agreement']} expired on {last['expires_at']}", cite=last)
            else:
                yield fail(
                    resource,
                    "receives personal data without a signed confidentiality agreement or DPA",
                    cite=rows[0],
                )
            continue
        first = min(valid, key=lambda r: r["signed_at"])
        if starts and starts[0] < first["signed_at"]:
            yield fail(
                resource,
                f"receives personal data since {starts[0]}, agreement signed {first['signed_at']}",
                cite=first,
            )
        else:
            until = f", until {first['expires_at']}" if first["expires_at"] else ""
            yield ok(resource, f"{first['agreement']} signed {first['signed_at']}{until}", cite=first)
