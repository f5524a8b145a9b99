"""A notebook's declared parameters and checking values against them.

Parameters are the assignments in the cell tagged ``parameters``, as
:func:`papermill.inspect_notebook` reads them, completed by a parse of the cell with
:mod:`ast` (papermill's pattern skips some annotations, e.g. ``str | None``)::

    corpus: str = "corpora/sample"   # corpus folder, relative to the project root
    level = "turn"                   # no annotation: the default's type is the type
    coders: list[str] = ["A", "B"]
    codebook: str = None             # required: default None, annotation without None
    note: Optional[str] = None       # optional: None is allowed

Type rules
----------
The annotation decides; without one the default's type does (``0`` → int, ``0.5`` →
float, ``"x"`` → str, ``[]`` → list, ``{}`` → dict; ``None`` or an expression → any).
``float`` accepts integers, ``int`` does not accept ``true``/``false``; ``Path`` accepts
text; ``list[X]``, ``dict[str, X]``, ``Optional[X]``, ``X | Y``, ``Union`` and ``Literal``
are understood; any other annotation accepts every value.

Required values
---------------
A parameter is required when its default is ``None`` and its annotation does not allow
``None`` (``codebook: str = None``). Such a notebook does not run with its defaults, so
keep required parameters for notebooks that are only meant to run from a batch.
"""

from __future__ import annotations

import ast
import difflib
import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqual.batch.spec import OUTPUT_PARAMETER, RunSpec, canonical_json
from cmqual.errors import BatchError

__all__ = ["Parameter", "check_parameters", "notebook_parameters"]

_SIMPLE: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "list": (list,),
    "dict": (dict,), "tuple": (list,), "Path": (str,), "PurePath": (str,),
    "PathLike": (str,), "List": (list,), "Dict": (dict,), "Tuple": (list,),
    "Sequence": (list,), "Mapping": (dict,), "NoneType": (type(None),),
}
_SEQUENCES = {"list", "List", "Sequence", "tuple", "Tuple", "Iterable", "Collection"}
_MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping"}


@dataclass(frozen=True)
class Parameter:
    """One parameter declared in a notebook's ``parameters`` cell.

    Attributes
    ----------
    name : str
    annotation : str
        The annotation as written ("" when there is none).
    default : str
        The default value's source text.
    help : str
        The comment after the assignment.
    """

    name: str
    annotation: str = ""
    default: str = "None"
    help: str = ""

    @property
    def default_value(self) -> Any:
        """The default as a Python value (``None`` when it is not a literal)."""
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None

    @property
    def type_text(self) -> str:
        """The type values are checked against ("" when anything goes)."""
        if self.annotation:
            return self.annotation
        value = self.default_value
        if value is None or not isinstance(value, bool | int | float | str | list | dict):
            return ""
        return type(value).__name__

    @property
    def required(self) -> bool:
        """True when the default is ``None`` and the annotation does not allow ``None``."""
        return (self.default.strip() == "None" and bool(self.annotation)
                and _accepts(_parse(self.annotation), None) is False)

    def problem(self, value: object) -> str | None:
        """Why ``value`` does not fit this parameter (None when it does)."""
        if value is None and self.required:
            return f"parameter {self.name!r} is required (its default is None)"
        node = _parse(self.type_text)
        if node is None or _accepts(node, value) is not False:
            return None
        origin = "" if self.annotation else f" (the type of its default {self.default})"
        return (f"parameter {self.name!r} = {_short(value)} ({_kind(value)}) is not "
                f"{self.type_text}{origin}")


