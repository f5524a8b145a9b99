"""Reproducible batch runs of parameterised notebooks (papermill), with manifests.

The public surface:

* :func:`load_batch` reads and validates a batch file (:mod:`cmqual.batch.spec` describes
  the format) and :func:`check_parameters` checks parameter sets against a notebook's
  ``parameters`` cell (:mod:`cmqual.batch.params` describes the rules);
* :func:`run_batch` runs it in parallel worker processes or on a Dask cluster and returns
  a :class:`BatchResult` (:mod:`cmqual.batch.runner`); each run writes
  ``outputs/<batch>/<run id>/`` with the executed notebook, ``results/`` and
  ``manifest.json`` (:mod:`cmqual.batch.manifest`);
* :func:`verify_batch` reruns a batch (or takes a second folder) and compares the results
  (:mod:`cmqual.batch.verify`);
* :func:`project_root` is what notebooks call to resolve their path parameters.

Importing this package is cheap: papermill, nbformat and Dask load only when used.
"""

from cmqual.batch.params import Parameter, check_parameters, notebook_parameters
from cmqual.batch.result import BatchResult, RunError, RunResult
from cmqual.batch.runner import run_batch
from cmqual.batch.spec import BatchSpec, RunSpec, load_batch, project_root, run_id
from cmqual.batch.verify import RunComparison, VerifyResult, verify_batch

__all__ = [
    "BatchResult",
    "BatchSpec",
    "Parameter",
    "RunComparison",
    "RunError",
    "RunResult",
    "RunSpec",
    "VerifyResult",
    "check_parameters",
    "load_batch",
    "notebook_parameters",
    "project_root",
    "run_batch",
    "run_id",
    "verify_batch",
]
