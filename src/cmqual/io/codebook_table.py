r"""Codebooks as spreadsheets: one row per code, in CSV or Excel (``.xlsx``).

For teams that keep and edit their codebook in a spreadsheet. The ``codes`` table has the
columns in :data:`TABLE_COLUMNS`, one row per code, parents before their children:

=================  ===========================================================================
column             content
=================  ===========================================================================
ref                ``<codebook id>/<path>``; written for reference, checked on import
parent             the parent code's *path* (``power``, ``power/line_management``); empty for
                   a top-level code
id                 the code's id (no ``/``); with ``parent`` it gives the code's place
label              the name people see
definition         free text
include ...        ``include``, ``exclude``, ``examples``, ``near_misses``, ``patterns``,
                   ``exclude_patterns``, ``sources``: lists, one item per line in the cell
speakers           ``all`` (or empty) or ``participants``
colour             ``#rrggbb`` or empty
memo               free text
=================  ===========================================================================

Lists in a cell
    One item per line. An item that itself has line breaks continues on the next lines,
    each indented by two spaces. Empty lines are ignored and items are trimmed, so a cell
    typed by hand just works; an item that must keep surrounding spaces, is empty or starts
    with a backslash is written with a backslash in front (``\  padded``, ``\``), and one
    leading backslash is removed on import.

CSV files are UTF-8 with a byte-order mark (so Excel shows accents), comma-separated,
quoted where needed, CRLF between rows (RFC 4180); a CSV holds only the codes table, so
reading one gives a codebook whose id comes from the ``ref`` column (or the file name),
whose title is that id, whose version is ``"1"`` and whose sources are the ids the codes
cite, with a placeholder citation. A line break inside a cell is read back as ``\n`` (a ``\r``
inside text becomes ``\n``). Excel files keep everything: a ``codes`` sheet, a ``codebook``
sheet (``field``/``value`` rows for id, title, version, description) and a ``sources`` sheet
(``id``, ``citation``, ``file``). Text is always stored as text (a cell starting with ``=``
is not a formula). Excel cells hold at most 32,767 characters.

Import checks every row and raises one :class:`~cmqual.errors.CodebookError` listing every
problem with its spreadsheet row number (the header is row 1) and column.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cmqual.codebook import Code, Codebook, Source, from_dict, to_dict
from cmqual.errors import CmqualWarning, CodebookError, ConfigError, ExchangeError, FormatError
from cmqual.io._stablezip import stable_zip
from cmqual.io._zipsafe import check_office_zip
from cmqual.io.encoding import decode_bytes
from cmqual.io.refi import slugify
from cmqual.io.tables import atomic_path, check_output_path
from cmqual.xmlsafe import read_limited

__all__ = ["LIST_COLUMNS", "TABLE_COLUMNS", "read_codebook_table", "write_codebook_table"]

#: Columns of the codes table, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "ref",
    "parent",
    "id",
    "label",
    "definition",
    "include",
    "exclude",
    "examples",
    "near_misses",
    "patterns",
    "exclude_patterns",
    "speakers",
    "colour",
    "sources",
    "memo",
)
#: Columns that hold lists (one item per line).
LIST_COLUMNS: tuple[str, ...] = (
    "include",
    "exclude",
    "examples",
    "near_misses",
    "patterns",
    "exclude_patterns",
    "sources",
)
_REQUIRED = ("id", "label")
_SPEAKERS = ("all", "participants")
_COLOUR_RE = re.compile(r"#[0-9A-Fa-f]{6}")  # what cmqual codebooks accept
_METADATA_FIELDS = ("id", "title", "version", "description")
_SOURCE_COLUMNS = ("id", "citation", "file")
_EXCEL_MAX_CELL = 32_767
# Fixed document properties and zip timestamps make .xlsx output byte-identical across runs.
_FIXED_TIME = datetime(2000, 1, 1)


# --------------------------------------------------------------------------------------------
# List cells
# --------------------------------------------------------------------------------------------


def _join_items(items: Iterable[str]) -> str:
    lines: list[str] = []
    for item in items:
        first, *rest = item.split("\n")
        if not first or first != first.strip() or first.startswith("\\"):
            first = "\\" + first
        lines.append(first)
        lines.extend(f"  {line}" for line in rest)
    return "\n".join(lines)


def _split_items(cell: str) -> tuple[str, ...]:
    items: list[str] = []
    for line in cell.split("\n"):
        if line.startswith("  ") and items:
            items[-1] += "\n" + line[2:]
        elif line.startswith("\\"):
            items.append(line[1:])
        elif line.strip():
            items.append(line.strip())
    return tuple(items)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def _walk(codes: Sequence[Code], parent: str = "") -> Iterator[tuple[Code, str]]:
    for code in codes:
        yield code, parent
        yield from _walk(code.codes, code.path)


def _rows(codebook: Codebook) -> list[list[str]]:
    rows = []
    for code, parent in _walk(codebook.codes):
        values = {
            "ref": code.ref,
            "parent": parent,
            "id": code.id,
            "label": code.label,
            "definition": code.definition,
            "speakers": code.speakers,
            "colour": code.colour,
            "memo": code.memo,
        }
        values.update({name: _join_items(getattr(code, name)) for name in LIST_COLUMNS})
        rows.append([values[c] for c in TABLE_COLUMNS])
    return rows


def write_codebook_table(codebook: Codebook, path: str | os.PathLike[str]) -> Path:
    """Write ``codebook`` as a spreadsheet, one row per code (``.csv`` or ``.xlsx``).

    Parameters
    ----------
    codebook : Codebook
        The codebook.
    path : path-like
        Destination; the extension (``.csv`` or ``.xlsx``) picks the format. The file is
        replaced atomically, and the same codebook always gives the same bytes.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigError
        The extension is neither ``.csv`` nor ``.xlsx``.
    ExchangeError
        (``.xlsx``) text Excel cannot store: control characters, cells over 32,767
        characters (all such cells are listed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> c = Code(id="power", label="Power", path="power", ref="cb/power", include=("a", "b"))
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cb.csv"
    >>> _ = write_codebook_table(Codebook(id="cb", title="CB", version="1", codes=(c,)), out)
    >>> out.read_text(encoding="utf-8-sig").splitlines()[1:3]
    ['cb/power,,power,Power,,"a', 'b",,,,,,all,,,']
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        data = _csv_bytes(codebook)
    elif suffix == ".xlsx":
        data = _xlsx_bytes(codebook)
    else:
        raise ConfigError(
            f"{path}: unknown table format {suffix or '(no extension)'!r}; use .csv or .xlsx"
        )
    target = check_output_path(path)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def _csv_bytes(codebook: Codebook) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TABLE_COLUMNS)
    writer.writerows(_rows(codebook))
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(codebook: Codebook) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    problems: list[str] = []
    workbook = Workbook()
    sheets = [
        ("codes", TABLE_COLUMNS, _rows(codebook)),
        (
            "codebook",
            ("field", "value"),
            [[name, getattr(codebook, name)] for name in _METADATA_FIELDS],
        ),
        ("sources", _SOURCE_COLUMNS, [[s.id, s.citation, s.file] for s in codebook.sources]),
    ]
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for index, (title, header, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.freeze_panes = "A2"
        for col, name in enumerate(header, start=1):
            sheet.cell(row=1, column=col, value=name).font = bold
            sheet.column_dimensions[sheet.cell(row=1, column=col).column_letter].width = (
                48 if name in ("definition", "memo", "citation", "value") else 24
            )
        for r, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                where = f"sheet {title}, row {r}, column {header[col - 1]}"
                bad = ILLEGAL_CHARACTERS_RE.search(value)
                if bad:
                    problems.append(
                        f"{where}: character U+{ord(bad.group()):04X} cannot be "
                        "stored in Excel; remove it"
                    )
                    continue
                if len(value) > _EXCEL_MAX_CELL:
                    problems.append(
                        f"{where}: {len(value)} characters; Excel cells hold at "
                        f"most {_EXCEL_MAX_CELL}; shorten it or use CSV"
                    )
                    continue
                cell = sheet.cell(row=r, column=col, value=value)
                cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
                cell.alignment = wrap
    if problems:
        raise ExchangeError(f"codebook {codebook.id!r} cannot be written as Excel", problems)
    props = workbook.properties
    props.creator = "cmqual"
    props.lastModifiedBy = "cmqual"
    props.title = codebook.title
    props.created = _FIXED_TIME
    props.modified = _FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue())


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def read_codebook_table(
    path: str | os.PathLike[str] | BinaryIO, *, format: str | None = None
) -> Codebook:
    """Read a codebook from a spreadsheet written by :func:`write_codebook_table` or by hand.

    Parameters
    ----------
    path : path-like or binary file object
        A ``.csv`` or ``.xlsx`` file (at most 50 MB).
    format : {"csv", "xlsx"}, optional
        Needed only for a file object without a name.

    Returns
    -------
    Codebook
        Codes in row order within each parent. See the module docstring for what a CSV
        cannot carry.

    Raises
    ------
    CodebookError
        Every problem in the table at once, each with row number and column: missing
        ``id``/``label`` columns (listing the columns present), empty ids or labels, ids
        with ``/``, a ``parent`` that is no code's path, a path used twice, a ``ref`` that
        does not match, unknown ``speakers``, colours that are not ``#rrggbb``. When those
        pass, the checks of :func:`cmqual.codebook.read_codebook` (id spelling, patterns,
        source ids...), each naming the row.
    FormatError
        The file cannot be read as CSV/Excel at all.

    Warns
    -----
    CmqualWarning
        Columns cmqual does not know are ignored.

    Examples
    --------
    >>> import io
    >>> table = "id,label,parent,include\\npower,Power,,\\nlm,Line management,power,\\"a\\nb\\"\\n"
    >>> cb = read_codebook_table(io.BytesIO(table.encode()), format="csv")
    >>> cb.codes[0].codes[0].ref, cb.codes[0].codes[0].include
    ('codebook/power/lm', ('a', 'b'))
    """
    data, label = read_limited(path)
    kind = (format or Path(label).suffix.lstrip(".")).lower()
    if kind == "csv":
        tables = {"codes": _read_csv(data, label)}
    elif kind == "xlsx":
        tables = _read_xlsx(data, label)
    else:
        raise ConfigError(
            f"{label}: unknown table format {kind or '(no extension)'!r}; use .csv or .xlsx "
            "(or pass format='csv' / 'xlsx' for a file object)"
        )
    return _build(tables, label)


