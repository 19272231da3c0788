"""Web checks: HTTPS redirect, HSTS, session and persistent cookies, third-party trackers, ad platforms."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest
from vigil.checks.web import load_tracking_domains
from vigil.collectors.web import parse_hsts, parse_set_cookie

from vigil import registry

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SITE = "shop.example"


def page(
    *set_cookies: str,
    url: str = f"https://{SITE}/",
    hsts: str | None = "max-age=31536000; includeSubDomains",
    redirect: str = "redirects_to_https",
    resources_: tuple[str, ...] = (),
    session_names: tuple[str, ...] | None = None,
) -> dict:
    """A web.page evidence item as the collector writes it, cookies parsed by the collector's parser."""
    cookies = []
    for n, header in enumerate(set_cookies, start=1):
        cookie = parse_set_cookie(header, SITE, NOW)
        cookie["where"] = f"{url} Set-Cookie #{n}"
        cookie["session"] = (
            cookie["name"] in session_names
            if session_names is not None
            else cookie["name"] in ("session", "PHPSESSID", "sid")
        )
        cookies.append(cookie)
    scheme = url.split(":", 1)[0]
    return {
        "url": url,
        "final_url": url,
        "status": 200,
        "scheme": scheme,
        "origin": url.rstrip("/"),
        "site": SITE,
        "site_is_ip": False,
        "site_domains": [SITE, "shopcdn.example"],
        "hops": [{"url": url, "status": 200, "location": None}],
        "headers": {"content-type": "text/html"},
        "hsts": parse_hsts(hsts) if scheme == "https" else None,
        "http_redirect": {
            "url": f"http://{SITE}/",
            "status": 301 if redirect.startswith("redirects") else 200,
            "location": f"https://{SITE}/" if redirect == "redirects_to_https" else None,
            "outcome": redirect,
            "error": "TimeoutError: timed out" if redirect == "unreachable" else None,
        },
        "cookies": cookies,
        "resource_hosts": sorted(resources_),
    }


def run(check_id: str, pages: list[dict], **params) -> dict:
    check = registry.checks.get(check_id)
    outcomes = list(check.func({"web.page": pages}, {**check.params, **params, "now": NOW}))
    resources_seen = [o.resource for o in outcomes]
    assert len(resources_seen) == len(set(resources_seen)), "one outcome per resource"
    return {o.resource: (o.status, o.message) for o in outcomes}


def statuses(result: dict) -> dict:
    return {resource: status for resource, (status, _) in result.items()}


# ---------------------------------------------------------------- transport
def test_redirect_to_https_or_refusal_passes_plain_http_fails_silence_is_error():
    check = "web.transport.https_redirect"
    assert run(check, [page()]) == {
        f"https://{SITE}/": ("pass", f"http://{SITE}/ redirects to https://{SITE}/")
    }
    assert statuses(run(check, [page(redirect="refused")])) == {f"https://{SITE}/": "pass"}
    served = run(check, [page(redirect="serves_plain_http")])[f"https://{SITE}/"]
    assert served == (
        "fail",
        f"http://{SITE}/ serves the page over plain HTTP (status 200) instead of redirecting to HTTPS",
    )
    assert run(check, [page(redirect="redirects_to_http")])[f"https://{SITE}/"][0] == "fail"
    assert run(check, [page(redirect="unreachable")])[f"https://{SITE}/"][0] == "error"
    assert run(check, [page(redirect="not_checked")]) == {
        f"https://{SITE}/": ("not_applicable", "plain HTTP not checked (http_url: false in vigil.yaml)")
    }


@pytest.mark.parametrize(
    ("header", "status", "message"),
    [
        (
            "max-age=63072000; includeSubDomains; preload",
            "pass",
            "HSTS max-age=63072000; includeSubDomains; preload",
        ),
        (None, "fail", "no Strict-Transport-Security header"),
        ("max-age=86400; includeSubDomains", "fail", "HSTS max-age 86400 is below 31536000 seconds"),
        ("max-age=31536000", "fail", "HSTS max-age 31536000 lacks includeSubDomains"),
        ("includeSubDomains", "fail", "Strict-Transport-Security has no valid max-age: 'includeSubDomains'"),
    ],
)
def test_hsts_needs_a_long_max_age_and_subdomains(header, status, message):
    assert run("web.transport.hsts", [page(hsts=header)]) == {f"https://{SITE}/": (status, message)}