def _short(value: object) -> str:
    text = canonical_json(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    return {type(None): "null", bool: "bool", int: "int", float: "float", str: "text",
            list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


@functools.lru_cache(maxsize=256)
def _parse(annotation: str) -> ast.expr | None:
    if not annotation:
        return None
    try:
        return ast.parse(annotation.strip().strip("'\""), mode="eval").body
    except SyntaxError:
        return None


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.Optional, pathlib.Path
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _combine(results: Iterable[bool | None]) -> bool | None:
    """True if any branch accepts, False if all reject, None (unknown) otherwise."""
    results = list(results)
    if any(r is True for r in results):
        return True
    if results and all(r is False for r in results):
        return False
    return None


def _every(results: Iterable[bool | None]) -> bool | None:
    """False if any item is rejected, True if all are accepted, None otherwise."""
    results = list(results)
    if any(r is False for r in results):
        return False
    return True if all(r is True for r in results) else None


def _accepts(node: ast.expr | None, value: object) -> bool | None:
    """Does the annotation ``node`` accept ``value``? ``None`` means it cannot tell."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and node.value is None:
        return value is None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _combine([_accepts(node.left, value), _accepts(node.right, value)])
    if isinstance(node, ast.Subscript):
        base = _name(node.value)
        args = (list(node.slice.elts) if isinstance(node.slice, ast.Tuple)
                else [node.slice])
        if base == "Optional":
            return True if value is None else _accepts(args[0], value)
        if base == "Union":
            return _combine(_accepts(a, value) for a in args)
        if base == "Literal":
            literals = [a.value for a in args if isinstance(a, ast.Constant)]
            return value in literals and type(value) in {type(x) for x in literals}
        if base in _SEQUENCES:
            if not isinstance(value, list):
                return False
            return _every(_accepts(args[0], v) for v in value)
        if base in _MAPPINGS:
            if not isinstance(value, dict):
                return False
            return _every(_accepts(args[-1], v) for v in value.values())
        return None
    name = _name(node)
    if name in ("Any", "object"):
        return True
    if name not in _SIMPLE:
        return None
    kinds = _SIMPLE[name]
    if isinstance(value, bool) and bool not in kinds:
        return False  # True is an int to Python, but not to a researcher
    return isinstance(value, kinds)


def _parameters_cell(nb: Any) -> Any | None:
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def _ast_parameters(source: str) -> dict[str, Parameter]:
    """Assignments in the parameters cell, for names papermill's pattern misses."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    lines = source.splitlines()
    out: dict[str, Parameter] = {}
    for stmt in tree.body:
        target, annotation, value = None, "", None
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, annotation, value = stmt.target.id, ast.unparse(stmt.annotation), stmt.value
        elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
              and isinstance(stmt.targets[0], ast.Name)):
            target, value = stmt.targets[0].id, stmt.value
        if target is None:
            continue
        line = lines[stmt.lineno - 1] if stmt.lineno - 1 < len(lines) else ""
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        out[target] = Parameter(target, annotation,
                                ast.unparse(value) if value is not None else "None", comment)
    return out


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, Parameter]:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Uses :func:`papermill.inspect_notebook` and adds assignments its pattern misses.

    Raises
    ------
    BatchError
        The notebook cannot be read or has no cell tagged ``parameters``.

    Examples
    --------
    >>> params = notebook_parameters("notebooks/01_corpus_overview.ipynb")  # doctest: +SKIP
    >>> params["corpus"].default                                            # doctest: +SKIP
    "'corpora/sample'"
    """
    path = Path(notebook)
    try:
        key = _file_key(path)
    except OSError:
        raise BatchError(f"notebook {str(path)!r} does not exist") from None
    return dict(_notebook_parameters(key))


@functools.lru_cache(maxsize=64)
def _notebook_parameters(key: tuple[str, int, int]) -> tuple[tuple[str, Parameter], ...]:
    import nbformat
    import papermill

    path = key[0]
    name = Path(path).name
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad files
        raise BatchError(f"{name}: cannot be read as a notebook ({exc})") from None
    cell = _parameters_cell(nb)
    if cell is None:
        raise BatchError(f"{name}: has no cell tagged 'parameters'; add the tag to the cell "
                         "that sets the defaults (View > Cell toolbar > Tags in JupyterLab)")
    try:
        found = papermill.inspect_notebook(path)
    except Exception as exc:  # e.g. ValueError for a notebook without kernelspec language
        raise BatchError(f"{name}: papermill cannot read its parameters ({exc})") from None
    extra = _ast_parameters(cell.source)
    out = {p.name: p for p in (
        Parameter(n, "" if v["inferred_type_name"] == "None" else v["inferred_type_name"],
                  v["default"], v["help"]) for n, v in found.items())}
    for n, p in extra.items():
        if n not in out:
            out[n] = p
        elif not out[n].annotation and p.annotation:
            out[n] = Parameter(n, p.annotation, out[n].default, out[n].help)
    return tuple(out.items())


def parameter_problems(declared: Mapping[str, Parameter], parameters: Mapping[str, object],
                       ) -> list[str]:
    """Every problem with one parameter set (unknown names, wrong types, missing values)."""
    problems = []
    for name, value in parameters.items():
        if name == OUTPUT_PARAMETER:
            problems.append(f"parameter {name!r} is set by the batch runner (each run writes "
                            "into its own folder); remove it from the batch file")
            continue
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown parameter {name!r}{hint}; the notebook declares: "
                            f"{', '.join(declared) or '(none)'}")
            continue
        problem = declared[name].problem(value)
        if problem:
            problems.append(problem)
    for name, p in declared.items():
        if p.required and name not in parameters:
            problems.append(f"parameter {name!r} is required (its default is None) but the "
                            "batch gives no value")
    return problems


def check_parameters(notebook: str | os.PathLike[str],
                     parameters: Mapping[str, object] | Sequence[Mapping[str, object]]) -> None:
    """Check parameter sets against a notebook's ``parameters`` cell; raise on any problem.

    Parameters
    ----------
    notebook : path
        The notebook.
    parameters : mapping or list of mappings
        One parameter set, or several.

    Raises
    ------
    BatchError
        Lists every unknown name, wrong type and missing required value of every set.

    Examples
    --------
    >>> check_parameters("notebooks/01_corpus_overview.ipynb",
    ...                  [{"level": "turn"}, {"levle": "sentence"}])   # doctest: +SKIP
    Traceback (most recent call last):
    BatchError: 01_corpus_overview.ipynb: 1 parameter problem(s)
      - set 2: unknown parameter 'levle' (did you mean 'level'?); ...
    """
    sets = [parameters] if isinstance(parameters, Mapping) else list(parameters)
    declared = notebook_parameters(notebook)
    problems = [f"set {i + 1}: {p}" if len(sets) > 1 else p
                for i, s in enumerate(sets) for p in parameter_problems(declared, s)]
    if problems:
        raise BatchError(f"{Path(notebook).name}: {len(problems)} parameter problem(s)",
                         problems)


def batch_parameter_problems(root: Path, runs: Sequence[RunSpec], label: str) -> list[str]:
    """Problems of every run of a batch, each distinct problem once with its count."""
    counts: dict[str, int] = {}
    declared_by_nb: dict[str, dict[str, Parameter] | None] = {}
    for run in runs:
        if run.notebook not in declared_by_nb:
            try:
                declared_by_nb[run.notebook] = notebook_parameters(root / run.notebook)
            except BatchError as exc:
                counts[f"{label}: {exc}"] = 0
                declared_by_nb[run.notebook] = None
        declared = declared_by_nb[run.notebook]
        if declared is None:
            continue
        for p in parameter_problems(declared, run.parameters):
            key = f"{label}: {run.notebook}: {p}"
            counts[key] = counts.get(key, 0) + 1
    n_runs = {nb: sum(r.notebook == nb for r in runs) for nb in declared_by_nb}
    out = []
    for key, n in counts.items():
        nb = key.split(": ", 2)[1]
        if n and n_runs.get(nb, 1) > 1:
            key += f" (in {n} of {n_runs[nb]} parameter sets)"
        out.append(key)
    return out
