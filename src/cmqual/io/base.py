"""What every transcript reader produces, and the speaker-turn detection they share.

A reader turns a file into a :class:`ParsedDocument`: the canonical text plus the speaker
turns found in it, each turn holding the offsets of its paragraphs. Offsets are 0-based,
end-exclusive code-point indices into ``ParsedDocument.text`` and are trimmed of white
space, so ``text[start:end]`` is exactly the words. Speaker labels and timestamp headers are
outside every span. Sentences are added later by :mod:`cmqual.corpus`.

Speaker labels in plain text
----------------------------
A label must start a line (up to three spaces of indent allowed). Recognised forms:
``Name: text``, ``**Name**: text`` / ``**Name:** text``, ``[Name] text``, ``Q:`` / ``A:``;
and ``Name:`` with the timestamp that transcription services (Rev, Trint, Descript...)
put beside it: ``Name (01:02):``, ``Name [00:01:02]:``, ``[00:01:02] Name:``,
``00:01:02 Name:``, ``Name: [00:01:02] words`` (a bare time after the colon is words:
``Ana: 10:30 is fine``), and ``[Name] 14:02:33`` (Zoom). A document needs two such timed
labels (or a role, or one on its first line) before they count. The timestamp becomes the
turn's time, outside its span; a timed turn ends where the next timed turn starts.
A ``Name`` is one to five words, each capitalised, a number, an initial or a connecting word
(``of``, ``the``, ``de``, ``van`` ...), at most 40 characters, and the colon must be followed
by white space, so ``10:30`` or ``http://`` never count. To avoid taking ``Note: ...`` or a
one-off ``Sometimes I thought: ...`` for a speaker, a candidate label is accepted when

* it is not a known non-speaker word (``Note``, ``NB``, ``Date``, ``Subject`` ...), and
* it occurs at the start of a line at least twice in the document, or looks like a role
  (``Interviewer``, ``Participant 3``, ``Q``, ``A``, ``Speaker 2``, ``Counsel`` ...), or is the
  first non-blank line of the document (a transcript that starts with a label), or — once
  one label has been accepted this way — it is a ``Name:`` of at most three words
  (a speaker who talks only once).

``[Name]`` labels must occur at least twice and are never annotation words such as
``[inaudible 00:12:03]`` or ``[laughs]``. All of this is replaced by a single custom regular
expression (``speaker_pattern``, with a named group ``speaker``) when the user gives one.

Paragraphs
----------
``paragraphs="line"``: every non-blank line is a paragraph (what Word, Otter and most
transcription services write). ``"blank"``: paragraphs are blocks separated by blank lines
(hard-wrapped text). ``"auto"`` (default) picks ``blank`` only for hard-wrapped text: blank
lines present, some block of three or more unlabelled lines, and 95 % of lines at most 100
characters long. A speaker label always starts a new paragraph. Text that belongs to no
speaker (all of an unlabelled document, a title above the first label) forms turns of its
own, one per paragraph, with an empty speaker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cmqual.errors import ConfigError

__all__ = [
    "ParsedDocument",
    "RawTurn",
    "TextAssembler",
    "TranscriptOptions",
    "detect_labels",
    "is_name",
    "parse_labelled_text",
    "parse_timestamp",
    "split_lines",
]

NOT_SPEAKERS: frozenset[str] = frozenset(
    {
        "note", "notes", "nb", "n.b", "ps", "p.s", "pps", "example", "examples", "e.g", "eg",
        "i.e", "ie", "source", "sources", "subject", "re", "date", "time", "location", "place",
        "venue", "duration", "length", "transcript", "title", "file", "filename", "keywords",
        "summary", "tags", "link", "url", "http", "https", "warning", "caution", "update",
        "edit", "edited", "reminder", "tip", "todo", "action", "actions", "agenda", "attendees",
        "present", "apologies", "recorded", "recording", "audio", "video", "transcribed by",
        "also", "and", "but", "so", "then", "because", "however", "important", "fact",
        "question", "answer",
    }
)
_ROLE_RE = re.compile(
    r"^(?:interviewer|interviewee|int|participant|respondent|speaker|moderator|facilitator|"
    r"researcher|student|pupil|mentor|mentee|coach|coachee|trainee|teacher|tutor|parent|"
    r"q|a|i|p|r|chair|the chair|chairman|chairwoman|chairperson|counsel|witness|"
    r"unknown speaker|unidentified speaker|male|female)(?:\s*#?\d+|\s+[A-Z])?$",
    re.IGNORECASE,
)
_CONNECTORS = frozenset(
    {"of", "the", "de", "del", "della", "van", "von", "der", "den", "da", "di", "du", "le",
     "la", "al", "el", "bin", "bint", "ibn", "and", "&", "for", "to", "in", "on", "at"}
)
_ANNOTATION_WORDS = (
    "inaudible", "unclear", "unintelligible", "indistinct", "laugh", "crosstalk", "cross talk",
    "pause", "silence", "cough", "sigh", "overlap", "overtalk", "interruption", "noise",
    "music", "applause", "redacted", "break", "end", "start", "recording", "audio", "sound",
    "phone", "background", "long pause", "short pause", "sic", "?",
)

_BOLD_RE = re.compile(
    r"[ \t]{0,3}\*\*(?P<speaker>[^*\n]{1,60}?)[ \t]*(?::[ \t]*\*\*|\*\*[ \t]*:)(?=\s|$)"
)
_BRACKET_RE = re.compile(r"[ \t]{0,3}\[(?P<speaker>[^\]\n]{1,60})\](?=[ \t]+\S)")
_COLON_RE = re.compile(
    r"[ \t]{0,3}(?P<speaker>[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-&]+){0,4}?)[ \t]*:(?=[ \t]|$)"
)
_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# A Name: label with a timestamp before the name, after it or after the colon (Rev,
# Trint, Descript and similar services): "[00:01:02] Name:", "Name (01:02):",
# "Name [00:01:02]:", "Name: [00:01:02] words". A bare time after the colon is not taken
# ("Ana: 10:30 is fine" is Ana saying a time).
_TIMED_RE = re.compile(
    rf"[ \t]{{0,3}}(?:(?:\[(?P<t1>{_TS})\]|\((?P<t2>{_TS})\)|(?P<t3>{_TS}))[ \t]+)?"
    r"(?P<speaker>[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-&]+){0,4}?)"
    rf"(?:[ \t]*(?:\[(?P<t4>{_TS})\]|\((?P<t5>{_TS})\)))?"
    r"[ \t]*:(?=[ \t]|$)"
    rf"(?:[ \t]*(?:\[(?P<t6>{_TS})\]|\((?P<t7>{_TS})\))(?=[ \t]|$))?"
)
# "[Name] 14:02:33" (Zoom and others): a bracketed name, then a time, words after it or on
# the next lines.
_BRACKET_TIMED_RE = re.compile(
    rf"[ \t]{{0,3}}\[(?P<speaker>[^\]\n]{{1,60}})\][ \t]+(?:\[(?P<t1>{_TS})\]|"
    rf"\((?P<t2>{_TS})\)|(?P<t3>{_TS}))(?=[ \t]|$)"
)
_TIMESTAMP_RE = re.compile(
    r"^\s*(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,3}))?\s*$"
)


@dataclass(frozen=True)
class RawTurn:
    """A speaker turn as found by a reader (offsets into the canonical text)."""

    speaker: str
    paragraphs: tuple[tuple[int, int], ...]
    timestamp: float | None = None
    timestamp_end: float | None = None


@dataclass(frozen=True)
class ParsedDocument:
    """A reader's result: canonical text, detected format, speaker turns."""

    text: str
    format: str
    turns: tuple[RawTurn, ...]
    encoding: str = ""
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class TranscriptOptions:
    """How transcripts are parsed.

    Parameters
    ----------
    speaker_pattern : str, optional
        A regular expression matched at the start of each line, with a named group
        ``speaker``; the turn's words start after the match. Replaces the built-in label
        detection.
    paragraphs : {"auto", "line", "blank"}
        Paragraph rule (see the module docstring).
    csv_columns : dict, optional
        Column names for CSV/XLSX transcripts: keys ``speaker``, ``text``, ``start``, ``end``.
    """

    speaker_pattern: str | None = None
    paragraphs: str = "auto"
    csv_columns: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.paragraphs not in ("auto", "line", "blank"):
            raise ConfigError(
                f"paragraphs must be 'auto', 'line' or 'blank', not {self.paragraphs!r}"
            )
        if self.speaker_pattern is not None:
            try:
                rx = re.compile(self.speaker_pattern)
            except re.error as exc:
                raise ConfigError(
                    f"speaker_pattern {self.speaker_pattern!r} is not a valid regular "
                    f"expression: {exc}"
                ) from None
            if "speaker" not in rx.groupindex:
                raise ConfigError(
                    f"speaker_pattern {self.speaker_pattern!r} needs a named group "
                    "(?P<speaker>...) for the speaker's name"
                )
        bad = {k for k, _ in self.csv_columns} - {"speaker", "text", "start", "end"}
        if bad:
            raise ConfigError(
                f"csv_columns keys must be speaker, text, start, end; got {sorted(bad)}"
            )


