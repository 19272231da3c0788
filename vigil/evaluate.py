"""Judgment: run the baseline's checks on stored evidence and turn their outcomes into findings."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from vigil import registry
from vigil.baseline import Baseline
from vigil.errors import UserError
from vigil.model import Check, Control, Evidence, Finding, Outcome

MANUAL_PREFIX = "manual."
SHARED_MESSAGES = 1 << 16  # distinct messages kept shared per check; any beyond are kept as they are


@dataclass(frozen=True, slots=True)
class EffectiveCheck:
    """A check as this baseline runs it: severity and parameters after overrides."""

    id: str
    check: Check | None  # None: the baseline names it but no installed plugin provides it
    severity: str
    params: Mapping[str, Any]
    controls: tuple[str, ...]
    title: str
    description: str
    remediation: str
    domain: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    controls: tuple[Control, ...]
    checks: Mapping[str, EffectiveCheck]
    findings: tuple[Finding, ...]
    evidence: tuple[Evidence, ...]
    # set id -> the evidence document ids it stands for: what a finding resting on a whole set cites
    evidence_sets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def manual_check_id(control: Control) -> str:
    return MANUAL_PREFIX + re.sub(r"[^a-z0-9]+", "_", control.id.lower()).strip("_")


MAX_PARAMETER = 10**9  # a count of days, minutes or ports never needs more; dates overflow long before 10**18


def _same_type(default: Any, value: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float) and abs(value) <= MAX_PARAMETER and value == value
    return isinstance(value, type(default))


def effective_checks(
    baseline: Baseline, only: Iterable[str] | None = None
) -> tuple[tuple[Control, ...], dict]:
    """The controls in scope and every check they run, with parameters resolved and validated."""
    only_set = set(only) if only else None
    if only_set:
        named = {c for control in baseline.controls for c in control.checks}
        unknown = sorted(only_set - named - {manual_check_id(c) for c in baseline.controls})
        if unknown:
            raise UserError(
                f"--only: {', '.join(unknown)} not in baseline {baseline.name} (see `vigil checks list`)"
            )
    controls, checks = [], {}
    for control in baseline.controls:
        ids = [cid for cid in control.checks if baseline.check_overrides.get(cid, {}).get("enabled", True)]
        if not ids:
            ids = [manual_check_id(control)]
        if only_set is not None:
            ids = [cid for cid in ids if cid in only_set]
            if not ids:
                continue
        controls.append(replace(control, checks=tuple(ids)))
        for cid in ids:
            if cid in checks:
                checks[cid] = replace(checks[cid], controls=(*checks[cid].controls, control.id))
            else:
                checks[cid] = _effective(baseline, cid, control)
    return tuple(controls), checks


def _effective(baseline: Baseline, cid: str, control: Control) -> EffectiveCheck:
    check = registry.checks.get(cid)
    override = baseline.check_overrides.get(cid, {})
    if check is None:
        manual = cid.startswith(MANUAL_PREFIX)
        return EffectiveCheck(
            id=cid,
            check=None,
            severity=override.get("severity", "medium"),
            params={},
            controls=(control.id,),
            title=f"Manual review: {control.title}" if manual else f"{cid} (not installed)",
            description=control.manual_procedure
            or (
                "No automated check covers this control yet; an auditor verifies it by hand."
                if manual
                else ""
            ),
            remediation="Provide the evidence named in the procedure and record the auditor's judgment.",
            domain=control.domain,
        )
    params = dict(check.params)
    for name in check.params:
        if name in baseline.parameters:
            params[name] = baseline.parameters[name]
    for name, value in override.get("params", {}).items():
        if name not in check.params:
            where = baseline.where.get(("checks", cid, name), baseline.shown)
            known = ", ".join(check.params) or "none"
            raise UserError(f"{where}: check {cid} has no parameter {name!r} (it has: {known})")
        params[name] = value
    for name, value in params.items():
        if not _same_type(check.params[name], value):
            where = baseline.where.get(("checks", cid, name)) or baseline.where.get(("parameters", name), "")
            expected = type(check.params[name]).__name__
            if isinstance(value, int | float) and not isinstance(value, bool):
                expected += f" between -{MAX_PARAMETER} and {MAX_PARAMETER}"
            raise UserError(f"{where}: parameter {name} of {cid} must be {expected}, not {value!r}")
    return EffectiveCheck(
        id=cid,
        check=check,
        severity=override.get("severity", check.severity),
        params=MappingProxyType(params),
        controls=(control.id,),
        title=check.title,
        description=check.description,
        remediation=check.remediation,
        domain=check.domain,
    )


def judge_freshness(evidence: Iterable[Evidence], as_of: datetime) -> list[Evidence]:
    """Status of each piece of evidence at `as_of`: error, tampered, stale or ok."""
    judged = []
    for ev in evidence:
        if ev.status == "tampered":
            judged.append(ev)
        elif ev.error is not None:
            judged.append(replace(ev, status="error"))
        elif ev.expires_at <= as_of:
            judged.append(replace(ev, status="stale"))
        else:
            judged.append(replace(ev, status="ok"))
    return judged


def _evidence_problem(ev: Evidence) -> str:
    if ev.status == "stale":
        return f"evidence collected {ev.collected_at.isoformat()} expired {ev.expires_at.isoformat()}: stale"
    return ev.error or ev.status


def evaluate(
    baseline: Baseline,
    evidence: Iterable[Evidence],
    as_of: datetime,
    only: Iterable[str] | None = None,
) -> Evaluation:
    """Pure: the same baseline, evidence and time always give the same findings."""
    judgment = Judgment(baseline, evidence, as_of, only)
    findings = [f for batch in judgment.batches() for f in batch]
    return Evaluation(
        judgment.controls,
        judgment.checks,
        tuple(findings),
        judgment.evidence,
        MappingProxyType(judgment.evidence_sets),
    )


CHUNK = 4096  # findings handed on at once by Judgment.batches


class Judgment:
    """An evaluation handed on as it is made: `batches()` yields the findings a few thousand at a time,
    check after check, so that a run of millions of findings never holds them all (vigil.runner writes
    each batch to the reports and lets it go). What reports need before the first finding (controls,
    checks, the evidence's metadata) is known when it is made; `evidence_sets` fills in as checks cite
    whole sets, and is complete once the batches are."""

    def __init__(
        self,
        baseline: Baseline,
        evidence: Iterable[Evidence],
        as_of: datetime,
        only: Iterable[str] | None = None,
    ) -> None:
        self.controls, self.checks = effective_checks(baseline, only)
        judged = judge_freshness(evidence, as_of)
        self._as_of = as_of
        self._by_kind: dict[str, list[Evidence]] | None = defaultdict(list)
        for ev in judged:
            self._by_kind[ev.kind].append(ev)
        self._citations: Citations | None = Citations(judged)
        self.evidence_sets: dict[str, tuple[str, ...]] = self._citations.sets
        # what results and reports need of the evidence is its metadata: its data goes with the batches
        self.evidence = tuple(replace(ev, data=None) for ev in judged)

    def batches(self) -> Iterator[list[Finding]]:
        """Every finding, in check order, CHUNK at a time; once only: the evidence data is let go after."""
        if self._by_kind is None or self._citations is None:
            raise RuntimeError("a judgment's findings are handed on once")
        by_kind, citations = self._by_kind, self._citations
        try:
            for eff in self.checks.values():
                yield from _run(eff, by_kind, self._as_of, citations)
        finally:
            self._by_kind = self._citations = None


def set_id(documents: Iterable[str]) -> str:
    """A stable id for a set of evidence documents: the same documents give the same id in any order."""
    return "set:" + hashlib.sha256("\n".join(sorted(documents)).encode()).hexdigest()[:16]


class Citations:
    """Turns what an outcome cites (evidence items as the check received them) into evidence document
    ids and record locations. Items are known by identity: the view hands the check the very objects
    loaded from each document, so id(item) names its document without copying or hashing any data."""

    def __init__(self, evidence: Iterable[Evidence]) -> None:
        self._evidence = [ev for ev in evidence if ev.status == "ok"]
        # built on the first cite: runs without cites pay nothing
        self._origin: dict[int, tuple[str]] | None = None
        self.sets: dict[str, tuple[str, ...]] = {}

    def whole(self, documents: tuple[str, ...]) -> tuple[str, ...]:
        """The single reference to a set of documents (a lone document is cited as itself); `keep`
        lists it in the run once a finding cites it."""
        if len(documents) <= 1:
            return documents
        return (set_id(documents),)

    def keep(self, refs: tuple[str, ...], documents: tuple[str, ...], findings: list[Finding]) -> None:
        if len(documents) > 1 and refs[0] not in self.sets and any(f.evidence is refs for f in findings):
            self.sets[refs[0]] = tuple(sorted(documents))

    def _origins(self) -> dict[int, tuple[str]]:
        """id(item) -> its document's id, as one tuple per document that all its findings share
        (millions of findings, a few documents)."""
        if self._origin is None:
            origin: dict[int, tuple[str]] = {}
            for ev in self._evidence:
                one = (ev.sha256,)
                origin[id(ev.data)] = one
                if isinstance(ev.data, list):
                    for item in ev.data:
                        origin[id(item)] = one
            self._origin = origin
        return self._origin

    def cite(self, cited: Any, fallback: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(evidence ids, record locations) of an outcome's cite; an item the check did not receive
        (a copy it made) cannot be traced, so the finding then cites the whole set it was judged on."""
        origin = self._origin if self._origin is not None else self._origins()
        if type(cited) is dict:  # one record: the common case, made without loops
            one = origin.get(id(cited))
            if one is None:
                return fallback, ()
            spot = cited.get("where")
            return one, ((spot,) if type(spot) is str and spot else ())
        items = cited if type(cited) is tuple or isinstance(cited, tuple | list) else (cited,)
        first = mixed = None
        where: list[str] = []
        for item in items:
            one = origin.get(id(item))
            if one is None:
                return fallback, ()
            if first is None:
                first = one
            elif one is not first:  # records of several documents: each document once, in order
                if mixed is None:
                    mixed = {first[0]: None}
                mixed[one[0]] = None
            if type(item) is dict or isinstance(item, Mapping):
                spot = item.get("where")
                if type(spot) is str and spot:
                    where.append(spot)
        if first is None:
            return fallback, ()
        if len(where) > 2 or (len(where) == 2 and where[0] == where[1]):
            where = list(dict.fromkeys(where))
        return (first if mixed is None else tuple(mixed)), tuple(where)


def _finding(
    eff: EffectiveCheck, outcome: Outcome, evidence_ids: tuple[str, ...], where: tuple[str, ...] = ()
) -> Finding:
    return Finding(
        check_id=eff.id,
        control_ids=eff.controls,
        status=outcome.status,
        severity=eff.severity,
        resource=outcome.resource,
        message=outcome.message,
        evidence=evidence_ids,
        location=outcome.location,
        where=where,
        attestation=outcome.attestation,
    )


def _problem_finding(eff: EffectiveCheck, ev: Evidence, problem: Mapping[str, str]) -> Finding:
    """A part of a document that could not be read (a malformed row). Its resource is what the
    collector says the part holds (`resource`, e.g. a digest of the row), so inserting a row above it
    does not make it a new finding; where it sits (file:line) is the finding's `where`."""
    spot = problem.get("where") or ev.target
    outcome = Outcome("error", problem.get("resource") or spot, problem.get("message", "unreadable"))
    return _finding(eff, outcome, (ev.sha256,), (spot,))


def _run(
    eff: EffectiveCheck, by_kind: Mapping[str, list[Evidence]], as_of: datetime, citations: Citations
) -> Iterator[list[Finding]]:
    """A check's findings, CHUNK at a time."""
    if eff.check is None:
        if eff.id.startswith(MANUAL_PREFIX):
            message = "needs manual review: no automated check covers this control"
        else:
            message = f"check {eff.id} is named by the baseline but no installed plugin provides it"
        yield [
            _finding(eff, Outcome("manual", f"control:{control_id}", message), ())
            for control_id in eff.controls
        ]
        return
    findings: list[Finding] = []
    view: dict[str, list[Any]] = {}
    used: list[str] = []
    runnable = True
    for need in eff.check.needs:
        # "kind?" is optional: when no source provides it at all, the check sees an empty list
        kind, optional = need.removesuffix("?"), need.endswith("?")
        if optional and kind not in by_kind:
            view[kind] = []
            continue
        good = []
        for ev in by_kind.get(kind, ()):
            if ev.status != "ok":
                resource = f"evidence:{kind}:{ev.target}"
                findings.append(
                    _finding(eff, Outcome("error", resource, _evidence_problem(ev)), (ev.sha256,))
                )
                continue
            good.append(ev)
            for problem in ev.problems:
                findings.append(_problem_finding(eff, ev, problem))
        if not good:
            runnable = False
            if kind not in by_kind:
                message = f"no evidence of kind {kind} was collected: configure a source that provides it"
                findings.append(_finding(eff, Outcome("error", f"evidence:{kind}", message), ()))
            continue
        items: list[Any] = []
        for ev in good:
            used.append(ev.sha256)
            if isinstance(ev.data, list):
                items.extend(ev.data)
            else:
                items.append(ev.data)
        view[kind] = items
    if not runnable:
        yield findings
        return
    params = MappingProxyType({**eff.params, "now": as_of})
    documents = tuple(dict.fromkeys(used))
    refs = citations.whole(documents)
    first, handed = len(findings), 0  # findings before the check's own, and those already handed on
    # the loop every finding of a run goes through: names looked up once, Finding made in place
    cite, append = citations.cite, findings.append
    check_id, controls, severity = eff.id, eff.controls, eff.severity
    # one string per distinct message: a check's messages repeat ("trained 2026-01-15, 320 days ago")
    # across hundreds of thousands of findings, and every report keeps them
    messages: dict[str, str] = {}
    outcomes = iter(eff.check.func(MappingProxyType(view), params))
    while True:
        try:
            for outcome in outcomes:
                evidence, where = (refs, ()) if outcome.cite is None else cite(outcome.cite, refs)
                message = messages.get(outcome.message)
                if message is None:
                    message = outcome.message
                    if len(messages) < SHARED_MESSAGES:
                        messages[message] = message
                append(
                    Finding(
                        check_id,
                        controls,
                        outcome.status,
                        severity,
                        outcome.resource,
                        message,
                        evidence,
                        outcome.location,
                        None,
                        where,
                        outcome.attestation,
                    )
                )
                if len(findings) >= CHUNK:
                    break
            else:
                break  # the check is done
        except Exception as exc:  # a crashing check must not pass silently: it is an error result
            outcome = Outcome("error", f"check:{eff.id}", f"check raised {exc!r}")
            findings.append(_finding(eff, outcome, refs))
            break
        # a full chunk: handed on, and the check goes on where it stopped
        handed += len(findings)
        citations.keep(refs, documents, findings)
        yield findings
        findings = []
        append = findings.append
    if handed + len(findings) == first:  # the check itself found nothing to judge
        message = "the evidence holds nothing this check applies to"
        outcome = Outcome("not_applicable", f"evidence:{','.join(eff.check.needs)}", message)
        findings.append(_finding(eff, outcome, refs))
    citations.keep(refs, documents, findings)
    if findings:
        yield findings