def test_hsts_parameters_come_from_the_baseline_and_plain_http_fails():
    relaxed = {"web.hsts_min_max_age": 86400, "web.hsts_include_subdomains": False}
    assert run("web.transport.hsts", [page(hsts="max-age=86400")], **relaxed)[f"https://{SITE}/"][0] == "pass"
    plain = run("web.transport.hsts", [page(url=f"http://{SITE}/")])
    assert plain == {
        f"http://{SITE}/": ("fail", f"the page ends on http://{SITE}/: no HTTPS, so HSTS cannot apply")
    }


# ---------------------------------------------------------------- cookies
def test_session_cookie_with_every_flag_passes():
    result = run(
        "web.cookies.session_flags", [page("session=opaque; Path=/; Secure; HttpOnly; SameSite=Strict")]
    )
    assert result == {
        f"https://{SITE} cookie session ({SITE})": (
            "pass",
            "session cookie session: Secure, HttpOnly, SameSite=Strict, temporary",
        )
    }


def test_session_cookie_missing_flags_or_persistent_fails_listing_each_problem():
    result = run(
        "web.cookies.session_flags",
        [
            page(
                "PHPSESSID=opaque; path=/",
                "sid=x; Secure; HttpOnly; SameSite=None; Max-Age=2592000",
                "lang=en",
            )
        ],
    )
    assert result == {
        f"https://{SITE} cookie PHPSESSID ({SITE})": (
            "fail",
            "session cookie PHPSESSID: not Secure; not HttpOnly; SameSite=(unset), expected Lax/Strict",
        ),
        f"https://{SITE} cookie sid ({SITE})": (
            "fail",
            "session cookie sid: SameSite=None, expected Lax/Strict; "
            "persistent (30 days), not a session cookie",
        ),
    }


def test_persistent_preference_cookie_passes_long_or_identifying_ones_fail():
    result = run(
        "web.cookies.persistent_preferences",
        [
            page(
                "lang=en; Max-Age=31536000; Secure",
                "font=large; Expires=Wed, 30 Dec 2026 12:00:00 GMT",
                "visitor=7d444840-9dc0-11d1-b245-5ffdce74fad2; Max-Age=31536000",
                "theme=dark; Max-Age=63072000",
                "session=x; Secure; HttpOnly; SameSite=Lax",
            )
        ],
    )
    assert result == {
        f"https://{SITE} cookie lang ({SITE})": ("pass", "persistent cookie lang: 365 days, no identifier"),
        f"https://{SITE} cookie font ({SITE})": ("pass", "persistent cookie font: 30 days, no identifier"),
        f"https://{SITE} cookie visitor ({SITE})": (
            "fail",
            "persistent cookie visitor holds a unique identifier (36 random characters), not a preference",
        ),
        f"https://{SITE} cookie theme ({SITE})": (
            "fail",
            "persistent cookie theme lives 730 days (limit 395)",
        ),
    }


# ---------------------------------------------------------------- tracking
def test_first_party_cookies_and_no_trackers_pass():
    result = run(
        "web.tracking.third_party",
        [
            page(
                "session=x; Secure",
                f"lang=en; Domain=.{SITE}",
                "c=1; Domain=img.shopcdn.example",
                resources_=(SITE,),
            )
        ],
    )
    assert result == {f"https://{SITE}/": ("pass", "3 cookie(s), all first-party; no listed tracker loaded")}