def _read_csv(data: bytes, label: str) -> list[list[str]]:
    text = decode_bytes(data, label).text
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:  # Excel in some locales saves CSV with ";" or tabs
        delimiter = next((d for d in ";\t" if d in first_line), ",")
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise FormatError(f"{label}: cannot be read as CSV: {exc}") from None


def _read_xlsx(data: bytes, label: str) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    check_office_zip(data, label, kind=".xlsx", required="xl/workbook.xml", application="Excel")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FormatError(f"{label}: cannot be read as an Excel .xlsx file: {exc}") from None
    try:
        names = workbook.sheetnames
        tables = {}
        for name in ("codes", "codebook", "sources"):
            if name in names:
                tables[name] = _sheet_rows(workbook[name])
        if "codes" not in tables:
            tables["codes"] = _sheet_rows(workbook[names[0]])
    finally:
        workbook.close()
    return tables


def _sheet_rows(sheet: Any) -> list[list[str]]:
    rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Table:
    """Rows of one sheet as dicts, with the problems found while checking them."""

    def __init__(
        self,
        rows: list[list[str]],
        sheet: str,
        required: Sequence[str],
        known: Sequence[str],
        label: str,
        problems: list[str],
    ) -> None:
        self.sheet = sheet
        header = [h.strip() for h in rows[0]] if rows else []
        missing = [c for c in required if c not in header]
        if missing:
            present = ", ".join(h for h in header if h) or "(none)"
            problems.append(
                f"{sheet}: missing column(s) {', '.join(missing)}; columns present: {present}"
            )
        unknown = [h for h in header if h and h not in known]
        if unknown and not missing:  # with columns missing, the error lists them all
            warnings.warn(
                f"{label}: {sheet}: ignoring unknown column(s) {', '.join(unknown)}",
                CmqualWarning,
                stacklevel=4,
            )
        self.records: list[tuple[int, dict[str, str]]] = []
        if missing:
            return
        for number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            record = {
                name: row[i] if i < len(row) else ""
                for i, name in enumerate(header)
                if name in known
            }
            self.records.append((number, record))


