"""Executing one run: the function that worker processes (or Dask workers) call.

A run writes into ``outputs/<batch>/.incomplete/<run id>/`` and, finished or failed, is
moved to ``outputs/<batch>/<run id>/`` (:func:`install`): an interrupted batch leaves the
previous folder of every unfinished run untouched. Inside a run folder:

``<notebook name>.ipynb``
    the executed notebook (papermill's output, with the error marked when a cell failed);
``results/``
    the files the notebook wrote into its ``output_dir`` parameter;
``manifest.json``
    see :mod:`cmqual.batch.manifest`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import multiprocessing.util
import os
import platform
import shutil
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqual.batch.kernel import (
    KERNEL_NAME,
    KernelPool,
    StartedKernel,
    kernel_env,
    skip_slow_optional_imports,
    start_kernel,
)
from cmqual.batch.manifest import (
    MANIFEST,
    RESULTS,
    environment,
    hash_results,
    manifest_bytes,
)
from cmqual.batch.result import COMPLETED, FAILED, RunError, RunResult
from cmqual.batch.spec import OUTPUT_PARAMETER

__all__ = ["RunTask", "execute_run", "init_worker", "install", "recover", "run_task"]

INCOMPLETE = ".incomplete"
REPLACED = ".replaced"
ENGINE = "cmqual"
_POOL: KernelPool | None = None


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (plain data, picklable)."""

    batch: str
    run_id: str
    notebook: str
    parameters: Mapping[str, Any]
    root: str
    batch_dir: str
    notebook_sha256: str
    inputs: tuple[Mapping[str, Any], ...]
    defaults: Mapping[str, str]
    fingerprint: str
    pass_output_dir: bool = True
    timeout: float | None = None
    prestart_next: bool = True


def init_worker(root: str, preload: tuple[str, ...] = ()) -> None:
    """Initialise a batch worker process: register the engine, start the first kernel."""
    global _POOL
    # Ctrl-C reaches the whole process group; the parent decides what to stop, and a
    # worker must not turn an interrupt into a "failed" run that replaces good results.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    skip_slow_optional_imports()
    _register_engine()
    _POOL = KernelPool(Path(root), preload)
    _POOL.prestart()
    # multiprocessing children leave through os._exit, which skips atexit; Finalize runs.
    multiprocessing.util.Finalize(_POOL, _POOL.close, exitpriority=50)


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    if ENGINE in papermill_engines._engines:
        return

    class StartedKernelEngine(NBClientEngine):
        """papermill's nbclient engine on a kernel the caller started (``km``)."""

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = 60,
                                     execution_timeout: float | None = None, km: Any = None,
                                     partial_path: str | None = None, **kwargs: Any) -> Any:
            client = PapermillNotebookClient(
                nb_man, km=km, kernel_name=kernel_name, timeout=execution_timeout,
                startup_timeout=start_timeout, log=logging.getLogger("papermill"),
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            try:
                return client.execute()
            except Exception:
                # A timeout or a dead kernel: keep what ran, for the person debugging it.
                # (papermill itself saves the notebook when a cell raises.)
                if partial_path:
                    import nbformat

                    nbformat.write(nb_man.nb, partial_path)
                raise
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, StartedKernelEngine)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


