"""Encryption in transit at the AWS edge: load balancer and CloudFront listeners serve HTTPS only with
a TLS policy of at least `tls.min_version`, and their certificates are current."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .iam_credentials import when

# CloudFront's minimum protocol versions, by name
CLOUDFRONT_MIN = {
    "SSLv3": "0.3",
    "TLSv1": "1.0",
    "TLSv1_2016": "1.0",
    "TLSv1.1_2016": "1.1",
    "TLSv1.2_2018": "1.2",
    "TLSv1.2_2019": "1.2",
    "TLSv1.2_2021": "1.2",
    "TLSv1.2_2025": "1.2",
    "TLSv1.3_2025": "1.3",
}
# ELB security policy names that carry their minimum version, when DescribeSSLPolicies gave nothing
ELB_NAME = [
    (re.compile(r"TLS13-1-3"), "1.3"),
    (re.compile(r"TLS13-1-2|TLS-1-2|FS-1-2"), "1.2"),
    (re.compile(r"TLS13-1-1|TLS-1-1|FS-1-1"), "1.1"),
    (re.compile(r"TLS13-1-0|2016-08|2015-05|2015-03|2015-02|2014-10|2014-01|2011-08|FS-2018-06"), "1.0"),
]


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def lowest_protocol(protocols: Iterable[str]) -> str | None:
    """'TLSv1', 'TLSv1.1', 'TLSv1.2' -> '1.0'; 'SSLv3' -> '0.3'."""
    found = []
    for name in protocols:
        if name.startswith("SSL"):
            found.append("0.3")
        elif name.startswith("TLSv"):
            number = name[4:] or "1"
            found.append(number if "." in number else number + ".0")
    return min(found, key=version) if found else None


def elb_min_version(listener: Mapping) -> str | None:
    if listener.get("ssl_protocols"):
        return lowest_protocol(listener["ssl_protocols"])
    for pattern, minimum in ELB_NAME:
        if pattern.search(listener.get("ssl_policy") or ""):
            return minimum
    return None


@check(
    id="aws.elbv2.https_only",
    title="Load balancers serve HTTPS only, with a TLS policy of at least the baseline's version",
    severity="high",
    domain="technical",
    needs=["aws.elbv2.load_balancers"],
    params={"tls.min_version": "1.2"},
    tags=["aws", "tls"],
)
def elbv2_https_only(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """An HTTP listener that serves content, rather than redirecting to HTTPS, sends data in clear text;
    an HTTPS or TLS listener whose security policy still offers a TLS version below `tls.min_version`
    lets clients fall back to it. TCP and UDP listeners pass traffic through and are not judged here.

    Remediation: make the HTTP listener's default action a redirect to HTTPS (status 301), and use a
    security policy such as ELBSecurityPolicy-TLS13-1-2-2021-06.
    """
    minimum = str(params["tls.min_version"])
    for lb in evidence["aws.elbv2.load_balancers"]:
        problem = (lb.get("unreadable") or {}).get("listeners")
        if problem:
            yield error(lb["arn"], problem, cite=lb)
            continue
        problems, judged = [], False
        for listener in lb.get("listeners", ()):
            proto = listener.get("protocol")
            if proto == "HTTP":
                judged = True
                actions = listener.get("default_actions", ())
                if not any(
                    a.get("type") == "redirect" and a.get("redirect_protocol") == "HTTPS" for a in actions
                ):
                    problems.append(f"HTTP listener on port {listener['port']} does not redirect to HTTPS")
            elif proto in ("HTTPS", "TLS"):
                judged = True
                lowest = elb_min_version(listener)
                if lowest is None:
                    problems.append(
                        f"{proto} listener on port {listener['port']}: "
                        f"unknown security policy {listener.get('ssl_policy')}"
                    )
                elif version(lowest) < version(minimum):
                    problems.append(
                        f"{proto} listener on port {listener['port']} accepts TLS {lowest} "
                        f"({listener.get('ssl_policy')}); the baseline requires {minimum}"
                    )
        if problems:
            yield fail(lb["arn"], "; ".join(problems), cite=lb)
        elif judged:
            yield ok(lb["arn"], f"HTTPS only, TLS {minimum} or later", cite=lb)


@check(
    id="aws.cloudfront.https_only",
    title="CloudFront distributions serve viewers over HTTPS only, with at least the baseline's TLS",
    severity="high",
    domain="technical",
    needs=["aws.cloudfront.distributions"],
    params={"tls.min_version": "1.2"},
    tags=["aws", "tls"],
)
def cloudfront_https_only(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A cache behaviour with viewer protocol policy `allow-all` serves content over plain HTTP; a
    minimum protocol version below `tls.min_version` (including the default *.cloudfront.net
    certificate, which accepts TLS 1.0) lets viewers use outdated TLS.

    Remediation: set every behaviour to `redirect-to-https` or `https-only`, and use a custom
    certificate with security policy TLSv1.2_2021.
    """
    minimum = str(params["tls.min_version"])
    for dist in evidence["aws.cloudfront.distributions"]:
        problems = [
            f"behaviour {path} allows HTTP"
            for path, policy in sorted(dist.get("viewer_protocol_policies", {}).items())
            if policy == "allow-all"
        ]
        lowest = (
            "1.0"
            if dist.get("default_certificate")
            else CLOUDFRONT_MIN.get(dist.get("minimum_protocol_version") or "")
        )
        if lowest is None:
            problems.append(f"unknown minimum protocol version {dist.get('minimum_protocol_version')}")
        elif version(lowest) < version(minimum):
            problems.append(f"viewers may use TLS {lowest}; the baseline requires {minimum}")
        if problems:
            yield fail(dist["arn"], "; ".join(problems), cite=dist)
        else:
            yield ok(dist["arn"], f"HTTPS only, TLS {minimum} or later", cite=dist)


@check(
    id="aws.acm.certificate_expiry",
    title="Certificates in use are valid and not about to expire",
    severity="medium",
    domain="technical",
    needs=["aws.acm.certificates"],
    params={"aws.acm.expiry_warning_days": 30},
    tags=["aws", "tls"],
)
def certificate_expiry(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """An expired certificate breaks HTTPS and teaches users to click through warnings. Certificates in
    use that expire within `aws.acm.expiry_warning_days` fail; unused ones are not judged.

    Remediation: renew or re-import the certificate (ACM renews the certificates it issued when their
    DNS validation records are still in place).
    """
    warn = params["aws.acm.expiry_warning_days"]
    for cert in evidence["aws.acm.certificates"]:
        if not cert.get("in_use"):
            continue
        expires = when(cert.get("not_after"))
        if expires is None:
            yield error(cert["arn"], "certificate without an expiry date", cite=cert)
            continue
        days = (expires - params["now"]).days
        if days < 0:
            yield fail(cert["arn"], f"expired {-days} days ago", cite=cert)
        elif days < warn:
            yield fail(cert["arn"], f"expires in {days} days (warning at {warn})", cite=cert)
        else:
            yield ok(cert["arn"], f"valid for {days} more days", cite=cert)