def split_lines(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of every line, splitting on ``\\n`` only (end excludes it)."""
    spans = []
    pos = 0
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        if nl < 0:
            if pos < n:
                spans.append((pos, n))
            break
        spans.append((pos, nl))
        pos = nl + 1
    return spans


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def parse_timestamp(value: object) -> float | None:
    """Seconds from ``h:mm:ss``, ``mm:ss``, ``hh:mm:ss.mmm``/``,mmm`` or a number; else None.

    >>> parse_timestamp("1:02:03,5")
    3723.5
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if value != value else float(value)
    if hasattr(value, "hour") and hasattr(value, "minute"):  # datetime.time / datetime
        return value.hour * 3600.0 + value.minute * 60.0 + value.second + getattr(
            value, "microsecond", 0) / 1e6
    if hasattr(value, "total_seconds"):
        return float(value.total_seconds())
    m = _TIMESTAMP_RE.match(str(value))
    if not m:
        try:
            return float(str(value).strip())
        except ValueError:
            return None
    frac = m.group("f") or ""
    return (
        int(m.group("h") or 0) * 3600
        + int(m.group("m")) * 60
        + int(m.group("s"))
        + (int(frac) / 10 ** len(frac) if frac else 0.0)
    )


def is_name(label: str) -> bool:
    """True when ``label`` reads as a speaker name or role (see the module docstring)."""
    label = label.strip()
    if not label or len(label) > 40:
        return False
    for word in label.split():
        bare = word.strip(".'’-")
        if not bare:
            return False
        if bare[0].isupper() or bare.isdigit() or word.lower() in _CONNECTORS:
            continue
        return False
    return True


def _is_annotation(label: str) -> bool:
    low = label.lower().strip()
    return any(low.startswith(w) for w in _ANNOTATION_WORDS) or bool(re.search(r"\d:\d", low))


#: A label: speaker, offset where the words start, and the timestamp (seconds) the label
#: carries, if any.
Label = tuple[str, int, float | None]


def detect_labels(text: str, lines: list[tuple[int, int]],
                  options: TranscriptOptions) -> dict[int, Label]:
    """Find speaker labels: ``{line index: (speaker, offset where the words start, time)}``.

    ``time`` is the label's timestamp in seconds (``Name (01:02):``, ``[00:01:02] Name:``;
    a ``speaker_pattern`` with a ``timestamp`` group), else None.
    """
    found: dict[int, Label] = {}
    if options.speaker_pattern is not None:
        rx = re.compile(options.speaker_pattern)
        timed = "timestamp" in rx.groupindex
        for i, (ls, le) in enumerate(lines):
            m = rx.match(text, ls, le)
            if m and m.group("speaker") and m.group("speaker").strip():
                ts = parse_timestamp(m.group("timestamp")) if timed else None
                found[i] = (m.group("speaker").strip(), m.end(), ts)
        return found
    candidates: dict[int, tuple[str, int, str, float | None]] = {}
    for i, (ls, le) in enumerate(lines):
        timed = _timed_label(text, ls, le)
        if timed is not None:
            candidates[i] = timed
            continue
        for kind, rx in (("bold", _BOLD_RE), ("bracket", _BRACKET_RE), ("colon", _COLON_RE)):
            m = rx.match(text, ls, le)
            if not m:
                continue
            speaker = m.group("speaker").strip()
            if kind == "colon" and not is_name(speaker):
                continue
            if speaker.lower().rstrip(".") in NOT_SPEAKERS:
                continue
            if kind == "bracket" and (_is_annotation(speaker) or not is_name(speaker)):
                continue
            candidates[i] = (speaker, m.end(), kind, None)
            break
    if not candidates:
        return found
    counts: dict[tuple[str, str], int] = {}
    for speaker, _, kind, _ in candidates.values():
        counts[(speaker, kind)] = counts.get((speaker, kind), 0) + 1
    first_content = next((i for i, (ls, le) in enumerate(lines) if text[ls:le].strip()), -1)
    n_timed = sum(1 for c in candidates.values() if c[2] == "timed")
    for i, (speaker, end, kind, ts) in candidates.items():
        n = counts[(speaker, kind)]
        if kind == "timed":  # a name with a time: a label once the document has two
            ok = n_timed >= 2 or bool(_ROLE_RE.match(speaker)) or i == first_content
        elif kind == "bracket":
            ok = n >= 2
        else:
            ok = n >= 2 or bool(_ROLE_RE.match(speaker)) or i == first_content
        if ok:
            found[i] = (speaker, end, ts)
    if found:  # a labelled transcript: speakers who talk once count too
        for i, (speaker, end, kind, ts) in candidates.items():
            if i not in found and kind in ("colon", "timed") and len(speaker.split()) <= 3:
                found[i] = (speaker, end, ts)
    return found


def _timed_label(text: str, start: int, end: int) -> tuple[str, int, str, float] | None:
    """A label with a timestamp on the line ``[start, end)``: (speaker, words start,
    ``"timed"``, seconds), or None."""
    for kind, rx in (("colon", _TIMED_RE), ("bracket", _BRACKET_TIMED_RE)):
        m = rx.match(text, start, end)
        if not m:
            continue
        stamp = next((v for k, v in m.groupdict().items() if k != "speaker" and v), None)
        speaker = m.group("speaker").strip()
        if (stamp and is_name(speaker) and speaker.lower().rstrip(".") not in NOT_SPEAKERS
                and not (kind == "bracket" and _is_annotation(speaker))):
            return speaker, m.end(), "timed", parse_timestamp(stamp)
    return None


def _hard_wrapped(text: str, lines: list[tuple[int, int]], labels: dict) -> bool:
    lengths = sorted(le - ls for ls, le in lines if text[ls:le].strip())
    if not lengths or all(text[ls:le].strip() for ls, le in lines):
        return False
    if lengths[int(0.95 * (len(lengths) - 1))] > 100:
        return False
    run = 0
    for i, (ls, le) in enumerate(lines):
        if text[ls:le].strip() and i not in labels:
            run += 1
            if run >= 3:
                return True
        else:
            run = 0
    return False


def parse_labelled_text(text: str, options: TranscriptOptions, *,
                        lines: list[tuple[int, int]] | None = None,
                        labels: Mapping[int, tuple] | None = None,
                        paragraphs: str | None = None,
                        skip: frozenset[int] = frozenset()) -> list[RawTurn]:
    """Group lines into speaker turns and paragraphs (see the module docstring).

    ``labels`` may be given by readers that know the speakers (bold runs in Word):
    ``{line: (speaker, offset where the words start[, timestamp])}``; lines in ``skip``
    belong to no segment (headers, footers). When labels carry timestamps, a turn's end
    time is the next timed turn's start.
    """
    if lines is None:
        lines = split_lines(text)
    if labels is None:
        labels = detect_labels(text, lines, options)
    mode = paragraphs or options.paragraphs
    if mode == "auto":
        mode = "blank" if _hard_wrapped(text, lines, labels) else "line"

    turns: list[tuple[str, list[tuple[int, int]], float | None]] = []
    para: list[int] | None = None  # [start, end] of the open paragraph

    def close() -> None:
        nonlocal para
        if para is not None:
            s, e = trim(text, para[0], para[1])
            if e > s:
                if not turns:
                    turns.append(("", [], None))
                turns[-1][1].append((s, e))
            para = None

    for i, (ls, le) in enumerate(lines):
        if i in skip:
            close()
            continue
        if i in labels:
            close()
            speaker, content = labels[i][0], labels[i][1]
            turns.append((speaker, [], labels[i][2] if len(labels[i]) > 2 else None))
            if text[content:le].strip():
                para = [content, le]
            continue
        if not text[ls:le].strip():
            close()
            continue
        if not turns:
            turns.append(("", [], None))
        if mode == "line" or para is None:
            close()
            para = [ls, le]
        else:
            para[1] = le
    close()

    out: list[RawTurn] = []
    starts = [ts for speaker, _, ts in turns if speaker and ts is not None]
    following = iter(starts[1:])
    for speaker, paras, ts in turns:
        if speaker:
            end = next(following, None) if ts is not None else None
            out.append(RawTurn(speaker, tuple(paras), ts, end))
        else:  # no speaker: each paragraph is a turn of its own
            out.extend(RawTurn("", (p,)) for p in paras)
    return out


class TextAssembler:
    """Build canonical text line by line for formats whose text cmqual assembles.

    Each line is written followed by ``\\n``; the text a caller passes is normalised to
    ``\\n`` newlines and otherwise kept. Offsets of what was written are returned so
    readers can record exact spans.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0

    @property
    def position(self) -> int:
        return self._pos

    def write(self, piece: str) -> tuple[int, int]:
        """Append ``piece`` (no newline added); return its span."""
        if "\r" in piece:
            piece = piece.replace("\r\n", "\n").replace("\r", "\n")
        start = self._pos
        self._parts.append(piece)
        self._pos += len(piece)
        return start, self._pos

    def line(self, piece: str = "") -> tuple[int, int]:
        """Append ``piece`` and a newline; return the span of ``piece``."""
        span = self.write(piece)
        self.write("\n")
        return span

    def text(self) -> str:
        return "".join(self._parts)

    def add_turn(self, speaker: str, lines: list[str], *, label: str | None = None,
                 timestamp: float | None = None, timestamp_end: float | None = None,
                 one_paragraph: bool = False) -> RawTurn | None:
        """Write a turn as ``label`` + first line, then one line per further line.

        ``label`` defaults to ``"Speaker: "`` (nothing when ``speaker`` is empty). Every
        non-blank line is a paragraph unless ``one_paragraph`` (cues of one speaker).
        Returns None when the turn has no words.
        """
        if label is None:
            label = f"{speaker}: " if speaker else ""
        if len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]:
            pieces = [lines[0]]  # the common case (a table row, a cue line), made quick
        else:
            pieces = [p for chunk in lines for p in chunk.replace("\r\n", "\n").replace(
                "\r", "\n").split("\n")]
        while pieces and not pieces[-1].strip():
            pieces.pop()
        while pieces and not pieces[0].strip():
            pieces.pop(0)
        if not pieces:
            return None
        self.write(label)
        spans = []
        for piece in pieces:
            s, e = self.line(piece)
            s, e = trim_str(piece, s, e)
            if e > s:
                spans.append((s, e))
        if one_paragraph:
            spans = [(spans[0][0], spans[-1][1])]
        return RawTurn(speaker, tuple(spans), timestamp, timestamp_end)


def trim_str(piece: str, start: int, end: int) -> tuple[int, int]:
    """Trim the span ``[start, end)`` whose text is ``piece`` of surrounding white space."""
    lead = len(piece) - len(piece.lstrip())
    stripped = piece.strip()
    return start + lead, start + lead + len(stripped)
