"""IAM credentials: MFA, root, key age, unused credentials, password policy (mock_aws)."""

from __future__ import annotations

from .conftest import ACCOUNT, client, collect, judge, status

USER = f"arn:aws:iam::{ACCOUNT}:user/"


def console_user(iam, name: str, mfa: bool) -> None:
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Long-Enough-Passphrase-1")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="111111", AuthenticationCode2="222222"
        )


def test_console_users_need_mfa_and_api_only_users_are_not_judged(aws):
    iam = client("iam")
    console_user(iam, "with-mfa", True)
    console_user(iam, "without-mfa", False)
    iam.create_user(UserName="api-only")
    iam.create_access_key(UserName="api-only")

    found = judge("aws.iam.console_mfa", collect("aws.iam.users"))

    assert status(found, USER + "with-mfa") == "pass"
    assert status(found, USER + "without-mfa") == "fail"
    assert USER + "api-only" not in found


def test_key_age_and_unused_credentials_against_the_runs_time(aws):
    iam = client("iam")
    iam.create_user(UserName="deploy")
    iam.create_access_key(UserName="deploy")
    inactive = iam.create_access_key(UserName="deploy")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="deploy", AccessKeyId=inactive, Status="Inactive")
    console_user(iam, "idle", True)
    evidence = collect("aws.iam.users")
    key = USER + "deploy#access-key-1"

    assert status(judge("aws.iam.access_key_rotation", evidence), key) == "pass"
    later = judge("aws.iam.access_key_rotation", evidence, days_ahead=120)
    assert status(later, key) == "fail" and "limit 90" in later[key][1]
    assert USER + "deploy#access-key-2" not in later, "an inactive key is not judged"
    assert (
        status(
            judge(
                "aws.iam.access_key_rotation",
                evidence,
                days_ahead=120,
                **{"aws.iam.access_key_max_age_days": 180},
            ),
            key,
        )
        == "pass"
    )

    assert status(judge("aws.iam.unused_credentials", evidence), USER + "idle") == "pass"
    stale = judge("aws.iam.unused_credentials", evidence, days_ahead=100)
    assert status(stale, USER + "idle") == "fail" and "console password" in stale[USER + "idle"][1]
    assert status(stale, USER + "deploy") == "fail" and "access key 1 never used" in stale[USER + "deploy"][1]


def test_root_account_and_password_policy(aws):
    iam = client("iam")
    evidence = collect("aws.iam.account")
    root = f"aws:{ACCOUNT}"
    assert status(judge("aws.iam.root_account", evidence), root) == "fail"  # moto's root has no MFA
    assert status(judge("aws.iam.password_policy", evidence), root) == "fail"

    iam.update_account_password_policy(MinimumPasswordLength=10)
    short = judge("aws.iam.password_policy", collect("aws.iam.account"))
    assert status(short, root) == "fail" and "minimum length 10 (baseline 14)" in short[root][1]

    iam.update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=3)
    evidence = collect("aws.iam.account")
    assert status(judge("aws.iam.password_policy", evidence), root) == "pass"
    assert (
        status(judge("aws.iam.password_policy", evidence, **{"aws.iam.password_reuse_prevention": 12}), root)
        == "fail"
    )


def test_root_account_judges_summary_flags(aws):
    found = judge(
        "aws.iam.root_account",
        {"aws.iam.account": [{"account_id": ACCOUNT, "root_access_keys": True, "root_mfa": True}]},
    )
    assert found[f"aws:{ACCOUNT}"] == ("fail", "the root user has access keys")
    good = judge(
        "aws.iam.root_account",
        {"aws.iam.account": [{"account_id": ACCOUNT, "root_access_keys": False, "root_mfa": True}]},
    )
    assert status(good, f"aws:{ACCOUNT}") == "pass"
