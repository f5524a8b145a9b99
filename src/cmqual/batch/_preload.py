"""Imported once by the fork server that batch worker processes are forked from.

Workers then start with papermill, nbclient and cmqual already imported (a fork takes
milliseconds; a fresh import several seconds), also for the second and later batches that
one Python process runs (tests, notebooks, ``verify``).
"""

from cmqual.batch.kernel import skip_slow_optional_imports

skip_slow_optional_imports()

import papermill  # noqa: E402
import papermill.engines  # noqa: E402, F401

import cmqual.batch.execute  # noqa: E402, F401
