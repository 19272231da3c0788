"""Shared AWS plumbing: units of collection, sessions and assumed roles, budgets, retries and call counts."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config as BotoConfig

from vigil.model import Collected, UserError

log = logging.getLogger("vigil.aws")
logging.getLogger("botocore.credentials").setLevel(logging.WARNING)  # "Found credentials in ..." per client

# the region that global services (IAM, CloudFront, Organizations) are called in
GLOBAL_REGION = "us-east-1"
DEFAULT_RATE = {"iam": 10.0, "sts": 10.0, "organizations": 5.0}  # requests per second; others unlimited
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_S3_SHARDS = 4
THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "PriorRequestNotComplete",
}
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}


# ---------------------------------------------------------------- units: the serialisable tasks


def account_label(entry: Mapping[str, Any]) -> str:
    if entry.get("name"):
        return str(entry["name"])
    if entry.get("role_arn"):
        return str(entry["role_arn"]).split(":")[4]
    return entry.get("profile") or "default"


def _session_spec(entry: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("profile", "role_arn", "external_id", "endpoint_url")
    return {k: entry[k] for k in keys if entry.get(k)}


_expand_cache: dict[str, list[dict[str, Any]]] = {}
_expand_lock = threading.Lock()


def accounts(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The accounts one config entry names: itself, or every active account of its AWS Organization
    (through `organization.role_name`, assumed in each). Listed once per run and entry."""
    key = json.dumps(entry, sort_keys=True, default=str)
    with _expand_lock:
        if key in _expand_cache:
            return _expand_cache[key]
        result = _accounts(entry)
        _expand_cache[key] = result
        return result


def _accounts(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    spec = _session_spec(entry)
    base = {"account": account_label(entry), "session": spec}
    org = entry.get("organization")
    try:
        regions = _regions(entry, spec)
        if not org:
            return [{**base, "regions": regions}]
        found = []
        client = Session.open(spec).client("organizations", GLOBAL_REGION)
        for page in client.get_paginator("list_accounts").paginate():
            for account in page["Accounts"]:
                if account.get("Status", "ACTIVE") != "ACTIVE" or account["Id"] in org.get("exclude", ()):
                    continue
                partition = org.get("partition", "aws")
                member = {
                    **spec,
                    "role_arn": f"arn:{partition}:iam::{account['Id']}:role/{org['role_name']}",
                }
                member.pop("external_id", None)
                if org.get("external_id"):
                    member["external_id"] = org["external_id"]
                found.append({"account": account["Id"], "session": member, "regions": regions})
        return found
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, UserError) as exc:
        # planning must not stop the run: the units carry the failure and become error evidence
        return [{**base, "regions": list(entry.get("regions") or [GLOBAL_REGION]), "failed": describe(exc)}]


