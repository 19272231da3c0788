"""What changed between two runs, matched by finding fingerprint."""

from __future__ import annotations

from dataclasses import dataclass

OPEN = ("fail", "error")


@dataclass(frozen=True, slots=True)
class Change:
    """States follow SARIF's baselineState: new, unchanged, updated, absent."""

    new: list[dict]  # open now, not open before
    unchanged: list[dict]  # open before and now, same status and message
    updated: list[dict]  # open before and now, status or message differ
    absent: list[dict]  # open before (previous run's findings), not open now: fixed or gone

    def state_of(self) -> dict[str, str]:
        """fingerprint -> baselineState for the current run's open findings."""
        states = {f["fingerprint"]: "new" for f in self.new}
        states.update({f["fingerprint"]: "unchanged" for f in self.unchanged})
        states.update({f["fingerprint"]: "updated" for f in self.updated})
        return states


def _open(results: dict) -> dict[str, dict]:
    return {
        f["fingerprint"]: f
        for f in results.get("findings", ())
        if f["status"] in OPEN and not f.get("waiver")
    }


def compare(current: dict, previous: dict | None) -> Change | None:
    """Open (unwaived fail/error) findings of current against previous; None without a previous run."""
    if previous is None:
        return None
    now, before = _open(current), _open(previous)
    new, unchanged, updated = [], [], []
    for fp, finding in now.items():
        old = before.get(fp)
        if old is None:
            new.append(finding)
        elif (old["status"], old["message"]) == (finding["status"], finding["message"]):
            unchanged.append(finding)
        else:
            updated.append(finding)
    absent = [f for fp, f in before.items() if fp not in now]
    return Change(new=new, unchanged=unchanged, updated=updated, absent=absent)
