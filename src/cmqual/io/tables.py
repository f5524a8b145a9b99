"""Writing result tables and text files atomically and deterministically.

Every write goes to a temporary file in the target folder and is moved into place with
``os.replace``, so an interrupted run leaves the previous file intact. Output formats are
chosen by extension: ``.csv`` (UTF-8, ``\\n`` line ends), ``.parquet``, ``.xlsx``.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from cmqual.errors import ConfigError, InputFileError
from cmqual.io._stablezip import stable_zip

__all__ = ["TABLE_EXTENSIONS", "atomic_path", "read_table", "write_table", "write_text"]

TABLE_EXTENSIONS = (".csv", ".parquet", ".xlsx")


def check_output_path(path: str | Path, extensions: tuple[str, ...] | None = None) -> Path:
    """Check an output path's folder exists and its extension is allowed."""
    path = Path(path)
    if extensions is not None and path.suffix.lower() not in extensions:
        raise ConfigError(
            f"cannot write {str(path)!r}: use one of the extensions {', '.join(extensions)}"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputFileError(
            f"cannot write {str(path)!r}: folder {str(parent)!r} does not exist; create it first"
        )
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it over ``path`` on success.

    The file gets permissions ``mode`` (0644: readable by others, like a normally created
    file; give 0o600 for secrets such as a pseudonymisation key).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (``\\n`` line ends)."""
    path = check_output_path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``.csv``, ``.parquet`` or ``.xlsx`` atomically."""
    path = check_output_path(path, TABLE_EXTENSIONS)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8")
        elif suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            _write_xlsx(frame, tmp)
    return path


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        ws.append([None if _isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
    wb.properties.creator = "cmqual"
    buffer = io.BytesIO()
    wb.save(buffer)
    # openpyxl stamps the time of saving on the zip entries and the "modified" property
    path.write_bytes(stable_zip(buffer.getvalue()))


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a ``.csv``, ``.parquet`` or ``.xlsx`` table written by cmqual (or by a person).

    CSV cells are read as text except the integer columns ``start``/``end``; blanks stay
    empty strings so quotes and labels are never turned into numbers or NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"table {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix not in TABLE_EXTENSIONS:
        raise ConfigError(
            f"cannot read {str(path)!r}: use one of the extensions {', '.join(TABLE_EXTENSIONS)}"
        )
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError) as exc:
        raise ConfigError(f"cannot read table {str(path)!r}: {exc}") from None
    for col in ("start", "end", "n_words", "turn", "paragraph"):
        if col in frame.columns:
            converted = pd.to_numeric(frame[col], errors="coerce")
            if converted.notna().all():
                frame[col] = converted.astype("int64")
    return frame
