"""IAM credentials: MFA on console users, no root access keys, keys rotated, unused credentials off,
a password policy that meets the baseline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check


def when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def _unreadable(user: Mapping) -> str | None:
    return (user.get("unreadable") or {}).get("credentials_report")


@check(
    id="aws.iam.console_mfa",
    title="Every IAM user with a console password has MFA",
    severity="high",
    domain="technical",
    needs=["aws.iam.users"],
    tags=["aws", "iam", "authentication"],
)
def console_mfa(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Only authorised employees may reach the data; a console password alone is phished or guessed,
    so every user who can sign in to the console must have an MFA device.

    Remediation: enable a virtual or hardware MFA device for the user, or remove the console password
    if the user does not need the console.
    """
    for user in evidence["aws.iam.users"]:
        problem = _unreadable(user)
        if problem:
            yield error(user["arn"], f"credential report unreadable: {problem}", cite=user)
        elif not user["password_enabled"]:
            continue
        elif user["mfa_active"]:
            yield ok(user["arn"], "console user with MFA", cite=user)
        else:
            yield fail(user["arn"], "console password without MFA", cite=user)


@check(
    id="aws.iam.root_account",
    title="The root user has no access keys and signs in with MFA",
    severity="critical",
    domain="technical",
    needs=["aws.iam.account"],
    tags=["aws", "iam", "authentication"],
)
def root_account(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Root can do anything, and no policy can restrict it: an access key for root is a permanent
    all-powerful secret, and a root password without MFA is one phishing e-mail from losing the account.

    Remediation: delete the root access keys (IAM > Security credentials as root), enable MFA on the
    root user, and use named roles for daily work.
    """
    for account in evidence["aws.iam.account"]:
        resource = f"aws:{account['account_id']}"
        problems = []
        if account["root_access_keys"]:
            problems.append("the root user has access keys")
        if not account["root_mfa"]:
            problems.append("the root user has no MFA")
        if problems:
            yield fail(resource, "; ".join(problems), cite=account)
        else:
            yield ok(resource, "root has MFA and no access keys", cite=account)


@check(
    id="aws.iam.access_key_rotation",
    title="Active access keys are rotated within the baseline's maximum age",
    severity="medium",
    domain="technical",
    needs=["aws.iam.users"],
    params={"aws.iam.access_key_max_age_days": 90},
    tags=["aws", "iam", "credentials"],
)
def access_key_rotation(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A long-lived access key that is never rotated stays valid wherever it was copied or leaked; the
    baseline sets the maximum age (`aws.iam.access_key_max_age_days`).

    Remediation: create a second key, move the workload to it, deactivate and delete the old one; better,
    replace the key with a role.
    """
    limit = params["aws.iam.access_key_max_age_days"]
    for user in evidence["aws.iam.users"]:
        problem = _unreadable(user)
        if problem:
            yield error(user["arn"], f"credential report unreadable: {problem}", cite=user)
            continue
        for key in user.get("access_keys", ()):
            if not key["active"]:
                continue
            resource = f"{user['arn']}#access-key-{key['number']}"
            rotated = when(key.get("last_rotated"))
            if rotated is None:
                yield error(resource, "active key without a creation date", cite=user)
                continue
            age = (params["now"] - rotated).days
            if age > limit:
                yield fail(resource, f"active key is {age} days old (limit {limit})", cite=user)
            else:
                yield ok(resource, f"active key is {age} days old", cite=user)


def _idle(last_used: str | None, created: str | None, now: datetime, limit: int) -> str | None:
    """Why a credential counts as unused, or None."""
    used = when(last_used)
    if used is not None:
        days = (now - used).days
        return f"unused for {days} days" if days > limit else None
    made = when(created)
    if made is None:
        return "never used (creation date unknown)"
    days = (now - made).days
    return f"never used in the {days} days since it was created" if days > limit else None


@check(
    id="aws.iam.unused_credentials",
    title="Console passwords and access keys unused for longer than the baseline allows are disabled",
    severity="medium",
    domain="technical",
    needs=["aws.iam.users"],
    params={"aws.iam.unused_credentials_days": 90},
    tags=["aws", "iam", "credentials"],
)
def unused_credentials(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A credential nobody has used for months (`aws.iam.unused_credentials_days`) usually belongs to
    someone who left or a job that was retired: access that is no longer authorised. Never-used
    credentials count from their creation.

    Remediation: deactivate the key or remove the console password; delete the user once its owner
    confirms it is not needed.
    """
    limit = params["aws.iam.unused_credentials_days"]
    now = params["now"]
    for user in evidence["aws.iam.users"]:
        if _unreadable(user):
            continue  # aws.iam.console_mfa and aws.iam.access_key_rotation report the unreadable report
        stale, judged = [], False
        if user["password_enabled"]:
            judged = True
            why = _idle(user.get("password_last_used"), user.get("create_date"), now, limit)
            if why:
                stale.append(f"console password {why}")
        for key in user.get("access_keys", ()):
            if key["active"]:
                judged = True
                why = _idle(key.get("last_used"), key.get("last_rotated"), now, limit)
                if why:
                    stale.append(f"access key {key['number']} {why}")
        if stale:
            yield fail(user["arn"], f"{'; '.join(stale)} (limit {limit})", cite=user)
        elif judged:
            yield ok(user["arn"], f"every active credential used in the last {limit} days", cite=user)


@check(
    id="aws.iam.password_policy",
    title="The account password policy meets the baseline",
    severity="medium",
    domain="technical",
    needs=["aws.iam.account"],
    params={"aws.iam.password_min_length": 14, "aws.iam.password_reuse_prevention": 0},
    tags=["aws", "iam", "authentication"],
)
def password_policy(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Console passwords must be long enough to resist guessing (`aws.iam.password_min_length`) and, when
    the baseline asks for it, not reuse recent ones (`aws.iam.password_reuse_prevention`, 0: not
    required). Without a policy AWS accepts 8-character passwords. Forced periodic expiry is not
    required: current guidance (NIST SP 800-63B) advises against it.

    Remediation: set the account password policy (IAM > Account settings) to the baseline's minimum
    length and reuse prevention.
    """
    min_length = params["aws.iam.password_min_length"]
    reuse = params["aws.iam.password_reuse_prevention"]
    for account in evidence["aws.iam.account"]:
        resource = f"aws:{account['account_id']}"
        problem = (account.get("unreadable") or {}).get("password_policy")
        policy: Any = account.get("password_policy")
        if problem:
            yield error(resource, f"password policy unreadable: {problem}", cite=account)
            continue
        if policy is None:
            yield fail(
                resource, "no account password policy: AWS's default accepts 8 characters", cite=account
            )
            continue
        problems = []
        if policy.get("MinimumPasswordLength", 0) < min_length:
            problems.append(
                f"minimum length {policy.get('MinimumPasswordLength', 0)} (baseline {min_length})"
            )
        if reuse and policy.get("PasswordReusePrevention", 0) < reuse:
            problems.append(
                f"remembers {policy.get('PasswordReusePrevention', 0)} passwords (baseline {reuse})"
            )
        if problems:
            yield fail(resource, "; ".join(problems), cite=account)
        else:
            yield ok(resource, f"minimum length {policy['MinimumPasswordLength']}", cite=account)
