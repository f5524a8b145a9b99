"""Transcripts kept as tables: CSV/TSV text files and Excel ``.xlsx`` workbooks.

One row is one speaker turn. The first non-empty row names the columns; the columns used
are ``speaker``, ``text`` and the optional ``start`` / ``end`` times. They are matched
case-insensitively (spaces, ``_`` and ``-`` count as the same), first by the names given
in ``TranscriptOptions.csv_columns`` and otherwise by these defaults, earlier names first:

========  ============================================================================
key       default column names
========  ============================================================================
text      text, utterance, transcript, content, dialogue, speech, message, turn, words
speaker   speaker, name, speaker_name, participant, who, person
start     start, start_time, timestamp, time, begin, in, start time
end       end, end_time, stop, out, end time
========  ============================================================================

Canonical text (stable across cmqual versions)
----------------------------------------------
Rows are written in file order, each as ``"Speaker: text"`` (just ``text`` when there is
no speaker column or the cell is empty), with ``\\r\\n`` and ``\\r`` in cells turned into
``\\n``; a cell with several lines is written as several lines, each a paragraph of the
turn, and every turn ends with a newline. White space around a speaker's name is
collapsed to single spaces. Rows whose text is empty or blank are skipped; other columns
are not part of the text. Consecutive rows of one speaker stay separate turns, as in the
file. Times are read with :func:`~cmqual.io.base.parse_timestamp` (``h:mm:ss``,
``mm:ss.mmm``, seconds as numbers, Excel time cells); a time that cannot be read is left
empty and reported in ``ParsedDocument.notes``.

CSV files are decoded with :func:`~cmqual.io.encoding.decode_bytes`. For ``.csv`` the
delimiter is chosen among ``,``, ``;`` and tab: the one whose header row contains a text
column, then the one that splits the header into most columns consistently; ``.tsv``
always uses tab. Quoting follows the usual CSV rules (Excel's): a malformed quoted field is
an error naming the line. For ``.xlsx`` the first worksheet is read (cell values, not
formulas), and Excel's ``_x000D_`` / ``_x000A_`` / ``_x0009_`` escapes in strings are
turned back into the characters they stand for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence

from cmqual.errors import FormatError
from cmqual.io._zipsafe import check_office_zip
from cmqual.io.base import (
    ParsedDocument,
    RawTurn,
    TextAssembler,
    TranscriptOptions,
    parse_timestamp,
)
from cmqual.io.encoding import decode_bytes, normalise_newlines

__all__ = [
    "COLUMN_ALIASES",
    "find_columns",
    "read_csv_transcript",
    "read_xlsx_transcript",
]

#: Default column names for each key, in order of preference.
COLUMN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "text": ("text", "utterance", "transcript", "content", "dialogue", "speech", "message",
             "turn", "words"),
    "speaker": ("speaker", "name", "speaker_name", "participant", "who", "person"),
    "start": ("start", "start_time", "timestamp", "time", "begin", "in", "start time"),
    "end": ("end", "end_time", "stop", "out", "end time"),
}
_KEYS = ("text", "speaker", "start", "end")
_SEPARATORS_RE = re.compile(r"[\s_\-]+")
_XLSX_ESCAPE_RE = re.compile(r"_x(000[dD]|000[aA]|0009)_")
_XLSX_ESCAPES = {"000d": "\r", "000a": "\n", "0009": "\t"}


def _norm(column: str) -> str:
    return _SEPARATORS_RE.sub(" ", column.strip().lower()).strip()


def find_columns(header: Sequence[str], options: TranscriptOptions,
                 name: str | None = None) -> dict[str, int]:
    """Map the keys ``text``, ``speaker``, ``start``, ``end`` to column indices of ``header``.

    Parameters
    ----------
    header : sequence of str
        The column names as they appear in the file.
    options : TranscriptOptions
        ``csv_columns`` names columns explicitly; other keys use :data:`COLUMN_ALIASES`.
    name : str, optional
        File name. When given, a ``csv_columns`` entry naming an absent column, or a
        missing text column, raises :class:`~cmqual.errors.FormatError`; without it the
        keys that were not found are simply left out.

    Returns
    -------
    dict
        ``{key: column index}`` for the keys found; no column is used twice.

    Examples
    --------
    >>> find_columns(["Speaker", "Start Time", "Utterance"], TranscriptOptions())
    {'text': 2, 'speaker': 0, 'start': 1}
    """
    normed = [_norm(h) for h in header]
    configured = dict(options.csv_columns)
    found: dict[str, int] = {}
    used: set[int] = set()
    problems = []
    for key in _KEYS:
        if key in configured:
            want = configured[key]
            idx = next((i for i, h in enumerate(header) if h == want and i not in used), None)
            if idx is None:
                idx = next((i for i, h in enumerate(normed) if h == _norm(want)
                            and i not in used), None)
            if idx is None:
                problems.append(f"csv_columns names {key} column {want!r}, which is not there")
                continue
        else:
            idx = None
            for alias in COLUMN_ALIASES[key]:
                idx = next((i for i, h in enumerate(normed) if h == _norm(alias)
                            and i not in used), None)
                if idx is not None:
                    break
            if idx is None:
                continue
        found[key] = idx
        used.add(idx)
    if name is None:
        return found
    shown = ", ".join(repr(h) for h in header) or "(none)"
    if "text" not in found and "text" not in configured:
        problems.append(
            "no text column; name the column with the words 'text' (or one of "
            + ", ".join(COLUMN_ALIASES["text"][1:])
            + "), or pass csv_columns=(('text', '<column name>'),)"
        )
    if problems:
        raise FormatError(f"{name}: cannot find the transcript columns; the columns are "
                          f"{shown}", problems)
    return found


def _cell_str(value: object) -> str:
    """Text of a cell value as a person would read it in the sheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _row_getter(cols: Mapping[str, int],
                values: Sequence[object]) -> Callable[[str], object]:
    def cell(key: str) -> object:
        idx = cols.get(key)
        return values[idx] if idx is not None and idx < len(values) else None

    return cell


