"""KMS: customer-managed keys rotate their key material."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check


@check(
    id="aws.kms.key_rotation",
    title="Customer-managed KMS keys rotate automatically",
    severity="low",
    domain="technical",
    needs=["aws.kms.keys"],
    tags=["aws", "kms", "encryption"],
)
def key_rotation(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Automatic rotation limits how much data one key version protects. Only enabled symmetric
    customer keys are judged: AWS rotates its own keys, and asymmetric keys cannot rotate.

    Remediation: enable automatic key rotation on the key (kms:EnableKeyRotation).
    """
    for key in evidence["aws.kms.keys"]:
        problem = (key.get("unreadable") or {}).get("rotation_enabled")
        if problem:
            yield error(key["arn"], problem, cite=key)
        elif key.get("rotation_enabled") is None:
            continue
        elif key["rotation_enabled"]:
            yield ok(key["arn"], "automatic rotation on", cite=key)
        else:
            yield fail(key["arn"], "automatic rotation off", cite=key)
