"""CloudTrail and GuardDuty (mock_aws)."""

from __future__ import annotations

from .conftest import ACCOUNT, REGIONS, client, collect, judge, status

ACCT = f"aws:{ACCOUNT}"


def trail(name: str, multi_region: bool, validation: bool, logging: bool) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=f"trail-{name}", CreateBucketConfiguration={"LocationConstraint": REGIONS[0]})
    ct = client("cloudtrail")
    ct.create_trail(
        Name=name,
        S3BucketName=f"trail-{name}",
        IsMultiRegionTrail=multi_region,
        EnableLogFileValidation=validation,
    )
    if logging:
        ct.start_logging(Name=name)


def test_no_trail_is_a_failure_with_the_region_read(aws):
    found = judge("aws.cloudtrail.multi_region_trail", collect("aws.cloudtrail.trails"))
    assert found[ACCT] == ("fail", "no CloudTrail trail in the scanned regions")


def test_incomplete_trails_say_what_is_missing_and_a_complete_one_passes(aws):
    trail("regional", multi_region=False, validation=True, logging=True)
    trail("stopped", multi_region=True, validation=True, logging=False)
    found = judge("aws.cloudtrail.multi_region_trail", collect("aws.cloudtrail.trails"))
    assert status(found, ACCT) == "fail"
    assert "regional: single-region" in found[ACCT][1] and "stopped: not logging" in found[ACCT][1]

    trail("audit", multi_region=True, validation=True, logging=True)
    found = judge("aws.cloudtrail.multi_region_trail", collect("aws.cloudtrail.trails"))
    assert status(found, ACCT) == "pass"


def test_guardduty_in_every_scanned_region(aws):
    client("guardduty", REGIONS[0]).create_detector(Enable=True)
    suspended = client("guardduty", REGIONS[1]).create_detector(Enable=False)
    found = judge("aws.guardduty.enabled", collect("aws.guardduty.detectors", regions=REGIONS))
    assert status(found, f"{ACCT}:{REGIONS[0]}") == "pass"
    assert found[f"{ACCT}:{REGIONS[1]}"] == ("fail", "the GuardDuty detector is suspended")
    assert suspended
    none = judge("aws.guardduty.enabled", collect("aws.guardduty.detectors", regions=["ap-southeast-2"]))
    assert none[f"{ACCT}:ap-southeast-2"] == ("fail", "GuardDuty is not enabled")
