"""Python's cycle collector, paused while a process makes millions of objects that are in no cycle."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Judging and reporting make millions of records, findings and documents, none of them in a
    reference cycle: Python's cycle collector would walk them all again and again (a third of the
    evaluation time at a million records) and free nothing. Plain reference counting still frees them.
    The run's other processes (collect workers, the report helper, the history recorder) pause it
    around their work too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
