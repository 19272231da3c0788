"""Realistic, schema-correct results.json documents for tests and benchmarks (docs/results-format.md)."""

from __future__ import annotations

import copy
import hashlib
import random
from datetime import UTC, datetime, timedelta

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("pass", "fail", "error", "manual", "not_applicable")
DOMAINS = ("technical", "administrative", "physical")

# One entry per kind of commitment; n_controls larger than this list repeats them with a suffix.
# (id, domain, section, title, quote, frameworks, [(check suffix, collector, severity, resource pattern)])
CONTROL_TEMPLATES = [
    (
        "PP-MFA",
        "technical",
        "Access control",
        "Every account with console access uses MFA",
        "access to production systems requires multi-factor authentication",
        {"soc2": ["CC6.1"], "iso27001": ["A.8.5"], "nist_800_53": ["IA-2(1)"]},
        [
            ("aws.iam.mfa_enabled", "aws.iam", "high", "arn:aws:iam::123456789012:user/{name}"),
            ("aws.iam.root_mfa", "aws.iam", "critical", "arn:aws:iam::{account}:root"),
        ],
    ),
    (
        "PP-LEAST-PRIVILEGE",
        "technical",
        "Access control",
        "Access rights follow least privilege",
        "staff are granted only the access they need for their role",
        {"soc2": ["CC6.3"], "iso27001": ["A.5.15", "A.8.2"], "nist_800_53": ["AC-6"]},
        [("aws.iam.no_admin_policies", "aws.iam", "high", "arn:aws:iam::123456789012:role/{name}")],
    ),
    (
        "PP-FIREWALL",
        "technical",
        "Network security",
        "Only required ports are reachable from the internet",
        "our systems are protected by firewalls that block unauthorised traffic",
        {"soc2": ["CC6.6"], "iso27001": ["A.8.20"], "nist_800_53": ["SC-7"]},
        [
            (
                "aws.ec2.sg_public_ingress",
                "aws.ec2",
                "high",
                "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-{hex}",
            ),
            ("network.scan.unexpected_ports", "network.nmap", "medium", "host:10.{a}.{b}.{c}"),
        ],
    ),
    (
        "PP-TLS-IN-TRANSIT",
        "technical",
        "Encryption",
        "Data in transit is encrypted with current TLS",
        "personal data is encrypted in transit using industry-standard protocols",
        {"soc2": ["CC6.7"], "iso27001": ["A.8.24"], "nist_800_53": ["SC-8"], "gdpr": ["Art. 32(1)(a)"]},
        [
            ("tls.endpoint.min_version", "tls", "high", "https://{name}.example.com:443"),
            ("tls.endpoint.certificate_valid", "tls", "medium", "https://{name}.example.com:443"),
        ],
    ),
    (
        "PP-ENCRYPT-AT-REST",
        "technical",
        "Encryption",
        "Stored personal data is encrypted",
        "personal data is encrypted at rest",
        {"soc2": ["CC6.1"], "iso27001": ["A.8.24"], "gdpr": ["Art. 32(1)(a)"]},
        [
            ("aws.s3.default_encryption", "aws.s3", "high", "arn:aws:s3:::{name}-data"),
            ("aws.rds.storage_encrypted", "aws.rds", "high", "arn:aws:rds:eu-west-1:123456789012:db:{name}"),
        ],
    ),
    (
        "PP-SECURE-CODE",
        "technical",
        "Secure development",
        "Application code is free of known insecure patterns",
        "we review our code for security weaknesses before release",
        {"soc2": ["CC8.1"], "iso27001": ["A.8.28"], "nist_800_53": ["SA-11"]},
        [
            ("code.bandit.hardcoded_secret", "code.bandit", "critical", "src/{name}/settings.py"),
            ("code.bandit.sql_injection", "code.bandit", "high", "src/{name}/queries.py"),
        ],
    ),
    (
        "PP-LOGGING",
        "technical",
        "Monitoring",
        "Security-relevant events are logged and retained",
        "we log access to systems holding personal data and keep the logs for one year",
        {"soc2": ["CC7.2"], "iso27001": ["A.8.15"], "nist_800_53": ["AU-2", "AU-11"]},
        [
            (
                "aws.cloudtrail.multi_region",
                "aws.cloudtrail",
                "medium",
                "arn:aws:cloudtrail:eu-west-1:123456789012:trail/{name}",
            )
        ],
    ),
    (
        "PP-TRAINING-ANNUAL",
        "administrative",
        "Information security measures",
        "All employees complete compliance training every year",
        "all employees receive compliance training every year",
        {"soc2": ["CC1.4"], "iso27001": ["A.6.3"], "nist_800_53": ["AT-2"], "gdpr": ["Art. 39(1)(b)"]},
        [
            ("records.training.annual_completion", "records.training", "high", "person:e{num}"),
            ("records.training.known_people", "records.training", "low", "person:e{num}"),
        ],
    ),
    (
        "PP-ACCESS-REVIEW",
        "administrative",
        "Access control",
        "Access rights are reviewed every quarter",
        "access rights are reviewed at least quarterly",
        {"soc2": ["CC6.2"], "iso27001": ["A.5.18"], "nist_800_53": ["AC-2(3)"]},
        [("records.access_review.quarterly", "records.access_review", "medium", "system:{name}")],
    ),
    (
        "PP-OFFBOARDING",
        "administrative",
        "Human resources",
        "Leavers lose access on their last day",
        "access is revoked when an employee leaves the company",
        {"soc2": ["CC6.2"], "iso27001": ["A.5.11", "A.6.5"], "nist_800_53": ["PS-4"]},
        [("records.hr.leavers_disabled", "records.hr", "critical", "person:e{num}")],
    ),
    (
        "PP-VENDOR-DPA",
        "administrative",
        "Third parties",
        "Processors sign a data processing agreement",
        "we only share personal data with processors bound by a data processing agreement",
        {"iso27001": ["A.5.20"], "gdpr": ["Art. 28(3)"]},
        [("records.vendors.dpa_signed", "records.vendors", "high", "vendor:{name}")],
    ),
    (
        "PP-INCIDENT-72H",
        "administrative",
        "Incident response",
        "Breaches are notified within 72 hours",
        "we notify the supervisory authority of a personal data breach within 72 hours",
        {"soc2": ["CC7.4"], "iso27001": ["A.5.26"], "gdpr": ["Art. 33(1)"]},
        [],
    ),
    (
        "PP-RETENTION",
        "administrative",
        "Data retention",
        "Personal data is deleted when no longer needed",
        "we keep personal data no longer than necessary for the purposes it was collected for",
        {"iso27001": ["A.8.10"], "gdpr": ["Art. 5(1)(e)"]},
        [
            ("records.retention.schedule_applied", "records.retention", "medium", "dataset:{name}"),
            ("aws.s3.lifecycle_rules", "aws.s3", "low", "arn:aws:s3:::{name}-archive"),
        ],
    ),
    (
        "PP-BADGE-ACCESS",
        "physical",
        "Physical security",
        "Offices are entered with personal badges only",
        "our premises are protected by badge-controlled entry",
        {"soc2": ["CC6.4"], "iso27001": ["A.7.2"], "nist_800_53": ["PE-3"]},
        [("records.facilities.badge_readers", "records.facilities", "medium", "site:{site}/door-{num}")],
    ),
    (
        "PP-VISITORS",
        "physical",
        "Physical security",
        "Visitors are registered and escorted",
        "visitors are registered and accompanied at all times",
        {"iso27001": ["A.7.2"], "nist_800_53": ["PE-8"]},
        [("records.facilities.visitor_log", "records.facilities", "info", "site:{site}/entrance-{num}")],
    ),
    (
        "PP-SERVER-ROOM",
        "physical",
        "Physical security",
        "Server rooms are locked and monitored",
        "equipment holding personal data is kept in locked, monitored rooms",
        {"soc2": ["CC6.4"], "iso27001": ["A.7.3", "A.7.4"], "nist_800_53": ["PE-6"]},
        [("records.facilities.cctv_retention", "records.facilities", "medium", "site:{site}/room-{num}")],
    ),
]