def _regions(entry: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    regions = entry.get("regions")
    if regions != "all" and regions != ["all"]:
        return list(regions)
    client = Session.open(spec).client("ec2", GLOBAL_REGION)
    found = client.describe_regions(AllRegions=False)["Regions"]
    return sorted(r["RegionName"] for r in found if r.get("OptInStatus") != "not-opted-in")


def expander(service: str, *, regional: bool, shards: Callable[[Mapping], int] | None = None) -> Callable:
    """An `expand=` function for the @collector decorator: one config entry -> plain-dict units, one per
    account (x region for regional services, x shard when a service splits its resources)."""

    def expand(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
        units = []
        for acct in accounts(entry):
            regions = acct["regions"] if regional else [GLOBAL_REGION]
            count = shards(entry) if shards else 1
            for region in regions:
                for shard in range(count):
                    label = f"{acct['account']}:{region if regional else 'global'}"
                    if count > 1:
                        label += f":{shard + 1}/{count}"
                    unit = {
                        "name": label,
                        "service": service,
                        "account": acct["account"],
                        "region": region,
                        "session": acct["session"],
                        "budget": _budget(entry, service),
                        "datasets": entry.get("datasets", {}),
                        "resume": bool(entry.get("resume")),
                    }
                    if count > 1:
                        unit["shard"] = [shard, count]
                    if "max_concurrent_accounts" in entry.get("budgets", {}):
                        unit["max_concurrent_accounts"] = entry["budgets"]["max_concurrent_accounts"]
                    if "failed" in acct:
                        unit["failed"] = acct["failed"]
                    if "ttl_hours" in entry:
                        unit["ttl_hours"] = entry["ttl_hours"]
                    units.append(unit)
        return units

    return expand


def _budget(entry: Mapping[str, Any], service: str) -> dict[str, Any]:
    rates = {**DEFAULT_RATE, **(entry.get("budgets", {}).get("requests_per_second", {}))}
    return {
        "rate": rates.get(service),
        "max_attempts": entry.get("budgets", {}).get("max_attempts", DEFAULT_MAX_ATTEMPTS),
    }


def in_shard(unit: Mapping[str, Any], name: str) -> bool:
    if "shard" not in unit:
        return True
    index, count = unit["shard"]
    return zlib.crc32(name.encode()) % count == index


# ---------------------------------------------------------------- sessions

# boto3 sessions and clients are costly to build (each loads the service models): one session per
# account spec and one client per (spec, service, region) serve every unit of the run. Clients are
# thread-safe; sessions are not, so building a client takes a lock. Counting and budgets follow the
# unit running on the calling thread.
_sessions: dict[str, boto3.session.Session] = {}
_clients: dict[tuple[str, str, str], Any] = {}
_build_lock = threading.RLock()
_credentials: dict[str, tuple[dict[str, str], float]] = {}
_identity: dict[str, dict[str, str]] = {}
_current = threading.local()


def endpoint(spec: Mapping[str, Any]) -> str | None:
    return spec.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or None


@dataclass
class Session:
    """The clients of one account: the standard credential chain or a profile, then the role."""

    spec: Mapping[str, Any]
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def open(cls, spec: Mapping[str, Any], max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Session:
        session = cls(spec, max_attempts)
        session._boto()  # fail here, as the unit's failure, when credentials or the role are wrong
        return session

    @property
    def key(self) -> str:
        return json.dumps(dict(self.spec), sort_keys=True)

    def _boto(self) -> boto3.session.Session:
        with _build_lock:
            cached = _credentials.get(self.key)
            if self.key in _sessions and (cached is None or cached[1] > time.time() + 300):
                return _sessions[self.key]
            base = boto3.session.Session(profile_name=self.spec.get("profile"))
            if self.spec.get("role_arn"):
                creds = _assume(base, self.spec)
                base = boto3.session.Session(
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                )
                for key in [k for k in _clients if k[0] == self.key]:
                    del _clients[key]
            _sessions[self.key] = base
            return base

    def client(self, service: str, region: str | None) -> Any:
        region = region or GLOBAL_REGION
        key = (self.key, service, region)
        with _build_lock:
            boto = self._boto()
            if key not in _clients:
                url = endpoint(self.spec)
                config = BotoConfig(
                    retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                    connect_timeout=10,
                    read_timeout=60,
                    max_pool_connections=16,
                    user_agent_extra="vigil",
                    # a local endpoint (moto) has no per-account host names such as s3control's
                    inject_host_prefix=url is None,
                )
                client = boto.client(service, region_name=region, endpoint_url=url, config=config)
                events = client.meta.events
                events.register("before-send", _on_send)
                events.register("needs-retry", _on_retry)
                if url and service == "s3control":
                    events.register("before-send", _local_s3control)
                _clients[key] = client
            return _clients[key]

    def account_id(self) -> tuple[str, str]:
        """(account id, partition) of the session, asked once per run."""
        with _build_lock:  # one GetCallerIdentity per account, however many units start at once
            if self.key not in _identity:
                arn = self.client("sts", GLOBAL_REGION).get_caller_identity()["Arn"]
                _identity[self.key] = {"account": arn.split(":")[4], "partition": arn.split(":")[1]}
        found = _identity[self.key]
        return found["account"], found["partition"]


def _on_send(**kwargs: Any) -> None:
    stats = getattr(_current, "stats", None)
    if stats is not None:
        stats.sent(kwargs.get("event_name", ""))


def _on_retry(response: Any = None, **_: Any) -> None:
    stats = getattr(_current, "stats", None)
    if stats is not None and response and isinstance(response[1], dict):
        if response[1].get("Error", {}).get("Code") in THROTTLE_CODES:
            stats.throttled += 1


ACCOUNT_HOST = re.compile(r"^(https?://)\d{12}\.")


def _local_s3control(request: Any = None, **_: Any) -> None:
    """s3control puts the account id in the host name, which a local endpoint (moto) does not serve."""
    if request is not None:
        request.url = ACCOUNT_HOST.sub(r"\1", request.url)


def _assume(base: boto3.session.Session, spec: Mapping[str, Any]) -> dict[str, str]:
    key = json.dumps(dict(spec), sort_keys=True)
    sts = base.client("sts", region_name=GLOBAL_REGION, endpoint_url=endpoint(spec))
    kwargs = {"RoleArn": spec["role_arn"], "RoleSessionName": "vigil-audit"}
    if spec.get("external_id"):
        kwargs["ExternalId"] = spec["external_id"]
    creds = sts.assume_role(**kwargs)["Credentials"]
    _credentials[key] = (creds, creds["Expiration"].timestamp())
    return creds


# ---------------------------------------------------------------- budgets and counting


class RateLimit:
    """A per-(account, service) request budget shared by every unit of this process."""

    _all: dict[tuple[str, str], RateLimit] = {}
    _lock = threading.Lock()

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_at = 0.0
        self.lock = threading.Lock()

    @classmethod
    def get(cls, account: str, service: str, rate: float | None) -> RateLimit | None:
        if not rate:
            return None
        with cls._lock:
            return cls._all.setdefault((account, service), RateLimit(rate))

    def wait(self, **_: Any) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


class AccountGate:
    """At most N accounts collected at once (units of an account already running are let through)."""

    _cond = threading.Condition()
    _active: Counter[str] = Counter()

    @classmethod
    @contextmanager
    def enter(cls, account: str, limit: int | None) -> Iterator[None]:
        with cls._cond:
            while limit and account not in cls._active and len(cls._active) >= limit:
                cls._cond.wait()
            cls._active[account] += 1
        try:
            yield
        finally:
            with cls._cond:
                cls._active[account] -= 1
                if cls._active[account] <= 0:
                    del cls._active[account]
                cls._cond.notify_all()


@dataclass
class Stats:
    """API requests of one unit, counted as they are sent (retries included), and throttling replies."""

    limit: RateLimit | None = None
    requests: Counter[str] = field(default_factory=Counter)
    throttled: int = 0

    def sent(self, event_name: str) -> None:
        if self.limit is not None:
            self.limit.wait()
        parts = event_name.split(".")
        self.requests[parts[2] if len(parts) > 2 else "?"] += 1

    def summary(self) -> dict[str, Any]:
        return {"requests": sum(self.requests.values()), "throttled": self.throttled}


# IAM action prefixes of the services' API names, and the S3 actions whose names differ from the call's
PREFIX = {"elbv2": "elasticloadbalancing", "logs": "logs"}
S3_ACTIONS = {
    "ListBuckets": "ListAllMyBuckets",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
}


def permission(service: str, operation: str) -> str:
    if service == "s3":
        return f"s3:{S3_ACTIONS.get(operation, operation)}"
    if service == "s3control":
        return f"s3:{'GetAccountPublicAccessBlock' if operation == 'GetPublicAccessBlock' else operation}"
    return f"{PREFIX.get(service, service)}:{operation}"


def describe(exc: BaseException, service: str = "") -> str:
    """One line for an AWS failure, naming the permission that was missing when it was a denial."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = exc.response.get("Error", {}).get("Code", "?")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 403 and (code.isdigit() or not code):
            code = "AccessDenied"  # a 403 without a readable error body
        op = exc.operation_name
        if op in ("AssumeRole", "GetCallerIdentity"):
            service = "sts"
        if code in DENIED_CODES:
            return f"{permission(service, op)} denied ({code}): grant it in vigil's read-only policy"
        if code in THROTTLE_CODES:
            return f"{op} throttled after every retry ({code}): lower budgets.requests_per_second"
        message = (exc.response.get("Error", {}).get("Message") or "").splitlines()
        return f"{op} failed: {code}: {message[0] if message else ''}".rstrip(": ")
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return f"cannot reach the AWS endpoint {exc.kwargs.get('endpoint_url', '')}".rstrip()
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return "no AWS credentials found (set a profile, role_arn or the standard AWS_* variables)"
    return f"{type(exc).__name__}: {exc}"


def unreadable(exc: botocore.exceptions.ClientError, service: str) -> str:
    """Why one attribute of a resource could not be read, for the checks that need it."""
    return describe(exc, service)


@contextmanager
def unit_session(unit: Mapping[str, Any], service: str) -> Iterator[tuple[Session, Stats]]:
    """Open the unit's session with its budget; log the unit's API figures when it is done. A failure of
    the whole unit (cannot plan, reach, authenticate, list) is raised as UserError: error evidence."""
    if unit.get("failed"):
        raise UserError(unit["failed"])
    budget = unit.get("budget", {})
    stats = Stats(RateLimit.get(unit["account"], service, budget.get("rate")))
    started = time.perf_counter()
    with AccountGate.enter(unit["account"], unit.get("max_concurrent_accounts")):
        _current.stats = stats
        try:
            session = Session.open(unit["session"], budget.get("max_attempts", DEFAULT_MAX_ATTEMPTS))
            yield session, stats
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            raise UserError(describe(exc, service)) from None
        finally:
            _current.stats = None
            figures = stats.summary()
            _current.figures = {
                "service": service,
                "api_requests": figures["requests"],
                "throttled": figures["throttled"],
                "requests_by_operation": dict(sorted(stats.requests.items())),
                "seconds": round(time.perf_counter() - started, 3),
            }
            log.info(
                "aws %s %s: %d API requests, %d throttled, %.1fs",
                service,
                unit.get("name"),
                figures["requests"],
                figures["throttled"],
                time.perf_counter() - started,
            )


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, ())


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def account_resource(account: str, region: str | None = None) -> str:
    """How a finding about an account-level (or account-and-region-level) setting names it."""
    return f"aws:{account}" + (f":{region}" if region else "")


def reset() -> None:
    """Forget cached sessions, clients, identities and budgets (between test cases or runs in a process)."""
    with _build_lock:
        _sessions.clear()
        _clients.clear()
        _credentials.clear()
        _identity.clear()
        _expand_cache.clear()
        _previous.clear()
        RateLimit._all.clear()


# ---------------------------------------------------------------- resuming an interrupted scan

_previous: dict[str, dict[tuple[str, str], tuple[datetime, Path]]] = {}


def _stored(evidence_dir: Path) -> dict[tuple[str, str], tuple[datetime, Path]]:
    """(collector, target) -> (collected_at, path) of the newest error-free document in the folder,
    read once per run: an interrupted run leaves its documents there, without an index."""
    key = str(evidence_dir)
    with _build_lock:
        if key in _previous:
            return _previous[key]
        found: dict[tuple[str, str], tuple[datetime, Path]] = {}
        for path in sorted((evidence_dir / "objects").glob("*/*.json")):
            try:
                doc = json.loads(path.read_bytes())
                if doc.get("error") or not str(doc.get("collector", "")).startswith("aws."):
                    continue
                when = datetime.fromisoformat(doc["expires_at"]), datetime.fromisoformat(doc["collected_at"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not ours to judge: the store verifies documents when it loads them
            ident = (doc["collector"], doc["target"])
            if ident not in found or found[ident][0] < when[1]:
                found[ident] = (when[1], path)
        _previous[key] = found
        return found


def aws_unit(name: str) -> Callable:
    """Wraps every AWS collector. Its evidence records how the unit was collected (API requests by
    operation, throttling replies, seconds) beside the data. With `resume: true` on the account entry,
    a unit whose evidence an interrupted run already stored in this output folder, and which has not
    expired, is not collected again: its data is reused with the time it was collected (so it also
    expires when it would have)."""

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(unit: Mapping[str, Any], ctx: Any) -> Any:
            evidence_dir = getattr(ctx, "evidence_dir", None)
            if unit.get("resume") and evidence_dir is not None:
                hit = _stored(Path(evidence_dir)).get((name, unit["name"]))
                if hit is not None:
                    doc = json.loads(hit[1].read_bytes())
                    if datetime.fromisoformat(doc["expires_at"]) > ctx.now():
                        log.info("aws %s %s: resumed from evidence collected %s", name, unit["name"], hit[0])
                        return Collected(
                            doc["data"],
                            tuple(doc.get("problems", ())),
                            collected_at=hit[0],
                            collection={**(doc.get("collection") or {}), "resumed": True},
                        )
            _current.figures = None
            data = func(unit, ctx)
            return Collected(data, collection=getattr(_current, "figures", None))

        return run

    return wrap
