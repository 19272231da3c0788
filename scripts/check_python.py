"""Stop early with a clear line when the interpreter is older than vigil needs."""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 - runs under whatever python3 is, before the venv exists
    sys.exit(
        f"vigil needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]} (set PYTHON=...)"
    )