NAMES = ["billing", "crm", "payroll", "analytics", "support", "auth", "search", "mailer", "ledger", "portal"]
SITES = ["berlin-hq", "lisbon", "dublin-dc1", "warsaw"]
UNIMPLEMENTED = {"records.facilities.cctv_retention", "records.retention.schedule_applied"}
MESSAGES = {
    "pass": ["{check} holds for this resource", "compliant: checked against {n} rules"],
    "error": [
        "evidence is stale: collected {n} days ago (limit 7)",
        "row {n} of the source file could not be parsed",
        "evidence missing: collector failed with AccessDenied",
    ],
    "manual": ["no plugin provides {check}; an auditor must verify by hand"],
    "not_applicable": [
        "no resources of this kind in scope",
        "nothing to check: {n} items excluded by config",
    ],
}
# what a failing resource looks like, per collector, so a report reads like a real one
FAIL_MESSAGES = {
    "aws.iam": ["no MFA device for a user with console access", "policy grants *:* on resource *"],
    "aws.ec2": ["port {n} open to 0.0.0.0/0", "port 22 open to ::/0"],
    "network.nmap": ["unexpected open port {n}/tcp (not in the allowed list)"],
    "tls": ["TLS 1.0 still accepted (minimum TLS 1.2)", "certificate expires in {d} days"],
    "aws.s3": ["bucket has no default encryption", "no lifecycle rule deletes objects"],
    "aws.rds": ["storage is not encrypted"],
    "code.bandit": [
        "possible hard-coded password in assignment (B105)",
        "SQL built with string formatting (B608)",
    ],
    "aws.cloudtrail": ["trail logs one region only", "log file validation is off"],
    "records.training": ["last compliance training 2025-01-{d:02d}, {n} days ago (limit 365)"],
    "records.access_review": ["last access review {n} days ago (limit 92)"],
    "records.hr": ["left on 2026-10-{d:02d}, account still enabled"],
    "records.vendors": ["no signed DPA on file"],
    "records.retention": ["{n} records older than the retention period"],
    "records.facilities": ["badge reader offline for {n} days", "visitor log has {n} entries without escort"],
}
SEVERITY_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info 0 .. critical 4


