"""The shipped privacy-policy baseline stays faithful to the policy text it quotes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BASELINE_PATH = REPO / "baselines" / "privacy-policy.yaml"
SHARED_POLICY = Path(__file__).resolve().parents[3] / "shared/policy/privacy-policy.txt"

# The heading lines of the policy, in order. Only the names are fixed here; where each section
# starts and ends is derived from the text by split_sections.
HEADINGS = [
    "Privacy Policy",
    "Scope of data collection",
    "Purpose of Use of Information",
    "Protection of users' rights",
    "Information security measures",
    "Cookies and Tracking Technologies",
    "Information Disclosure Policy",
    "Information retention period",
    "Contact us",
]
DOMAINS = {"technical", "administrative", "physical"}
FRAMEWORKS = ("soc2", "iso27001", "nist_800_53", "gdpr")

# ISO/IEC 27001:2022 Annex A: how many controls each theme has
ISO_THEME_SIZES = {5: 37, 6: 8, 7: 14, 8: 34}
ID_PATTERNS = {
    "soc2": re.compile(r"^(CC[1-9]\.[1-9]|A1\.[1-3]|C1\.[12]|PI1\.[1-5]|P[1-8]\.[1-7])$"),
    "iso27001": re.compile(r"^A\.([5-8])\.(\d+)$"),
    "nist_800_53": re.compile(
        r"^(AC|AT|AU|CA|CM|CP|IA|IR|MA|MP|PE|PL|PM|PS|PT|RA|SA|SC|SI|SR)-\d+(\(\d+\))?$"
    ),
    "gdpr": re.compile(r"^Art\. \d{1,2}(\(\d+\))?(\([a-z]\))?$"),
}

# Each deadline or period must be its own control; the phrase identifies it in the quote.
PERIODS = {
    "seven years": "Information retention period",
    "six months": "Information retention period",
    "within 30 days": "Information retention period",
    "15 working days": "Information retention period",
    "five business days": "Contact us",
}

# Commitments the baseline must cover: each phrase appears in at least one control's quote.
COMMITMENTS = [
    "encryption protocols",
    "firewalls",
    "intrusion detection",
    "penetration testing",
    "code audits",
    "authority classification",
    "principle of minimum requirement",
    "only authorized employees",
    "background check",
    "compliance training every year",
    "equipped with access control",
    "surveillance",
    "disaster control facilities",
    "data lifecycle management",
    "redundant information",
    "incident monitoring",
    "emergency response",
    "user notification",
    "session cookies",
    "Persistent cookies",
    "analytical cookies",
    "cross-site tracking",
    "third-party advertising platforms",
    "explicitly tick the box",
    "unsubscribe",
    "request access",
    "correction",
    "deletion of unnecessary data",
    "restriction of processing",
    "structured format",
    "withdraw your consent",
    "confidentiality agreement",
    "scope of the order",
    "notify the user",
    "directly related to our business functions",
    "not to collect information that is not related to our business",
    "scenarios indicated",
    "fully anonymized",
    "delete or anonymise",
    "abnormal login",
    "Data Protection Officer",
]


def is_heading(line: str) -> bool:
    """A heading is a short line that does not end like a sentence."""
    text = line.strip()
    return 0 < len(text) <= 60 and text[-1] not in ".:;,!?"


def split_sections(text: str) -> dict[str, str]:
    """Map each heading line to the text below it, up to the next heading line."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if is_heading(line):
            current = line.strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {heading: "\n".join(lines) for heading, lines in sections.items()}


def quote_problems(control: dict, text: str, sections: dict[str, str]) -> list[str]:
    """Why a control's quote is not a verbatim span of its own section; empty when it is."""
    quote, section = control["quote"], control["section"]
    if quote not in text:
        return [f"{control['id']}: quote is not verbatim in the policy: {quote!r}"]
    if section not in sections:
        return [f"{control['id']}: no policy section is headed {section!r}"]
    if quote not in sections[section]:
        found = [name for name, body in sections.items() if quote in body]
        return [f"{control['id']}: quote is in {found}, not in section {section!r}"]
    return []


