"""Subtitle and caption transcripts: WebVTT (``.vtt``) and SubRip (``.srt``).

Parsing
-------
Files are decoded with :func:`~cmqual.io.encoding.decode_bytes` (a BOM is dropped). Cues
are blocks separated by blank lines (lines that are empty or only white space). A cue is
an optional identifier line (the SRT counter, a WebVTT cue id), a timing line
``start --> end`` and the payload lines. Times are ``hh:mm:ss.mmm`` or ``mm:ss.mmm``; the
fraction may be written with ``.`` or ``,`` (SRT uses ``,``), may have one to three digits
or be absent; anything after the end time (WebVTT cue settings, SRT coordinates) is
ignored. A line containing ``-->`` inside a payload ends the cue and starts the next one
(SRT files that forgot the blank line; the counter line just before it is dropped). A
malformed timing line, or a block of text with no timing line, is a
:class:`~cmqual.errors.FormatError` naming the file and line. WebVTT files start with
``WEBVTT`` (the header block is skipped); ``NOTE``, ``STYLE`` and ``REGION`` blocks are
skipped.

Payload clean-up: in WebVTT every ``<...>`` tag is removed (``<i>``, ``<b>``, ``<c.x>``,
``<lang en>``, ``<00:00:01.000>``); a ``<`` without a closing ``>`` on its line is kept
as text. In SRT only the tags SubRip players know are removed (``<i>``, ``<b>``, ``<u>``,
``<s>``, ``<font ...>`` and their closing tags, and ``{\\an8}``-style overrides), so
``x < y`` survives. Then the entities ``&amp; &lt; &gt; &nbsp; &quot; &apos; &lrm; &rlm;``
and numeric ``&#...;`` references are decoded (a decoded line break becomes a space).

Speakers
--------
1. WebVTT voice tags ``<v Name>`` / ``<v.class Name>`` give the speaker of the text that
   follows, up to ``</v>`` or the end of the cue (the closing tag is optional). A cue may
   hold several voices.
2. Text outside a voice tag may start with a visible label as in plain text
   (``Name: text``, as Zoom writes). Labels are found by
   :func:`~cmqual.io.base.detect_labels` run over those payload lines, one line per payload
   line, so the same rules apply: a name-like label counts when it occurs twice, looks
   like a role or starts the first line; ``speaker_pattern`` replaces the built-in rules
   (voice tags still count). A label may start any payload line.

Canonical text (stable across cmqual versions)
----------------------------------------------
Each cue payload (or the part of it that belongs to one speaker) becomes one line: its
lines stripped and joined with a single space. Consecutive cues of one speaker form one
turn, written ``"Speaker: "`` once and then one line per cue; the turn is ONE paragraph
that spans its cue lines. Cues without a speaker continue the current turn when it has a
speaker; otherwise each forms a turn of its own without a label. A label with no words
(``Alex:`` alone) switches the speaker for the cues that follow. The turn's ``timestamp``
is the start of its first cue and ``timestamp_end`` the end of its last cue, in seconds.
Every line ends with a newline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cmqual.errors import FormatError
from cmqual.io.base import (
    ParsedDocument,
    RawTurn,
    TextAssembler,
    TranscriptOptions,
    detect_labels,
    split_lines,
)
from cmqual.io.encoding import decode_bytes

__all__ = ["read_srt", "read_vtt"]

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING_RE = re.compile(rf"^[ \t]*{_TS}[ \t]*-->[ \t]*{_TS}(?:[ \t]+.*)?$")
_VTT_SKIP_BLOCK_RE = re.compile(r"^(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_VTT_TAG_RE = re.compile(r"<([^<>]*)>")
_VOICE_RE = re.compile(r"^v(?:\.[^\s>]*)?(?:[ \t]+(?P<name>.*))?$", re.DOTALL)
_SRT_TAG_RE = re.compile(r"</?(?:i|b|u|s|font)(?:[ \t][^<>]*)?>|\{\\[^{}]*\}", re.IGNORECASE)
_ENTITY_RE = re.compile(
    r"&(?:(?P<name>amp|lt|gt|nbsp|quot|apos|lrm|rlm)|#(?P<dec>\d{1,7})|#[xX](?P<hex>[0-9a-fA-F]{1,6}));"
)
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "quot": '"', "apos": "'",
             "lrm": "\u200e", "rlm": "\u200f"}


@dataclass
class _Cue:
    start: float
    end: float
    lines: list[str]


@dataclass
class _Segment:
    """Part of a cue that belongs to one voice (``voice`` None: no voice tag)."""

    voice: str | None
    lines: list[str] = field(default_factory=lambda: [""])


def _seconds(groups: tuple[str | None, ...]) -> float:
    h, m, s, f = groups
    frac = f or ""
    return (int(h or 0) * 3600 + int(m) * 60 + int(s)
            + (int(frac) / 10 ** len(frac) if frac else 0.0))


def _parse_timing(line: str, number: int, name: str, kind: str) -> tuple[float, float]:
    m = _TIMING_RE.match(line)
    sep = "," if kind == "srt" else "."
    example = f"00:00:01{sep}000 --> 00:00:04{sep}000"
    if not m or any(int(m.group(i)) > 59 for i in (2, 3, 6, 7)):
        raise FormatError(
            f"{name}, line {number}: malformed cue timing {line.strip()!r}; expected "
            f"'{example}'"
        )
    start = _seconds(m.groups()[:4])
    end = _seconds(m.groups()[4:])
    return start, end


def _blank(line: str) -> bool:
    return not line.strip()


def _parse_cues(text: str, name: str, kind: str) -> list[_Cue]:
    lines = text.split("\n")
    n = len(lines)
    i = 0
    while i < n and _blank(lines[i]):
        i += 1
    if kind == "vtt":
        first = lines[i] if i < n else ""
        if re.match(r"WEBVTT(?:[ \t]|$)", first):
            i += 1  # header block: up to a blank line or the first timing line
            while i < n and not _blank(lines[i]) and "-->" not in lines[i]:
                i += 1
        elif "-->" not in text:
            raise FormatError(
                f"{name}: not a WebVTT file (the first line must be 'WEBVTT' and cues need "
                "timing lines such as '00:00:01.000 --> 00:00:04.000')"
            )
    cues: list[_Cue] = []
    while i < n:
        if _blank(lines[i]):
            i += 1
            continue
        block_start = i
        while i < n and not _blank(lines[i]):
            i += 1
        block = list(range(block_start, i))
        if kind == "vtt" and _VTT_SKIP_BLOCK_RE.match(lines[block[0]]):
            continue
        if "-->" in lines[block[0]]:
            timing = 0
        elif len(block) > 1 and "-->" in lines[block[1]]:
            timing = 1
        else:
            raise FormatError(
                f"{name}, line {block[0] + 1}: text outside a cue "
                f"({lines[block[0]].strip()[:60]!r}); every cue needs a timing line such as "
                f"'00:00:01{',' if kind == 'srt' else '.'}000 --> 00:00:04"
                f"{',' if kind == 'srt' else '.'}000' (is a blank line inside a cue?)"
            )
        k = block[timing]
        start, end = _parse_timing(lines[k], k + 1, name, kind)
        cue = _Cue(start, end, [])
        cues.append(cue)
        for k in block[timing + 1:]:
            if "-->" in lines[k]:
                if kind == "srt" and cue.lines and cue.lines[-1].strip().isdigit():
                    cue.lines.pop()  # the counter of the next cue
                start, end = _parse_timing(lines[k], k + 1, name, kind)
                cue = _Cue(start, end, [])
                cues.append(cue)
            else:
                cue.lines.append(lines[k])
    return cues


def _decode_entities(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group("name"):
            return _ENTITIES[m.group("name")]
        code = int(m.group("dec")) if m.group("dec") else int(m.group("hex"), 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return m.group(0)
        return chr(code)

    out = _ENTITY_RE.sub(sub, text) if "&" in text else text
    return out.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def _segments(cue: _Cue, kind: str) -> list[_Segment]:
    """Split a cue's payload into voice segments, tags removed and entities decoded."""
    segments: list[_Segment] = [_Segment(None)]
    for line_no, raw in enumerate(cue.lines):
        if line_no:
            segments[-1].lines.append("")
        if kind == "srt":
            segments[-1].lines[-1] += _decode_entities(_SRT_TAG_RE.sub("", raw))
            continue
        pos = 0
        for m in _VTT_TAG_RE.finditer(raw):
            segments[-1].lines[-1] += _decode_entities(raw[pos:m.start()])
            pos = m.end()
            tag = m.group(1).strip()
            voice = _VOICE_RE.match(tag)
            if voice:
                speaker = " ".join(_decode_entities(voice.group("name") or "").split())
                segments.append(_Segment(speaker or None))
            elif tag == "/v" or tag.startswith("/v "):
                segments.append(_Segment(None))
        segments[-1].lines[-1] += _decode_entities(raw[pos:])
    return segments