def _sha(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def _controls_and_checks(n_controls: int) -> tuple[list[dict], dict[str, dict], dict[str, tuple]]:
    """Structure only depends on n_controls, so two seeds share check ids and resources (for compare)."""
    controls, checks, how = [], {}, {}
    for i in range(n_controls):
        cid, domain, section, title, quote, frameworks, templates = CONTROL_TEMPLATES[
            i % len(CONTROL_TEMPLATES)
        ]
        rep = i // len(CONTROL_TEMPLATES)
        suffix = f"-{rep + 1}" if rep else ""
        check_ids = []
        for base_id, collector, severity, pattern in templates:
            check_id = f"{base_id}_{rep + 1}" if rep else base_id
            check_ids.append(check_id)
            implemented = base_id not in UNIMPLEMENTED
            how[check_id] = (collector, pattern)
            checks[check_id] = {
                "title": f"{title} ({check_id.split('.')[-1].replace('_', ' ')})",
                "description": f"Verifies that {quote}. The check reads {collector} evidence.",
                "remediation": f"Fix the resource so that {quote}; then re-run vigil scan.",
                "severity": severity,
                "domain": domain,
                "references": [f"https://docs.example.com/vigil/checks/{check_id}"],
                "tags": [collector.split(".")[0], section.lower().replace(" ", "-")],
                "params": {"max_age_days": 365} if "training" in check_id else {},
                "implemented": implemented,
            }
        controls.append(
            {
                "id": f"{cid}{suffix}",
                "title": title + (f" (scope {rep + 1})" if rep else ""),
                "domain": domain,
                "section": section,
                "quote": quote,
                "frameworks": frameworks,
                "weight": 2.0 if templates and templates[0][2] == "critical" else 1.0,
                "status": "manual",
                "score": None,
                "checks": check_ids,
                "manual_procedure": None
                if check_ids
                else "Ask for the last incident register and check each breach was reported within 72 hours.",
            }
        )
    return controls, checks, how


def _resource(pattern: str, k: int) -> str:
    return pattern.format(
        name=f"{NAMES[k % len(NAMES)]}{k // len(NAMES) or ''}",
        account=100000000000 + k,
        hex=f"{k:08x}",
        a=k // 65536 % 256,
        b=k // 256 % 256,
        c=k % 256,
        num=1000 + k,
        site=SITES[k % len(SITES)],
    )


def _evidence(checks: dict, how: dict, rng: random.Random) -> dict[str, dict]:
    """One evidence document per collector."""
    out = {}
    for collector in sorted({how[c][0] for c in checks}):
        eid = _sha("evidence", collector)
        collected = AS_OF - timedelta(hours=rng.randint(1, 200))
        out[collector] = {
            "id": eid,
            "kind": collector,
            "collector": collector,
            "collector_version": "1",
            "source": collector.split(".")[-1],
            "target": f"examples/demo/{collector.split('.')[-1]}.csv"
            if collector.startswith("records")
            else f"account:123456789012/{collector}",
            "collected_at": _iso(collected),
            "expires_at": _iso(collected + timedelta(days=7)),
            "status": rng.choices(["ok", "error", "stale", "tampered"], [85, 5, 7, 3])[0],
            "problems": rng.choice([0, 0, 0, 1, 2]),
            "path": f"evidence/objects/{eid[:2]}/{eid}.json",
        }
    return out


def _waivers(findings: list[dict], rng: random.Random, waivers_applied: bool) -> list[dict]:
    """Waivers in every state; active and expiring ones are attached to the findings they match."""
    failing = [f for f in findings if f["status"] in ("fail", "error")]
    rng.shuffle(failing)
    plan = [
        ("active", 60),
        ("active", 120),
        ("expiring", 5),
        ("expiring", 12),
        ("expired", -3),
        ("invalid", 30),
        ("active", 200),
        ("expiring", 1),
        ("expired", -40),
    ]
    waivers = []
    for i, (state, days) in enumerate(plan[: max(1, min(len(plan), len(failing)))]):
        target = failing[i] if i < len(failing) else None
        check_scope = i == 6
        problem = {
            "expired": f"expired {-days} days ago",
            "invalid": "approver is the same person as the owner",
        }
        w = {
            "id": f"W-{i + 1:03d}",
            "scope": "check" if check_scope else "resource",
            "check": target["check_id"] if target else "aws.iam.mfa_enabled",
            "resource": None if check_scope or not target else target["resource"],
            "justification": rng.choice(
                [
                    "Legacy system decommissioned in Q1",
                    "Compensating control: VPN only",
                    "Vendor fix scheduled",
                    "Accepted by the CISO for this audit cycle",
                ]
            ),
            "owner": rng.choice(["alice@example.com", "bob@example.com", "carol@example.com"]),
            "approver": "ciso@example.com",
            "expires": _iso(AS_OF + timedelta(days=days)),
            # like vigil.waivers: --no-waivers disables only waivers that would otherwise apply
            "state": state if waivers_applied or state in ("expired", "invalid") else "disabled",
            "problem": problem.get(state) or (None if waivers_applied else "--no-waivers: not applied"),
            "days_left": days,
            "matched": 0,
        }
        if state == "invalid":
            w["approver"] = w["owner"]
        if waivers_applied and state in ("active", "expiring") and target:
            matches = [f for f in failing if f["check_id"] == w["check"]] if check_scope else [target]
            for f in matches:
                if not f["waiver"]:
                    f["waiver"] = {k: w[k] for k in ("id", "justification", "owner", "approver", "expires")}
                    w["matched"] += 1
        waivers.append(w)
    return waivers


def _score(controls: list[dict]) -> dict:
    scored = [c for c in controls if c["score"] is not None]
    weight = sum(c["weight"] for c in scored)
    return {
        "score": round(sum(c["score"] * c["weight"] for c in scored) / weight, 1) if weight else None,
        "coverage": round(100 * len(scored) / len(controls), 1) if controls else 0.0,
        "controls": len(controls),
        "scored_controls": len(scored),
    }


def _judge_controls(controls: list[dict], findings: list[dict]) -> None:
    by_control: dict[str, list[dict]] = {}
    for f in findings:
        for cid in f["control_ids"]:
            by_control.setdefault(cid, []).append(f)
    for c in controls:
        mine = by_control.get(c["id"], [])
        open_ = {f["status"] for f in mine if not f["waiver"]}
        accepted = sum(1 for f in mine if f["status"] == "pass" or (f["waiver"] and f["status"] != "manual"))
        judged = sum(1 for f in mine if f["status"] in ("pass", "fail", "error"))
        c["score"] = round(100 * accepted / judged, 1) if judged else None
        for status in ("fail", "error", "pass", "manual", "not_applicable"):
            if status in open_ or (status == "pass" and accepted):
                c["status"] = status
                break
        else:
            c["status"] = "manual"


def _history(rng: random.Random, score: float | None) -> list[dict]:
    runs = []
    for back in range(5, 0, -1):
        t = AS_OF - timedelta(days=7 * back)
        run_id = _sha("run", back)[:32]
        runs.append(
            {
                "run_id": run_id,
                "finished_at": _iso(t),
                "score": round(max(0.0, min(100.0, (score or 50) - back * rng.uniform(1, 4))), 1),
                "coverage": round(40 + (5 - back) * rng.uniform(1, 3), 1),
            }
        )
    return runs


def make_results(
    n_findings: int = 200,
    n_controls: int = 30,
    seed: int = 1,
    with_history: bool = False,
    *,
    fail_on: str = "high",
    waivers_applied: bool = True,
) -> dict:
    """A complete results.json document; the same arguments always give the same document.

    Check ids and resources depend only on n_controls and n_findings, so documents made with two seeds
    share fingerprints and vigil.compare sees new, unchanged, updated and fixed findings between them.
    Waivers come in the states active, expiring, expired and invalid; with waivers_applied=False
    the active and expiring ones are "disabled", as `--no-waivers` makes them.
    """
    rng = random.Random(seed)
    controls, checks, how = _controls_and_checks(n_controls)
    evidence = _evidence(checks, how, rng)
    control_of = {ch: c["id"] for c in controls for ch in c["checks"]}
    check_ids = list(checks)
    findings = []
    for k in range(n_findings):
        check_id = check_ids[k % len(check_ids)]
        meta = checks[check_id]
        collector, pattern = how[check_id]
        resource = _resource(pattern, k // len(check_ids))
        if not meta["implemented"]:
            status = "manual"
        else:
            status = rng.choices(STATUSES[:3] + STATUSES[4:], [55, 25, 6, 14])[0]
        fingerprint = _sha(check_id, resource)[:32]
        # the message depends on what is judged, not on the seed, so compare() finds unchanged findings
        said = random.Random(f"{fingerprint}{status}")
        choices = FAIL_MESSAGES[collector] if status == "fail" else MESSAGES[status]
        text = said.choice(choices).format(check=check_id, n=said.randint(2, 900), d=said.randint(1, 28))
        location = None
        if collector == "code.bandit":
            location = {"path": resource, "line": rng.randint(3, 400)}
        findings.append(
            {
                "check_id": check_id,
                "control_ids": [control_of[check_id]],
                "status": status,
                "severity": meta["severity"],
                "resource": resource,
                "message": text,
                "evidence": [] if status == "manual" else [evidence[collector]["id"]],
                "fingerprint": fingerprint,
                "location": location,
                "waiver": None,
            }
        )
    waivers = _waivers(findings, rng, waivers_applied)
    _judge_controls(controls, findings)

    domains = {d: _score([c for c in controls if c["domain"] == d]) for d in DOMAINS}
    overall = _score(controls)
    status_counts = dict.fromkeys(STATUSES, 0)
    severity_counts = dict.fromkeys(SEVERITIES, 0)
    blocking = 0
    for f in findings:
        status_counts[f["status"]] += 1
        if f["status"] in ("fail", "error") and not f["waiver"]:
            severity_counts[f["severity"]] += 1
            if fail_on != "none" and SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK[fail_on]:
                blocking += 1
    control_counts = dict.fromkeys(STATUSES, 0)
    for c in controls:
        control_counts[c["status"]] += 1
    run_id = _sha("run", seed, n_findings)[:32]
    return {
        "schema_version": 1,
        "tool": {"name": "vigil", "version": "0.1.0"},
        "run": {
            "id": run_id,
            "mode": "scan",
            "started_at": _iso(AS_OF - timedelta(minutes=4)),
            "finished_at": _iso(AS_OF),
            "as_of": _iso(AS_OF),
            "config": "vigil.yaml",
            "evidence_dir": "evidence",
            "waivers_applied": waivers_applied,
        },
        "baseline": {
            "name": "privacy-policy",
            "title": "Privacy policy commitments",
            "version": "1",
            "chain": ["privacy-policy"],
            "policy": {"title": "Privacy Policy", "file": "policies/privacy-policy.txt"},
        },
        "gate": {
            "fail_on": fail_on,
            "passed": blocking == 0,
            "blocking": blocking,
            "manual": status_counts["manual"],
        },
        "scores": {"model": "weighted-control-pass-ratio", "overall": overall, "domains": domains},
        "summary": {
            "status": status_counts,
            "severity": severity_counts,
            "waived": sum(1 for f in findings if f["waiver"]),
            "controls": control_counts,
        },
        "controls": controls,
        "checks": checks,
        "findings": findings,
        "waivers": waivers,
        "evidence": list(evidence.values()),
        "history": _history(rng, overall["score"]) if with_history else [],
    }


# Markup, script-closing and template-injection strings that every renderer must show as plain text.
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "</script><script>alert(2)</script>",
)


def with_payloads(results: dict, payloads: tuple[str, ...] = PAYLOADS) -> dict:
    """A copy of results with hostile text in every free-text field a report shows.

    Fields touched: finding resource and message, control title/section/quote/manual procedure,
    check title and remediation, evidence target, waiver justification and owner, baseline title.
    Ids, statuses and numbers stay valid, so the document is still schema-correct.
    """
    out = copy.deepcopy(results)

    def hostile(i: int, text: str) -> str:
        return f"{text} {payloads[i % len(payloads)]}"

    for i, f in enumerate(out["findings"]):
        f["resource"] = hostile(i, f["resource"])
        f["message"] = hostile(i + 1, f["message"])
        if f["waiver"]:
            f["waiver"]["justification"] = hostile(i, f["waiver"]["justification"])
    for i, c in enumerate(out["controls"]):
        c["title"], c["quote"] = hostile(i, c["title"]), hostile(i + 2, c["quote"])
        c["section"] = hostile(i % 2, c["section"])
        if c["manual_procedure"]:
            c["manual_procedure"] = hostile(i, c["manual_procedure"])
    for i, meta in enumerate(out["checks"].values()):
        meta["title"], meta["remediation"] = hostile(i, meta["title"]), hostile(i + 3, meta["remediation"])
    for i, e in enumerate(out["evidence"]):
        e["target"] = hostile(i, e["target"])
    for i, w in enumerate(out["waivers"]):
        w["justification"], w["owner"] = hostile(i, w["justification"]), hostile(i + 1, w["owner"])
    out["baseline"]["title"] = hostile(0, out["baseline"]["title"])
    return out
