"""Running a batch: parallel worker processes or a Dask cluster, resume, progress.

:func:`run_batch` validates the batch (every problem at once, before anything runs),
hashes the inputs, skips runs that ``resume`` finds complete, then hands the runs to

* a pool of ``workers`` worker processes (forked from a fork server that has cmqual and
  papermill imported, or spawned where there is none; each worker keeps one kernel
  booting for its next run, see :mod:`cmqual.batch.kernel`), or
* a Dask distributed scheduler (``scheduler="tcp://host:8786"``): each run is one task.
  cmqual (with ipykernel) must be installed on the workers and the project folder must be
  at the same path on every worker (a shared file system), since runs read the notebook
  and inputs and write their folder there.

A failing notebook does not stop the others. Ctrl-C stops the workers; finished runs are
kept and unfinished ones leave their previous folders untouched.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sys
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cmqual.batch.execute import RunTask, init_worker, recover, run_task
from cmqual.batch.manifest import (
    RESULTS,
    candidate_paths,
    fingerprint,
    hash_file,
    hash_input,
    is_input_path,
    read_manifest,
)
from cmqual.batch.params import notebook_parameters
from cmqual.batch.result import COMPLETED, FAILED, SKIPPED, BatchResult, RunError, RunResult
from cmqual.batch.spec import OUTPUT_PARAMETER, BatchSpec, load_batch
from cmqual.errors import BatchError, CmqualWarning, ConfigError
from cmqual.io.tables import write_text

__all__ = ["default_workers", "run_batch"]

BATCH_JSON = "batch.json"
LOCK = ".lock"


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def run_batch(batch: str | os.PathLike[str] | Mapping[str, Any] | BatchSpec, *,
              workers: int | None = None, resume: bool = False, scheduler: Any = None,
              out_root: str | os.PathLike[str] = "outputs", progress: bool | None = None,
              timeout: float | None = None) -> BatchResult:
    """Run every notebook of a batch with each of its parameter sets.

    Parameters
    ----------
    batch : path, mapping or BatchSpec
        A batch file (``batches/demo.yaml``), its content as a dict, or a loaded spec.
    workers : int, optional
        Worker processes (default: the batch file's ``workers``, else the number of cores).
    resume : bool
        Skip runs whose manifest shows they completed with the same notebook, parameters
        and input hashes (and whose result files are all still there).
    scheduler : str or dask.distributed.Client, optional
        Submit each run to this Dask scheduler (``"tcp://host:8786"``) instead of local
        worker processes. Needs ``dask[distributed]``.
    out_root : path
        Where batch folders go; relative paths are relative to the project root. Runs land
        in ``<out_root>/<batch name>/<run id>/``.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal).
    timeout : float, optional
        Seconds a single cell may run (default: the batch file's ``timeout``, else none).

    Returns
    -------
    BatchResult
        Per-run results; ``result.ok`` is False when any run failed. Failures do not raise.

    Raises
    ------
    BatchError
        The batch file is invalid (every problem listed), another process is running the
        same batch, or Dask is not installed / the scheduler cannot be reached.

    Examples
    --------
    >>> result = run_batch("batches/demo.yaml", workers=2)   # doctest: +SKIP
    >>> print(result.summary())                              # doctest: +SKIP
    """
    spec = batch if isinstance(batch, BatchSpec) else load_batch(batch)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ConfigError(f"workers must be a positive integer, not {workers!r}")
    n_workers = workers or spec.workers or default_workers()
    timeout = timeout if timeout is not None else spec.timeout
    out = Path(out_root)
    out = (out if out.is_absolute() else spec.root / out).resolve()
    batch_dir = out / spec.name
    batch_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with _lock(batch_dir):
        recover(batch_dir)
        write_text(batch_dir / BATCH_JSON,
                   json.dumps(spec.to_dict(), sort_keys=True, indent=2, ensure_ascii=False)
                   + "\n")
        tasks, done = _plan(spec, batch_dir, timeout, resume)
        results: dict[str, RunResult] = {r.run_id: r for r in done}
        address = _address(scheduler) if scheduler is not None else None
        used = 0 if scheduler is not None else min(n_workers, len(tasks))
        if not tasks:
            stream: Iterator[RunResult] = iter(())
        elif scheduler is not None:
            stream = _run_dask(tasks, scheduler)
        else:
            stream = _run_local(tasks, used, spec.root, spec.preload)
        try:
            for r in _progress(stream, len(tasks), spec.name, progress):
                results[r.run_id] = r
        finally:
            recover(batch_dir)  # after an interrupt: drop staging folders of unfinished runs
    ordered = tuple(results[r.run_id] for r in spec.runs)
    return BatchResult(spec.name, batch_dir, ordered, time.perf_counter() - t0, used, address)


@contextlib.contextmanager
def _lock(batch_dir: Path) -> Iterator[None]:
    """One batch process per batch folder (a stale lock of a dead process is taken over)."""
    path = batch_dir / LOCK
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid = _lock_pid(path)
            if pid is not None and _alive(pid):
                raise BatchError(
                    f"batch folder {batch_dir} is in use by process {pid}; wait for it to "
                    f"finish (or delete {path} if that process is not a cmqual batch)"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        break
    else:  # pragma: no cover - another process won the race twice
        raise BatchError(f"could not lock batch folder {batch_dir}; try again")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _address(scheduler: Any) -> str:
    inner = getattr(scheduler, "scheduler", None)  # a dask Client
    return str(getattr(inner, "address", None) or scheduler)


def _lock_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _plan(spec: BatchSpec, batch_dir: Path, timeout: float | None,
          resume: bool) -> tuple[list[RunTask], list[RunResult]]:
    """Hash each run's inputs; return the runs to execute and those resume skips."""
    root = spec.root
    cache: dict[Path, dict[str, Any]] = {}

    def hashed(path: Path, parameter: str | None) -> dict[str, Any]:
        resolved = path.resolve()
        if resolved not in cache:
            cache[resolved] = hash_input(resolved, _rel_or_abs(resolved, root))
        return {**cache[resolved], "parameter": parameter}

    tasks: list[RunTask] = []
    skipped: list[RunResult] = []
    warned: set[str] = set()
    for run in spec.runs:
        nb_path = spec.notebook_path(run)
        declared = notebook_parameters(nb_path)
        defaults = {n: p.default for n, p in declared.items() if n != OUTPUT_PARAMETER}
        values = {n: p.default_value for n, p in declared.items()}
        values.update(run.parameters)
        inputs: dict[str, dict[str, Any]] = {}
        for name in sorted(values):
            if name == OUTPUT_PARAMETER:
                continue
            for text in candidate_paths(values[name]):
                path = root / text
                if is_input_path(path, root, [batch_dir]):
                    entry = hashed(path, name)
                    inputs.setdefault(entry["path"], entry)
        for text in (*spec.inputs, *run.inputs):
            entry = hashed(root / text, None)
            inputs.setdefault(entry["path"], entry)
        if OUTPUT_PARAMETER not in declared and run.notebook not in warned:
            warned.add(run.notebook)
            warnings.warn(
                f"{run.notebook} declares no {OUTPUT_PARAMETER!r} parameter, so its runs "
                "cannot hand result files to the batch; add one to its parameters cell",
                CmqualWarning, stacklevel=3)
        notebook = {"path": run.notebook, "sha256": hash_file(nb_path)}
        input_list = tuple(inputs[k] for k in sorted(inputs))
        fp = fingerprint(notebook, run.parameters, input_list)
        if resume and _complete(batch_dir / run.run_id, fp):
            skipped.append(_skipped_result(run.run_id, run.notebook, run.parameters,
                                           batch_dir / run.run_id))
            continue
        tasks.append(RunTask(
            batch=spec.name, run_id=run.run_id, notebook=run.notebook,
            parameters=dict(run.parameters), root=str(root), batch_dir=str(batch_dir),
            notebook_sha256=notebook["sha256"], inputs=input_list, defaults=defaults,
            fingerprint=fp, pass_output_dir=OUTPUT_PARAMETER in declared, timeout=timeout))
    return tasks, skipped


def _rel_or_abs(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _complete(run_dir: Path, fp: str) -> bool:
    manifest = read_manifest(run_dir)
    if not manifest or manifest.get("status") != COMPLETED or manifest.get("fingerprint") != fp:
        return False
    nb = manifest.get("executed_notebook")
    if not nb or not (run_dir / nb).is_file():
        return False
    for name, info in (manifest.get("results") or {}).items():
        path = run_dir / RESULTS / name
        if not path.is_file() or path.stat().st_size != info.get("bytes"):
            return False
    return True


def _skipped_result(run_id: str, notebook: str, parameters: Mapping[str, Any],
                    run_dir: Path) -> RunResult:
    manifest = read_manifest(run_dir) or {}
    results = {k: v["sha256"] for k, v in (manifest.get("results") or {}).items()}
    return RunResult(run_id, notebook, parameters, SKIPPED, run_dir, 0.0, None, results)


def _run_local(tasks: Sequence[RunTask], workers: int, root: Path,
               preload: Sequence[str]) -> Iterator[RunResult]:
    # The last `workers` runs need no spare kernel after them.
    tasks = [t if i < len(tasks) - workers else _no_prestart(t) for i, t in enumerate(tasks)]
    pool = _context().Pool(workers, initializer=init_worker, initargs=(str(root), tuple(preload)))
    try:
        yield from pool.imap_unordered(run_task, tasks, chunksize=1)
    except BaseException:
        pool.terminate()  # kernels notice their parent is gone and exit
        raise
    else:
        pool.close()
    finally:
        pool.join()


def _context() -> Any:
    """forkserver where available (fast worker start), else spawn; never plain fork,
    which is unsafe in a process with threads (Jupyter kernels, tqdm, Dask)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["cmqual.batch._preload"])
        return ctx
    return multiprocessing.get_context("spawn")


def _no_prestart(task: RunTask) -> RunTask:
    from dataclasses import replace

    return replace(task, prestart_next=False)


def _run_dask(tasks: Sequence[RunTask], scheduler: Any) -> Iterator[RunResult]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise BatchError(
            "a Dask scheduler was given, but dask.distributed is not installed; install it "
            "with: pip install 'dask[distributed]'"
        ) from None
    own = not isinstance(scheduler, Client)
    if own:
        try:
            client = Client(str(scheduler), timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    else:
        client = scheduler
    token = uuid.uuid4().hex[:8]
    futures: list[Any] = []
    try:
        futures = [client.submit(run_task, _no_prestart(t), pure=False,
                                 key=f"cmqual-{t.batch}-{t.run_id}-{token}") for t in tasks]
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            try:
                yield future.result()
            except Exception as exc:  # a lost worker fails its run only
                t = by_key[future.key]
                yield RunResult(t.run_id, t.notebook, t.parameters, FAILED,
                                Path(t.batch_dir) / t.run_id, 0.0,
                                RunError(None, None, "", type(exc).__name__, str(exc)))
    except BaseException:
        client.cancel(futures)  # interrupted: leave nothing queued on the cluster
        raise
    finally:
        if own:
            client.close()


def _progress(stream: Iterator[RunResult], total: int, name: str,
              show: bool | None) -> Iterator[RunResult]:
    if show is None:
        show = sys.stderr.isatty()
    if not show or not total:
        yield from stream
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=name, unit="run", file=sys.stderr) as bar:
        for r in stream:
            bar.update(1)
            if not r.ok:
                bar.set_postfix_str(f"{r.run_id} failed")
            yield r

