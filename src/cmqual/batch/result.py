"""What a batch returns: one :class:`RunResult` per run inside a :class:`BatchResult`."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmqual.batch.spec import canonical_json

__all__ = ["BatchResult", "RunError", "RunResult"]

COMPLETED, FAILED, SKIPPED = "completed", "failed", "skipped"


@dataclass(frozen=True)
class RunError:
    """Why a run failed: the failing cell and the error.

    Attributes
    ----------
    cell_index : int or None
        0-based index of the failing cell in the source notebook (markdown cells count),
        None when no cell was running (the kernel did not start, ...). Messages show it
        1-based: "cell 4".
    execution_count : int or None
        The ``In [n]`` number of the failing cell.
    cell : str
        The failing cell's first source line.
    ename, evalue : str
        Exception class name and message.
    """

    cell_index: int | None
    execution_count: int | None
    cell: str
    ename: str
    evalue: str

    @property
    def last_line(self) -> str:
        """The error's last line, as a traceback ends: ``ValueError: message``."""
        lines = [x for x in str(self.evalue).strip().splitlines() if x.strip()]
        tail = lines[-1].strip() if lines else ""
        return f"{self.ename}: {tail}" if tail else self.ename

    @property
    def where(self) -> str:
        """``cell 4 (In [5]): first line`` or ``before any cell ran``.

        The ``In [n]`` count is the executed notebook's, where papermill's injected
        parameters cell also counts."""
        if self.cell_index is None:
            return "before any cell ran"
        count = f" (In [{self.execution_count}])" if self.execution_count is not None else ""
        return f"cell {self.cell_index + 1}{count}: {self.cell}"

    def to_dict(self) -> dict[str, Any]:
        return {"cell_index": self.cell_index, "execution_count": self.execution_count,
                "cell": self.cell, "ename": self.ename, "evalue": self.evalue,
                "last_line": self.last_line}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RunError | None:
        if not data:
            return None
        return cls(data.get("cell_index"), data.get("execution_count"), data.get("cell", ""),
                   data.get("ename", ""), data.get("evalue", ""))


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run.

    Attributes
    ----------
    run_id, notebook : str
    parameters : Mapping
        Parameters the batch gave.
    status : {"completed", "failed", "skipped"}
        ``skipped``: ``--resume`` found a completed run with the same inputs.
    directory : Path
        ``outputs/<batch>/<run id>``.
    seconds : float
        Wall time of the run (0 for skipped runs).
    error : RunError or None
    results : Mapping[str, str]
        Result file (relative to ``directory / "results"``) → SHA-256.
    """

    run_id: str
    notebook: str
    parameters: Mapping[str, Any]
    status: str
    directory: Path
    seconds: float = 0.0
    error: RunError | None = None
    results: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", dict(self.parameters))
        object.__setattr__(self, "results", dict(self.results))

    @property
    def ok(self) -> bool:
        """True unless the run failed."""
        return self.status != FAILED

    def describe(self) -> str:
        """Multi-line description used in summaries."""
        lines = [f"{self.run_id}  {self.notebook}  {canonical_json(dict(self.parameters))}"]
        if self.error is not None:
            lines += [f"    {self.error.where}", f"    {self.error.last_line}"]
        return "\n".join(lines)


@dataclass(frozen=True)
class BatchResult:
    """The outcome of :func:`cmqual.batch.run_batch`.

    Attributes
    ----------
    name : str
        Batch name.
    directory : Path
        ``outputs/<batch>``.
    runs : tuple of RunResult
        In the batch file's order.
    seconds : float
        Wall time of the whole batch.
    workers : int
        Worker processes used (0 with a Dask scheduler).
    scheduler : str or None
        Dask scheduler address, when one was used.
    """

    name: str
    directory: Path
    runs: tuple[RunResult, ...]
    seconds: float
    workers: int
    scheduler: str | None = None

    @property
    def failed(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.status == FAILED)

    @property
    def completed(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.status == COMPLETED)

    @property
    def skipped(self) -> tuple[RunResult, ...]:
        return tuple(r for r in self.runs if r.status == SKIPPED)

    @property
    def ok(self) -> bool:
        """True when no run failed."""
        return not self.failed

    def summary(self) -> str:
        """Totals, then each failed run with its parameters, failing cell and error."""
        where = f"scheduler {self.scheduler}" if self.scheduler else f"{self.workers} workers"
        lines = [f"batch {self.name}: {len(self.completed)} completed, {len(self.failed)} "
                 f"failed, {len(self.skipped)} skipped in {self.seconds:.1f} s ({where}); "
                 f"outputs in {self.directory}"]
        if self.failed:
            lines.append(f"{len(self.failed)} of {len(self.runs)} runs failed:")
            lines += ["  " + r.describe().replace("\n", "\n  ") for r in self.failed]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<BatchResult {self.name!r}: {len(self.completed)} completed, "
                f"{len(self.failed)} failed, {len(self.skipped)} skipped>")

    def _repr_html_(self) -> str:
        rows = []
        for r in self.runs:
            colour = {"failed": "#b00020", "skipped": "#666"}.get(r.status, "#1b5e20")
            err = html.escape(f"{r.error.where} — {r.error.last_line}") if r.error else ""
            rows.append(
                f"<tr><td><code>{html.escape(r.run_id)}</code></td>"
                f"<td>{html.escape(r.notebook)}</td>"
                f"<td><code>{html.escape(canonical_json(dict(r.parameters)))}</code></td>"
                f"<td style='color:{colour}'>{r.status}</td><td>{r.seconds:.1f}</td>"
                f"<td>{len(r.results)}</td><td>{err}</td></tr>")
        head = ("<tr><th>run</th><th>notebook</th><th>parameters</th><th>status</th>"
                "<th>s</th><th>files</th><th>error</th></tr>")
        return (f"<div><strong>cmqual batch {html.escape(self.name)}</strong> "
                f"({html.escape(str(self.directory))})<table>{head}{''.join(rows)}</table>"
                "</div>")
