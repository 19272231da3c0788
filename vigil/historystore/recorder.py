"""Recording a large run in the history store from a second process, while the run's own process
finishes its reports: on a CI machine's two cores, the store's work no longer waits for the reports.

The run (vigil.runner) starts `python -m vigil.historystore.recorder` once judging is done and talks to
it over stdin and stdout, a line each:
- the run sends the job: {"store": as given to the run, "out_dir": ..., "results": the results document
  without its findings, "failing": the file of the run's failing findings as JSON lines};
- the recorder writes everything in one transaction, then prints "ready" and waits;
- the run sends "commit" once its reports are committed (the store never names a run whose reports
  are not there), or anything else, or closes the pipe, to have it rolled back.
The recorder exits 0 once committed; whatever goes wrong is one line on stderr and exit status 1.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import orjson

from vigil.children import Child
from vigil.errors import UserError
from vigil.jsonfast import JsonLines

RECORD_APART_FROM = 20_000  # failing findings; below this, a second process costs more than it saves


class RollBack(Exception):
    """The run did not confirm: its reports were not committed."""


def main() -> int:
    from vigil.cycles import no_cycle_collection

    with no_cycle_collection():  # hundreds of thousands of findings and rows, none in a cycle
        return _main()


def _main() -> int:
    from vigil.historystore import open_store
    from vigil.historystore.record import record_run

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    try:
        job = orjson.loads(stdin.readline() or b"null")
        if not isinstance(job, dict):
            raise UserError("no job given")

        def confirm() -> None:
            stdout.write(b"ready\n")
            stdout.flush()
            if stdin.readline().strip() != b"commit":
                raise RollBack

        engine = open_store(job["store"], Path(job["out_dir"]))
        if engine is None:
            raise UserError("the run has no history store")
        record_run(
            engine, {**job["results"], "findings": JsonLines(Path(job["failing"]))}, before_commit=confirm
        )
    except RollBack:
        return 1
    except Exception as exc:  # reported to the run, which fails with it
        sys.stderr.write(str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}")
        sys.stderr.write("\n")
        return 1
    return 0


class Recorder:
    """The run's side: start the recorder, then commit() once the reports are committed, or abort()."""

    def __init__(self, store: str | None, out_dir: Path, results: dict, failing: Path) -> None:
        self.started = time.perf_counter()
        self._child = Child("vigil.historystore.recorder", stdout=subprocess.PIPE)
        self._proc = self._child.proc
        job = {
            "store": store,
            "out_dir": str(out_dir),
            "results": {k: v for k, v in results.items() if k != "findings"},
            "failing": str(failing),
        }
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.write(orjson.dumps(job) + b"\n")
            self._proc.stdin.flush()

    def commit(self) -> None:
        """Wait until the recorder has written the run, let it commit, wait for it; a failure is raised
        as the recorder said it."""
        ready = self._proc.stdout.readline().strip() == b"ready"
        with contextlib.suppress(BrokenPipeError):
            if ready:
                self._proc.stdin.write(b"commit\n")
            self._proc.stdin.close()
        code, problem = self._child.wait()
        if code != 0:
            raise UserError(problem.splitlines()[-1] if problem else f"history recorder exited {code}")

    def abort(self) -> None:
        """Roll back: the run's reports were not committed (its stdin closes without "commit")."""
        if self._proc.poll() is None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._child.kill()


if __name__ == "__main__":
    sys.exit(main())
