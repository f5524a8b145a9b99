"""Writing a report's files (the only part of :mod:`cmqual.reporting` that touches disk)."""

from __future__ import annotations

import re
from pathlib import Path

from cmqual.errors import InputFileError
from cmqual.io.tables import atomic_path, check_output_path, write_table, write_text
from cmqual.reporting.model import Report

__all__ = ["write_bytes", "write_report"]

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file-name-safe version of ``name`` (letters, digits, ``.``, ``_``, ``-``)."""
    return _SAFE.sub("_", name).strip("._") or "table"


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically (see :func:`cmqual.io.tables.atomic_path`)."""
    path = check_output_path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_report(report: Report, out_dir: str | Path) -> list[Path]:
    """Write every format of ``report`` into ``out_dir`` (see :meth:`Report.write`)."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputFileError(f"{out}: is a file; give a folder for the report")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "tables").mkdir(exist_ok=True)
    paths = [
        write_text(out / "report.html", report.to_html()),
        write_text(out / "report.md", report.to_markdown("figures")),
        write_bytes(out / "report.docx", report.to_docx()),
        write_text(out / "provenance.json", report.provenance_json()),
    ]
    for fig in report.figures:
        paths.append(write_bytes(out / "figures" / f"{fig.name}.png", fig.png))
        paths.append(write_bytes(out / "figures" / f"{fig.name}.svg", fig.svg))
    for name, table in sorted(report.tables.items()):
        paths.append(write_table(table, out / "tables" / f"{safe_name(name)}.csv"))
    return sorted(paths)
