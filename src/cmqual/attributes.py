"""Case attributes: typing the columns of ``metadata.csv`` and ``speakers.csv``.

Types follow what NVivo and ATLAS.ti offer for case/document attributes (and what REFI-QDA
can carry): ``integer``, ``float``, ``date``, ``boolean``, ``category`` and ``text``.
Inference, on the non-blank values of a column:

* ``integer`` when every value is a whole number (``2023``, ``-4``);
* ``float`` when every value is a number (``3.5``);
* ``date`` when every value is an ISO date ``YYYY-MM-DD``;
* ``boolean`` when every value is one of true/false/yes/no (any case);
* ``category`` when every value is a short label (at most 60 characters and 6 words);
* ``text`` otherwise.

Blank cells are missing values. Any column's type can be overridden
(``attribute_types={"cohort": "category"}`` or ``--attr-type cohort=category``); a value
that does not fit the requested type is an error naming the file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from cmqual.errors import ConfigError

__all__ = ["ATTRIBUTE_TYPES", "coerce_column", "infer_type", "type_attributes"]

ATTRIBUTE_TYPES: tuple[str, ...] = ("integer", "float", "date", "boolean", "category", "text")
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BOOLS = {"true": True, "false": False, "yes": True, "no": False}


def infer_type(values: Sequence[str]) -> str:
    """Return the attribute type of a column of strings (blank = missing).

    >>> infer_type(["2021", "2023", ""])
    'integer'
    >>> infer_type(["FE", "HE", "school"])
    'category'
    """
    vals = [v.strip() for v in values if v is not None and v.strip()]
    if not vals:
        return "text"
    if all(_INT_RE.fullmatch(v) for v in vals):
        return "integer"
    if all(_FLOAT_RE.fullmatch(v) for v in vals):
        return "float"
    if all(_DATE_RE.fullmatch(v) for v in vals) and _dates_ok(vals):
        return "date"
    if all(v.lower() in _BOOLS for v in vals):
        return "boolean"
    if all(len(v) <= 60 and len(v.split()) <= 6 for v in vals):
        return "category"
    return "text"


def _dates_ok(vals: Sequence[str]) -> bool:
    try:
        pd.to_datetime(pd.Series(vals), format="%Y-%m-%d", errors="raise")
    except (ValueError, TypeError):
        return False
    return True


def coerce_column(values: Sequence[str], kind: str) -> tuple[pd.Series, list[tuple[int, str]]]:
    """Convert strings to a typed Series; return it and the ``(row, value)`` that failed."""
    if kind not in ATTRIBUTE_TYPES:
        raise ConfigError(
            f"attribute type {kind!r} is unknown; use one of {', '.join(ATTRIBUTE_TYPES)}"
        )
    clean = [None if v is None or not str(v).strip() else str(v).strip() for v in values]
    bad: list[tuple[int, str]] = []
    if kind == "integer":
        out = []
        for i, v in enumerate(clean):
            if v is not None and not _INT_RE.fullmatch(v):
                bad.append((i, v))
                v = None
            out.append(None if v is None else int(v))
        return pd.Series(out, dtype="Int64"), bad
    if kind == "float":
        out = []
        for i, v in enumerate(clean):
            if v is not None and not _FLOAT_RE.fullmatch(v):
                bad.append((i, v))
                v = None
            out.append(None if v is None else float(v))
        return pd.Series(out, dtype="Float64"), bad
    if kind == "date":
        out = []
        for i, v in enumerate(clean):
            ts = None
            if v is not None:
                ts = pd.to_datetime(v, format="%Y-%m-%d", errors="coerce")
                if pd.isna(ts) or not _DATE_RE.fullmatch(v):
                    bad.append((i, v))
                    ts = None
            out.append(ts)
        dates = pd.to_datetime(pd.Series(out, dtype="object"))
        return pd.Series(dates, dtype="datetime64[ns]"), bad
    if kind == "boolean":
        out = []
        for i, v in enumerate(clean):
            if v is not None and v.lower() not in _BOOLS:
                bad.append((i, v))
                v = None
            out.append(None if v is None else _BOOLS[v.lower()])
        return pd.Series(out, dtype="boolean"), bad
    if kind == "category":
        cats = sorted({v for v in clean if v is not None})
        return pd.Series(pd.Categorical(clean, categories=cats)), bad
    return pd.Series(clean, dtype="string"), bad


def type_attributes(table: pd.DataFrame, overrides: Mapping[str, str] | None = None,
                    *, source: str = "metadata.csv", header_lines: int = 1,
                    skip: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Type every column of a string table.

    Returns the typed table, the type chosen per column and the problems found (one line
    each: file, line, column, value, what to do).
    """
    overrides = dict(overrides or {})
    types: dict[str, str] = {}
    problems: list[str] = []
    out = {}
    for col in table.columns:
        values = table[col].tolist()
        if col in skip:
            out[col] = pd.Series(values, dtype="string")
            continue
        kind = overrides.get(col) or infer_type(values)
        series, bad = coerce_column(values, kind)
        for row, value in bad:
            problems.append(
                f"{source} line {row + 1 + header_lines}, column {col!r}: {value!r} is not "
                f"a valid {kind}" + (" (use YYYY-MM-DD)" if kind == "date" else "")
            )
        types[col] = kind
        out[col] = series
    return pd.DataFrame(out, index=table.index), types, problems
