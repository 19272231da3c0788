"""IAM least privilege: no user or role with administrator rights, no role that anyone can assume."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .policy import (
    admin_grant,
    condition_keys,
    narrowing_condition,
    principal_accounts,
    public_principal,
    statements,
)

ADMIN_POLICY_NAMES = {"AdministratorAccess"}  # AWS-managed, by name, when its document was not collected


def _policy_index(items: list[Mapping]) -> tuple[dict[str, Mapping], dict[str, Mapping]]:
    policies = {p["arn"]: p for p in items if p.get("type") == "managed_policy"}
    groups = {(g["account_id"], g["group_name"]): g for g in items if g.get("type") == "group"}
    return policies, groups


def _reasons(principal: Mapping, policies: Mapping[str, Mapping], where: str) -> tuple[list[str], list[str]]:
    """(why the principal is an administrator, policy documents that could not be judged)"""
    reasons, missing = [], []
    for policy in principal.get("inline_policies", ()):
        for statement in statements(policy.get("document")):
            why = admin_grant(statement)
            if why:
                reasons.append(f"inline policy {policy['name']}{where} {why}")
                break
    for policy_arn in principal.get("attached_policies", ()):
        policy = policies.get(policy_arn)
        name = policy_arn.rsplit("/", 1)[-1]
        if policy is None or policy.get("document") is None:
            if name in ADMIN_POLICY_NAMES and policy_arn.split(":")[4] == "aws":
                reasons.append(f"managed policy {name}{where} is AWS's administrator policy")
            else:
                missing.append(policy_arn)
            continue
        for statement in statements(policy["document"]):
            why = admin_grant(statement)
            if why:
                reasons.append(f"managed policy {name}{where} {why}")
                break
    return reasons, missing


@check(
    id="aws.iam.no_admin_access",
    title="No IAM user or role holds administrator rights",
    severity="high",
    domain="technical",
    needs=["aws.iam.users", "aws.iam.roles", "aws.iam.policies"],
    tags=["aws", "iam", "least-privilege"],
)
def no_admin_access(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A user or role whose policies (its own, its groups', attached managed ones) allow every action on
    every resource (`*` or `*:*`, also inside a list), everything but a few actions (`NotAction`), or
    `iam:*` can do anything in the account: the opposite of access on the principle of minimum
    requirement. Conditions do not change that. AWS service-linked roles are AWS's own and are skipped.
    A break-glass administrator is recorded as a waiver, with its owner and expiry.

    Remediation: replace the broad policy with one that names the actions and resources the job needs
    (IAM Access Analyzer can generate one from the principal's CloudTrail activity).
    """
    policies, groups = _policy_index(evidence["aws.iam.policies"])
    for user in evidence["aws.iam.users"]:
        reasons, missing = _reasons(user, policies, "")
        for group_name in user.get("groups", ()):
            group = groups.get((user["account_id"], group_name))
            if group is None:
                missing.append(f"group {group_name}")
                continue
            more, gone = _reasons(group, policies, f" (through group {group_name})")
            reasons += more
            missing += gone
        yield _judge(user, reasons, missing)
    for role in evidence["aws.iam.roles"]:
        if role.get("path", "").startswith("/aws-service-role/"):
            continue
        reasons, missing = _reasons(role, policies, "")
        yield _judge(role, reasons, missing)


def _judge(principal: Mapping, reasons: list[str], missing: list[str]) -> Outcome:
    if reasons:
        return fail(principal["arn"], "; ".join(reasons), cite=principal)
    if missing:
        return error(principal["arn"], f"policies not in the evidence: {', '.join(missing)}", cite=principal)
    return ok(principal["arn"], "no administrator or wildcard grant", cite=principal)


@check(
    id="aws.iam.role_trust",
    title="No IAM role can be assumed by anyone, or by another account without an external id",
    severity="critical",
    domain="technical",
    needs=["aws.iam.roles"],
    params={"aws.trusted_account_ids": []},
    tags=["aws", "iam", "least-privilege"],
)
def role_trust(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A trust policy that allows `"AWS": "*"` (also inside a list, or `"Principal": "*"`) lets every AWS
    account in the world assume the role unless a condition confines it to known principals
    (aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceAccount ...); MFA, secure-transport or external-id
    conditions alone do not. A role that trusts an account outside the scanned ones and
    `aws.trusted_account_ids` must require `sts:ExternalId`, or a third party can be tricked into
    using its access for someone else (the confused deputy).

    Remediation: name the exact principals in the trust policy; for a vendor's account, add a condition
    on sts:ExternalId with the value the vendor gave you.
    """
    roles = evidence["aws.iam.roles"]
    ours = {r["account_id"] for r in roles} | {str(a) for a in params["aws.trusted_account_ids"]}
    for role in roles:
        problems = []
        for statement in statements(role.get("trust_policy")):
            if statement.get("Effect") != "Allow":
                continue
            if public_principal(statement):
                if not narrowing_condition(statement):
                    keys = condition_keys(statement)
                    weak = f" (only a weak condition on {', '.join(sorted(keys))})" if keys else ""
                    problems.append(f"any AWS principal may assume it{weak}")
                continue
            outside = sorted(principal_accounts(statement) - ours)
            if outside and "sts:externalid" not in condition_keys(statement):
                problems.append(
                    f"account {', '.join(outside)} may assume it without an sts:ExternalId condition"
                )
        if problems:
            yield fail(role["arn"], "; ".join(problems), cite=role)
        else:
            yield ok(role["arn"], "trusted only by named principals", cite=role)
