"""Web collector: real HTTP and HTTPS servers on 127.0.0.1; cookies parsed, their values never kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigil import registry
from vigil.collect import CollectContext, Task, run_task
from vigil.loopback import Route, Servers, closed_port, self_signed, server_context
from vigil.model import Evidence

registry.load_plugins()

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SESSION_VALUE = "s3cr3t-session-9f8e7d6c5b4a39281706"
UUID_VALUE = "7d444840-9dc0-11d1-b245-5ffdce74fad2"
AD_VALUE = "AHWqTUnG5ySxXpxmLQ2w1y3Rb"
GOOD_PAGE = b"<!doctype html><title>shop</title><script src='/static/app.js'></script><img src='/logo.png'>"
BAD_PAGE = (
    b"<!doctype html><title>shop</title>"
    b"<script src='https://connect.facebook.net/en_US/fbevents.js'></script>"
    b"<script src='//static.hotjar.com/c/hotjar-1.js'></script>"
    b"<img src='https://cdn.shop.example/logo.png'><a href='https://doubleclick.net/x'>not loaded</a>"
)
HTML = ("Content-Type", "text/html; charset=utf-8")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """A good HTTPS site with its HTTP redirect, and a bad plain-HTTP site, on free loopback ports."""
    folder = tmp_path_factory.mktemp("web")
    cert, key = self_signed(folder)
    servers = Servers()
    good = servers.http(
        {
            "/": Route(
                200,
                (
                    HTML,
                    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
                    ("Set-Cookie", f"session={SESSION_VALUE}; Path=/; Secure; HttpOnly; SameSite=Lax"),
                    ("Set-Cookie", "lang=en; Max-Age=31536000; Path=/; Secure; SameSite=Lax"),
                ),
                GOOD_PAGE,
            ),
            "/login": Route(
                302, (("Location", "/"), ("Set-Cookie", "csrftoken=abc; Secure; SameSite=Strict"))
            ),
        },
        tls=server_context(cert, key),
    )
    redirect = servers.http({"/": Route(301, (("Location", f"https://127.0.0.1:{good}/"),), b"")})
    bad = servers.http(
        {
            "/": Route(
                200,
                (
                    HTML,
                    ("X-Powered-By", "PHP/7.4"),
                    ("Set-Cookie", f"PHPSESSID={SESSION_VALUE}; path=/"),
                    ("Set-Cookie", f"visitor={UUID_VALUE}; Max-Age=63072000; Path=/"),
                    ("Set-Cookie", f"IDE={AD_VALUE}; Domain=.doubleclick.net; Path=/; SameSite=None; Secure"),
                    ("Set-Cookie", "partner=1; Domain=partner.example; Path=/"),
                ),
                BAD_PAGE,
            )
        }
    )
    yield {"folder": folder, "cert": cert, "good": good, "redirect": redirect, "bad": bad}
    servers.stop()


def collect(target: dict, base: Path) -> Evidence:
    return run_task(Task(registry.collectors.get("web.page"), target), CollectContext(base, lambda: NOW))


def good_target(sites, **extra) -> dict:
    return {
        "url": f"https://127.0.0.1:{sites['good']}/login",
        "http_url": f"http://127.0.0.1:{sites['redirect']}/",
        "ca_bundle": sites["cert"].name,
        **extra,
    }


def test_good_site_redirects_sends_hsts_and_flags_its_cookies(sites):
    evidence = collect(good_target(sites), sites["folder"])
    assert evidence.error is None, evidence.error
    page = evidence.data
    assert page["final_url"] == f"https://127.0.0.1:{sites['good']}/" and page["status"] == 200
    assert [h["status"] for h in page["hops"]] == [302, 200]
    assert page["http_redirect"]["outcome"] == "redirects_to_https"
    assert page["hsts"] == {
        "header": "max-age=63072000; includeSubDomains; preload",
        "max_age": 63072000,
        "include_subdomains": True,
        "preload": True,
    }
    cookies = {c["name"]: c for c in page["cookies"]}
    assert set(cookies) == {"csrftoken", "session", "lang"}  # the redirect hop's cookie is seen too
    assert not cookies["csrftoken"]["session"]  # scripts read CSRF tokens: not judged as a session cookie
    session = cookies["session"]
    assert (session["secure"], session["httponly"], session["samesite"], session["persistent"]) == (
        True,
        True,
        "Lax",
        False,
    )
    assert session["session"] and not cookies["lang"]["session"]
    assert cookies["lang"]["lifetime_days"] == 365 and cookies["lang"]["value_identifier_like"] is False
    assert cookies["csrftoken"]["where"] == f"https://127.0.0.1:{sites['good']}/login Set-Cookie #1"
    assert page["resource_hosts"] == ["127.0.0.1"]


def test_bad_site_records_plain_http_third_party_cookies_and_trackers(sites):
    evidence = collect({"url": f"http://127.0.0.1:{sites['bad']}/"}, sites["folder"])
    page = evidence.data
    assert page["scheme"] == "http" and page["hsts"] is None
    assert page["http_redirect"]["outcome"] == "serves_plain_http"
    cookies = {c["name"]: c for c in page["cookies"]}
    assert cookies["PHPSESSID"]["session"] and not cookies["PHPSESSID"]["secure"]
    assert cookies["visitor"]["value_identifier_like"] and cookies["visitor"]["lifetime_days"] == 730
    assert cookies["IDE"]["domain"] == "doubleclick.net" and cookies["IDE"]["samesite"] == "None"
    # links are not loads: doubleclick.net only appears in an <a href>
    assert page["resource_hosts"] == ["cdn.shop.example", "connect.facebook.net", "static.hotjar.com"]
    assert page["headers"]["x-powered-by"] == "PHP/7.4" and "set-cookie" not in page["headers"]


def test_cookie_values_never_reach_evidence(sites, tmp_path):
    evidence = collect({"url": f"http://127.0.0.1:{sites['bad']}/"}, sites["folder"])
    text = json.dumps(evidence.data)
    for value in (SESSION_VALUE, UUID_VALUE, AD_VALUE):
        assert value not in text
    assert {c["value_length"] for c in evidence.data["cookies"]} == {
        len(SESSION_VALUE),
        len(UUID_VALUE),
        25,
        1,
    }


def test_an_untrusted_certificate_is_error_evidence_naming_why(sites):
    target = {"url": f"https://127.0.0.1:{sites['good']}/"}  # no ca_bundle: the system store
    evidence = collect(target, sites["folder"])
    assert evidence.error.startswith(f"https://127.0.0.1:{sites['good']}/: certificate not trusted")


def test_an_unreachable_site_is_error_evidence(tmp_path):
    evidence = collect({"url": f"http://127.0.0.1:{closed_port()}/", "timeout_seconds": 2}, tmp_path)
    assert evidence.error is not None and "ConnectionRefusedError" in evidence.error


def test_plain_http_that_nobody_serves_counts_as_refused(sites):
    evidence = collect(good_target(sites, http_url=f"http://127.0.0.1:{closed_port()}/"), sites["folder"])
    assert evidence.data["http_redirect"]["outcome"] == "refused"


def test_declared_session_cookie_names_replace_the_guess(sites):
    evidence = collect(good_target(sites, session_cookies=["lang"]), sites["folder"])
    flags = {c["name"]: c["session"] for c in evidence.data["cookies"]}
    assert flags == {"csrftoken": False, "session": False, "lang": True}


def test_plain_http_can_be_left_unchecked_on_purpose(sites):
    evidence = collect(good_target(sites, http_url=False), sites["folder"])
    assert evidence.data["http_redirect"]["outcome"] == "not_checked"
    assert evidence.data["hsts"]["max_age"] == 63072000  # the rest is judged as usual


def test_codes_and_tokens_in_redirect_queries_never_reach_evidence(tmp_path):
    servers = Servers()
    try:
        port = servers.http(
            {
                "/sso": Route(302, (("Location", "/callback?code=4f9a8b7c6d5e&state=xyz#frag"),), b""),
                "/callback": Route(
                    200, (HTML, ("Set-Cookie", "sid=1; Secure; HttpOnly; SameSite=Lax")), GOOD_PAGE
                ),
            }
        )
        evidence = collect({"url": f"http://127.0.0.1:{port}/sso"}, tmp_path)
    finally:
        servers.stop()
    text = json.dumps(evidence.data)
    assert "4f9a8b7c6d5e" not in text and "xyz" not in text
    assert evidence.data["hops"][0]["location"] == f"http://127.0.0.1:{port}/callback"
    assert evidence.data["cookies"][0]["where"] == f"http://127.0.0.1:{port}/callback Set-Cookie #1"
