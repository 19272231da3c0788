"""The run's own helper processes (`python -m vigil....`): started with their stderr kept aside, so
that the one line a helper writes when it fails becomes the run's error message."""

from __future__ import annotations

import subprocess
import sys
import tempfile


class Child:
    def __init__(self, module: str, stdout: int = subprocess.DEVNULL) -> None:
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in wait()
        self._result: tuple[int, str] | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=stdout, stderr=self._errors
        )

    def wait(self) -> tuple[int, str]:
        """Its exit status and what it wrote to stderr (asked again, the same answer)."""
        if self._result is None:
            code = self.proc.wait()
            self._errors.seek(0)
            problem = self._errors.read().decode("utf-8", "replace").strip()
            self._errors.close()
            self._result = code, problem
        return self._result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()
