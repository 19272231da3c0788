"""A worked example of a vigil plugin: work e-mail addresses stay on the company's own domain."""

from collections.abc import Iterator, Mapping

from vigil.model import Outcome, fail, ok
from vigil.registry import check


@check(
    id="example.personnel.work_email_domain",
    title="Everyone's work e-mail address is on the company domain",
    severity="low",
    domain="administrative",
    needs=["records.personnel"],
    params={"example.email_domain": "example.com"},
    tags=["example"],
)
def work_email_domain(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Mail about personal data must not leave through private mailboxes.

    Remediation: give the person a company mailbox and correct the roster.
    """
    domain = "@" + params["example.email_domain"]
    for person in evidence["records.personnel"]:
        email = person.get("email") or ""
        if email.endswith(domain):
            yield ok(f"person:{person['id']}", f"mail at {domain}")
        else:
            yield fail(f"person:{person['id']}", f"work e-mail {email!r} is not at {domain}")
