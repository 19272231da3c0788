"""End to end: the demo's AWS account seeded over HTTP into a moto server (with AWS's managed policies, as
real accounts have them) in two regions, scanned by `vigil scan` through endpoint_url."""

from __future__ import annotations

import json

import pytest

from vigil import demo_aws
from vigil.moto_server import MotoServer

from .conftest import by_check, scan


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    server = MotoServer(env={**demo_aws.CREDENTIALS, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
    url = server.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in demo_aws.CREDENTIALS.items():
                mp.setenv(key, value)
            expected = demo_aws.seed(url)
        server.requests(reset=True)
        work = tmp_path_factory.mktemp("aws-e2e")
        entry = {
            "name": "demo",
            "endpoint_url": url,
            "regions": list(demo_aws.REGIONS),
            "datasets": demo_aws.DATASETS,
        }
        code, stderr, results = scan(work, {"aws": [entry]})
        counted = server.requests()
    finally:
        server.stop()
    return {
        "code": code,
        "stderr": stderr,
        "results": results,
        "expected": expected,
        "requests": counted,
        "dir": work,
    }


def _every_seeded_misconfiguration_fails_and_every_good_resource_passes(scanned):
    found = by_check(scanned["results"])
    wrong = []
    for check, statuses in scanned["expected"].items():
        for status, resources in statuses.items():
            for resource in resources:
                if found.get((check, resource)) != status:
                    wrong.append((check, resource, status, found.get((check, resource))))
    assert not wrong
    assert scanned["code"] == 1, "high findings fail the gate"
    assert not [k for k, v in found.items() if v == "error"], "every AWS check could read its evidence"


def _findings_name_resources_by_arn_and_cite_their_evidence(scanned):
    results = scanned["results"]
    findings = [
        f for f in results["findings"] if f["check_id"].startswith("aws.") and f["status"] in ("pass", "fail")
    ]
    assert findings
    index = json.loads((scanned["dir"] / "out" / "evidence" / "index.json").read_text())
    targets = {e["id"]: e["target"] for e in index["entries"]}
    for finding in findings:
        assert finding["resource"].startswith(("arn:aws:", "aws:123456789012", "dataset:")), finding
        assert finding["evidence"] or finding["status"] == "manual", finding
        if finding["check_id"] == "aws.ec2.sg_public_ingress":  # the region's document is among the cited
            region = finding["resource"].split(":")[3]
            assert f"demo:{region}" in [targets[e] for e in finding["evidence"]]
    controls = {c["id"]: c for c in results["controls"]}
    for control in ("PP-LEAST-PRIVILEGE", "PP-FIREWALL", "PP-INTRUSION-DETECTION", "PP-TLS-IN-TRANSIT"):
        assert controls[control]["status"] == "fail", control


def _evidence_per_account_region_and_service_without_secrets(scanned):
    index = json.loads((scanned["dir"] / "out" / "evidence" / "index.json").read_text())
    targets = {(e["collector"], e["target"]) for e in index["entries"]}
    assert ("aws.ec2.security_groups", "demo:eu-west-1") in targets
    assert ("aws.ec2.security_groups", "demo:us-east-1") in targets
    assert ("aws.iam.users", "demo:global") in targets
    docs = [
        json.loads(p.read_text()) for p in (scanned["dir"] / "out" / "evidence" / "objects").rglob("*.json")
    ]
    users = next(d for d in docs if d["collector"] == "aws.iam.users")
    assert users["collection"]["service"] == "iam" and users["collection"]["api_requests"] >= 3
    assert users["collection"]["requests_by_operation"]["GetAccountAuthorizationDetails"] == 1
    text = "".join(p.read_text() for p in (scanned["dir"] / "out" / "evidence" / "objects").rglob("*.json"))
    assert "Correct-Horse-Battery-9" not in text and "not-a-real-secret-1" not in text
    assert "AKIA" not in text


def _api_figures_reported_and_requests_stay_few(scanned):
    assert "aws iam demo:global:" in scanned["stderr"] and "API requests" in scanned["stderr"]
    # about 60 resources: the scan must stay far below one request per resource plus fixed costs
    assert scanned["requests"]["total"] < 150, scanned["requests"]


def test_demo_account_end_to_end(scanned):
    # one test, so that the server and the scan run once even when pytest-xdist spreads tests
    _every_seeded_misconfiguration_fails_and_every_good_resource_passes(scanned)
    _findings_name_resources_by_arn_and_cite_their_evidence(scanned)
    _evidence_per_account_region_and_service_without_secrets(scanned)
    _api_figures_reported_and_requests_stay_few(scanned)
