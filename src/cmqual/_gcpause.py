"""Pausing the cyclic garbage collector around allocation bursts (internal)."""

from __future__ import annotations

import gc
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
