"""Verifying a batch: rerun it (or take a second batch folder) and compare, run by run.

Result files must be byte-identical. Executed notebooks are compared on what they show,
not on their bytes: for every cell its type, source and outputs, where

* papermill's injected-parameters cell is compared without its source (it holds the
  run's ``output_dir``, which differs between two output folders);
* notebook and cell metadata are ignored (papermill's start/end times and durations,
  JupyterLab's execution timings);
* ``execution_count`` is ignored (of cells and of ``execute_result`` outputs);
* consecutive stream outputs of the same stream are joined, since how the kernel splits
  printed text into messages depends on timing.

Everything else (text, HTML, images, errors) must be equal. Manifests are not compared
(they hold times and host names) except for their status and input fingerprint, which
are reported.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqual.batch.manifest import RESULTS, hash_results, read_manifest
from cmqual.batch.runner import BATCH_JSON, run_batch
from cmqual.batch.spec import BatchSpec
from cmqual.errors import BatchError, InputFileError

__all__ = ["RunComparison", "VerifyResult", "notebook_differences", "verify_batch"]


@dataclass(frozen=True)
class RunComparison:
    """How one run compares between the reference folder and the candidate.

    Attributes
    ----------
    run_id : str
    status : tuple of (str or None, str or None)
        Run status in the reference and the candidate (None: the run is missing there).
    differing : tuple of str
        Result files present in both whose bytes differ.
    only_in_reference, only_in_candidate : tuple of str
        Result files present on one side only.
    notebook : tuple of str
        Differences between the executed notebooks (empty when they match); cells are
        numbered from 1 in the executed notebook, whose injected-parameters cell counts.
    inputs_changed : bool
        The two manifests have different input fingerprints (notebook, parameters or
        input files changed in between), which explains differences.
    """

    run_id: str
    status: tuple[str | None, str | None]
    differing: tuple[str, ...] = ()
    only_in_reference: tuple[str, ...] = ()
    only_in_candidate: tuple[str, ...] = ()
    notebook: tuple[str, ...] = ()
    inputs_changed: bool = False

    @property
    def identical(self) -> bool:
        """True when status, every result file and the notebook's outputs match."""
        return (self.status[0] == self.status[1] and None not in self.status
                and not (self.differing or self.only_in_reference or self.only_in_candidate
                         or self.notebook))

    def describe(self) -> str:
        """One line per difference under a headline."""
        if self.identical:
            return f"{self.run_id}: identical"
        if None in self.status:
            side = "reference" if self.status[0] is None else "candidate"
            return f"{self.run_id}: DIFFERS: missing in the {side}"
        lines = [f"{self.run_id}: DIFFERS"
                 + (" (its inputs changed since the reference ran)" if self.inputs_changed
                    else "")]
        if self.status[0] != self.status[1]:
            lines.append(f"    status {self.status[0]} -> {self.status[1]}")
        lines += [f"    differs: {f}" for f in self.differing]
        lines += [f"    only in reference: {f}" for f in self.only_in_reference]
        lines += [f"    only in candidate: {f}" for f in self.only_in_candidate]
        lines += [f"    notebook: {d}" for d in self.notebook]
        return "\n".join(lines)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify_batch`.

    Attributes
    ----------
    reference : Path
        The batch folder that was checked.
    candidate : str
        The folder compared with, or ``"rerun"`` when the batch was run again into a
        temporary folder (deleted afterwards).
    runs : tuple of RunComparison
    """

    reference: Path
    candidate: str
    runs: tuple[RunComparison, ...]

    @property
    def ok(self) -> bool:
        """True when every run is identical."""
        return all(r.identical for r in self.runs)

    @property
    def differing(self) -> tuple[RunComparison, ...]:
        return tuple(r for r in self.runs if not r.identical)

    def summary(self) -> str:
        """A line per run, then the verdict."""
        lines = [r.describe() for r in self.runs]
        n = len(self.differing)
        against = "a rerun" if self.candidate == "rerun" else self.candidate
        lines.append(f"{len(self.runs) - n} of {len(self.runs)} runs identical to {against}"
                     + (f"; {n} differ" if n else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<VerifyResult {str(self.reference)!r}: {len(self.runs) - len(self.differing)}"
                f" of {len(self.runs)} runs identical>")

    def _repr_html_(self) -> str:
        rows = []
        for r in self.runs:
            colour = "#1b5e20" if r.identical else "#b00020"
            detail = html.escape(r.describe().split("\n", 1)[1] if "\n" in r.describe()
                                 else "").replace("\n", "<br>")
            rows.append(f"<tr><td><code>{html.escape(r.run_id)}</code></td>"
                        f"<td style='color:{colour}'>"
                        f"{'identical' if r.identical else 'differs'}</td>"
                        f"<td>{detail}</td></tr>")
        return (f"<div><strong>cmqual verify {html.escape(str(self.reference))}</strong>"
                f"<table><tr><th>run</th><th>result</th><th>differences</th></tr>"
                f"{''.join(rows)}</table></div>")


def verify_batch(path: str | os.PathLike[str], against: str | os.PathLike[str] | None = None,
                 *, workers: int | None = None, scheduler: Any = None,
                 progress: bool | None = None) -> VerifyResult:
    """Check that a batch's outputs are reproducible.

    Parameters
    ----------
    path : path
        A batch output folder, ``outputs/<batch>``.
    against : path, optional
        A second batch folder to compare with. Without it the batch (as recorded in
        ``<path>/batch.json``) runs again into a temporary folder, which is deleted after.
    workers, scheduler, progress
        As for :func:`cmqual.batch.run_batch`, for the rerun.

    Returns
    -------
    VerifyResult
        ``result.ok`` is False when any run differs.

    Examples
    --------
    >>> print(verify_batch("outputs/demo").summary())       # doctest: +SKIP
    """
    reference = Path(path)
    if not reference.is_dir():
        raise InputFileError(f"batch folder {str(reference)!r} does not exist")
    if against is not None:
        other = Path(against)
        if not other.is_dir():
            raise InputFileError(f"batch folder {str(other)!r} does not exist")
        ids = sorted(set(_run_ids(reference)) | set(_run_ids(other)))
        return VerifyResult(reference, str(other),
                            tuple(compare_runs(reference / i, other / i) for i in ids))
    spec_file = reference / BATCH_JSON
    try:
        spec = BatchSpec.from_dict(json.loads(spec_file.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        raise BatchError(f"{reference} has no readable {BATCH_JSON}; is it a folder written "
                         "by 'cmqual batch run'? Use --against to compare two folders") from None
    if not spec.root.is_dir():
        raise BatchError(f"{spec_file}: project root {spec.root} no longer exists")
    tmp = Path(tempfile.mkdtemp(prefix="cmqual-verify-"))
    try:
        rerun = run_batch(spec, workers=workers, scheduler=scheduler, out_root=tmp,
                          progress=progress)
        ids = [r.run_id for r in spec.runs]
        return VerifyResult(reference, "rerun", tuple(
            compare_runs(reference / i, rerun.directory / i) for i in ids))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run_ids(batch_dir: Path) -> list[str]:
    return [p.name for p in batch_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file()]


def compare_runs(a: Path, b: Path) -> RunComparison:
    """Compare one run folder with another (see the module docs for the rules)."""
    ma, mb = read_manifest(a), read_manifest(b)
    status = (ma.get("status") if ma else None, mb.get("status") if mb else None)
    if ma is None or mb is None:
        return RunComparison(a.name, status)
    ra, rb = hash_results(a / RESULTS), hash_results(b / RESULTS)
    differing = tuple(f for f in sorted(set(ra) & set(rb)) if ra[f]["sha256"] != rb[f]["sha256"])
    nb_a, nb_b = ma.get("executed_notebook"), mb.get("executed_notebook")
    if nb_a and nb_b:
        notebook = tuple(notebook_differences(a / nb_a, b / nb_b))
    else:
        notebook = () if nb_a == nb_b else ("executed notebook missing on one side",)
    return RunComparison(
        a.name, status, differing, tuple(sorted(set(ra) - set(rb))),
        tuple(sorted(set(rb) - set(ra))), notebook,
        ma.get("fingerprint") != mb.get("fingerprint"))


def _normal_outputs(outputs: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in outputs:
        o = {k: v for k, v in dict(o).items() if k not in ("execution_count", "transient")}
        if o.get("output_type") == "stream":
            text = "".join(o.get("text", ""))
            if out and out[-1].get("output_type") == "stream" and out[-1]["name"] == o["name"]:
                out[-1]["text"] += text
                continue
            o["text"] = text
        out.append(json.loads(json.dumps(o, sort_keys=True)))
    return out


def _normal_cells(path: Path) -> list[tuple[str, str, list[dict[str, Any]]]]:
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        source = "" if "injected-parameters" in tags else "".join(cell.source)
        cells.append((cell.cell_type, source, _normal_outputs(cell.get("outputs", []))))
    return cells


def notebook_differences(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> list[str]:
    """Where two executed notebooks differ in what they show (empty list: they match)."""
    try:
        ca, cb = _normal_cells(Path(a)), _normal_cells(Path(b))
    except Exception as exc:  # an unreadable notebook is a difference
        return [f"cannot read the executed notebook ({exc})"]
    problems = []
    if len(ca) != len(cb):
        problems.append(f"{len(ca)} cells vs {len(cb)}")
    for i, (x, y) in enumerate(zip(ca, cb, strict=False)):
        if x[0] != y[0] or x[1] != y[1]:
            problems.append(f"cell {i + 1}: source differs")
        elif x[2] != y[2]:
            problems.append(f"cell {i + 1}: outputs differ")
    return problems
