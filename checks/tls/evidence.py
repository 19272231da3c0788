"""Shared reading of `tls.endpoint` evidence: resource names, and the loops every TLS check runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from vigil.model import Outcome, error

KIND = "tls.endpoint"
VERSIONS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")
REFERENCES = (
    "https://csrc.nist.gov/pubs/sp/800/52/r2/final",
    "https://www.rfc-editor.org/rfc/rfc8996",
    "https://www.rfc-editor.org/rfc/rfc9325",
)
TAGS = ("tls", "encryption-in-transit")
SHOWN = 5  # items named in one message; the evidence holds them all

Judge = Callable[[str, Mapping[str, Any], Mapping[str, Any]], Outcome]


def resource(endpoint: Mapping[str, Any]) -> str:
    base = f"tls:{endpoint['host']}:{endpoint['port']}"
    name = endpoint.get("server_name")
    return base if not name or name == endpoint["host"] else f"{base}/{name}"


def listed(items: list[str]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def accepted_suites(endpoint: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for protocol in endpoint["protocols"]:
        for suite in protocol["cipher_suites"]:
            yield protocol["version"], suite


def per_suite_list(evidence: Mapping, judge: Judge) -> Iterator[Outcome]:
    """judge(resource, endpoint, {"suites": [(version, suite)]}) for each endpoint whose suites are all
    known; an endpoint with an untested version, or with no suite at all, is an error instead."""
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        suites = list(accepted_suites(endpoint))
        untested = [p["version"] for p in endpoint["protocols"] if p["accepted"] is None]
        outcome = judge(name, endpoint, {"suites": suites})
        if outcome.status == "pass" and untested:
            outcome = error(
                name, f"cipher suites of {', '.join(untested)} could not be tested", cite=endpoint
            )
        elif outcome.status == "pass" and not suites:
            outcome = error(name, "no cipher suite was accepted: nothing to judge", cite=endpoint)
        yield outcome


def per_certificate(evidence: Mapping, judge: Judge) -> Iterator[Outcome]:
    """judge(resource, endpoint, certificate) for each endpoint; one without a certificate is an error."""
    for endpoint in evidence[KIND]:
        name = resource(endpoint)
        cert = endpoint.get("certificate")
        if not cert or not cert.get("chain"):
            yield error(name, "no certificate was read from the endpoint", cite=endpoint)
        else:
            yield judge(name, endpoint, cert)