def _build(tables: dict[str, list[list[str]]], label: str) -> Codebook:
    problems: list[str] = []
    codes = _Table(tables["codes"], "codes", _REQUIRED, TABLE_COLUMNS, label, problems)
    meta: dict[str, str] = {}
    if "codebook" in tables:
        meta_table = _Table(
            tables["codebook"], "codebook", ("field", "value"), ("field", "value"), label, problems
        )
        for number, record in meta_table.records:
            name = record["field"].strip()
            if name not in _METADATA_FIELDS:
                problems.append(
                    f"codebook row {number}, column field: unknown field {name!r}; "
                    f"use one of {', '.join(_METADATA_FIELDS)}"
                )
            else:
                meta[name] = record["value"]
    sources: list[Source] | None = None
    if "sources" in tables:
        sources = _read_sources(tables["sources"], label, problems)

    # Paths first (they may be referred to before they appear), then one pass of checks.
    by_row: list[tuple[int, str]] = []  # code-row problems, reported in row order

    def flag(number: int, column: str, message: str) -> None:
        by_row.append((number, f"row {number}, column {column}: {message}"))

    rows: list[tuple[int, dict[str, str], str]] = []
    row_of_path: dict[str, int] = {}
    for number, record in codes.records:
        code_id = record["id"].strip()
        parent = record.get("parent", "").strip().strip("/")
        path = f"{parent}/{code_id}" if parent else code_id
        if not code_id:
            flag(number, "id", "empty; every code needs an id")
        elif "/" in code_id:
            flag(
                number,
                "id",
                f"{code_id!r} contains '/'; put the parent's path in the parent column instead",
            )
        elif path in row_of_path:
            flag(
                number,
                "id",
                f"{code_id!r} is already used under the same parent on row "
                f"{row_of_path[path]}; ids must be unique among siblings",
            )
        else:
            row_of_path[path] = number
            rows.append((number, record, path))

    codebook_id = meta.get("id", "").strip() or _codebook_id_from_refs(rows, problems)
    if not codebook_id:
        stem = Path(label).stem if label not in ("<bytes>", "<stream>") else ""
        codebook_id = slugify(stem, sep="-") or "codebook"

    children: dict[str, list[str]] = {}
    fields_of: dict[str, dict[str, Any]] = {}
    for number, record, path in rows:
        parent = path.rpartition("/")[0]
        if parent and parent not in row_of_path:
            close = difflib.get_close_matches(parent, list(row_of_path), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            flag(number, "parent", f"no code has the path {parent!r}{hint}")
        if not record["label"].strip():
            flag(number, "label", "empty; every code needs a label")
        ref = record.get("ref", "").strip()
        if ref and ref != f"{codebook_id}/{path}":
            flag(
                number,
                "ref",
                f"{ref!r} does not match parent and id (expected "
                f"{codebook_id}/{path}); fix it or clear the cell",
            )
        speakers = record.get("speakers", "").strip() or "all"
        if speakers not in _SPEAKERS:
            flag(
                number,
                "speakers",
                f"{speakers!r}; use {' or '.join(_SPEAKERS)} (or leave it empty for all)",
            )
        colour = record.get("colour", "").strip()
        if colour and not _COLOUR_RE.fullmatch(colour):
            flag(number, "colour", f"{colour!r} is not a colour like #1f77b4")
        fields_of[path] = {
            "id": path.rpartition("/")[2],
            "label": record["label"],
            "path": path,
            "ref": f"{codebook_id}/{path}",
            "definition": record.get("definition", ""),
            "speakers": speakers,
            "colour": colour,
            "memo": record.get("memo", ""),
            **{name: _split_items(record.get(name, "")) for name in LIST_COLUMNS},
        }
        children.setdefault(parent, []).append(path)
    problems += [message for _, message in sorted(by_row, key=lambda p: p[0])]
    if problems:
        raise CodebookError(f"{label}: the codebook table has problems", problems)

    def build(path: str) -> Code:
        kids = tuple(build(child) for child in children.get(path, ()))
        return Code(**fields_of[path], codes=kids)

    top = tuple(build(path) for path in children.get("", ()))
    if sources is None:  # a CSV: cited ids only
        cited = dict.fromkeys(s for path in fields_of for s in fields_of[path]["sources"])
        note = f"(no citation in {Path(label).name})"
        sources = [Source(id=s, citation=f"{s} {note}") for s in cited]
    codebook = Codebook(
        id=codebook_id,
        title=meta.get("title", codebook_id),
        version=meta.get("version", "" if "codebook" in tables else "1"),
        description=meta.get("description", ""),
        sources=tuple(sources),
        codes=top,
    )
    return _validated(codebook, label, {f"{codebook_id}/{p}": n for p, n in row_of_path.items()})


def _validated(codebook: Codebook, label: str, row_of_ref: dict[str, int]) -> Codebook:
    """Apply cmqual's codebook checks (patterns, source ids...), naming rows in problems."""
    try:
        return from_dict(to_dict(codebook), name=label)
    except CodebookError as exc:
        problems = []
        for problem in exc.problems:
            text = problem.removeprefix(f"{label}: ")
            ref = text[5:].split(": ", 1)[0] if text.startswith("code ") else ""
            if ref in row_of_ref:
                text = f"row {row_of_ref[ref]} (code {ref}): {text.split(': ', 1)[1]}"
            problems.append(text)
        raise CodebookError(f"{label}: the codebook table has problems", problems) from None


def _codebook_id_from_refs(
    rows: Sequence[tuple[int, dict[str, str], str]], problems: list[str]
) -> str:
    found: dict[str, int] = {}
    for number, record, path in rows:
        ref = record.get("ref", "").strip()
        if ref.endswith(f"/{path}"):
            found.setdefault(ref[: -len(path) - 1], number)
    if len(found) > 1:
        listed = ", ".join(f"{cid!r} (row {n})" for cid, n in found.items())
        problems.append(f"column ref: refs name different codebooks: {listed}")
    return next(iter(found), "")


def _read_sources(rows: list[list[str]], label: str, problems: list[str]) -> list[Source]:
    table = _Table(rows, "sources", ("id", "citation"), _SOURCE_COLUMNS, label, problems)
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for number, record in table.records:
        source_id = record["id"].strip()
        where = f"sources row {number}"
        if not source_id:
            problems.append(f"{where}, column id: empty; every source needs an id")
            continue
        if source_id in seen:
            problems.append(
                f"{where}, column id: {source_id!r} is already used on row {seen[source_id]}"
            )
            continue
        seen[source_id] = number
        sources.append(
            Source(id=source_id, citation=record["citation"], file=record.get("file", ""))
        )
    return sources
