"""IAM least privilege: administrator grants and role trust, collected from mock_aws."""

from __future__ import annotations

import json

from .conftest import ACCOUNT, client, collect, judge, status

KINDS = ("aws.iam.users", "aws.iam.roles", "aws.iam.policies")
USER = f"arn:aws:iam::{ACCOUNT}:user/"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, condition=None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


SERVICE = {"Service": "lambda.amazonaws.com"}


def test_admin_grants_found_through_every_path(aws):
    iam = client("iam")
    scoped = doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::orders/*"})
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=scoped)
    full = iam.create_policy(
        PolicyName="FullAccess", PolicyDocument=doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    )["Policy"]["Arn"]
    iam.create_user(UserName="managed-admin")
    iam.attach_user_policy(UserName="managed-admin", PolicyArn=full)
    iam.create_user(UserName="in-group")
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="in-group")
    iam.put_group_policy(
        GroupName="ops",
        PolicyName="not-action",
        PolicyDocument=doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
    )
    star_in_list = iam.create_policy(
        PolicyName="star-in-list",
        PolicyDocument=doc(
            {"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["arn:aws:s3:::orders", "*"]}
        ),
    )["Policy"]["Arn"]
    iam.create_role(RoleName="wild", AssumeRolePolicyDocument=trust(SERVICE))
    iam.attach_role_policy(RoleName="wild", PolicyArn=star_in_list)
    iam.create_role(RoleName="mfa-admin", AssumeRolePolicyDocument=trust(SERVICE))
    iam.put_role_policy(
        RoleName="mfa-admin",
        PolicyName="admin-with-mfa",
        PolicyDocument=doc(
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ),
    )
    iam.create_role(RoleName="deny-all", AssumeRolePolicyDocument=trust(SERVICE))
    iam.put_role_policy(
        RoleName="deny-all",
        PolicyName="deny",
        PolicyDocument=doc({"Effect": "Deny", "Action": "*", "Resource": "*"}),
    )
    iam.create_role(RoleName="scoped", AssumeRolePolicyDocument=trust(SERVICE))
    iam.put_role_policy(RoleName="scoped", PolicyName="read", PolicyDocument=scoped)

    found = judge("aws.iam.no_admin_access", collect(*KINDS))

    assert status(found, USER + "reader") == "pass"
    assert status(found, USER + "managed-admin") == "fail"
    assert "managed policy FullAccess" in found[USER + "managed-admin"][1]
    assert status(found, USER + "in-group") == "fail"
    assert "through group ops" in found[USER + "in-group"][1] and "NotAction" in found[USER + "in-group"][1]
    assert status(found, ROLE + "wild") == "fail"
    assert status(found, ROLE + "mfa-admin") == "fail", "a condition does not make an administrator less one"
    assert status(found, ROLE + "deny-all") == "pass"
    assert status(found, ROLE + "scoped") == "pass"


def test_role_trust_public_weak_conditions_and_external_accounts(aws):
    iam = client("iam")
    roles = {
        "service": (trust(SERVICE), "pass"),
        "same-account": (trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "pass"),
        "star": (trust("*"), "fail"),
        "star-in-list": (trust({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}), "fail"),
        "star-weak-condition": (trust({"AWS": "*"}, {"Bool": {"aws:SecureTransport": "true"}}), "fail"),
        "star-external-id-only": (trust({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": "x-123"}}), "fail"),
        "star-negated-org": (
            trust({"AWS": "*"}, {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}),
            "fail",
        ),
        "star-wildcard-org": (trust({"AWS": "*"}, {"StringLike": {"aws:PrincipalOrgID": "*"}}), "fail"),
        "star-org": (trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}), "pass"),
        "vendor": (trust({"AWS": "999999999999"}), "fail"),
        "vendor-external-id": (
            trust({"AWS": "arn:aws:iam::999999999999:root"}, {"StringEquals": {"sts:ExternalId": "v-77"}}),
            "pass",
        ),
        "partner": (trust({"AWS": "arn:aws:iam::888888888888:role/ci"}), "pass"),
    }
    for name, (policy, _) in roles.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy)

    found = judge(
        "aws.iam.role_trust", collect("aws.iam.roles"), **{"aws.trusted_account_ids": ["888888888888"]}
    )

    for name, (_, expected) in roles.items():
        assert status(found, ROLE + name) == expected, (name, found[ROLE + name])
    assert "weak condition on aws:securetransport" in found[ROLE + "star-weak-condition"][1]
    assert "999999999999" in found[ROLE + "vendor"][1]


def test_users_evidence_keeps_the_contract_fields_and_no_secrets(aws):
    iam = client("iam")
    iam.create_user(UserName="dana", Tags=[{"Key": "employee_id", "Value": "E-17"}])
    key = iam.create_access_key(UserName="dana")["AccessKey"]

    users = collect("aws.iam.users")["aws.iam.users"]

    (dana,) = users
    assert dana["arn"] == USER + "dana" and dana["user_name"] == "dana" and dana["account_id"] == ACCOUNT
    assert dana["tags"] == {"employee_id": "E-17"}
    assert dana["access_keys"][0]["active"] is True and dana["mfa_active"] is False
    text = json.dumps(users)
    assert key["AccessKeyId"] not in text and key["SecretAccessKey"] not in text
