"""Encryption in transit: ELBv2 listeners, CloudFront viewers, ACM expiry (mock_aws)."""

from __future__ import annotations

from .conftest import client, collect, judge, status

REDIRECT = [
    {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
]


def load_balancer(name: str, http_redirects: bool, policy: str, cert: str) -> str:
    ec2, elb = client("ec2"), client("elbv2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    lb = elb.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    group = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=8080, VpcId=lb["VpcId"])
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=REDIRECT if http_redirects else forward,
    )
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy=policy,
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=forward,
    )
    return lb["LoadBalancerArn"]


def test_load_balancers_https_only_with_the_baselines_tls_and_certificate_expiry(aws):
    cert = client("acm").request_certificate(DomainName="shop.example.com")["CertificateArn"]
    good = load_balancer("good", True, "ELBSecurityPolicy-TLS13-1-2-2021-06", cert)
    old_tls = load_balancer("old-tls", True, "ELBSecurityPolicy-2016-08", cert)
    plain_http = load_balancer("plain-http", False, "ELBSecurityPolicy-TLS13-1-2-2021-06", cert)
    evidence = collect("aws.elbv2.load_balancers", "aws.acm.certificates")

    found = judge("aws.elbv2.https_only", evidence)
    assert status(found, good) == "pass"
    assert status(found, old_tls) == "fail" and "accepts TLS 1.0" in found[old_tls][1]
    assert found[plain_http] == ("fail", "HTTP listener on port 80 does not redirect to HTTPS")
    strict = judge("aws.elbv2.https_only", evidence, **{"tls.min_version": "1.3"})
    assert status(strict, good) == "fail"

    assert status(judge("aws.acm.certificate_expiry", evidence), cert) == "pass"
    soon = judge("aws.acm.certificate_expiry", evidence, days_ahead=350)
    assert status(soon, cert) == "fail" and "expires in" in soon[cert][1]
    assert "expired" in judge("aws.acm.certificate_expiry", evidence, days_ahead=400)[cert][1]


def distribution(viewer_policy: str, minimum: str | None) -> str:
    origin = {
        "Id": "o",
        "DomainName": "origin.example.com",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    certificate = (
        {
            "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": minimum,
        }
        if minimum
        else {"CloudFrontDefaultCertificate": True}
    )
    config = {
        "CallerReference": f"{viewer_policy}-{minimum}",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": viewer_policy, "MinTTL": 0},
        "ViewerCertificate": certificate,
    }
    return client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]["ARN"]


def test_cloudfront_viewer_protocol_and_minimum_tls(aws):
    good = distribution("redirect-to-https", "TLSv1.2_2021")
    http = distribution("allow-all", "TLSv1.2_2021")
    default_cert = distribution("https-only", None)
    found = judge("aws.cloudfront.https_only", collect("aws.cloudfront.distributions"))
    assert status(found, good) == "pass"
    assert found[http] == ("fail", "behaviour * allows HTTP")
    assert found[default_cert] == ("fail", "viewers may use TLS 1.0; the baseline requires 1.2")