def test_third_party_and_listed_cookies_and_tracker_loads_fail():
    bad = page(
        "IDE=AHWq; Domain=.doubleclick.net; SameSite=None; Secure",
        "partner=1; Domain=partner.example",
        "top=1; Domain=example",  # a whole top-level domain is not the site
        resources_=("static.hotjar.com", "cdn.jsdelivr.net"),
    )
    assert run("web.tracking.third_party", [bad]) == {
        f"https://{SITE} cookie IDE (doubleclick.net)": (
            "fail",
            "cookie IDE is set for doubleclick.net, a known advertising domain (doubleclick.net)",
        ),
        f"https://{SITE} cookie partner (partner.example)": (
            "fail",
            f"cookie partner is set for partner.example, outside the site ({SITE}, shopcdn.example)",
        ),
        f"https://{SITE} cookie top (example)": (
            "fail",
            f"cookie top is set for example, outside the site ({SITE}, shopcdn.example)",
        ),
        f"https://{SITE} loads static.hotjar.com": (
            "fail",
            "the page loads static.hotjar.com, a known tracking domain (hotjar.com)",
        ),
    }


def test_ad_platforms_fail_by_loaded_tag_or_cookie_but_trackers_alone_do_not():
    clean = page("session=x", resources_=("static.hotjar.com",))
    assert run("web.tracking.ad_platforms", [clean]) == {
        f"https://{SITE}/": ("pass", "no advertising platform among cookies and loaded hosts")
    }
    ads = page("IDE=1; Domain=.doubleclick.net", resources_=("connect.facebook.net",))
    assert run("web.tracking.ad_platforms", [ads]) == {
        f"https://{SITE} ad platform doubleclick.net": (
            "fail",
            "cookie IDE is set for doubleclick.net, an advertising platform (doubleclick.net)",
        ),
        f"https://{SITE} ad platform facebook.net": (
            "fail",
            "the page loads connect.facebook.net, an advertising platform (facebook.net)",
        ),
    }


def test_the_tracking_lists_are_baseline_parameters():
    ads = page(resources_=("pixel.adtech.example",))
    own_list = {"web.advertising_domains": ["adtech.example"]}
    assert (
        run("web.tracking.ad_platforms", [ads], **own_list)[f"https://{SITE} ad platform adtech.example"][0]
        == "fail"
    )
    assert run("web.tracking.ad_platforms", [ads])[f"https://{SITE}/"][0] == "pass"
    # or extend the shipped lists rather than replace them
    both = page("IDE=1; Domain=.doubleclick.net", resources_=("pixel.adtech.example", "cdn.tracky.example"))
    extra = {
        "web.extra_advertising_domains": ["adtech.example"],
        "web.extra_tracking_domains": ["tracky.example"],
    }
    assert set(run("web.tracking.ad_platforms", [both], **extra)) == {
        f"https://{SITE} ad platform adtech.example",
        f"https://{SITE} ad platform doubleclick.net",
    }
    assert run("web.tracking.third_party", [both], **extra)[f"https://{SITE} loads cdn.tracky.example"] == (
        "fail",
        "the page loads cdn.tracky.example, a known tracking domain (tracky.example)",
    )


def test_the_shipped_tracking_list_parses_is_sorted_and_rejects_bad_lines():
    text = resources.files("vigil.baselines").joinpath("lists/tracking-domains.txt").read_text()
    domains = load_tracking_domains(text)
    assert len(domains) >= 40 and set(domains.values()) == {"advertising", "tracking"}
    for category in ("advertising", "tracking"):
        names = [d for d, c in domains.items() if c == category]
        assert names == sorted(names), f"keep the {category} block sorted"
    with pytest.raises(ValueError, match="tracking-domains.txt:2"):
        load_tracking_domains("# list\nexample.com ads\n")


def test_a_cookie_being_deleted_is_not_judged_as_stored():
    logout = page(
        "session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "lang=; Max-Age=0",
        "session=new; Secure; HttpOnly; SameSite=Lax",
    )
    assert [c["deletes"] for c in logout["cookies"]] == [True, True, False]
    assert run("web.cookies.session_flags", [logout]) == {
        f"https://{SITE} cookie session ({SITE})": (
            "pass",
            "session cookie session: Secure, HttpOnly, SameSite=Lax, temporary",
        )
    }
    assert run("web.cookies.persistent_preferences", [logout]) == {}
