"""Web pages: HTTPS redirect, HSTS, every Set-Cookie (values never kept), third-party hosts a page loads."""

from __future__ import annotations

import http.client
import ipaddress
import re
import ssl
from collections.abc import Mapping
from datetime import timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from vigil.model import CollectContext, UserError
from vigil.registry import collector

MAX_REDIRECTS = 10
MAX_BODY = 2 << 20  # the first 2 MiB of a page is where its scripts and pixels are declared
# names sites and frameworks give session cookies (PHP, Java, ASP.NET, Express, Django, Rails, Laravel);
# CSRF tokens are left out: scripts must read them, so they are rightly not HttpOnly
SESSION_NAME = re.compile(
    r"(?i)(^|[_.-])(sess(ion)?(id)?|sid|jsessionid|phpsessid|asp\.net_sessionid|connect\.sid|auth|token"
    r"|remember_token)($|[_.-])|session"
)
# a value long and random enough to tell browsers apart: hex, UUIDs, base64 of 16+ characters with digits
IDENTIFIER = re.compile(r"^(?=.*\d)[A-Za-z0-9+/=_.:-]{16,}$")
RESOURCE_ATTRS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "link": "href",
    "source": "src",
    "embed": "src",
}


class _Resources(HTMLParser):
    """The hosts a page makes the browser contact by itself: scripts, images, frames, stylesheets."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.hosts: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = RESOURCE_ATTRS.get(tag)
        if wanted is None:
            return
        for name, value in attrs:
            if name == wanted and value:
                host = urlsplit(urljoin(self.base, value.strip())).hostname
                if host:
                    self.hosts.add(host.lower())


def without_query(url: str) -> str:
    """A URL as evidence keeps it: redirects carry codes and tokens in their query (OAuth's code=,
    session ids), so the query and fragment are dropped."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def parse_set_cookie(header: str, set_by: str, received_at: Any) -> dict[str, Any]:
    """One Set-Cookie header as attributes; the value is described (length, shape), never kept."""
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    attrs: dict[str, str] = {}
    flags: set[str] = set()
    for part in parts[1:]:
        if not part:
            continue
        key, sep, val = part.partition("=")
        if sep:
            attrs[key.strip().lower()] = val.strip()
        else:
            flags.add(key.strip().lower())
    max_age = None
    if "max-age" in attrs:
        try:
            max_age = int(attrs["max-age"])
        except ValueError:
            max_age = None
    expires = None
    if "expires" in attrs:
        try:
            expires = parsedate_to_datetime(attrs["expires"])
        except (TypeError, ValueError):
            expires = None
    lifetime_days = None
    if max_age is not None:
        lifetime_days = round(max_age / 86400, 2)
    elif expires is not None:
        lifetime_days = round((expires - received_at).total_seconds() / 86400, 2)
    value = value.strip().strip('"')
    return {
        "name": name.strip(),
        "domain": attrs.get("domain", "").lstrip(".").lower(),
        "set_by": set_by,
        "path": attrs.get("path", ""),
        "secure": "secure" in flags,
        "httponly": "httponly" in flags,
        "samesite": attrs.get("samesite", "").capitalize(),
        "persistent": max_age is not None or expires is not None,
        "expires": expires.isoformat() if expires is not None else None,
        "max_age": max_age,
        "lifetime_days": lifetime_days,
        # Max-Age=0 or an Expires in the past removes the cookie (a logout): nothing is stored
        "deletes": lifetime_days is not None and lifetime_days <= 0,
        "value_length": len(value),
        "value_identifier_like": bool(IDENTIFIER.match(value)),
    }


def parse_hsts(header: str | None) -> dict[str, Any] | None:
    if header is None:
        return None
    directives = {}
    for part in header.split(";"):
        key, _, val = part.strip().partition("=")
        if key:
            directives[key.strip().lower()] = val.strip().strip('"')
    try:
        max_age = int(directives["max-age"]) if "max-age" in directives else None
    except ValueError:
        max_age = None
    return {
        "header": header,
        "max_age": max_age,
        "include_subdomains": "includesubdomains" in directives,
        "preload": "preload" in directives,
    }


def _tls_context(target: Mapping[str, Any], ctx: CollectContext) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if target.get("ca_bundle"):
        with ctx.open_binary(target["ca_bundle"]) as handle:
            context.load_verify_locations(cadata=handle.read().decode("ascii", "replace"))
    return context


def _request(url: str, tls: ssl.SSLContext, timeout: float) -> tuple[http.client.HTTPResponse, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=tls
        )
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    try:
        conn.request(
            "GET", path, headers={"User-Agent": "vigil (compliance scan)", "Accept": "text/html,*/*"}
        )
        response = conn.getresponse()
        body = response.read(MAX_BODY)
        return response, body
    finally:
        conn.close()