def _rows_to_document(rows: Iterable[tuple[int, Sequence[object]]], name: str,
                      options: TranscriptOptions, fmt: str, encoding: str,
                      unit: str) -> ParsedDocument:
    """Turn ``(row number, cell values)`` pairs (header first) into a document."""
    header: list[str] | None = None
    cols: dict[str, int] = {}
    text_i = speaker_i = None
    timed = False
    asm = TextAssembler()
    turns: list[RawTurn] = []
    bad_times: list[str] = []
    for number, values in rows:
        if header is None:
            if not any(_cell_str(v).strip() for v in values):
                continue
            header = [_cell_str(v).strip() for v in values]
            cols = find_columns(header, options, name)
            text_i, speaker_i = cols.get("text"), cols.get("speaker")
            timed = "start" in cols or "end" in cols
            continue
        n_values = len(values)
        raw_text = values[text_i] if text_i is not None and text_i < n_values else None
        text = normalise_newlines(raw_text if isinstance(raw_text, str) else _cell_str(raw_text))
        if not text.strip():
            continue
        raw_speaker = values[speaker_i] if speaker_i is not None and speaker_i < n_values else ""
        speaker = " ".join(
            (raw_speaker if isinstance(raw_speaker, str) else _cell_str(raw_speaker)).split())
        times: list[float | None] = [None, None]
        if timed:
            cell = _row_getter(cols, values)
            for k, key in enumerate(("start", "end")):
                raw = cell(key)
                value = parse_timestamp(raw)
                if value is None and _cell_str(raw).strip():
                    bad_times.append(f"{unit} {number}: {key} {_cell_str(raw)!r}")
                times[k] = value
        turn = asm.add_turn(speaker, [text], timestamp=times[0], timestamp_end=times[1])
        if turn is not None:
            turns.append(turn)
    if header is None:
        raise FormatError(f"{name}: the file is empty; a transcript table needs a header row "
                          "(speaker, text) and one row per turn")
    notes: list[str] = []
    if bad_times:
        shown = "; ".join(bad_times[:5]) + (" ..." if len(bad_times) > 5 else "")
        notes.append(f"times that could not be read were left empty ({len(bad_times)}: "
                     f"{shown})")
    return ParsedDocument(asm.text(), fmt, tuple(turns), encoding=encoding, notes=tuple(notes))


