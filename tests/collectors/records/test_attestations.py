"""Attestations: a statement or a document pinned by sha256, verified against the file at collection."""

from __future__ import annotations

import hashlib

from .support import collect, write


def entry(**extra) -> dict:
    return {
        "name": "security-plan-v4",
        "subject": "security_plan",
        "covers": ["Monitoring", "emergency_response"],
        "attester": "CISO",
        "date": "2026-06-01",
        "expires": "2027-06-01",
    } | extra


def test_a_document_whose_sha256_matches_is_attested_evidence(tmp_path):
    path = write(tmp_path, "docs/plan.md", "# Security plan\n")
    digest = hashlib.sha256(b"# Security plan\n").hexdigest()
    ev = collect(tmp_path, "attestations", entry(document=path, sha256=digest.upper()))
    assert ev.error is None and ev.target == "security-plan-v4"
    assert ev.data == {
        "id": "security-plan-v4",
        "subject": "security_plan",
        "covers": ["emergency_response", "monitoring"],
        "attester": "CISO",
        "attested_at": "2026-06-01",
        "expires": "2027-06-01",
        "statement": None,
        "document": "docs/plan.md",
        "sha256": digest,
        "where": "attestation security-plan-v4",
    }


def test_a_changed_document_is_error_evidence(tmp_path):
    path = write(tmp_path, "docs/plan.md", "# Security plan, edited after sign-off\n")
    ev = collect(tmp_path, "attestations", entry(document=path, sha256="0" * 64))
    assert ev.data is None
    assert "the document changed since it was attested" in ev.error and "docs/plan.md" in ev.error


def test_a_missing_document_or_bad_dates_are_error_evidence(tmp_path):
    assert (
        collect(tmp_path, "attestations", entry(document="gone.pdf", sha256="0" * 64)).error
        == "gone.pdf: file not found"
    )
    late = collect(tmp_path, "attestations", entry(statement="ok", date="2026-06-01", expires="2026-01-01"))
    assert "expires 2026-01-01 before its date 2026-06-01" in late.error
    nonsense = collect(tmp_path, "attestations", entry(statement="ok", date="2026-02-30"))
    assert "date:" in nonsense.error


def test_a_signed_statement_needs_no_file(tmp_path):
    ev = collect(
        tmp_path, "attestations", entry(subject="dc_surveillance", statement="Cameras cover every door.")
    )
    assert (
        ev.error is None and ev.data["statement"] == "Cameras cover every door." and ev.data["sha256"] is None
    )