def _join(lines: list[str]) -> str:
    return " ".join(s for s in (line.strip() for line in lines) if s)


def _read_subtitles(data: bytes, name: str, options: TranscriptOptions,
                    kind: str) -> ParsedDocument:
    decoded = decode_bytes(data, name)
    cues = _parse_cues(decoded.text, name, kind)
    per_cue = [_segments(cue, kind) for cue in cues]

    # Visible "Name: text" labels, found with the plain-text rules over every payload line
    # that is not inside a voice tag (one line each, so line numbers map back).
    unvoiced = [line for segs in per_cue for seg in segs if seg.voice is None
                for line in seg.lines]
    probe = "\n".join(unvoiced)
    labels = detect_labels(probe, split_lines(probe) if probe else [], options)
    line_starts = [0]
    for line in unvoiced:
        line_starts.append(line_starts[-1] + len(line) + 1)

    # (speaker or None, words, cue number) in order
    events: list[tuple[str | None, str, int]] = []
    index = 0
    for number, segs in enumerate(per_cue):
        for seg in segs:
            if seg.voice is not None:
                events.append((seg.voice, _join(seg.lines), number))
                continue
            speaker: str | None = None
            current: list[str] = []
            for line in seg.lines:
                label = labels.get(index)
                index += 1
                if label is None:
                    current.append(line)
                    continue
                if speaker is not None or _join(current):
                    events.append((speaker, _join(current), number))
                speaker = " ".join(label[0].split())
                current = [line[label[1] - line_starts[index - 1]:]]
            if speaker is not None or _join(current):
                events.append((speaker, _join(current), number))

    asm = TextAssembler()
    turns: list[RawTurn] = []
    open_speaker = ""
    open_lines: list[str] = []
    open_cues: list[int] = []  # cue number of each line

    def flush() -> None:
        if open_speaker and open_lines:
            turn = asm.add_turn(open_speaker, open_lines, timestamp=cues[open_cues[0]].start,
                                timestamp_end=cues[open_cues[-1]].end, one_paragraph=True)
            if turn is not None:
                turns.append(turn)

    def extend(words: str, number: int) -> None:
        if open_cues and open_cues[-1] == number:  # same cue: one line
            open_lines[-1] += " " + words
        else:
            open_lines.append(words)
            open_cues.append(number)

    for speaker, words, number in events:
        if speaker and speaker != open_speaker:
            flush()
            open_speaker, open_lines, open_cues = speaker, [], []
        if not words:
            continue
        if speaker or open_speaker:
            extend(words, number)
            continue
        cue = cues[number]
        turn = asm.add_turn("", [words], timestamp=cue.start, timestamp_end=cue.end,
                            one_paragraph=True)
        if turn is not None:
            turns.append(turn)
    flush()
    return ParsedDocument(asm.text(), kind, tuple(turns), encoding=decoded.encoding)


