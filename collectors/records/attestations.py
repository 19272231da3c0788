"""Attested evidence: a signed statement, or a document pinned by its sha256, with a date and expiry."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil.model import CollectContext, UserError
from vigil.registry import collector

from .parsing import Options, parse_date


@collector(
    name="records.attestations",
    kind="records.attestations",
    source="attestations",
    cpu_bound=True,
    ttl=timedelta(days=1),
    plain=("where", "attested_at", "expires", "sha256"),
)
def attestations(target: Mapping[str, Any], ctx: CollectContext) -> dict:
    """One attestation from vigil.yaml: what it attests (subject, covers), who, when, until when, and either
    a statement or a document whose sha256 is verified against the file now."""
    name = str(target["name"])
    dates = {}
    for key in ("date", "expires"):
        try:
            dates[key] = parse_date(str(target[key]), Options())
        except ValueError as exc:
            raise UserError(f"attestation {name}: {key}: {exc}") from None
    if dates["expires"] < dates["date"]:
        raise UserError(f"attestation {name}: expires {dates['expires']} before its date {dates['date']}")
    item: dict[str, Any] = {
        "id": name,
        "subject": str(target["subject"]),
        "covers": sorted({str(c).strip().lower() for c in target.get("covers", ())}),
        "attester": str(target["attester"]),
        "attested_at": dates["date"],
        "expires": dates["expires"],
        "statement": target.get("statement"),
        "document": None,
        "sha256": None,
        "where": f"attestation {name}",
    }
    if "document" in target:
        document = str(target["document"])
        expected = str(target["sha256"]).lower()
        digest = hashlib.sha256()
        with ctx.open_binary(document) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise UserError(
                f"attestation {name}: {document} has sha256 {digest.hexdigest()}, not the attested "
                f"{expected}: the document changed since it was attested"
            )
        item |= {"document": document, "sha256": expected}
    return item
