"""Plain-text transcripts (``.txt``, ``.md``), including Otter.ai-style exports.

The canonical text is the decoded file with newlines normalised (see
:mod:`cmqual.io.encoding`); nothing is rewritten, so offsets point into the file as the
researcher sees it in an editor. Speaker turns and paragraphs follow the rules of
:mod:`cmqual.io.base`.

Otter.ai-style exports are recognised by their turn headers: a line holding a speaker
name and a timestamp (``Speaker Name  12:34`` or ``Speaker Name  1:02:03``), with the
spoken words on the following line(s). At least two such headers followed by text must be
present. The optional header block (``SUMMARY KEYWORDS``, ``SPEAKERS`` and the line after
each) and a closing ``Transcribed by https://otter.ai`` line belong to no segment. Each
turn carries its timestamp in seconds; its end is the next turn's start.
"""

from __future__ import annotations

import re

from cmqual.io.base import (
    ParsedDocument,
    RawTurn,
    TranscriptOptions,
    is_name,
    parse_labelled_text,
    parse_timestamp,
    split_lines,
)
from cmqual.io.encoding import decode_bytes

__all__ = ["parse_otter", "read_markdown", "read_plaintext"]

_OTTER_HEADER_RE = re.compile(
    r"(?P<speaker>\S(?:.{0,58}\S)?)[ \t]+(?P<ts>(?:\d{1,2}:)?\d{1,2}:\d{2})[ \t]*$"
)
_OTTER_META = ("summary keywords", "keywords", "speakers")
_OTTER_FOOTER_RE = re.compile(r"\s*transcribed by\s+\S*otter\.ai", re.IGNORECASE)


def read_plaintext(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read a ``.txt`` transcript (plain or Otter-style, detected from the content)."""
    decoded = decode_bytes(data, name)
    text = decoded.text
    turns = parse_otter(text)
    if turns is not None and options.speaker_pattern is None:
        return ParsedDocument(text, "otter", tuple(turns), decoded.encoding)
    return ParsedDocument(
        text, "txt", tuple(parse_labelled_text(text, options)), decoded.encoding
    )


def read_markdown(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read a ``.md`` transcript (``**Name**: text`` labels are common there)."""
    parsed = read_plaintext(data, name, options)
    return ParsedDocument(parsed.text, "md", parsed.turns, parsed.encoding)


def parse_otter(text: str) -> list[RawTurn] | None:
    """Return the turns of an Otter-style transcript, or None if ``text`` is not one."""
    lines = split_lines(text)
    headers: dict[int, tuple[str, float | None]] = {}
    for i, (ls, le) in enumerate(lines):
        m = _OTTER_HEADER_RE.match(text, ls, le)
        if not m or m.group("speaker").rstrip(":").lower() in _OTTER_META:
            continue
        if not is_name(m.group("speaker")):
            continue
        nxt = i + 1
        if nxt < len(lines) and text[lines[nxt][0]:lines[nxt][1]].strip():
            headers[i] = (m.group("speaker").strip(), parse_timestamp(m.group("ts")))
    if len(headers) < 2:
        return None
    # every header must be followed by text that is not itself a header
    if any(i + 1 in headers for i in headers):
        return None
    first = min(headers)
    skip = set(range(first))  # SUMMARY KEYWORDS / SPEAKERS block
    skip.update(i for i, (ls, le) in enumerate(lines) if _OTTER_FOOTER_RE.match(text, ls, le))
    labels = {i: (speaker, lines[i][1]) for i, (speaker, _) in headers.items()}
    raw = parse_labelled_text(
        text, TranscriptOptions(), lines=lines, labels=labels, paragraphs="line",
        skip=frozenset(skip),
    )
    starts = [headers[i][1] for i in sorted(headers)]
    out = []
    for k, turn in enumerate(raw):
        ts = starts[k] if k < len(starts) else None
        end = starts[k + 1] if k + 1 < len(starts) else None
        out.append(RawTurn(turn.speaker, turn.paragraphs, ts, end))
    return out
