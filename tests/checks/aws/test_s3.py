"""S3: public access blocks, public ACLs and policies, TLS-only policies, default encryption (mock_aws)."""

from __future__ import annotations

import json

from .conftest import ACCOUNT, REGIONS, client, collect, judge, status

KINDS = ("aws.s3.buckets", "aws.s3.account")
BLOCK_ALL = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)


def bucket(s3, name: str, **kwargs) -> str:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGIONS[0]}, **kwargs)
    return f"arn:aws:s3:::{name}"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_public_buckets_through_acl_policy_and_what_block_public_access_neutralises(aws):
    s3 = client("s3")
    private = bucket(s3, "private-data")
    acl_public = bucket(s3, "public-acl", ACL="public-read")
    policy_public = bucket(s3, "public-policy")
    s3.put_bucket_policy(
        Bucket="public-policy",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::public-policy/*",
            }
        ),
    )
    org_only = bucket(s3, "org-only")
    s3.put_bucket_policy(
        Bucket="org-only",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::org-only/*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            }
        ),
    )
    neutralised = bucket(s3, "neutralised", ACL="public-read")
    s3.put_public_access_block(Bucket="neutralised", PublicAccessBlockConfiguration=BLOCK_ALL)

    evidence = collect(*KINDS)
    found = judge("aws.s3.bucket_not_public", evidence)
    assert status(found, private) == "pass"
    assert found[acl_public] == ("fail", "ACL grants READ to everyone")
    assert status(found, policy_public) == "fail"
    assert status(found, org_only) == "pass"
    assert status(found, neutralised) == "pass"

    blocks = judge("aws.s3.bucket_public_access_block", evidence)
    assert status(blocks, neutralised) == "pass" and status(blocks, private) == "fail"
    assert status(judge("aws.s3.account_public_access_block", evidence), f"aws:{ACCOUNT}") == "fail"

    client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    evidence = collect(*KINDS)
    assert status(judge("aws.s3.account_public_access_block", evidence), f"aws:{ACCOUNT}") == "pass"
    found = judge("aws.s3.bucket_not_public", evidence)
    assert status(found, acl_public) == "pass", "the account's block neutralises the bucket's public ACL"
    assert status(judge("aws.s3.bucket_public_access_block", evidence), private) == "pass"


def test_tls_only_policies_and_default_encryption(aws):
    s3 = client("s3")
    secure = bucket(s3, "secure")
    s3.put_bucket_policy(
        Bucket="secure",
        Policy=policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::secure", "arn:aws:s3:::secure/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    s3.put_bucket_encryption(
        Bucket="secure",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    wrong_deny = bucket(s3, "wrong-deny")
    s3.put_bucket_policy(
        Bucket="wrong-deny",
        Policy=policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::wrong-deny/*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ),
    )
    plain = bucket(s3, "plain")

    evidence = collect("aws.s3.buckets")
    tls = judge("aws.s3.bucket_tls_only", evidence)
    assert status(tls, secure) == "pass"
    assert status(tls, wrong_deny) == "fail"
    assert status(tls, plain) == "fail"
    encryption = judge("aws.s3.default_encryption", evidence)
    assert encryption[secure] == ("pass", "default encryption aws:kms")
    assert status(encryption, plain) == "fail"


def test_buckets_are_collected_by_region_and_shard_once_each(aws):
    s3 = client("s3")
    names = [f"bucket-{i:02d}" for i in range(12)]
    for name in names:
        bucket(s3, name)
    client("s3", REGIONS[1]).create_bucket(Bucket="virginia")

    items = collect("aws.s3.buckets", regions=REGIONS, budgets={"s3_shards": 3})["aws.s3.buckets"]

    assert sorted(i["name"] for i in items) == sorted([*names, "virginia"])
    assert {i["region"] for i in items if i["name"] == "virginia"} == {REGIONS[1]}


def test_an_unreadable_attribute_errs_only_the_checks_that_need_it():
    bucket = {
        "arn": "arn:aws:s3:::locked",
        "name": "locked",
        "account_id": ACCOUNT,
        "region": REGIONS[0],
        "public_access_block": dict(BLOCK_ALL),
        "acl_grants": [],
        "policy": None,
        "encryption": [{"SSEAlgorithm": "AES256"}],
        "unreadable": {
            "policy": "s3:GetBucketPolicy denied (AccessDenied): grant it in vigil's read-only policy"
        },
    }
    evidence = {"aws.s3.buckets": [bucket], "aws.s3.account": []}
    tls = judge("aws.s3.bucket_tls_only", evidence)
    assert tls[bucket["arn"]] == ("error", bucket["unreadable"]["policy"])
    assert status(judge("aws.s3.default_encryption", evidence), bucket["arn"]) == "pass"
    # Block Public Access makes the unreadable policy irrelevant to public exposure
    assert status(judge("aws.s3.bucket_not_public", evidence), bucket["arn"]) == "pass"
    bucket["public_access_block"] = None
    assert status(judge("aws.s3.bucket_not_public", evidence), bucket["arn"]) == "error"