def fetch(url: str, tls: ssl.SSLContext, timeout: float, now: Any) -> dict[str, Any]:
    """Follow redirects by hand so that every hop's status and cookies are seen."""
    hops = []
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        response, body = _request(current, tls, timeout)
        host = (urlsplit(current).hostname or "").lower()
        location = response.getheader("Location")
        hops.append(
            {
                "url": without_query(current),
                "status": response.status,
                "location": without_query(urljoin(current, location)) if location else None,
                "cookies": [
                    {
                        **parse_set_cookie(header, host, now),
                        "where": f"{without_query(current)} Set-Cookie #{n}",
                    }
                    for n, header in enumerate(response.headers.get_all("Set-Cookie") or [], start=1)
                ],
            }
        )
        if response.status in (301, 302, 303, 307, 308) and location:
            current = urljoin(current, location)
            continue
        return {"hops": hops, "response": response, "body": body}
    raise UserError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _plain_http_url(url: str, target: Mapping[str, Any]) -> str | None:
    if target.get("http_url"):
        return target["http_url"]
    if target.get("http_url") is False:
        return None
    parts = urlsplit(url)
    if parts.scheme == "http":
        return None  # the page itself is the plain-HTTP one
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}{parts.path or '/'}"


def _check_redirect(http_url: str, tls: ssl.SSLContext, timeout: float, now: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "url": http_url,
        "status": None,
        "location": None,
        "outcome": None,
        "error": None,
    }
    try:
        response, _ = _request(http_url, tls, timeout)
    except ConnectionRefusedError:
        result["outcome"] = "refused"  # nothing listens for plain HTTP: no data can travel in clear there
        return result
    except (OSError, http.client.HTTPException) as exc:
        result["outcome"] = "unreachable"
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    location = response.getheader("Location")
    result["status"] = response.status
    result["location"] = without_query(urljoin(http_url, location)) if location else None
    redirected = response.status in (301, 302, 303, 307, 308) and bool(location)
    if redirected and urlsplit(result["location"]).scheme == "https":
        result["outcome"] = "redirects_to_https"
    elif redirected:
        result["outcome"] = "redirects_to_http"
    else:
        result["outcome"] = "serves_plain_http"
    return result


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


@collector(name="web.page", kind="web.page", source="urls", ttl=timedelta(hours=24), plain=("where",))
def collect_page(target: Mapping[str, Any], ctx: CollectContext) -> dict[str, Any]:
    """Fetch one URL as a browser would, without running scripts: every redirect hop, the response
    headers, each Set-Cookie's attributes (names and flags; values are described, never kept), HSTS,
    whether plain HTTP redirects to HTTPS, and the hosts the page loads scripts, images and frames from."""
    url = target["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"urls: {url!r} is not an http:// or https:// URL")
    timeout = float(target.get("timeout_seconds", 15))
    tls = _tls_context(target, ctx)
    now = ctx.now()
    try:
        page = fetch(url, tls, timeout, now)
    except ssl.SSLCertVerificationError as exc:
        raise UserError(f"{url}: certificate not trusted: {exc.verify_message}") from None
    except TimeoutError:
        raise UserError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise UserError(f"{url}: {type(exc).__name__}: {exc}") from None
    response = page["response"]
    final_url = page["hops"][-1]["url"]
    headers: dict[str, str] = {}
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            continue  # recorded as parsed cookies, without their values
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    resources: set[str] = set()
    if "html" in (response.getheader("Content-Type") or "").lower():
        parser = _Resources(final_url)
        parser.feed(page["body"].decode("utf-8", "replace"))
        resources = parser.hosts
    plain = _plain_http_url(url, target)
    redirect = (
        _check_redirect(plain, tls, timeout, now)
        if plain
        else {"url": None, "status": None, "location": None, "outcome": "not_checked", "error": None}
        if target.get("http_url") is False and parts.scheme == "https"
        else {
            "url": url,
            "status": page["hops"][0]["status"],
            "location": page["hops"][0]["location"],
            "outcome": "redirects_to_https" if urlsplit(final_url).scheme == "https" else "serves_plain_http",
            "error": None,
        }
    )
    site_host = (parts.hostname or "").lower()
    cookies = [cookie for hop in page["hops"] for cookie in hop["cookies"]]
    for cookie in cookies:
        cookie["session"] = cookie["name"] in target.get("session_cookies", ()) or (
            "session_cookies" not in target and bool(SESSION_NAME.search(cookie["name"]))
        )
    return {
        "url": url,
        "final_url": final_url,
        "status": response.status,
        "scheme": urlsplit(final_url).scheme,
        "origin": f"{parts.scheme}://{parts.netloc}",  # names the site in findings: host and port
        "site": site_host,
        "site_is_ip": _is_ip(site_host),
        "site_domains": sorted({site_host, *(d.lower().lstrip(".") for d in target.get("site_domains", ()))}),
        "hops": [{k: v for k, v in hop.items() if k != "cookies"} for hop in page["hops"]],
        "headers": headers,
        "hsts": parse_hsts(response.getheader("Strict-Transport-Security"))
        if urlsplit(final_url).scheme == "https"
        else None,
        "http_redirect": redirect,
        "cookies": cookies,
        "resource_hosts": sorted(resources),
    }