@pytest.fixture(scope="module")
def baseline() -> dict:
    return yaml.safe_load(BASELINE_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def policy_text(baseline) -> str:
    return (BASELINE_PATH.parent / baseline["policy"]["file"]).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections(policy_text) -> dict[str, str]:
    return split_sections(policy_text)


@pytest.fixture(scope="module")
def controls(baseline) -> list[dict]:
    return baseline["controls"]


# ---------------------------------------------------------------- the policy copy and its sections


def test_shipped_policy_is_identical_to_the_shared_original(baseline):
    if not SHARED_POLICY.is_file():
        pytest.skip(f"no shared original at {SHARED_POLICY}")
    shipped = BASELINE_PATH.parent / baseline["policy"]["file"]
    assert shipped.read_bytes() == SHARED_POLICY.read_bytes()


def test_policy_headings_are_found_in_order(sections):
    assert list(sections) == HEADINGS


def test_every_section_has_text(sections):
    assert all(body.strip() for body in sections.values()), sections


def test_split_sections_assigns_lines_to_the_heading_above():
    text = "Title\nFirst paragraph.\nSecond heading\nA list follows:\nLast line.\n"
    assert split_sections(text) == {
        "Title": "First paragraph.",
        "Second heading": "A list follows:\nLast line.",
    }


# ---------------------------------------------------------------- quotes


def test_every_quote_is_verbatim_in_its_section(controls, policy_text, sections):
    problems = [p for control in controls for p in quote_problems(control, policy_text, sections)]
    assert problems == []


def test_quote_checker_rejects_one_changed_letter(policy_text, sections):
    control = {"id": "PP-X", "section": "Information security measures"}
    good = "all employees receive compliance training every year"
    assert quote_problems({**control, "quote": good}, policy_text, sections) == []
    bad = good.replace("receive", "recieve")
    assert "not verbatim" in quote_problems({**control, "quote": bad}, policy_text, sections)[0]


def test_quote_checker_rejects_tidied_spacing(policy_text, sections):
    # the policy reads "identified,but also": a quote with the missing space added is not verbatim
    control = {"id": "PP-X", "section": "Scope of data collection", "quote": "identified, but also"}
    assert quote_problems(control, policy_text, sections)
    assert quote_problems({**control, "quote": "identified,but also"}, policy_text, sections) == []


def test_quote_checker_rejects_the_wrong_section(policy_text, sections):
    control = {"id": "PP-X", "section": "Contact us", "quote": "transaction data is retained"}
    [problem] = quote_problems(control, policy_text, sections)
    assert "Information retention period" in problem


def test_quote_checker_rejects_an_unknown_section(policy_text, sections):
    control = {"id": "PP-X", "section": "Security", "quote": "firewalls"}
    assert "no policy section" in quote_problems(control, policy_text, sections)[0]


# ---------------------------------------------------------------- coverage of the policy


def test_every_section_has_a_control(controls, sections):
    covered = {control["section"] for control in controls}
    assert [name for name in sections if name not in covered] == []


@pytest.mark.parametrize("phrase", COMMITMENTS)
def test_commitment_has_a_control(controls, phrase):
    assert any(phrase in control["quote"] for control in controls), phrase


@pytest.mark.parametrize(("phrase", "section"), PERIODS.items())
def test_each_period_has_its_own_control(controls, phrase, section):
    matching = [control for control in controls if phrase in control["quote"]]
    assert len(matching) == 1, [control["id"] for control in matching]
    [control] = matching
    assert control["section"] == section
    others = [other for other in PERIODS if other != phrase and other in control["quote"]]
    assert others == [], f"{control['id']} also states {others}"


# ---------------------------------------------------------------- shape of each control


def test_ids_are_unique_and_well_formed(controls):
    ids = [control["id"] for control in controls]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert [i for i in ids if not re.fullmatch(r"PP-[A-Z0-9-]+", i)] == []


def test_domains_are_known_and_each_has_controls(controls):
    used = Counter(control["domain"] for control in controls)
    assert set(used) == DOMAINS


def test_every_control_maps_to_all_four_frameworks(controls):
    missing = [
        (control["id"], key)
        for control in controls
        for key in FRAMEWORKS
        if not control["frameworks"].get(key)
    ]
    assert missing == []
    extra = [control["id"] for control in controls if set(control["frameworks"]) - set(FRAMEWORKS)]
    assert extra == []


def framework_id_problems(key: str, ref: str) -> list[str]:
    match = ID_PATTERNS[key].match(ref)
    if not match:
        return [f"{key}: {ref!r} is not a valid id"]
    if key == "iso27001" and not 1 <= int(match.group(2)) <= ISO_THEME_SIZES[int(match.group(1))]:
        return [f"{key}: {ref!r} is not in Annex A of ISO/IEC 27001:2022"]
    return []


def test_framework_ids_are_well_formed(controls):
    problems = [
        f"{control['id']}: {p}"
        for control in controls
        for key in FRAMEWORKS
        for ref in control["frameworks"][key]
        for p in framework_id_problems(key, str(ref))
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("key", "ref"),
    [
        ("iso27001", "A.8.35"),
        ("iso27001", "A.9.2.1"),
        ("soc2", "CC10.1"),
        ("nist_800_53", "AC6"),
        ("gdpr", "32"),
    ],
)
def test_framework_id_checker_rejects_bad_ids(key, ref):
    assert framework_id_problems(key, ref)


def test_weights_are_in_range(controls):
    assert [c["id"] for c in controls if not 0.5 <= c["weight"] <= 3] == []


def test_controls_name_only_installed_checks(controls):
    from vigil import registry

    registry.load_plugins()
    unknown = [(c["id"], check) for c in controls for check in c["checks"] if check not in registry.checks]
    assert unknown == []
    training = next(c for c in controls if c["id"] == "PP-TRAINING-ANNUAL")
    assert set(training["checks"]) == {"records.training.annual_completion", "records.training.known_people"}


def test_manual_controls_say_what_an_auditor_checks(controls):
    thin = [c["id"] for c in controls if not c["checks"] and len(c.get("manual_procedure") or "") < 120]
    assert thin == []


def test_baseline_header(baseline):
    assert baseline["name"] == "privacy-policy"
    assert baseline["version"] == "1"
    assert baseline["policy"] == {"title": "Privacy Policy", "file": "policies/privacy-policy.txt"}
    assert baseline["parameters"]["training.max_age_days"] == 365
    assert baseline["waivers"] == {"warn_days": 14, "items": []}
    assert baseline["checks"] == {}
