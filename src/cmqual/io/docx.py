"""Word ``.docx`` transcripts.

Safety
------
Before python-docx sees the bytes, they must be a zip that holds ``word/document.xml``,
expands to at most 200 MB and is not compressed suspiciously well (a zip bomb); see
:func:`cmqual.io._zipsafe.check_office_zip`. Anything python-docx cannot open is reported
as a :class:`~cmqual.errors.FormatError` naming the file.

Text of a paragraph
-------------------
The text is what Word shows with all tracked changes accepted: runs directly in the
paragraph and inside hyperlinks, tracked insertions, content controls, smart tags, custom
XML and simple fields; field results (not field codes); equation text. Deleted and
moved-away text is left out. ``<w:tab/>`` is a tab, ``<w:br/>`` (any kind) and
``<w:cr/>`` a line break, a non-breaking hyphen ``-``, a ``<w:sym/>`` its character; an
optional (soft) hyphen is invisible and left out; hidden text is kept. Text boxes,
headers, footers, footnotes and comments are not read (a note says how many text boxes
were skipped).

Canonical text (stable across cmqual versions)
----------------------------------------------
The body is written in document order (content controls are looked into):

* a paragraph is written as one line; a paragraph with line breaks as several lines; an
  empty paragraph as a blank line;
* a **transcript table** is written as one ``"Speaker: text"`` turn per speaker row
  (:meth:`~cmqual.io.base.TextAssembler.add_turn`); a cell with several paragraphs gives
  several lines, each a paragraph of the turn; a row with an empty speaker cell continues
  the previous speaker's turn with new paragraphs (before any speaker, its lines are
  unlabelled turns of their own); rows with both cells empty are skipped; a header row is
  not written; a speaker's trailing colon is dropped;
* any other table is written cell by cell (rows top to bottom, cells left to right), each
  cell paragraph as a line, exactly like body paragraphs.

A table is a transcript table when its first row is a header naming a speaker and a text
column (``Speaker``/``Name``... and ``Text``/``Transcript``/``Utterance``..., the names of
:data:`cmqual.io.tabular.COLUMN_ALIASES`) and every other header cell names a start or end
time column (their values become the turn's times); or, without such a header, when every
row has exactly two cells, every non-empty first cell looks like a speaker name (the rule
of :mod:`cmqual.io.base`) and some name occurs twice or looks like a role.

Teams and Otter.ai layouts
--------------------------
Microsoft Teams transcript downloads and Otter.ai Word exports put each turn under a
header paragraph holding the speaker's name and a timestamp (``Jane Smith   0:03``, or
``1:02:15``). A document without transcript tables in which at least two such headers are
each followed by text is read with the Otter rules of :mod:`cmqual.io.plaintext`: every
turn carries its timestamp in seconds (its end is the next turn's start), the header
paragraphs belong to no segment, and so do the title and date lines before the first
header. A ``speaker_pattern`` turns this off.

Speakers in paragraphs
----------------------
Paragraph lines are split into turns by :func:`~cmqual.io.base.parse_labelled_text` with
``paragraphs="line"`` (every line is a paragraph; lines without a label continue the
current turn). Labels are those of plain text (:func:`~cmqual.io.base.detect_labels`,
counted over all paragraph lines of the document) plus **bold labels**: a paragraph that
starts with bold text (direct bold or a bold character style) that looks like a name. With
a colon inside or right after the bold (``**Alex:** text``, ``**Alex**: text``, a bold
``Alex:`` alone on its line) the label is always taken; without a colon (``**Alex** text``,
or a bold name alone on its line) only when that name starts bold paragraphs at least twice
or looks like a role. The line keeps the paragraph text as it appears; the speaker is the
bold text without the colon; the words start after the label and the colons, spaces and
tabs that follow it. Only the first line of a paragraph can hold a label: lines after a
line break continue the same turn. A label followed directly by another label (no words)
gives no turn. A ``speaker_pattern`` replaces the plain-text and bold rules (transcript
tables are still read). A turn never continues across a transcript table: paragraphs after
the table without a label of their own are unlabelled turns.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from cmqual.errors import FormatError
from cmqual.io._zipsafe import check_office_zip
from cmqual.io.base import (
    _ROLE_RE,
    NOT_SPEAKERS,
    ParsedDocument,
    RawTurn,
    TextAssembler,
    TranscriptOptions,
    detect_labels,
    is_name,
    parse_labelled_text,
    parse_timestamp,
)
from cmqual.io.encoding import normalise_newlines
from cmqual.io.plaintext import parse_otter
from cmqual.io.tabular import find_columns

__all__ = ["read_docx"]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


# Containers whose content is not visible text of the paragraph.
_SKIP = frozenset(
    {_w("pPr"), _w("rPr"), _w("del"), _w("moveFrom"), _w("sdtPr"), _w("sdtEndPr"),
     _w("customXmlPr"), _w("smartTagPr"), _w("txbxContent"), f"{{{_MC}}}Fallback"}
)
_BREAKS = frozenset({_w("br"), _w("cr")})
_TABS = frozenset({_w("tab"), _w("ptab")})
_OFF = frozenset({"0", "false", "off", "none"})
_SEPARATORS = " \t:"


def _on(el: etree._Element) -> bool:
    val = el.get(_w("val"))
    return val is None or val.lower() not in _OFF


@dataclass
class _Styles:
    """Which character styles are bold (following ``basedOn``)."""

    element: etree._Element | None
    cache: dict[str, bool] = field(default_factory=dict)

    def bold(self, style_id: str, depth: int = 0) -> bool:
        if style_id in self.cache:
            return self.cache[style_id]
        result = False
        if self.element is not None and depth < 20:
            for style in self.element.iterchildren(_w("style")):
                if style.get(_w("styleId")) != style_id:
                    continue
                rpr = style.find(_w("rPr"))
                b = rpr.find(_w("b")) if rpr is not None else None
                if b is not None:
                    result = _on(b)
                else:
                    based = style.find(_w("basedOn"))
                    if based is not None and based.get(_w("val")):
                        result = self.bold(based.get(_w("val")), depth + 1)
                break
        self.cache[style_id] = result
        return result

    def run_bold(self, run: etree._Element) -> bool:
        rpr = run.find(_w("rPr"))
        if rpr is None:
            return False
        b = rpr.find(_w("b"))
        if b is not None:
            return _on(b)
        rstyle = rpr.find(_w("rStyle"))
        return bool(rstyle is not None and rstyle.get(_w("val"))
                    and self.bold(rstyle.get(_w("val"))))


def _run_pieces(run: etree._Element, bold: bool, out: list[tuple[str, bool]]) -> None:
    for child in run:
        tag = child.tag
        if tag == _w("t"):
            text = child.text or ""
        elif tag in _TABS:
            text = "\t"
        elif tag in _BREAKS:
            text = "\n"
        elif tag == _w("noBreakHyphen"):
            text = "-"
        elif tag == _w("sym"):
            try:
                text = chr(int(child.get(_w("char")) or "", 16))
            except (ValueError, OverflowError):
                continue
        else:  # rPr, drawings, field codes, deleted text, note references...
            continue
        # XML keeps a carriage return only as &#13;: make it a line break like Word does
        out.append((normalise_newlines(text), bold))


def _paragraph_pieces(p: etree._Element, styles: _Styles) -> list[tuple[str, bool]]:
    """``(text, bold)`` pieces of a paragraph, in order (see the module docstring)."""
    out: list[tuple[str, bool]] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == _w("r"):
                _run_pieces(child, styles.run_bold(child), out)
            elif tag == f"{{{_M}}}t":
                out.append((normalise_newlines(child.text or ""), False))
            else:
                walk(child)

    walk(p)
    return out


def _blocks(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables of a body or cell in order, looking into content controls."""
    for child in container:
        tag = child.tag
        if tag in (_w("p"), _w("tbl")):
            yield child
        elif tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _blocks(content)
        elif tag in (_w("customXml"), _w("ins"), _w("moveTo")):
            yield from _blocks(child)
        elif tag == f"{{{_MC}}}AlternateContent":
            choice = child.find(f"{{{_MC}}}Choice")
            if choice is not None:
                yield from _blocks(choice)


