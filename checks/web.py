"""Web pages: plain HTTP redirects to HTTPS, HSTS, cookie flags and lifetimes, no trackers or ad platforms."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from vigil.model import Outcome, fail, not_applicable, ok
from vigil.registry import check

WEB_REFERENCES = (
    "https://www.rfc-editor.org/rfc/rfc6797",  # HSTS
    "https://httpwg.org/http-extensions/draft-ietf-httpbis-rfc6265bis.html",  # cookies, SameSite
)
CATEGORIES = ("advertising", "tracking")


def load_tracking_domains(text: str) -> dict[str, str]:
    """baselines/lists/tracking-domains.txt: "<domain> <category>" per line, "#" comments."""
    domains = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2 or fields[1] not in CATEGORIES:
            raise ValueError(f"tracking-domains.txt:{number}: expected '<domain> advertising|tracking'")
        domains[fields[0].lower()] = fields[1]
    return domains


# loaded once when the module is imported: the check itself does no I/O
TRACKING_DOMAINS = load_tracking_domains(
    resources.files("vigil.baselines").joinpath("lists/tracking-domains.txt").read_text(encoding="utf-8")
)


# lists, not a mapping: baseline parameters flatten nested mappings into dotted names
LIST_PARAMS = {
    "web.advertising_domains": sorted(d for d, c in TRACKING_DOMAINS.items() if c == "advertising"),
    "web.tracking_domains": sorted(d for d, c in TRACKING_DOMAINS.items() if c == "tracking"),
    "web.extra_advertising_domains": [],
    "web.extra_tracking_domains": [],
}


def domain_categories(params: Mapping[str, Any]) -> dict[str, str]:
    """{domain: category} from the shipped lists (or a baseline's replacement) and a baseline's extras."""
    domains: dict[str, str] = {}
    for category in ("tracking", "advertising"):  # a domain in both counts as advertising
        for name in (f"web.{category}_domains", f"web.extra_{category}_domains"):
            domains.update({str(d).lower().strip("."): category for d in params[name]})
    return domains


def listed(host: str, domains: Mapping[str, str]) -> tuple[str, str] | None:
    """(listed domain, category) when `host` is a listed domain or one of its subdomains."""
    labels = host.lower().strip(".").split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        if candidate in domains:
            return candidate, domains[candidate]
    return None


def first_party(domain: str, page: Mapping[str, Any]) -> bool:
    """A cookie domain belongs to the site when it is the site's host, a parent of it, or a site domain."""
    domain = domain.lower().strip(".")
    for own in page["site_domains"]:
        if domain == own:
            return True
        if _is_ip(own) or _is_ip(domain):
            continue  # an address has no parent domain or subdomains
        if (own.endswith("." + domain) and "." in domain) or domain.endswith("." + own):
            return True
    return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def cookie_domain(cookie: Mapping[str, Any]) -> str:
    return cookie["domain"] or cookie["set_by"]


def cookie_resource(page: Mapping[str, Any], cookie: Mapping[str, Any]) -> str:
    return f"{page['origin']} cookie {cookie['name']} ({cookie_domain(cookie)})"


@check(
    id="web.transport.https_redirect",
    title="Plain HTTP redirects to HTTPS",
    severity="high",
    domain="technical",
    needs=["web.page"],
    references=WEB_REFERENCES,
    tags=["web", "encryption"],
)
def https_redirect(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A site must not serve pages over plain HTTP: a request to http:// must be answered with a
    redirect to https://, or refused outright (nothing listens for plain HTTP). A page that answers
    over HTTP, or a redirect to another http:// address, fails; no answer at all is an error.

    Remediation: answer every http:// request with a 301 or 308 redirect to the same path on https://
    (or close port 80), and send HSTS so browsers stop trying HTTP.
    """
    for page in evidence["web.page"]:
        check_url = page["http_redirect"]
        outcome = check_url["outcome"]
        resource = page["url"]
        if outcome == "not_checked":
            yield not_applicable(
                resource, "plain HTTP not checked (http_url: false in vigil.yaml)", cite=page
            )
        elif outcome == "redirects_to_https":
            yield ok(resource, f"{check_url['url']} redirects to {check_url['location']}", cite=page)
        elif outcome == "refused":
            yield ok(
                resource, f"{check_url['url']} refuses connections: nothing served over plain HTTP", cite=page
            )
        elif outcome == "unreachable":
            yield Outcome(
                "error",
                resource,
                f"{check_url['url']} did not answer ({check_url['error']}): set http_url to the plain-HTTP "
                "address that must redirect",
                cite=page,
            )
        elif outcome == "redirects_to_http":
            yield fail(
                resource, f"{check_url['url']} redirects to {check_url['location']}, not HTTPS", cite=page
            )
        else:
            yield fail(
                resource,
                f"{check_url['url']} serves the page over plain HTTP (status {check_url['status']}) "
                "instead of redirecting to HTTPS",
                cite=page,
            )


@check(
    id="web.transport.hsts",
    title="HTTPS pages send HSTS with a long max-age and includeSubDomains",
    severity="medium",
    domain="technical",
    needs=["web.page"],
    params={"web.hsts_min_max_age": 31536000, "web.hsts_include_subdomains": True},
    references=WEB_REFERENCES,
    tags=["web", "encryption"],
)
def hsts(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """The final HTTPS response must carry Strict-Transport-Security with max-age of at least
    web.hsts_min_max_age seconds (default one year) and, when web.hsts_include_subdomains is true,
    includeSubDomains: otherwise a browser's first request, or a subdomain, can still go over plain
    HTTP and be intercepted. A page that ends on http:// fails: HSTS only counts over HTTPS.

    Remediation: send "Strict-Transport-Security: max-age=31536000; includeSubDomains" on every
    HTTPS response (after checking every subdomain serves HTTPS).
    """
    minimum = params["web.hsts_min_max_age"]
    for page in evidence["web.page"]:
        resource = page["url"]
        header = page["hsts"]
        if page["scheme"] != "https":
            yield fail(
                resource, f"the page ends on {page['final_url']}: no HTTPS, so HSTS cannot apply", cite=page
            )
        elif header is None:
            yield fail(resource, "no Strict-Transport-Security header", cite=page)
        elif header["max_age"] is None:
            yield fail(
                resource, f"Strict-Transport-Security has no valid max-age: {header['header']!r}", cite=page
            )
        elif header["max_age"] < minimum:
            yield fail(resource, f"HSTS max-age {header['max_age']} is below {minimum} seconds", cite=page)
        elif params["web.hsts_include_subdomains"] and not header["include_subdomains"]:
            yield fail(resource, f"HSTS max-age {header['max_age']} lacks includeSubDomains", cite=page)
        else:
            yield ok(resource, f"HSTS {header['header']}", cite=page)


@check(
    id="web.cookies.session_flags",
    title="Session cookies are Secure, HttpOnly, SameSite and temporary",
    severity="high",
    domain="technical",
    needs=["web.page"],
    params={"web.session_samesite": ["Lax", "Strict"]},
    references=WEB_REFERENCES,
    tags=["web", "cookies"],
)
def session_flags(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Every session cookie (named in the URL's session_cookies, or recognised by a usual session
    name such as session, sid, JSESSIONID, PHPSESSID, connect.sid, auth or token) must be Secure (never
    sent over plain HTTP), HttpOnly (out of reach of injected scripts), SameSite with a value in
    web.session_samesite (not sent on cross-site requests), and temporary: no Expires or Max-Age, so
    it ends with the browser session as the policy says.

    Remediation: set the session cookie with "Secure; HttpOnly; SameSite=Lax" and no Expires or
    Max-Age (in most frameworks: the session cookie settings, e.g. SESSION_COOKIE_SECURE).
    """
    allowed = set(params["web.session_samesite"])
    for page in evidence["web.page"]:
        for cookie in page["cookies"]:
            if not cookie["session"] or cookie.get("deletes"):
                continue
            missing = [flag for flag in ("secure", "httponly") if not cookie[flag]]
            problems = [f"not {'HttpOnly' if f == 'httponly' else 'Secure'}" for f in missing]
            if cookie["samesite"] not in allowed:
                problems.append(
                    f"SameSite={cookie['samesite'] or '(unset)'}, expected {'/'.join(sorted(allowed))}"
                )
            if cookie["persistent"]:
                problems.append(f"persistent ({cookie['lifetime_days']:g} days), not a session cookie")
            resource = cookie_resource(page, cookie)
            if problems:
                yield fail(resource, f"session cookie {cookie['name']}: " + "; ".join(problems), cite=page)
            else:
                yield ok(
                    resource,
                    f"session cookie {cookie['name']}: Secure, HttpOnly, SameSite={cookie['samesite']}, "
                    "temporary",
                    cite=page,
                )


@check(
    id="web.cookies.persistent_preferences",
    title="Persistent cookies hold preferences: bounded lifetime and no unique identifier",
    severity="medium",
    domain="technical",
    needs=["web.page"],
    params={"web.cookie_max_days": 395},
    references=WEB_REFERENCES,
    tags=["web", "cookies"],
)
def persistent_preferences(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A persistent (non-session) first-party cookie must live no longer than web.cookie_max_days
    (default 395, about 13 months) and must not hold a unique identifier: a long random value (16 or
    more characters with digits, e.g. a UUID) tells one browser from another across visits, which is
    tracking, not a setting such as language or font size. vigil judges the value's shape at
    collection; the value itself is never stored.

    Remediation: shorten the cookie's Max-Age; keep only the preference itself in it (lang=en), and move
    identifiers to a session cookie or drop them.
    """
    limit = params["web.cookie_max_days"]
    for page in evidence["web.page"]:
        for cookie in page["cookies"]:
            if cookie["session"] or not cookie["persistent"] or cookie.get("deletes"):
                continue
            if not first_party(cookie_domain(cookie), page):
                continue
            resource = cookie_resource(page, cookie)
            days = cookie["lifetime_days"]
            if days is not None and days > limit:
                yield fail(
                    resource,
                    f"persistent cookie {cookie['name']} lives {days:g} days (limit {limit})",
                    cite=page,
                )
            elif cookie["value_identifier_like"]:
                yield fail(
                    resource,
                    f"persistent cookie {cookie['name']} holds a unique identifier ({cookie['value_length']} "
                    "random characters), not a preference",
                    cite=page,
                )
            else:
                yield ok(
                    resource, f"persistent cookie {cookie['name']}: {days:g} days, no identifier", cite=page
                )


@check(
    id="web.tracking.third_party",
    title="No third-party or tracking cookies, and no tracker loaded by the page",
    severity="high",
    domain="technical",
    needs=["web.page"],
    params=LIST_PARAMS,
    references=WEB_REFERENCES,
    tags=["web", "cookies", "privacy"],
)
def third_party(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Cookies are not used for cross-site tracking: a cookie set for a domain outside the site (the
    URL's host, its parent domains and the URL's site_domains), or for a domain in the tracking list
    (baselines/lists/tracking-domains.txt, as the parameters web.advertising_domains and
    web.tracking_domains; add your own in web.extra_advertising_domains and web.extra_tracking_domains)
    fails, and so does a page that makes the browser load scripts, pixels or frames from a listed domain.

    Remediation: remove the tag or pixel and the cookie it sets; if the vendor is needed, use a
    first-party, cookieless configuration and record it in the vendor list.
    """
    domains = domain_categories(params)
    for page in evidence["web.page"]:
        clean = True
        for cookie in page["cookies"]:
            domain = cookie_domain(cookie)
            hit = listed(domain, domains)
            if hit:
                clean = False
                yield fail(
                    cookie_resource(page, cookie),
                    f"cookie {cookie['name']} is set for {domain}, a known {hit[1]} domain ({hit[0]})",
                    cite=page,
                )
            elif not first_party(domain, page):
                clean = False
                yield fail(
                    cookie_resource(page, cookie),
                    f"cookie {cookie['name']} is set for {domain}, outside the site "
                    f"({', '.join(page['site_domains'])})",
                    cite=page,
                )
        for host in page["resource_hosts"]:
            hit = listed(host, domains)
            if hit:
                clean = False
                yield fail(
                    f"{page['origin']} loads {host}",
                    f"the page loads {host}, a known {hit[1]} domain ({hit[0]})",
                    cite=page,
                )
        if clean:
            yield ok(
                page["url"],
                f"{len(page['cookies'])} cookie(s), all first-party; no listed tracker loaded",
                cite=page,
            )


@check(
    id="web.tracking.ad_platforms",
    title="No advertising platform receives cookies or page loads",
    severity="high",
    domain="technical",
    needs=["web.page"],
    params=LIST_PARAMS,
    references=WEB_REFERENCES,
    tags=["web", "privacy"],
)
def ad_platforms(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Data is not shared with advertising platforms: a page that loads an ad platform's tag or pixel,
    or a cookie set for an ad platform's domain (category advertising in the tracking list), fails.
    Such tags send the visitor's address, the page and the cookie identifiers to the platform.

    Remediation: remove the ad platform's tag, pixel and conversion integration; end the data flow in
    the vendor's settings as well.
    """
    domains = domain_categories(params)
    for page in evidence["web.page"]:
        hosts = {host: f"the page loads {host}" for host in page["resource_hosts"]}
        for cookie in page["cookies"]:
            hosts.setdefault(
                cookie_domain(cookie), f"cookie {cookie['name']} is set for {cookie_domain(cookie)}"
            )
        found = False
        for host, what in sorted(hosts.items()):
            hit = listed(host, domains)
            if hit and hit[1] == "advertising":
                found = True
                yield fail(
                    f"{page['origin']} ad platform {hit[0]}",
                    f"{what}, an advertising platform ({hit[0]})",
                    cite=page,
                )
        if not found:
            yield ok(page["url"], "no advertising platform among cookies and loaded hosts", cite=page)
