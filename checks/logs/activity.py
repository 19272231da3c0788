"""What the logs show happening: failed logins before a success, logins at odd hours, silent gaps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime

from vigil.model import Outcome, error, fail, ok
from vigil.registry import check

from .evidence import LOG_REFERENCES, WEEKDAYS, at, location, location_of, matches, records

KEPT_FAILURES = 10  # failure times the collector keeps per run (collectors/logs/aggregate.py)
KEPT_GAPS = 100  # gaps the collector keeps per source


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


@check(
    id="logs.auth.brute_force",
    title="No account logged in after a run of failed attempts",
    severity="high",
    domain="technical",
    needs=["logs.access"],
    params={"logs.brute_force.failures": 5, "logs.brute_force.window_minutes": 10},
    references=LOG_REFERENCES,
    tags=["logs", "intrusion-detection"],
)
def brute_force(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A success that follows at least logs.brute_force.failures failed logins of the same account
    within logs.brute_force.window_minutes is what a guessed or sprayed password looks like, and is a
    finding until someone confirms it was the owner. The logs keep the last 10 failures before each
    success, so thresholds up to 10 can be judged.

    Remediation: confirm with the account owner that the login was theirs; if not, treat it as an
    incident: disable the account, rotate its credentials and review what the session did. Rate-limit
    or lock out repeated failures and require multi-factor authentication.
    """
    threshold = params["logs.brute_force.failures"]
    minutes = params["logs.brute_force.window_minutes"]
    window = minutes * 60
    if not 1 <= threshold <= KEPT_FAILURES:
        yield error("check:logs.auth.brute_force", f"logs.brute_force.failures must be 1..{KEPT_FAILURES}")
        return
    hits: dict[str, int] = defaultdict(int)
    for streak in records(evidence, "login_streak"):
        success = streak["success"]
        when = _seconds(success["time"])
        recent = [t for t in streak["failure_times"] if 0 <= when - _seconds(t) <= window]
        if len(recent) < threshold:
            continue
        hits[streak["system"]] += 1
        ips = ", ".join(streak["failure_ips"]) or "?"
        yield fail(
            f"login:{streak['system']}:{streak['principal']}:{success['time']}",
            f"{streak['principal']} logged in at {at(success)} after {streak['failures']} failed attempt(s), "
            f"{len(recent)} within {minutes} min (from {ips}; "
            f"first kept failure {at(streak['first_failure_kept'])})",
            location(success),
            cite=streak,
        )
    for source in records(evidence, "source"):
        system = source["system"]
        if source["login_streaks_not_kept"]:
            yield error(
                f"logs:{system}",
                f"{source['login_streaks_not_kept']} runs of failed logins were not kept (over the cap); "
                "judge them from the log itself",
                cite=source,
            )
        elif not hits[system]:
            yield ok(
                f"logs:{system}",
                f"no login after {threshold}+ failures within {minutes} min in {source['events']} event(s)",
                cite=source,
            )


@check(
    id="logs.auth.unusual_hours",
    title="Logins happen within working hours",
    severity="medium",
    domain="technical",
    needs=["logs.access"],
    params={
        "logs.work_hours.start": 7,
        "logs.work_hours.end": 20,
        "logs.work_days": [1, 2, 3, 4, 5],
        "logs.unusual_hours.exempt": [],
    },
    references=LOG_REFERENCES,
    tags=["logs", "monitoring"],
)
def unusual_hours(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """A successful login outside logs.work_hours.start to logs.work_hours.end (hours, local time of the
    log source's `timezone`) or on a day not in logs.work_days (ISO weekdays, 1 = Monday) is unusual
    and should have been noticed by monitoring. Accounts matching logs.unusual_hours.exempt (globs),
    such as on-call rotas, are not judged. One finding per account and system, naming every unusual
    weekday and hour with the first login in it.

    Remediation: confirm the logins with their owners (on-call, travel) and add legitimate accounts to
    logs.unusual_hours.exempt; investigate the rest as possible misuse of credentials.
    """
    start, end = params["logs.work_hours.start"], params["logs.work_hours.end"]
    days = set(params["logs.work_days"])
    for item in records(evidence, "principal"):
        if not item["logins_ok"] or matches(item["principal"], params["logs.unusual_hours.exempt"]):
            continue
        resource = f"logins:{item['system']}:{item['principal']}"
        # rows: [ISO weekday, local hour, logins, first login's where, its time]
        odd = [r for r in item["logins_by_hour"] if r[0] not in days or not start <= r[1] < end]
        if not odd:
            yield ok(resource, f"{item['logins_ok']} login(s), all within working hours", cite=item)
            continue
        _, _, _, where, when = min(odd, key=lambda r: r[4])
        first = {"where": where, "time": when}
        count = sum(r[2] for r in odd)
        slots = ", ".join(f"{WEEKDAYS[d]} {h:02d}h x{n}" for d, h, n, _, _ in odd[:8])
        more = f" and {len(odd) - 8} more" if len(odd) > 8 else ""
        yield fail(
            resource,
            f"{count} of {item['logins_ok']} login(s) outside working hours ({start:02d}-{end:02d}h, "
            f"days {sorted(days)}): {slots}{more}; first {at(first)}",
            location_of(where),
            cite=item,
        )


@check(
    id="logs.coverage.max_gap",
    title="Access logs have no gaps longer than allowed",
    severity="medium",
    domain="technical",
    needs=["logs.access"],
    params={"logs.max_gap_minutes": 60},
    references=LOG_REFERENCES,
    tags=["logs", "monitoring"],
)
def max_gap(evidence: Mapping, params: Mapping) -> Iterator[Outcome]:
    """Between the first and last event of a log source, no stretch longer than logs.max_gap_minutes
    may pass without any event: a silent stretch is a logging outage, a rotated-away or deleted file,
    or an attacker covering tracks, and in any case a time nobody could monitor. A source without any
    event fails. Gaps are measured in whole minutes without an event.

    Remediation: find out why the system stopped logging (agent down, rotation, disk full), restore
    the missing logs from their archive if they exist, and alert on silence of the log pipeline.
    """
    limit = params["logs.max_gap_minutes"]
    over: dict[str, int] = defaultdict(int)
    kept: dict[str, int] = defaultdict(int)
    for gap in records(evidence, "gap"):
        kept[gap["system"]] += 1
        if gap["silent_minutes"] <= limit:
            continue
        over[gap["system"]] += 1
        yield fail(
            f"gap:{gap['system']}:{gap['last_before']}",
            f"no event for {gap['silent_minutes']} min (limit {limit}) between {gap['last_before']} "
            f"({gap['previous_event']['where']}) and {gap['first_after']} ({gap['next_event']['where']})",
            location(gap["next_event"]),
            cite=gap,
        )
    for source in records(evidence, "source"):
        system = source["system"]
        if not source["events"]:
            yield fail(f"logs:{system}", "the log source holds no event at all", cite=source)
        elif over[system] and kept[system] >= KEPT_GAPS and over[system] == kept[system]:
            yield error(
                f"logs:{system}",
                f"every one of the {KEPT_GAPS} largest gaps kept exceeds {limit} min; there may be more",
                cite=source,
            )
        elif not over[system]:
            yield ok(
                f"logs:{system}",
                f"{source['events']} event(s) from {source['first']} to {source['last']}, "
                f"no gap over {limit} min",
                cite=source,
            )
