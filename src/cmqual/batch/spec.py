"""Batch files: reading, validating and expanding them into runs.

A batch file is YAML in ``batches/`` (see ``batches/demo.yaml``)::

    name: demo                  # optional; the output folder outputs/<name>/ (default: file stem)
    description: ...            # optional
    root: ..                    # optional; project root, relative to this file (see below)
    workers: 2                  # optional; worker processes (default: number of cores)
    timeout: 600                # optional; seconds a single cell may run
    preload: [cmqual]           # optional; modules each spare kernel imports ahead of its run
    defaults:                   # optional; parameters given to every run
      corpus: corpora/sample
    inputs: [codebooks]         # optional; extra files/folders every run depends on
    runs:
      - notebook: notebooks/01_corpus_overview.ipynb
        parameters: {seed: 1}           # fixed values for this entry
        sets:                           # explicit parameter sets ...
          - {level: turn}
          - {level: sentence}
        grid:                           # ... and/or a grid (cartesian product)
          min_words: [0, 5]
        inputs: [corpora/extra.csv]     # optional; extra inputs of this entry

An entry may also be just the notebook path (one run with the notebook's defaults). Each
entry gives ``len(sets or [{}]) * product(len(v) for v in grid.values())`` runs, each
with the parameters ``defaults | parameters | set | grid point`` (later wins), where
``defaults`` holds only the names the entry's notebook declares (a default no notebook
declares is an error).

Values are what YAML gives: text, numbers, true/false, null, lists, mappings (quote dates).
They are checked against the notebook's ``parameters`` cell before anything runs (see
:mod:`cmqual.batch.params`). ``output_dir`` is not set in a batch file: the runner passes
each run its own folder through it, so every notebook should declare ``output_dir`` and
write its result files there.

Paths
-----
Every path in a batch file (notebooks, path-valued parameters, inputs) is relative to the
*project root*: the folder that holds ``batches/`` (so ``batches/demo.yaml`` has the root
``.``), or the batch file's own folder when it is not in a folder named ``batches``; the
``root`` key overrides this (relative to the batch file). Runs execute with the project root
as working directory and with the environment variable ``CMQUAL_PROJECT_ROOT`` set to it;
notebooks call :func:`cmqual.batch.project_root` to find it, so they run the same way from
JupyterLab (working directory ``notebooks/``) and from a batch.

Run ids
-------
``<notebook stem>-<first 10 hex digits of the SHA-256 of the canonical JSON of
{"notebook": path, "parameters": parameters}>`` (sorted keys, no spaces): the same notebook
and parameters always land in the same ``outputs/<batch>/<run id>/`` folder.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmqual.errors import BatchError, InputFileError

__all__ = [
    "OUTPUT_PARAMETER",
    "ROOT_ENV",
    "BatchSpec",
    "RunSpec",
    "canonical_json",
    "load_batch",
    "project_root",
    "run_id",
]

#: Parameter through which the runner tells a notebook where to write its result files.
OUTPUT_PARAMETER = "output_dir"
#: Environment variable holding the project root while a batch runs a notebook.
ROOT_ENV = "CMQUAL_PROJECT_ROOT"

_BATCH_KEYS = ("name", "description", "root", "workers", "timeout", "preload", "defaults",
               "inputs", "runs")
_MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_RUN_KEYS = ("notebook", "parameters", "sets", "grid", "inputs")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ROOT_MARKERS = ("batches", "notebooks")


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the form that run ids and fingerprints hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def run_id(notebook: str, parameters: Mapping[str, object]) -> str:
    """The id of a run: notebook stem plus a short hash of notebook path and parameters.

    Examples
    --------
    >>> run_id("notebooks/01_corpus_overview.ipynb", {"level": "turn"})[:19]
    '01_corpus_overview-'
    """
    key = canonical_json({"notebook": notebook, "parameters": dict(parameters)})
    return f"{Path(notebook).stem}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def project_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The project root that notebook parameters are relative to.

    Inside a batch run this is ``$CMQUAL_PROJECT_ROOT`` (set by the runner). Otherwise it is
    the first of ``start`` (default: the working directory) and its parents that holds a
    ``batches/`` or ``notebooks/`` folder, so a notebook opened from ``notebooks/`` in
    JupyterLab finds the repository root.

    Raises
    ------
    InputFileError
        No such folder is found.

    Examples
    --------
    In a notebook, right after the ``parameters`` cell::

        ROOT = project_root()
        corpus = read_corpus(ROOT / corpus)   # absolute paths are kept as they are
    """
    env = os.environ.get(ROOT_ENV)
    if env and start is None:
        return Path(env)
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / m).is_dir() for m in _ROOT_MARKERS):
            return folder
    raise InputFileError(
        f"cannot find the project root from {here}: no folder above it has a 'batches' or "
        f"'notebooks' folder; set {ROOT_ENV} or start from inside the project"
    )


