"""The one-row-per-quote table: codings as researchers read, share and edit them.

:meth:`cmqual.project.Project.export_quotes` writes it as CSV or XLSX, and
:meth:`~cmqual.project.Project.import_quotes` reads codings a colleague added to it (in
Excel, say). Rows are sorted by document, offsets, code, coder and origin, so the same
codings always give the same file; creation times appear only when asked for.

Columns written
    ============== ============================================================================
    document       the document's file path in the corpus (its id if it has left the corpus)
    *attributes*   the document's case attributes from ``metadata.csv`` (an attribute whose
                   name is also a column below gets the prefix ``doc_``)
    speaker        speakers of the turns the quote overlaps, joined with "; "
    timestamp      start time of the first of those turns as ``HH:MM:SS`` ("" if none)
    code           the full code reference (``scoping-study/power/line_management``)
    code_level_1…  the reference split at "/": codebook, top-level code, sub-code, ...
    code_label     the code's label in its codebook ("" when unknown)
    quote          the quoted text: the document's text from ``start`` to ``end``
    start, end     0-based, end-exclusive character offsets into the document's text
    coder          who coded it
    origin         ``human``, ``auto``, ``suggestion`` or ``suggestion-accepted``
    memo           the coder's note on this coding
    stale          TRUE when the document's text has changed since (offsets are old)
    created        (only with ``include_times``) when the coding was made, UTC
    modified       (only with ``include_times``) when it was last changed, UTC
    ============== ============================================================================

Columns read back
    ``document`` (or ``doc``, ``doc_id``, ``file``): a document id or path; ``code`` (or, when
    it is blank, the ``code_level_*`` cells joined with "/"); ``coder``; and either
    ``start`` and ``end`` or ``quote`` (or ``text``). ``quote`` is checked against the text
    at the offsets; without offsets the quote is looked up in the document and must occur
    exactly once. ``origin`` (default ``human``) and ``memo`` are optional; every other
    column is ignored. Row numbers in messages are spreadsheet rows (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cmqual.errors import ConfigError, FormatError, InputFileError, ProjectError
from cmqual.io.encoding import decode_bytes, normalise_newlines
from cmqual.io.tables import check_output_path, write_table
from cmqual.io.tabular import _cell_str, _unescape_xlsx
from cmqual.tables import DOCUMENT_COLUMNS

__all__ = [
    "QUOTE_EXTENSIONS",
    "QuoteRow",
    "normalise_header",
    "quotes_table",
    "read_quotes",
    "resolve_quotes",
    "write_quotes",
]

QUOTE_EXTENSIONS = (".csv", ".xlsx")
_ORIGINS = ("human", "auto", "suggestion", "suggestion-accepted")
_MACHINE = ("auto", "suggestion")
_BEFORE = ("document",)
_AFTER = ("speaker", "timestamp", "code", "code_label", "quote", "start", "end", "coder",
          "origin", "memo", "stale", "created", "modified")
_ALIASES = {
    "document": ("document", "doc", "doc_id", "file", "filename", "file_name"),
    "code": ("code", "code_ref", "code_reference"),
    "coder": ("coder",),
    "quote": ("quote", "text", "quoted_text", "quotation"),
    "start": ("start",),
    "end": ("end",),
    "origin": ("origin",),
    "memo": ("memo",),
}
_LEVEL_RE = re.compile(r"code_level_(\d+)")


def normalise_header(name: object) -> str:
    """How a column name is matched: trimmed, lower case, spaces as underscores."""
    return re.sub(r"\s+", "_", str(name).strip().lower())


def _timestamp(seconds: float) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def quotes_table(codings: pd.DataFrame, documents: pd.DataFrame, *,
                 code_labels: Mapping[str, str] | None = None,
                 include_times: bool = False) -> pd.DataFrame:
    """Build the one-row-per-quote table (pure; see the module docstring for columns).

    Parameters
    ----------
    codings : DataFrame
        :meth:`Project.codings` columns plus ``timestamp`` (seconds, NaN when unknown).
    documents : DataFrame
        The corpus's documents table; columns after the built-in ones are attributes.
    code_labels : mapping, optional
        Code reference → label.
    include_times : bool
        Add ``created`` and ``modified``.

    Returns
    -------
    DataFrame
        One row per coding, sorted by document, start, end, code, coder, origin, memo.

    Examples
    --------
    >>> project.quotes().head()                                    # doctest: +SKIP
    """
    labels = code_labels or {}
    attrs = [c for c in documents.columns if c not in DOCUMENT_COLUMNS and c != "doc_id"]
    docs = documents.set_index("doc_id")
    levels = max([c.count("/") + 1 for c in codings["code"]] or [1])
    out = pd.DataFrame(index=codings.index)
    out["document"] = [d or i for d, i in zip(codings["doc"], codings["doc_id"], strict=True)]
    taken = set(_BEFORE) | set(_AFTER)
    for a in attrs:
        name = f"doc_{a}" if a in taken or _LEVEL_RE.fullmatch(str(a)) else str(a)
        values = codings["doc_id"].map(docs[a]) if len(codings) else docs[a].iloc[:0]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        out[name] = values.to_numpy() if len(codings) else pd.Series([], dtype=values.dtype)
    out["speaker"] = codings["speaker"].astype("string")
    out["timestamp"] = [_timestamp(t) for t in codings["timestamp"]]
    out["code"] = codings["code"].astype("string")
    parts = [str(c).split("/") for c in codings["code"]]
    for i in range(levels):
        out[f"code_level_{i + 1}"] = [p[i] if i < len(p) else "" for p in parts]
    out["code_label"] = [labels.get(str(c), "") for c in codings["code"]]
    out["quote"] = codings["text"].astype("string")
    out["start"] = codings["start"].astype("int64")
    out["end"] = codings["end"].astype("int64")
    for col in ("coder", "origin", "memo"):
        out[col] = codings[col].astype("string")
    out["stale"] = codings["stale"].astype("bool")
    if include_times:
        out["created"] = codings["created"].astype("string")
        out["modified"] = codings["modified"].astype("string")
    for col in ("document", "timestamp", "code_label"):
        out[col] = out[col].astype("string")
    for i in range(levels):
        out[f"code_level_{i + 1}"] = out[f"code_level_{i + 1}"].astype("string")
    out = out.sort_values(["document", "start", "end", "code", "coder", "origin", "memo"],
                          kind="mergesort")
    return out.reset_index(drop=True)


def write_quotes(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a quotes table to ``.csv`` (UTF-8) or ``.xlsx``, atomically."""
    path = check_output_path(path, QUOTE_EXTENSIONS)
    return write_table(table, path)