def _sniff_delimiter(text: str, options: TranscriptOptions) -> str:
    sample = text[:65536]
    best: tuple[tuple[bool, bool, float, int], str] | None = None
    for delim in (",", ";", "\t"):
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
                       if any(c.strip() for c in r)][:50]
        except csv.Error:
            continue
        if not records:
            continue
        header = records[0]
        has_text = "text" in find_columns([c.strip() for c in header], options)
        consistent = sum(len(r) == len(header) for r in records) / len(records)
        score = (has_text, len(header) > 1, consistent, len(header))
        if best is None or score > best[0]:
            best = (score, delim)
    return best[1] if best else ","


def read_csv_transcript(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read a CSV or TSV transcript with one row per speaker turn.

    Parameters
    ----------
    data : bytes
        File content (any encoding :func:`~cmqual.io.encoding.decode_bytes` accepts).
    name : str
        File name; ``.tsv`` selects tab as delimiter, and it names the file in messages.
    options : TranscriptOptions
        ``csv_columns`` names the speaker/text/start/end columns when the defaults
        do not fit.

    Returns
    -------
    ParsedDocument
        Format ``"csv"``; canonical text as in the module docstring.

    Raises
    ------
    FormatError
        No text column (lists the columns found), malformed quoting (names the line),
        binary content.

    Examples
    --------
    >>> doc = read_csv_transcript(b"speaker,text\\nAna,Hello\\n", "t.csv", TranscriptOptions())
    >>> doc.text, doc.turns[0].speaker
    ('Ana: Hello\\n', 'Ana')
    """
    decoded = decode_bytes(data, name)
    text = decoded.text
    delim = "\t" if name.lower().endswith(".tsv") else _sniff_delimiter(text, options)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)

    def rows() -> Iterable[tuple[int, Sequence[object]]]:
        first_line = 1
        try:
            for record in reader:
                yield first_line, record  # the line where the row starts
                first_line = reader.line_num + 1
        except csv.Error as exc:
            raise FormatError(
                f"{name}, line {first_line}: cannot read the CSV row that starts here "
                f"({exc}); check its quotes: a field with a quote inside must be written "
                '"like ""this""" and every opening quote needs a closing one'
            ) from None

    return _rows_to_document(rows(), name, options, "csv", decoded.encoding, "line")


def _unescape_xlsx(value: object) -> object:
    if isinstance(value, str) and "_x" in value:
        return _XLSX_ESCAPE_RE.sub(lambda m: _XLSX_ESCAPES[m.group(1).lower()], value)
    return value


def read_xlsx_transcript(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read an Excel ``.xlsx`` transcript (first worksheet) with one row per speaker turn.

    Parameters
    ----------
    data : bytes
        File content.
    name : str
        File name used in messages.
    options : TranscriptOptions
        ``csv_columns`` names the speaker/text/start/end columns when the defaults
        do not fit.

    Returns
    -------
    ParsedDocument
        Format ``"xlsx"``; canonical text as in the module docstring.

    Raises
    ------
    FormatError
        Not a valid or a suspiciously large ``.xlsx`` (zip) file, no worksheet, no text
        column (lists the columns found).
    """
    check_office_zip(data, name, kind=".xlsx", required="xl/workbook.xml",
                     application="Excel")
    import openpyxl  # imported here: only xlsx users pay for it

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True,
                                              data_only=True)
            try:
                if not workbook.worksheets:
                    raise FormatError(f"{name}: the workbook has no worksheet")
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # do not trust the size the file declares
                rows = [
                    (row[0].row if row and hasattr(row[0], "row") else number,
                     [_unescape_xlsx(c.value) for c in row])
                    for number, row in enumerate(sheet.iter_rows(), start=1)
                ]
            finally:
                workbook.close()
    except FormatError:
        raise
    except Exception as exc:  # openpyxl raises many kinds (KeyError, XML errors...)
        raise FormatError(
            f"{name}: cannot read the .xlsx workbook ({type(exc).__name__}: {exc}); open it "
            "in Excel and re-save it as .xlsx"
        ) from None
    return _rows_to_document(rows, name, options, "xlsx", "", "row")
