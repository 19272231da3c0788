"""KMS: customer keys rotate (mock_aws)."""

from __future__ import annotations

from .conftest import client, collect, judge, status


def test_rotation_of_symmetric_customer_keys_only(aws):
    kms = client("kms")
    rotating = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=rotating["KeyId"])
    still = kms.create_key()["KeyMetadata"]
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])

    found = judge("aws.kms.key_rotation", collect("aws.kms.keys"))

    assert status(found, rotating["Arn"]) == "pass"
    assert status(found, still["Arn"]) == "fail"
    assert signing["Arn"] not in found, "asymmetric keys cannot rotate"
    assert disabled["Arn"] not in found