def _children(el: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Children named ``tag``, also when wrapped in content controls or custom XML."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _children(content, tag)
        elif child.tag == _w("customXml"):
            yield from _children(child, tag)


def _speaker_like(label: str) -> bool:
    label = label.strip()
    return (bool(label) and label.lower().rstrip(".") not in NOT_SPEAKERS
            and (is_name(label) or bool(_ROLE_RE.match(label))))


@dataclass
class _BoldLabel:
    speaker: str
    words: int  # offset of the words within the paragraph's first line
    colon: bool


def _bold_label(pieces: list[tuple[str, bool]]) -> _BoldLabel | None:
    """A speaker label written in bold at the start of a paragraph, if any."""
    text = "".join(t for t, _ in pieces)
    pos = 0
    bold_end = None
    for piece, bold in pieces:
        if bold_end is None and not bold and not piece.strip():
            pos += len(piece)  # indent before the label
        elif bold:
            pos += len(piece)
            bold_end = pos
        elif bold_end is not None and not piece.strip() and "\n" not in piece:
            pos += len(piece)  # white space between bold runs
        else:
            break
    if bold_end is None:
        return None
    lead = len(text) - len(text.lstrip())
    bold_text = text[lead:bold_end]
    if "\n" in text[:bold_end] or not bold_text.strip():
        return None
    colon_at = bold_text.find(":")
    if colon_at >= 0:
        # "**Alex:** text", or a bold sentence "**Alex: hello**" whose words follow the colon
        if bold_text[colon_at + 1:colon_at + 2] not in ("", " ", "\t", ":"):
            return None  # "10:30" or "http://" in bold
        speaker, words, colon = bold_text[:colon_at], lead + colon_at, True
    else:
        speaker, words = bold_text, bold_end
        colon = text[bold_end:].lstrip(" \t").startswith(":")
    speaker = " ".join(speaker.split())
    if not _speaker_like(speaker):
        return None
    line_end = text.find("\n")
    line_end = len(text) if line_end < 0 else line_end
    while words < line_end and text[words] in _SEPARATORS:
        words += 1
    return _BoldLabel(speaker, words, colon)


@dataclass
class _Line:
    span: tuple[int, int]
    first: bool  # first line of its Word paragraph
    bold: _BoldLabel | None = None


def _cell_lines(tc: etree._Element, styles: _Styles) -> list[str]:
    """Lines of a table cell: one per paragraph line, nested tables flattened."""
    lines: list[str] = []
    for block in _blocks(tc):
        if block.tag == _w("p"):
            lines.extend("".join(t for t, _ in _paragraph_pieces(block, styles)).split("\n"))
        else:
            for tr in _children(block, _w("tr")):
                for inner in _children(tr, _w("tc")):
                    lines.extend(_cell_lines(inner, styles))
    return lines


def _transcript_columns(rows: list[list[list[str]]]) -> tuple[dict[str, int], int] | None:
    """Columns of a transcript table and the index of its first data row, or None."""
    if not rows:
        return None
    header = [" ".join(" ".join(cell).split()) for cell in rows[0]]
    cols = find_columns(header, TranscriptOptions())
    if "text" in cols and "speaker" in cols:
        named = {i for i, h in enumerate(header) if h}
        if named <= set(cols.values()):
            return cols, 1
    if any(len(row) != 2 for row in rows):
        return None
    speakers = [" ".join(" ".join(row[0]).split()).removesuffix(":").strip() for row in rows]
    speakers = [s for s in speakers if s]
    if not speakers or not all(_speaker_like(s) for s in speakers):
        return None
    if not any(" ".join(row[1]).strip() for row in rows):
        return None
    if len(set(speakers)) == len(speakers) and not any(_ROLE_RE.match(s) for s in speakers):
        return None
    return {"speaker": 0, "text": 1}, 0


def _unlabelled(turn: RawTurn | None) -> list[RawTurn]:
    if turn is None:
        return []
    return [RawTurn("", (p,), turn.timestamp, turn.timestamp_end) for p in turn.paragraphs]


def _table_turns(rows: list[list[list[str]]], cols: dict[str, int], first: int,
                 asm: TextAssembler) -> list[RawTurn]:
    turns: list[RawTurn] = []
    speaker = ""
    lines: list[str] = []
    times: list[float | None] = [None, None]

    def flush() -> None:
        if speaker:
            turn = asm.add_turn(speaker, lines, timestamp=times[0], timestamp_end=times[1])
            if turn is not None:
                turns.append(turn)

    def cell(row: list[list[str]], key: str) -> list[str]:
        idx = cols.get(key)
        return row[idx] if idx is not None and idx < len(row) else []

    for row in rows[first:]:
        who = " ".join(" ".join(cell(row, "speaker")).split()).removesuffix(":").strip()
        words = cell(row, "text")
        if who:
            flush()
            speaker, lines = who, list(words)
            times = [parse_timestamp(" ".join(cell(row, k)).strip() or None)
                     for k in ("start", "end")]
        elif not "".join(words).strip():
            continue
        elif speaker:
            lines.extend(words)
        else:
            turns.extend(_unlabelled(asm.add_turn("", words)))
    flush()
    return turns


def _open(data: bytes, name: str) -> tuple[etree._Element, _Styles]:
    check_office_zip(data, name, kind=".docx", required="word/document.xml",
                     application="Word")
    import docx  # imported here: only .docx users pay for it

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        styles = _Styles(document.styles.element)
    except Exception as exc:  # python-docx raises many kinds (KeyError, XML errors...)
        raise FormatError(
            f"{name}: cannot read the .docx ({type(exc).__name__}: {exc}); open it in Word "
            "and re-save it as a Word document (.docx)"
        ) from None
    return body, styles


def read_docx(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read a Word ``.docx`` transcript (see the module docstring for the rules).

    Parameters
    ----------
    data : bytes
        File content.
    name : str
        File name used in messages.
    options : TranscriptOptions
        ``speaker_pattern`` replaces the built-in label rules for paragraphs
        (``paragraphs`` is ignored: every Word paragraph is a paragraph).

    Returns
    -------
    ParsedDocument
        Format ``"docx"``.

    Raises
    ------
    FormatError
        Not a valid ``.docx`` (zip) file, a suspiciously large one, or one python-docx
        cannot read.

    Examples
    --------
    >>> from pathlib import Path
    >>> doc = read_docx(Path("interview.docx").read_bytes(), "interview.docx",
    ...                 TranscriptOptions())  # doctest: +SKIP
    """
    body, styles = _open(data, name)
    asm = TextAssembler()
    # Items in body order: a list of paragraph lines (one region) or a table's turns.
    items: list[list[_Line] | list[RawTurn]] = []
    region: list[_Line] = []

    def add_paragraph(pieces: list[tuple[str, bool]]) -> None:
        text = "".join(t for t, _ in pieces)
        start = asm.position
        asm.line(text)
        bold = _bold_label(pieces) if options.speaker_pattern is None else None
        offset = start
        for i, part in enumerate(text.split("\n")):
            region.append(_Line((offset, offset + len(part)), i == 0, bold if i == 0 else None))
            offset += len(part) + 1

    def add_table(tbl: etree._Element) -> None:
        nonlocal region
        rows = [[_cell_lines(tc, styles) for tc in _children(tr, _w("tc"))]
                for tr in _children(tbl, _w("tr"))]
        found = _transcript_columns(rows)
        if found is None:
            for tr in _children(tbl, _w("tr")):
                for tc in _children(tr, _w("tc")):
                    add_cell(tc)
            return
        if region:
            items.append(region)
            region = []
        items.append(_table_turns(rows, found[0], found[1], asm))

    def add_cell(tc: etree._Element) -> None:
        for block in _blocks(tc):
            if block.tag == _w("p"):
                add_paragraph(_paragraph_pieces(block, styles))
            else:
                add_table(block)

    for block in _blocks(body):
        if block.tag == _w("p"):
            add_paragraph(_paragraph_pieces(block, styles))
        else:
            add_table(block)
    if region:
        items.append(region)
    text = asm.text()
    notes = []
    boxes = sum(1 for _ in body.iter(_w("txbxContent")))
    if boxes:
        notes.append(f"{boxes} text boxes were not read (move their text into the body "
                     "to include it)")
    if options.speaker_pattern is None and all(
            isinstance(line, _Line) for item in items for line in item):
        timed = parse_otter(text)  # Microsoft Teams / Otter.ai layout: "Name   0:03" lines
        if timed is not None:
            return ParsedDocument(text, "docx", tuple(t for t in timed if t.paragraphs),
                                  notes=tuple(notes))

    prose = [line for item in items for line in item if isinstance(line, _Line)]
    labels = _labels(text, prose, options)
    turns: list[RawTurn] = []
    position = 0
    for item in items:
        if item and isinstance(item[0], _Line):
            lines = [line.span for line in item]
            local = {i: labels[position + i] for i in range(len(item)) if position + i in labels}
            position += len(item)
            found = parse_labelled_text(text, options, lines=lines, labels=local,
                                        paragraphs="line")
            turns.extend(t for t in found if t.paragraphs)  # a label with no words
        else:
            turns.extend(t for t in item if isinstance(t, RawTurn))
    return ParsedDocument(text, "docx", tuple(turns), notes=tuple(notes))


def _labels(text: str, lines: list[_Line],
            options: TranscriptOptions) -> dict[int, tuple[str, int]]:
    """Speaker labels of paragraph lines: plain-text rules, then bold labels on top."""
    spans = [line.span for line in lines]
    found = {i: v for i, v in detect_labels(text, spans, options).items() if lines[i].first}
    if options.speaker_pattern is not None:
        return found
    counts: dict[str, int] = {}
    for line in lines:
        if line.bold is not None:
            counts[line.bold.speaker] = counts.get(line.bold.speaker, 0) + 1

    def accept(bold: _BoldLabel) -> bool:
        return bold.colon or counts[bold.speaker] >= 2 or bool(_ROLE_RE.match(bold.speaker))

    for i, line in enumerate(lines):
        if line.bold is not None and accept(line.bold):
            found[i] = (line.bold.speaker, line.span[0] + line.bold.words)
    return found
