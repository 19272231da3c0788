"""Vendors receiving personal data: a signed confidentiality agreement or DPA in force."""

from __future__ import annotations

from .support import run

CHECK = "records.vendors.agreement_in_force"


def vendor(name, pd=True, agreement="dpa", signed="2025-01-01", expires=None, since=None) -> dict:
    return {
        "vendor": name,
        "personal_data": pd,
        "agreement": agreement,
        "signed_at": signed,
        "expires_at": expires,
        "data_since": since,
        "where": "vendors.csv:2",
    }


def test_agreements_in_force_missing_expired_or_late():
    rows = [
        vendor("ShipFast", expires="2027-12-31"),
        vendor("PayCo", agreement="nda", expires="2026-11-01"),
        vendor("HelpDesk", agreement=None, signed=None),
        vendor("PrintShop", pd=False, agreement=None, signed=None),
        vendor("Cloudy", signed="2025-06-01", since="2025-03-01"),
        vendor("Mailer", agreement="msa"),
    ]
    assert run(CHECK, {"records.vendor_agreements": rows}) == {
        "vendor:ShipFast": ("pass", "dpa signed 2025-01-01, until 2027-12-31"),
        "vendor:PayCo": ("fail", "nda expired on 2026-11-01"),
        "vendor:HelpDesk": (
            "fail",
            "receives personal data without a signed confidentiality agreement or DPA",
        ),
        "vendor:Cloudy": ("fail", "receives personal data since 2025-03-01, agreement signed 2025-06-01"),
        "vendor:Mailer": ("fail", "receives personal data without a signed confidentiality agreement or DPA"),
    }


def test_a_renewed_agreement_beside_the_expired_one_passes():
    rows = [vendor("PayCo", agreement="nda", expires="2026-11-01"), vendor("payco ", signed="2026-10-15")]
    assert run(CHECK, {"records.vendor_agreements": rows})["vendor:PayCo"] == (
        "pass",
        "dpa signed 2026-10-15",
    )
