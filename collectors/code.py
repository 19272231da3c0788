"""Code audits: bandit, run as a library over each configured source tree, every issue kept as evidence."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from vigil.model import CollectContext, Collected, UserError
from vigil.registry import collector

# folders that are never the project's own code (bandit's command line skips most of them too)
DEFAULT_EXCLUDES = ("/.git/", "/__pycache__/", "/.tox/", "/.eggs/", "/.venv/", "/venv/", "/node_modules/")
# bandit tests whose flagged line holds the secret itself: its string literals are masked in evidence
SECRET_TESTS = {"B105", "B106", "B107"}
QUOTED = re.compile(r"""(['"])(?:\\.|(?!\1).)*\1""")
MAX_SNIPPET = 300


def _shown(path: str, base: Path) -> str:
    """A file as the reports name it: relative to the config's folder (SARIF resolves it from there)."""
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()


def _snippet(issue: Any, test_id: str) -> str:
    """The flagged lines without line numbers; string literals masked for hard-coded secret tests."""
    lines = []
    for raw in issue.get_code(max_lines=max(1, len(issue.linerange)), tabbed=False).splitlines():
        number, _, code = raw.strip().partition(" ")
        lines.append(code if number.isdigit() else raw)
    text = "\n".join(lines).strip()
    if test_id in SECRET_TESTS:
        text = QUOTED.sub(lambda m: m[1] + "***" + m[1], text)
    return text[:MAX_SNIPPET]


def _excludes(target: Mapping[str, Any], root: Path) -> list[str]:
    """Config excludes: an existing path under the tree excludes that file or folder; anything else is a
    glob bandit matches against the full path (e.g. */migrations/*)."""
    found = list(DEFAULT_EXCLUDES)
    for entry in target.get("exclude", ()):
        candidate = root / entry
        if candidate.exists():
            found.append(str(candidate.resolve() / "*") if candidate.is_dir() else str(candidate.resolve()))
        else:
            found.append(entry)
    return found


@collector(
    name="code.bandit",
    kind="code.bandit",
    source="code",
    version="1",
    ttl=timedelta(days=1),
    plain=("where", "file", "tree", "test_id", "test_name", "severity", "confidence", "tool"),
)
def bandit_scan(target: Mapping[str, Any], ctx: CollectContext) -> Collected:
    """Python source trees audited by bandit (as a library): every issue with its test, severity,
    confidence, file, line and the flagged code (secrets masked); files bandit could not parse are
    problems, since code nobody audited is not known to be safe."""
    # bandit's optional report formatters (sarif needs a package we do not use) warn when they fail to load
    logging.getLogger("stevedore.extension").setLevel(logging.CRITICAL)
    from bandit.core import config as bandit_config  # imported here: bandit loads its plugins on import
    from bandit.core import manager as bandit_manager

    shown = str(target["path"])
    root = ctx.path(shown)
    if not root.exists():
        raise UserError(f"code {shown}: no such file or folder")
    base = ctx.path(".")
    logging.getLogger("bandit").setLevel(logging.ERROR)  # bandit warns per skipped file; problems say it
    manager = bandit_manager.BanditManager(bandit_config.BanditConfig(), "file", quiet=True)
    manager.discover_files(
        [str(root.resolve())], recursive=True, excluded_paths=",".join(_excludes(target, root))
    )
    manager.run_tests()
    import bandit

    items: list[dict] = [
        {
            "record": "scan",
            "path": shown,
            "tree": _shown(str(root), base),  # the path as issue files are named, to group them
            "tool": f"bandit {bandit.__version__}",
            "files_audited": len(manager.files_list),
            "files_skipped": len(manager.skipped),
            "where": shown,
        }
    ]
    for issue in manager.get_issue_list(sev_level="LOW", conf_level="LOW"):
        test_id = issue.test_id
        path = _shown(issue.fname, base)
        cwe = getattr(issue, "cwe", None)
        items.append(
            {
                "record": "issue",
                "test_id": test_id,
                "test_name": issue.test,
                "severity": issue.severity.lower(),
                "confidence": issue.confidence.lower(),
                "cwe": getattr(cwe, "id", None) or None,
                "text": QUOTED.sub(lambda m: m[1] + "***" + m[1], issue.text)
                if test_id in SECRET_TESTS
                else issue.text,
                "file": path,
                "line": issue.lineno,
                "code": _snippet(issue, test_id),
                "where": f"{path}:{issue.lineno}",
            }
        )
    problems = tuple(
        {"where": _shown(name, base), "message": f"bandit could not audit {_shown(name, base)}: {reason}"}
        for name, reason in manager.skipped
    )
    return Collected(items, problems)
