"""RDS: storage encryption and public accessibility (mock_aws)."""

from __future__ import annotations

from .conftest import client, collect, judge, status


def test_encrypted_private_and_unencrypted_public_databases(aws):
    rds = client("rds")
    arns = {}
    for name, encrypted, public in (("orders", True, False), ("legacy", False, True)):
        arns[name] = rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="admin_user",
            MasterUserPassword="not-a-secret-123",
            AllocatedStorage=20,
            StorageEncrypted=encrypted,
            PubliclyAccessible=public,
        )["DBInstance"]["DBInstanceArn"]
    evidence = collect("aws.rds.instances")

    encrypted = judge("aws.rds.storage_encrypted", evidence)
    public = judge("aws.rds.not_public", evidence)

    assert status(encrypted, arns["orders"]) == "pass" and status(encrypted, arns["legacy"]) == "fail"
    assert status(public, arns["orders"]) == "pass" and public[arns["legacy"]] == (
        "fail",
        "publicly accessible",
    )