def _rel_or_abs(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def execute_run(task: RunTask) -> RunResult:
    """Execute one run into its staging folder, write its manifest and move it into place.

    A failing notebook gives a ``failed`` result, not an exception; only an interrupt
    (``KeyboardInterrupt``) propagates, leaving the previous run folder untouched.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _register_engine()
    root, batch_dir = Path(task.root), Path(task.batch_dir)
    stage, final = batch_dir / INCOMPLETE / task.run_id, batch_dir / task.run_id
    if stage.exists():
        shutil.rmtree(stage)
    (stage / RESULTS).mkdir(parents=True)
    injected = ({OUTPUT_PARAMETER: _rel_or_abs(stage / RESULTS, root)}
                if task.pass_output_dir else {})
    executed = stage / Path(task.notebook).name
    started, t0 = _now(), time.perf_counter()
    pool = _POOL if _POOL is not None and _POOL.root == root else None
    kernel: StartedKernel = pool.take(task.prestart_next) if pool else start_kernel(root)
    error: RunError | None = None
    try:
        papermill.execute_notebook(
            str(root / task.notebook), str(executed),
            parameters={**task.parameters, **injected}, engine_name=ENGINE,
            kernel_name=KERNEL_NAME, progress_bar=False, log_output=False,
            # one write at the end instead of one per cell; see StartedKernelEngine for
            # timeouts and dead kernels
            request_save_on_cell_execute=False, partial_path=str(executed),
            execution_timeout=task.timeout, km=kernel.km)
    except PapermillExecutionError as exc:
        error = RunError(_source_index(executed, exc.cell_index), exc.exec_count,
                         _first_line(exc.source), exc.ename, str(exc.evalue))
    except KeyboardInterrupt:
        kernel.shutdown()
        shutil.rmtree(stage, ignore_errors=True)
        raise
    except Exception as exc:  # timeout, dead kernel, unreadable notebook: a failed run
        error = _other_error(exc, executed, kernel)
    finally:
        kernel.shutdown()
    seconds = time.perf_counter() - t0
    _tidy_notebook(executed, task, root, final)
    results = hash_results(stage / RESULTS)
    status = FAILED if error else COMPLETED
    manifest = {
        "cmqual_manifest": 1,
        "batch": task.batch,
        "run_id": task.run_id,
        "status": status,
        "notebook": {"path": task.notebook, "sha256": task.notebook_sha256},
        "executed_notebook": executed.name if executed.exists() else None,
        "parameters": dict(task.parameters),
        "injected": injected,
        "defaults": dict(task.defaults),
        "inputs": list(task.inputs),
        "fingerprint": task.fingerprint,
        "results": results,
        "error": error.to_dict() if error else None,
        "environment": environment(kernel_env(root)),
        "timing": {"started": started, "finished": _now(), "seconds": round(seconds, 3)},
        "host": platform.node(),
    }
    (stage / MANIFEST).write_bytes(manifest_bytes(manifest))
    install(stage, final, batch_dir)
    return RunResult(task.run_id, task.notebook, task.parameters, status, final, seconds,
                     error, {k: v["sha256"] for k, v in results.items()})


def run_task(task: RunTask) -> RunResult:
    """:func:`execute_run`, turning any unexpected error into a failed run.

    Worker processes and Dask call this, so one broken run (a full disk, a bug) is reported
    with the others instead of stopping the batch.
    """
    try:
        return execute_run(task)
    except Exception as exc:  # reported as the run's error
        shutil.rmtree(Path(task.batch_dir) / INCOMPLETE / task.run_id, ignore_errors=True)
        final = Path(task.batch_dir) / task.run_id
        return RunResult(task.run_id, task.notebook, task.parameters, FAILED, final, 0.0,
                         RunError(None, None, "", type(exc).__name__, str(exc)))


def _other_error(exc: Exception, executed: Path, kernel: StartedKernel) -> RunError:
    """Describe an error papermill did not attribute to a cell (timeouts, dead kernels)."""
    lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
    message = lines[0] if lines else ""
    if type(exc).__name__ == "DeadKernelError":
        tail = kernel.log_tail()  # why it died, e.g. a crash in compiled code
        message = f"{message}\n{tail}" if tail else message
    index, count, source = None, None, ""
    if executed.exists():  # the partial notebook: the last cell papermill started
        import nbformat

        try:
            cells = nbformat.read(str(executed), as_version=4).cells
        except Exception:  # the error itself is what matters
            cells = []
        started = [i for i, c in enumerate(cells)
                   if c.get("metadata", {}).get("papermill", {}).get("status")
                   not in (None, "pending")]
        if started:
            cell = cells[started[-1]]
            index = _source_index(executed, started[-1])
            count, source = cell.get("execution_count"), _first_line(cell.source)
    return RunError(index, count, source, type(exc).__name__, message)


def _first_line(source: str) -> str:
    for line in str(source).splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


def _source_index(executed: Path, index: int | None) -> int | None:
    """Index of a cell in the source notebook, from its index in papermill's output
    (which has the injected-parameters cell; error-marker cells come later)."""
    if index is None:
        return None
    import nbformat

    try:
        nb = nbformat.read(str(executed), as_version=4)
    except Exception:  # the index as papermill gave it is still useful
        return index
    cells = [c for c in nb.cells
             if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    injected = [i for i, c in enumerate(cells)
                if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    return index - 1 if injected and injected[0] < index else index


def _tidy_notebook(executed: Path, task: RunTask, root: Path, final: Path) -> None:
    """Record the source and final paths (not the staging folder) in papermill's metadata."""
    if not executed.exists():
        return
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    meta = nb.metadata.get("papermill")
    if meta is None:
        return
    meta["input_path"] = task.notebook
    meta["output_path"] = _rel_or_abs(final / executed.name, root)
    nbformat.write(nb, str(executed))


def install(stage: Path, final: Path, batch_dir: Path) -> None:
    """Move a finished run folder into place, replacing the previous one.

    The previous folder is first renamed into ``.replaced/``; :func:`recover` puts it back
    if the process dies between the two renames.
    """
    old = None
    if final.exists():
        old = batch_dir / REPLACED / final.name
        old.parent.mkdir(exist_ok=True)
        if old.exists():
            shutil.rmtree(old)
        os.rename(final, old)
    os.rename(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def recover(batch_dir: Path) -> None:
    """Undo what an interrupted batch left: restore replaced runs, drop staging folders."""
    replaced = batch_dir / REPLACED
    if replaced.is_dir():
        for old in replaced.iterdir():
            target = batch_dir / old.name
            if target.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(old, target)
        shutil.rmtree(replaced, ignore_errors=True)
    shutil.rmtree(batch_dir / INCOMPLETE, ignore_errors=True)
