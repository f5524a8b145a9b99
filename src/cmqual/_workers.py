"""Helpers for bulk work (internal): pausing the garbage collector, choosing how worker
processes start."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small objects are built.

    Building segment rows or matching a batch allocates millions of small tuples, none of
    them in reference cycles; each allocation burst triggers collections that traverse
    every object of the process (a codebook, a corpus, pandas), which can take a quarter
    of the time or more. Reference counting still frees everything; the collector runs
    again afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def fork_is_safe() -> bool:
    """Whether worker processes may be forked: on Linux only.

    Fork is quick and workers inherit the data instead of receiving it pickled; it is
    unsafe with macOS system libraries and Windows has none, so there workers are spawned
    and their input travels with each task.
    """
    return sys.platform.startswith("linux")