def read_vtt(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read a WebVTT caption file as a transcript (see the module docstring).

    Parameters
    ----------
    data : bytes
        File content.
    name : str
        File name used in messages.
    options : TranscriptOptions
        ``speaker_pattern`` replaces the built-in ``Name:`` label rules.

    Returns
    -------
    ParsedDocument
        Format ``"vtt"``; one turn per run of cues of one speaker.

    Raises
    ------
    FormatError
        Not WebVTT, a malformed timing line or text outside a cue (names the line).

    Examples
    --------
    >>> vtt = b"WEBVTT\\n\\n00:01.000 --> 00:02.500\\n<v Ana>Hello there</v>\\n"
    >>> doc = read_vtt(vtt, "t.vtt", TranscriptOptions())
    >>> doc.text, doc.turns[0].timestamp_end
    ('Ana: Hello there\\n', 2.5)
    """
    return _read_subtitles(data, name, options, "vtt")


def read_srt(data: bytes, name: str, options: TranscriptOptions) -> ParsedDocument:
    """Read a SubRip subtitle file as a transcript (see the module docstring).

    Parameters
    ----------
    data : bytes
        File content.
    name : str
        File name used in messages.
    options : TranscriptOptions
        ``speaker_pattern`` replaces the built-in ``Name:`` label rules.

    Returns
    -------
    ParsedDocument
        Format ``"srt"``; one turn per run of cues of one speaker.

    Raises
    ------
    FormatError
        A malformed timing line or text outside a cue (names the line).

    Examples
    --------
    >>> srt = b"1\\n00:00:01,000 --> 00:00:02,000\\nInterviewer: Hi\\n"
    >>> read_srt(srt, "t.srt", TranscriptOptions()).turns[0].speaker
    'Interviewer'
    """
    return _read_subtitles(data, name, options, "srt")
