"""The AWS plumbing: units from config entries (regions all, organisations), budgets, failures named."""

from __future__ import annotations

import threading
import time

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws
from vigil.collectors.aws import api

from vigil.errors import UserError


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    api.reset()
    with mock_aws():
        yield
    api.reset()


def test_units_per_account_region_and_shard_are_plain_data():
    entry = {
        "name": "prod",
        "regions": ["eu-west-1", "us-east-1"],
        "budgets": {"requests_per_second": {"ec2": 7}},
    }
    ec2 = api.expander("ec2", regional=True)(entry)
    assert [u["name"] for u in ec2] == ["prod:eu-west-1", "prod:us-east-1"]
    assert ec2[0]["budget"]["rate"] == 7 and ec2[0]["session"] == {}
    iam = api.expander("iam", regional=False)(entry)
    assert [u["name"] for u in iam] == ["prod:global"] and iam[0]["budget"]["rate"] == 10.0
    s3 = api.expander("s3", regional=True, shards=lambda e: 3)(entry)
    assert len(s3) == 6 and s3[2]["name"] == "prod:eu-west-1:3/3"
    names = [f"bucket-{i}" for i in range(50)]
    owners = [[n for n in names if api.in_shard(u, n)] for u in s3[:3]]
    assert sorted(sum(owners, [])) == sorted(names), "each bucket in exactly one shard"


def test_regions_all_lists_the_enabled_regions(aws):
    units = api.expander("ec2", regional=True)({"name": "acct", "regions": "all"})
    regions = {u["region"] for u in units}
    assert {"eu-west-1", "us-east-1", "ap-southeast-2"} <= regions


def test_organization_expands_to_a_role_in_every_active_member(aws):
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="shop", Email="shop@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    entry = {"name": "org", "regions": ["eu-west-1"], "organization": {"role_name": "vigil-audit"}}
    units = api.expander("ec2", regional=True)(entry)
    arns = {u["session"].get("role_arn") for u in units}
    assert f"arn:aws:iam::{member}:role/vigil-audit" in arns
    assert all(u["name"] == f"{u['account']}:eu-west-1" for u in units)


def test_an_organization_that_cannot_be_listed_becomes_the_units_error(aws, monkeypatch):
    def denied(*args, **kwargs):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListAccounts"
        )

    monkeypatch.setattr(api, "_regions", denied)
    (unit,) = api.expander("iam", regional=False)(
        {"name": "org", "regions": ["eu-west-1"], "organization": {"role_name": "r"}}
    )
    assert "ListAccounts denied" in unit["failed"]
    with pytest.raises(UserError, match="ListAccounts denied"), api.unit_session(unit, "iam"):
        pass


def test_rate_budget_spaces_requests():
    limit = api.RateLimit(20.0)  # 20 per second: 10 requests take at least 0.45 s
    start = time.monotonic()
    for _ in range(10):
        limit.wait()
    assert time.monotonic() - start >= 0.4


def test_account_gate_caps_concurrent_accounts():
    active, peak, lock = set(), [0], threading.Lock()

    def unit(account: str) -> None:
        with api.AccountGate.enter(account, 2):
            with lock:
                active.add(account)
                peak[0] = max(peak[0], len(active))
            time.sleep(0.05)
            with lock:
                active.discard(account)

    threads = [threading.Thread(target=unit, args=(f"acct-{i % 5}",)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] <= 2


def test_failures_name_the_permission():
    denied = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied"}}, "GetBucketEncryption")
    assert api.describe(denied, "s3").startswith("s3:GetEncryptionConfiguration denied (AccessDenied)")
    elb = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied"}}, "DescribeListeners")
    assert api.describe(elb, "elbv2").startswith("elasticloadbalancing:DescribeListeners denied")
    throttled = botocore.exceptions.ClientError({"Error": {"Code": "Throttling"}}, "ListKeys")
    assert "throttled after every retry" in api.describe(throttled, "kms")