def read_quotes(path: str | Path) -> pd.DataFrame:
    """Read a quotes table (``.csv`` or ``.xlsx``, first sheet) as strings.

    Returns
    -------
    DataFrame
        Every cell as a string ("" when blank), column names as written, indexed by the
        spreadsheet row number (index name ``row``; the header is row 1). Blank rows are
        left out.

    Raises
    ------
    InputFileError
        The file does not exist.
    FormatError
        The file cannot be read, has no header or repeats a column name.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in QUOTE_EXTENSIONS:
        raise ConfigError(f"{path.name}: a quotes table must be .csv or .xlsx")
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    rows = _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    if not rows or not any(c.strip() for c in rows[0][1]):
        raise FormatError(f"{path.name}: has no header row")
    header = [c.strip() for c in rows[0][1]]
    dupes = sorted({c for c in header if c and header.count(c) > 1})
    if dupes:
        raise FormatError(f"{path.name}: column(s) {', '.join(dupes)} appear more than once")
    width = len(header)
    body = [(n, (cells + [""] * width)[:width]) for n, cells in rows[1:]
            if any(c.strip() for c in cells)]
    frame = pd.DataFrame([cells for _, cells in body], columns=header,
                         index=pd.Index([n for n, _ in body], name="row"), dtype=object)
    return frame.loc[:, [c for c in header if c]].fillna("")


def _read_csv(path: Path) -> list[tuple[int, list[str]]]:
    text = normalise_newlines(decode_bytes(path.read_bytes(), path.name).text)
    try:
        sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    try:
        return [(i, row) for i, row in enumerate(csv.reader(io.StringIO(text), delimiter=sep),
                                                 start=1)]
    except csv.Error as exc:
        raise FormatError(f"{path.name}: cannot be read as CSV ({exc})") from None


def _read_xlsx(path: Path) -> list[tuple[int, list[str]]]:
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # openpyxl's style/extension notes
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                sheet.reset_dimensions()
                return [(row[0].row if row and hasattr(row[0], "row") else n,
                         [_cell_str(_unescape_xlsx(c.value)) for c in row])
                        for n, row in enumerate(sheet.iter_rows(), start=1)]
            finally:
                book.close()
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, KeyError...)
        raise FormatError(f"{path.name}: cannot be read as an Excel workbook "
                          f"({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True)
class QuoteRow:
    """One validated row of an imported quotes table."""

    row: int
    doc_id: str
    start: int
    end: int
    code: str
    coder: str
    origin: str
    memo: str
    known: bool


def resolve_quotes(table: pd.DataFrame, *, texts: Mapping[str, str],
                   documents: Mapping[str, str], codes: Collection[str] | None = None,
                   known: Mapping[tuple[str, int, int, str, str], str] | None = None
                   ) -> list[QuoteRow]:
    """Validate a quotes table against the corpus and codebooks (pure).

    Parameters
    ----------
    table : DataFrame
        As :func:`read_quotes` returns it (index = spreadsheet row numbers; any other
        index counts rows from 2, below a header).
    texts : mapping
        doc_id → the document's current text.
    documents : mapping
        Every accepted way to name a document (id, path) → doc_id.
    codes : collection of str, optional
        The valid code references; ``None`` accepts any.
    known : mapping, optional
        (doc_id, start, end, code, coder) → quote of codings already stored. Such rows are
        marked ``known`` and need not match the current text (their document may have
        changed since), and may have a machine origin.

    Returns
    -------
    list of QuoteRow

    Raises
    ------
    FormatError
        A needed column is missing (the message lists the columns present).
    ProjectError
        Every problem of every row, as "row N, column C: what is wrong".
    """
    known = known or {}
    cols = _columns(table)
    numbers = (list(table.index) if table.index.name == "row"
               else list(range(2, len(table) + 2)))
    problems: list[str] = []
    out: list[QuoteRow] = []
    seen: dict[tuple, int] = {}
    values = {k: [_text(v) for v in table[c].tolist()] for k, c in cols.items()}
    level_keys = sorted(k for k in cols if k.startswith("level"))
    for i, number in enumerate(numbers):
        cell = {k: v[i] for k, v in values.items() if not k.startswith("level")}
        levels = [values[k][i].strip() for k in level_keys]
        if not any(v.strip() for v in cell.values()) and not any(levels):
            continue
        found: list[tuple[str, str]] = []

        def problem(key: str, message: str, found=found) -> None:
            found.append((cols.get(key) or key, message))

        doc_value = cell["document"].strip()
        doc_id = documents.get(doc_value) or documents.get(doc_value.replace("\\", "/"))
        if not doc_value:
            problem("document", "is empty")
        elif doc_id is None:
            problem("document", f"unknown document {doc_value!r}; use a document id or file "
                                f"path from the corpus (e.g. {next(iter(documents), '')!r})")
        code = cell.get("code", "").strip() or "/".join(v for v in levels if v)
        if not code:
            problem("code", "is empty")
        elif codes is not None and code not in codes:
            import difflib

            close = difflib.get_close_matches(code, list(codes), n=2)
            problem("code", f"unknown code {code!r}"
                    + (f"; did you mean {' or '.join(map(repr, close))}?" if close else ""))
        coder = cell["coder"].strip()
        if not coder:
            problem("coder", "is empty")
        origin = cell.get("origin", "").strip() or "human"
        if origin not in _ORIGINS:
            problem("origin", f"{origin!r} is not one of {', '.join(_ORIGINS)}")
        memo = normalise_newlines(cell.get("memo", ""))
        quote = normalise_newlines(cell.get("quote", ""))
        n_found = len(found)
        start, end = _offsets(cell.get("start", ""), cell.get("end", ""), problem)
        is_known = False
        if doc_id is not None and len(found) == n_found:
            text = texts[doc_id]
            if start is not None and end is not None:
                key = (doc_id, start, end, code, coder)
                if key in known and (not quote or quote == known[key]):
                    is_known = True
                elif end > len(text):
                    problem("end", f"{end} is past the end of {doc_id} ({len(text)} "
                                   "characters)")
                elif quote and text[start:end] != quote:
                    problem("quote", f"{_short(quote)!r} does not equal the text at "
                                     f"[{start}:{end}] of {doc_id}: {_short(text[start:end])!r}")
            elif not quote:
                problem("quote", "is empty, and start and end are not given")
            else:
                hits = _occurrences(text, quote)
                if not hits:
                    problem("quote", f"{_short(quote)!r} does not occur in {doc_id}")
                elif len(hits) > 1:
                    problem("quote", f"{_short(quote)!r} occurs {len(hits)} times in {doc_id} "
                                     f"(at {', '.join(map(str, hits[:5]))}); give start and "
                                     "end")
                else:
                    start, end = hits[0], hits[0] + len(quote)
                    is_known = (doc_id, start, end, code, coder) in known
        if origin in _MACHINE and not is_known:
            problem("origin", f"{origin!r} codings come from the auto-coder and cannot be "
                              "imported; re-run it, or set origin to human")
        if not found and not is_known:
            key = (doc_id, start, end, code, coder)
            if key in seen:
                problem("document", f"repeats row {seen[key]}")
            else:
                seen[key] = number
        problems += [f"row {number}, column {col}: {msg}" for col, msg in found]
        if not found:
            assert doc_id is not None and start is not None and end is not None
            out.append(QuoteRow(number, doc_id, start, end, code, coder, origin, memo,
                                is_known))
    if problems:
        raise ProjectError(
            f"cannot import the quotes table: {len(problems)} problem(s); nothing was "
            "imported", problems)
    return out


def _columns(table: pd.DataFrame) -> dict[str, str]:
    by_norm = {normalise_header(c): str(c) for c in table.columns}
    cols: dict[str, str] = {}
    for key, aliases in _ALIASES.items():
        hit = next((by_norm[a] for a in aliases if a in by_norm), None)
        if hit is not None:
            cols[key] = hit
    for norm, original in by_norm.items():
        m = _LEVEL_RE.fullmatch(norm)
        if m:
            cols[f"level{int(m.group(1)):04d}"] = original
    missing = []
    if "document" not in cols:
        missing.append("document")
    if "code" not in cols and not any(k.startswith("level") for k in cols):
        missing.append("code")
    if "coder" not in cols:
        missing.append("coder")
    if "quote" not in cols and not ("start" in cols and "end" in cols):
        missing.append("quote (or start and end)")
    if missing:
        raise FormatError(
            f"quotes table is missing column(s) {', '.join(missing)}; columns present: "
            f"{', '.join(map(str, table.columns)) or '(none)'}")
    return cols


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return _cell_str(value)


def _offsets(start: str, end: str, problem) -> tuple[int | None, int | None]:
    start, end = start.strip(), end.strip()
    if not start and not end:
        return None, None
    values: list[int | None] = []
    for key, raw in (("start", start), ("end", end)):
        if not raw:
            problem(key, "is empty while the other offset is given; give both or neither")
            values.append(None)
            continue
        try:
            number = float(raw)
            if not number.is_integer():
                raise ValueError
            values.append(int(number))
        except ValueError:
            problem(key, f"{raw!r} is not a whole number")
            values.append(None)
            continue
        if number < 0:
            problem(key, f"{raw} is negative")
    s, e = values
    if s is not None and e is not None and e <= s:
        problem("end", f"{e} must be greater than start {s}")
    return s, e


def _occurrences(text: str, quote: str) -> list[int]:
    hits, i = [], text.find(quote)
    while i >= 0:
        hits.append(i)
        i = text.find(quote, i + 1)
    return hits


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
