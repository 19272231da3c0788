"""What changed between two runs, matched by finding fingerprint: the one definition of new and fixed.

Every report (HTML, Markdown, SARIF's baselineState), `vigil diff` and the history store use it:

- a finding is *failing* when its status is fail or error, waived or not. A waiver accepts a risk, it
  does not fix it: a newly waived finding is still failing (SARIF shows it with a suppression).
- *new*: failing now, not failing before.
- *fixed* (`absent`): failing before, and now passing, not applicable, manual or no longer reported,
  while its check was evaluated in the current run.
- *not evaluated*: failing before, and its check did not run now (`--only`, another baseline): we
  cannot say it is fixed, so it is neither fixed nor still failing.
- *unchanged* / *updated*: failing in both runs, with the same / a different status or message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FAILING = ("fail", "error")


def failing_state(finding: Mapping) -> str | None:
    """open (failing, unwaived), waived (failing, accepted) or None (not failing)."""
    if finding.get("status") not in FAILING:
        return None
    return "waived" if finding.get("waiver") else "open"


def failing_by_fingerprint(findings: Iterable[Mapping]) -> dict[str, Mapping]:
    return {f["fingerprint"]: f for f in findings if f.get("status") in FAILING}


def evaluated_checks(results: Mapping) -> set[str] | None:
    """Check ids the run evaluated; None when the document does not say (then every check counts)."""
    checks = results.get("checks")
    return set(checks) if isinstance(checks, Mapping) else None


@dataclass(frozen=True, slots=True)
class Change:
    """States follow SARIF's baselineState: new, unchanged, updated, absent (= fixed)."""

    new: list[dict]  # failing now, not failing before
    unchanged: list[dict]  # failing before and now, same status and message
    updated: list[dict]  # failing before and now, status or message differ
    absent: list[dict]  # the previous run's findings that are fixed (or gone) now
    not_evaluated: list[dict] = field(default_factory=list)  # previous failing, check not run now

    @property
    def still_failing(self) -> list[dict]:
        return self.unchanged + self.updated

    def newly_waived(self, previous: Mapping | None = None) -> list[dict]:
        """Still failing and waived now, not waived before (a waiver is never a fix)."""
        before = failing_by_fingerprint((previous or {}).get("findings") or ())
        was_waived = {fp for fp, f in before.items() if f.get("waiver")}
        return [f for f in self.still_failing if f.get("waiver") and f["fingerprint"] not in was_waived]

    def state_of(self) -> dict[str, str]:
        """fingerprint -> baselineState for the current run's failing findings."""
        states = {f["fingerprint"]: "new" for f in self.new}
        states.update({f["fingerprint"]: "unchanged" for f in self.unchanged})
        states.update({f["fingerprint"]: "updated" for f in self.updated})
        return states


def compare(current: Mapping, previous: Mapping | None) -> Change | None:
    """Failing findings of current against previous; None without a previous run."""
    if previous is None:
        return None
    now = failing_by_fingerprint(current.get("findings") or ())
    before = failing_by_fingerprint(previous.get("findings") or ())
    checks = evaluated_checks(current)
    new, unchanged, updated = [], [], []
    for fp, finding in now.items():
        old = before.get(fp)
        if old is None:
            new.append(finding)
        elif (old["status"], old.get("message")) == (finding["status"], finding.get("message")):
            unchanged.append(finding)
        else:
            updated.append(finding)
    absent, not_evaluated = [], []
    for fp, finding in before.items():
        if fp in now:
            continue
        if checks is None or finding["check_id"] in checks:
            absent.append(finding)
        else:
            not_evaluated.append(finding)
    return Change(new=new, unchanged=unchanged, updated=updated, absent=absent, not_evaluated=not_evaluated)