@dataclass(frozen=True)
class RunSpec:
    """One notebook with one parameter set.

    Attributes
    ----------
    run_id : str
        See :func:`run_id`; also the run's folder name.
    notebook : str
        Notebook path relative to the project root (POSIX slashes).
    parameters : Mapping
        Parameters the batch gives (the notebook's defaults fill in the rest).
    inputs : tuple of str
        Extra input paths declared in the batch file (relative to the project root).
    """

    run_id: str
    notebook: str
    parameters: Mapping[str, Any]
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", dict(self.parameters))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (as stored in ``batch.json``)."""
        return {"run_id": self.run_id, "notebook": self.notebook,
                "parameters": dict(self.parameters), "inputs": list(self.inputs)}


@dataclass(frozen=True)
class BatchSpec:
    """A validated batch: its name, project root and expanded runs.

    Build one with :func:`load_batch`.
    """

    name: str
    root: Path
    runs: tuple[RunSpec, ...]
    source: Path | None = None
    description: str = ""
    workers: int | None = None
    timeout: float | None = None
    inputs: tuple[str, ...] = field(default=())
    preload: tuple[str, ...] = field(default=())

    def notebook_path(self, run: RunSpec) -> Path:
        """Absolute path of a run's notebook."""
        return self.root / run.notebook

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, stored as ``outputs/<batch>/batch.json`` for verification."""
        return {
            "cmqual_batch": 1,
            "name": self.name,
            "description": self.description,
            "root": str(self.root),
            "source": str(self.source) if self.source else None,
            "workers": self.workers,
            "timeout": self.timeout,
            "inputs": list(self.inputs),
            "preload": list(self.preload),
            "runs": [r.to_dict() for r in self.runs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=data["name"], root=Path(data["root"]),
            runs=tuple(RunSpec(r["run_id"], r["notebook"], r["parameters"],
                               tuple(r.get("inputs", ()))) for r in data["runs"]),
            source=Path(data["source"]) if data.get("source") else None,
            description=data.get("description") or "", workers=data.get("workers"),
            timeout=data.get("timeout"), inputs=tuple(data.get("inputs", ())),
            preload=tuple(data.get("preload", ())),
        )

    def __repr__(self) -> str:
        return f"<BatchSpec {self.name!r}: {len(self.runs)} runs, root {str(self.root)!r}>"


def load_batch(batch: str | os.PathLike[str] | Mapping[str, Any], *,
               root: str | os.PathLike[str] | None = None, check: bool = True) -> BatchSpec:
    """Read a batch file (or a mapping of the same shape), validate it and expand its runs.

    Parameters
    ----------
    batch : path or mapping
        A YAML batch file (see :mod:`cmqual.batch.spec` for the format), or its content as
        a dict (``name`` defaults to ``"batch"`` and the root to the working directory).
    root : path, optional
        Project root; overrides the ``root`` key and the default.
    check : bool
        Also check every parameter set against its notebook's ``parameters`` cell
        (:func:`cmqual.batch.check_parameters`).

    Returns
    -------
    BatchSpec

    Raises
    ------
    BatchError
        One error listing every problem: unknown keys, missing notebooks, values that are
        not JSON, duplicate runs, unknown parameter names, wrong types, missing required
        values.
    InputFileError
        The batch file does not exist.

    Examples
    --------
    >>> spec = load_batch("batches/demo.yaml")          # doctest: +SKIP
    >>> [r.run_id for r in spec.runs]                    # doctest: +SKIP
    """
    if isinstance(batch, Mapping):
        data: Any = batch
        source, label = None, "batch spec"
        base = Path(root) if root is not None else Path.cwd()
        default_name = "batch"
    else:
        source = Path(batch)
        if not source.is_file():
            raise InputFileError(f"batch file {str(source)!r} does not exist")
        data = _read_yaml(source)
        label = source.name
        base = source.resolve().parent
        default_name = source.stem
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise BatchError(f"{label}: must be a mapping with a 'runs' list, not "
                         f"{type(data).__name__}")
    for key in data:
        if key not in _BATCH_KEYS:
            problems.append(f"{label}: unknown key {key!r}; keys: {', '.join(_BATCH_KEYS)}")
    project = _project(base, data.get("root"), root, source is not None, label, problems)
    name = data.get("name", default_name)
    if not isinstance(name, str) or not _NAME_RE.match(name):
        problems.append(f"{label}: name {name!r} must be letters, digits, '.', '_' or '-' "
                        "(it names the output folder)")
    workers = data.get("workers")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or workers < 1):
        problems.append(f"{label}: workers must be a positive integer, not {workers!r}")
    timeout = data.get("timeout")
    if timeout is not None and (not isinstance(timeout, int | float) or isinstance(timeout, bool)
                                or timeout <= 0):
        problems.append(f"{label}: timeout must be a positive number of seconds, not "
                        f"{timeout!r}")
    preload = data.get("preload") or []
    if isinstance(preload, str):
        preload = [preload]
    if not isinstance(preload, list) or not all(
            isinstance(m, str) and _MODULE_RE.match(m) for m in preload):
        problems.append(f"{label}: preload must be a list of module names, e.g. [cmqual]")
        preload = []
    defaults = _mapping(data.get("defaults"), f"{label} defaults", problems)
    inputs = _paths(data.get("inputs"), f"{label} inputs", project, problems)
    runs_data = data.get("runs")
    runs: list[RunSpec] = []
    if not isinstance(runs_data, list) or not runs_data:
        problems.append(f"{label}: needs a non-empty 'runs' list, each item with a 'notebook'")
        runs_data = []
    used_defaults: set[str] = set()
    for i, entry in enumerate(runs_data):
        runs.extend(_expand(entry, f"{label} runs[{i}]", defaults, project, problems,
                            used_defaults))
    if runs:
        problems.extend(f"{label}: defaults.{k} is not a parameter of any notebook in the batch"
                        for k in defaults if k not in used_defaults)
    seen: dict[str, RunSpec] = {}
    for r in runs:
        if r.run_id in seen:
            problems.append(f"{label}: {r.notebook} with {canonical_json(dict(r.parameters))} "
                            "is listed twice; remove one")
        seen[r.run_id] = r
    if check and not problems:
        from cmqual.batch.params import batch_parameter_problems

        problems.extend(batch_parameter_problems(project, runs, label))
    if problems:
        raise BatchError(f"{label}: {len(problems)} problem(s); nothing was run", problems)
    return BatchSpec(name=name, root=project, runs=tuple(seen.values()), source=source,
                     description=str(data.get("description") or ""), workers=workers,
                     timeout=float(timeout) if timeout is not None else None,
                     inputs=tuple(inputs), preload=tuple(preload))


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BatchError(f"{path.name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
                         ) from None
    except UnicodeDecodeError as exc:
        raise BatchError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                         ) from None


def _project(base: Path, key: object, override: object, from_file: bool, label: str,
             problems: list[str]) -> Path:
    if override is not None:
        return Path(override).resolve()  # type: ignore[arg-type]
    if key is not None:
        if not isinstance(key, str):
            problems.append(f"{label}: root must be a path, not {key!r}")
            return base
        folder = (base / key).resolve()
        if not folder.is_dir():
            problems.append(f"{label}: root {key!r} is not a folder (it is relative to the "
                            "batch file)")
        return folder
    if from_file and base.name == "batches":
        return base.parent
    return base


def _mapping(value: object, label: str, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{label}: must be a mapping of parameter names to values, not "
                        f"{type(value).__name__}")
        return {}
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not k.isidentifier():
            problems.append(f"{label}: {k!r} is not a parameter name (a Python identifier)")
            continue
        problem = _json_problem(v)
        if problem:
            problems.append(f"{label}.{k}: {problem}")
            continue
        out[k] = v
    return out


def _json_problem(value: object) -> str | None:
    """Why ``value`` cannot be a notebook parameter (None when it can)."""
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} is not a finite number"
    if isinstance(value, _dt.date | _dt.datetime):
        return f"{value} is read by YAML as a date; quote it ('{value}') to pass text"
    if isinstance(value, list):
        for item in value:
            problem = _json_problem(item)
            if problem:
                return problem
        return None
    if isinstance(value, Mapping):
        for k, item in value.items():
            if not isinstance(k, str):
                return f"key {k!r} must be text"
            problem = _json_problem(item)
            if problem:
                return problem
        return None
    return (f"{value!r} ({type(value).__name__}) is not a parameter value: use text, numbers, "
            "true/false, null, lists or mappings")


def _paths(value: object, label: str, project: Path, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{label}: must be a list of paths relative to the project root")
        return []
    for v in value:
        if not (project / v).exists():
            problems.append(f"{label}: {v!r} does not exist under {project}")
    return list(value)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path.resolve())


def _expand(entry: object, label: str, defaults: Mapping[str, Any], project: Path,
            problems: list[str], used_defaults: set[str]) -> list[RunSpec]:
    if isinstance(entry, str):
        entry = {"notebook": entry}
    if not isinstance(entry, Mapping):
        problems.append(f"{label}: must be a mapping with a 'notebook' key")
        return []
    n_before = len(problems)
    for key in entry:
        if key not in _RUN_KEYS:
            problems.append(f"{label}: unknown key {key!r}; keys: {', '.join(_RUN_KEYS)}")
    notebook = entry.get("notebook")
    nb_rel = ""
    if not isinstance(notebook, str) or not notebook:
        problems.append(f"{label}: needs 'notebook', a path relative to the project root")
    else:
        path = project / notebook
        if path.suffix != ".ipynb":
            problems.append(f"{label}: notebook {notebook!r} must be an .ipynb file")
        elif not path.is_file():
            problems.append(f"{label}: notebook {notebook!r} does not exist under {project}")
        nb_rel = _rel(path, project)
    fixed = _mapping(entry.get("parameters"), f"{label}.parameters", problems)
    sets_data = entry.get("sets")
    sets: list[dict[str, Any]] = [{}]
    if sets_data is not None:
        if not isinstance(sets_data, list) or not sets_data:
            problems.append(f"{label}.sets: must be a non-empty list of parameter mappings")
        else:
            sets = [_mapping(s, f"{label}.sets[{j}]", problems) for j, s in enumerate(sets_data)]
    grid_data = entry.get("grid")
    grid: dict[str, list[Any]] = {}
    if grid_data is not None:
        if not isinstance(grid_data, Mapping) or not grid_data:
            problems.append(f"{label}.grid: must map parameter names to lists of values")
        else:
            for k, values in grid_data.items():
                if not isinstance(values, list) or not values:
                    problems.append(f"{label}.grid.{k}: must be a non-empty list of values, "
                                    f"e.g. [{values!r}]")
                    continue
                if not isinstance(k, str) or not k.isidentifier():
                    problems.append(f"{label}.grid: {k!r} is not a parameter name (a Python "
                                    "identifier)")
                    continue
                bad = [p for p in map(_json_problem, values) if p]
                problems.extend(f"{label}.grid.{k}: {p}" for p in bad)
                grid[k] = values
    inputs = _paths(entry.get("inputs"), f"{label}.inputs", project, problems)
    if len(problems) > n_before:
        return []
    # defaults go to the notebooks that declare them, so one batch can mix notebooks
    try:
        from cmqual.batch.params import notebook_parameters

        declared = notebook_parameters(project / nb_rel)
    except BatchError:
        declared = {}  # reported by the parameter check
    shared = {k: v for k, v in defaults.items() if k in declared}
    used_defaults.update(shared)
    names = list(grid)
    runs = []
    for s in sets:
        for point in itertools.product(*(grid[n] for n in names)):
            params = {**shared, **fixed, **s, **dict(zip(names, point, strict=True))}
            runs.append(RunSpec(run_id(nb_rel, params), nb_rel, params, tuple(inputs)))
    return runs
