"""Documents, segments and corpora: cmqual's foundation.

A :class:`Corpus` is a set of :class:`Document` objects, each with its canonical text,
and three tables (see :mod:`cmqual.tables` for their columns): ``documents`` (one row per
document with its case attributes), ``segments`` (speaker turns, paragraphs and
sentences with exact offsets) and ``speakers``.

Offsets are 0-based, end-exclusive code-point indices into the document's canonical
text, so ``document.text[start:end]`` is always the segment's words. The canonical text of
``.txt``/``.md`` files is the decoded file with newlines normalised to ``\\n``; for other
formats it is the text the reader assembles (see each reader in :mod:`cmqual.io`).
Reading a corpus folder is :func:`cmqual.ingest.read_corpus`; this module is the model and
:func:`corpus_from_parsed`, which builds a corpus from reader results.

Levels
------
``turn``
    a speaker turn, from the first to the last word after the speaker label; in text
    without speaker labels each paragraph is also a turn (speaker "").
``paragraph``
    a paragraph inside a turn (see :mod:`cmqual.io.base` for the rule).
``sentence``
    a sentence inside a paragraph (never crossing paragraphs), found by
    :func:`cmqual.text.sentence_spans`.

Speaker roles
-------------
Each speaker is an ``interviewer`` or a ``participant``. Labels matching
``interviewer_labels`` (case-insensitive, an optional trailing number allowed: ``Q``,
``Interviewer 2``) are interviewers; ``speakers.csv`` in the corpus folder can set
``role`` per speaker (and add any other speaker attributes) for one file or all files.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from cmqual.errors import ConfigError
from cmqual.io.base import ParsedDocument, TranscriptOptions
from cmqual.tables import (
    DOCUMENT_COLUMNS,
    SEGMENT_COLUMNS,
    SPEAKER_COLUMNS,
    empty_table,
)
from cmqual.text import count_words, sentence_spans

__all__ = [
    "DEFAULT_INTERVIEWER_LABELS",
    "Corpus",
    "Document",
    "IngestOptions",
    "Segment",
    "build_segments",
    "corpus_from_parsed",
    "segment_id",
]

#: Speaker labels treated as interviewers unless ``speakers.csv`` says otherwise.
DEFAULT_INTERVIEWER_LABELS: tuple[str, ...] = (
    "interviewer", "int", "i", "q", "question", "questioner", "moderator", "facilitator",
    "researcher", "counsel", "counsel to the inquiry", "chair", "the chair", "chairman",
    "chairwoman", "chairperson",
)
_DOC_KEY_COLUMNS = ("file", "filename", "file_name", "doc", "document", "doc_id", "path")


@dataclass(frozen=True)
class IngestOptions:
    """Settings for reading a corpus (all optional; the defaults suit most transcripts).

    Parameters
    ----------
    transcript : TranscriptOptions
        Speaker-label pattern, paragraph rule and CSV column names.
    interviewer_labels : tuple of str
        Speaker labels whose role is ``interviewer``.
    attribute_types : dict
        Type overrides for ``metadata.csv`` columns, e.g. ``{"cohort": "category"}``.
    sentence_model : {"builtin", "nltk"}
        See :func:`cmqual.text.sentence_spans`.
    levels : tuple of str
        Segment levels to build (default all three). Leaving out ``"sentence"`` skips
        sentence splitting, the slowest step, when only turns or paragraphs are needed
        (``cmqual code --level turn`` does this); ``n_sentences`` is then 0.
    workers : int, optional
        Processes that read and segment files. ``None`` (default): one per core when
        the corpus holds at least :data:`PARALLEL_BYTES` of files and more than one
        file, else one; ``1`` always reads in this process. The result is the same
        either way (files are read in parallel, assembled in order).
    """

    transcript: TranscriptOptions = field(default_factory=TranscriptOptions)
    interviewer_labels: tuple[str, ...] = DEFAULT_INTERVIEWER_LABELS
    attribute_types: Mapping[str, str] = field(default_factory=dict)
    sentence_model: str = "builtin"
    levels: tuple[str, ...] = ("turn", "paragraph", "sentence")
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int)
            or self.workers < 1
        ):
            raise ConfigError(f"workers must be a whole number >= 1 (or None for automatic), "
                              f"not {self.workers!r}")
        if self.sentence_model not in ("builtin", "nltk"):
            raise ConfigError(
                f"sentence_model must be 'builtin' or 'nltk', not {self.sentence_model!r}"
            )
        levels = tuple(self.levels)
        bad = [lv for lv in levels if lv not in ("turn", "paragraph", "sentence")]
        if bad or not levels:
            raise ConfigError(
                f"levels must be some of turn, paragraph, sentence; got {list(levels)}"
            )
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "attribute_types",
                           MappingProxyType(dict(self.attribute_types)))
        object.__setattr__(self, "interviewer_labels",
                           tuple(str(x) for x in self.interviewer_labels))

    def __reduce__(self) -> tuple:  # the mapping proxy cannot be pickled (worker processes)
        return (IngestOptions, (self.transcript, self.interviewer_labels,
                                dict(self.attribute_types), self.sentence_model, self.levels,
                                self.workers))

    def is_interviewer(self, speaker: str) -> bool:
        """True when ``speaker`` matches one of ``interviewer_labels``."""
        return _label_base(speaker) in _lowered(self.interviewer_labels)


_NUMBER_SUFFIX_RE = re.compile(r"[\s#]*\d+$")


@lru_cache(maxsize=65536)
def _label_base(speaker: str) -> str:
    """A speaker label without a trailing number or dot, lower case (``Q2.`` -> ``q``)."""
    return _NUMBER_SUFFIX_RE.sub("", speaker.strip().rstrip(".")).strip().lower()


@lru_cache(maxsize=64)
def _lowered(labels: tuple[str, ...]) -> frozenset[str]:
    return frozenset(x.lower() for x in labels)


@dataclass(frozen=True)
class Document:
    """One transcript: canonical text plus where it came from.

    Attributes
    ----------
    id : str
        Path inside the corpus without extension, POSIX slashes (``interviews/p01``).
    path : str
        File path relative to the corpus folder (``interviews/p01.docx``).
    format : str
        Detected format: txt, md, otter, docx, vtt, srt, csv, xlsx.
    text : str
        Canonical text; every offset in cmqual indexes into it.
    sha256 : str
        SHA-256 of ``text`` encoded as UTF-8.
    encoding : str
        How the bytes were decoded ("" for formats that are not plain text).
    attributes : Mapping
        Case attributes from ``metadata.csv``.
    """

    id: str
    path: str
    format: str
    text: str
    sha256: str
    encoding: str = ""
    attributes: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __repr__(self) -> str:
        return f"Document(id={self.id!r}, format={self.format!r}, chars={len(self.text)})"


@dataclass(frozen=True)
class Segment:
    """One row of the segments table as an object (see :mod:`cmqual.tables`)."""

    doc_id: str
    doc: str
    segment_id: str
    level: str
    start: int
    end: int
    speaker: str
    speaker_role: str
    timestamp: float
    timestamp_end: float
    turn: int
    paragraph: int
    text: str
    n_words: int


def segment_id(doc_id: str, sha256: str, level: str, start: int, end: int) -> str:
    """Stable id of a segment: a hash of its document, its text's hash, level and span.

    The id changes when the document's text changes, so codings that name a segment of an
    older version of a transcript can be detected.
    """
    key = f"{doc_id}\x1f{sha256}\x1f{level}\x1f{start}\x1f{end}".encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:16]


def build_segments(doc_id: str, doc: str, parsed: ParsedDocument, sha256: str,
                   options: IngestOptions) -> list[tuple]:
    """Turn a reader's result into segment rows (columns of ``SEGMENT_COLUMNS``).

    Rows come turn by turn: the turn, then each paragraph followed by its sentences.
    Every level is built except sentences when ``options.levels`` leaves them out.
    """
    return _segment_rows(doc_id, doc, parsed, sha256, options,
                         ("turn", "paragraph", "sentence"))[0]


def _segment_rows(doc_id: str, doc: str, parsed: ParsedDocument, sha256: str,
                  options: IngestOptions, keep: Sequence[str]) -> tuple[list[tuple], int, int]:
    """Rows of the turns and of the levels in ``keep``, and the paragraph and sentence
    counts (sentences are only split when ``options.levels`` holds them)."""
    text = parsed.text
    nan = float("nan")
    rows: list[tuple] = []
    para_index = 0
    n_sentences = 0
    want_sentences = "sentence" in options.levels
    keep_paragraphs = "paragraph" in keep
    keep_sentences = "sentence" in keep
    model = options.sentence_model
    for t_index, turn in enumerate(parsed.turns):
        if not turn.paragraphs:
            continue
        speaker = turn.speaker
        role = ("interviewer" if options.is_interviewer(speaker) else "participant"
                ) if speaker else ""
        ts = nan if turn.timestamp is None else float(turn.timestamp)
        te = nan if turn.timestamp_end is None else float(turn.timestamp_end)
        t_start, t_end = turn.paragraphs[0][0], turn.paragraphs[-1][1]
        turn_row = len(rows)
        rows.append(None)  # placeholder: the turn's word count is the sum of its paragraphs
        turn_words = 0
        for p_start, p_end in turn.paragraphs:
            p_row = len(rows)
            if keep_paragraphs:
                rows.append(None)
            p_words = 0
            if not want_sentences:
                p_words = count_words(text[p_start:p_end])
            else:
                for s_start, s_end in sentence_spans(text, p_start, p_end, model=model):
                    s_text = text[s_start:s_end]
                    n = count_words(s_text)
                    p_words += n
                    n_sentences += 1
                    if keep_sentences:
                        rows.append((doc_id, doc,
                                     segment_id(doc_id, sha256, "sentence", s_start, s_end),
                                     "sentence", s_start, s_end, speaker, role, ts, te,
                                     t_index, para_index, s_text, n))
            if keep_paragraphs:
                rows[p_row] = (doc_id, doc,
                               segment_id(doc_id, sha256, "paragraph", p_start, p_end),
                               "paragraph", p_start, p_end, speaker, role, ts, te, t_index,
                               para_index, text[p_start:p_end], p_words)
            turn_words += p_words
            para_index += 1
        rows[turn_row] = (doc_id, doc, segment_id(doc_id, sha256, "turn", t_start, t_end),
                          "turn", t_start, t_end, speaker, role, ts, te, t_index,
                          para_index - len(turn.paragraphs), text[t_start:t_end], turn_words)
    return rows, para_index, n_sentences


def _doc_id(rel: str) -> str:
    p = Path(rel)
    return p.with_suffix("").as_posix()


class Corpus:
    """A read corpus: documents, their canonical texts and the segments tables.

    Build one with :func:`read_corpus`. Attributes are plain DataFrames (columns in
    :mod:`cmqual.tables`); treat them as read-only.

    Attributes
    ----------
    name : str
        Folder name of the corpus.
    root : Path or None
        Folder the corpus was read from.
    documents : DataFrame
        One row per document, with case attributes.
    segments : DataFrame
        Turns, paragraphs and sentences with exact offsets.
    speakers : DataFrame
        One row per (document, speaker) with role and speaker attributes.
    texts : Mapping[str, str]
        ``doc_id`` → canonical text.
    attribute_types : Mapping[str, str]
        Type of each document attribute column.
    """

    def __init__(self, name: str, root: Path | None, docs: Sequence[Document],
                 documents: pd.DataFrame, segments: pd.DataFrame, speakers: pd.DataFrame,
                 attribute_types: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.root = root
        self._docs = {d.id: d for d in docs}
        self.documents = documents
        self.segments = segments
        self.speakers = speakers
        self.texts: Mapping[str, str] = MappingProxyType({d.id: d.text for d in docs})
        self.attribute_types: Mapping[str, str] = MappingProxyType(dict(attribute_types or {}))

    # -- access ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._docs)

    def __iter__(self) -> Iterator[Document]:
        return iter(self._docs.values())

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    @property
    def doc_ids(self) -> list[str]:
        """Document ids in corpus order."""
        return list(self._docs)

    def document(self, doc_id: str) -> Document:
        """Return the document with id (or corpus-relative path) ``doc_id``."""
        if doc_id in self._docs:
            return self._docs[doc_id]
        for d in self._docs.values():
            if d.path == doc_id:
                return d
        raise KeyError(
            f"no document {doc_id!r} in corpus {self.name!r}; ids look like "
            f"{', '.join(list(self._docs)[:3])}"
        )

    def segments_at(self, level: str) -> pd.DataFrame:
        """The segments of one level (``turn``, ``paragraph`` or ``sentence``)."""
        if level not in ("turn", "paragraph", "sentence"):
            raise ConfigError(f"level must be turn, paragraph or sentence, not {level!r}")
        return self.segments[self.segments["level"] == level].reset_index(drop=True)

    def segment(self, segment_id: str) -> Segment:
        """Return one segment as a :class:`Segment` object."""
        rows = self.segments[self.segments["segment_id"] == segment_id]
        if rows.empty:
            raise KeyError(f"no segment {segment_id!r} in corpus {self.name!r}")
        row = rows.iloc[0]
        return Segment(**{c: _py(row[c]) for c in SEGMENT_COLUMNS})

    @property
    def hash(self) -> str:
        """SHA-256 over every document id, text hash and attribute: the corpus's identity."""
        h = hashlib.sha256()
        for d in sorted(self._docs.values(), key=lambda d: d.id):
            attrs = json.dumps({k: str(v) for k, v in d.attributes.items()}, sort_keys=True)
            h.update(f"{d.id}\t{d.path}\t{d.sha256}\t{attrs}\n".encode())
        return h.hexdigest()

    # -- summaries ------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Totals: documents, speakers, turns, paragraphs, sentences, words, attributes."""
        d = self.documents
        rows = [
            ("documents", len(d)),
            ("formats", ", ".join(f"{k} {v}" for k, v in
                                  sorted(d["format"].value_counts().items()))),
            ("speakers", int(self.speakers[["speaker"]].drop_duplicates().shape[0])),
            ("turns", int(d["n_turns"].sum())),
            ("paragraphs", int(d["n_paragraphs"].sum())),
            ("sentences", int(d["n_sentences"].sum())),
            ("words", int(d["n_words"].sum())),
            ("characters", int(d["n_chars"].sum())),
            ("attributes", ", ".join(f"{k} ({v})" for k, v in self.attribute_types.items())
             or "(none)"),
        ]
        return pd.DataFrame(rows, columns=["measure", "value"]).astype({"value": "string"})

    def __repr__(self) -> str:
        d = self.documents
        return (f"<Corpus {self.name!r}: {len(d)} documents, {int(d['n_turns'].sum())} turns, "
                f"{int(d['n_sentences'].sum())} sentences, {int(d['n_words'].sum())} words>")

    def _repr_html_(self) -> str:
        cols = ["doc", "format", "n_speakers", "n_turns", "n_sentences", "n_words"]
        cols += [c for c in self.attribute_types][:4]
        table = self.documents[cols].head(20).to_html(index=False, border=0, na_rep="")
        more = (f"<p>… and {len(self.documents) - 20} more documents</p>"
                if len(self.documents) > 20 else "")
        summary = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(m))}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for m, v in self.summary().itertuples(index=False)
        )
        return (f"<div><strong>cmqual corpus {html.escape(self.name)}</strong>"
                f"<table>{summary}</table>{table}{more}</div>")


def _py(value: object) -> object:
    if hasattr(value, "item"):
        return value.item()
    return value


def corpus_from_parsed(name: str, parsed: Mapping[str, ParsedDocument],
                       options: IngestOptions | None = None, *,
                       attributes: pd.DataFrame | None = None,
                       attribute_types: Mapping[str, str] | None = None,
                       speaker_attributes: pd.DataFrame | None = None,
                       root: Path | None = None,
                       parts: Mapping[str, _Part] | None = None) -> Corpus:
    """Build a :class:`Corpus` from reader results keyed by corpus-relative path (pure).

    ``attributes`` has one row per document, indexed by doc_id; ``speaker_attributes``
    has columns ``doc_id`` ("" for every document), ``speaker`` and optionally ``role``.
    ``parts`` holds documents already segmented (by :func:`_document_part`, in worker
    processes); the others are segmented here.
    """
    options = options or IngestOptions()
    docs: list[Document] = []
    frames: list[pd.DataFrame] = []
    doc_rows: list[dict] = []
    spk_rows: list[dict] = []
    attr_records = {} if attributes is None else attributes.to_dict("index")
    spk_roles = _speaker_overrides(speaker_attributes)
    for rel in sorted(parsed):
        p = parsed[rel]
        doc_id = _doc_id(rel)
        part = (parts.get(rel) if parts else None) or _document_part(rel, p, options)
        attrs = {k: v for k, v in attr_records.get(doc_id, {}).items()}
        docs.append(Document(doc_id, rel, p.format, p.text, part.sha256, p.encoding,
                             MappingProxyType(attrs)))
        roles = {spk: role for spk, *_ in part.speakers
                 if (role := spk_roles.get((doc_id, spk)) or spk_roles.get(("", spk)))}
        frame = part.segments
        if roles and len(frame):
            mapped = frame["speaker"].map(roles)
            frame = frame.assign(speaker_role=mapped.where(mapped.notna(), frame["speaker_role"])
                                 .astype(SEGMENT_COLUMNS["speaker_role"]))
        if len(frame):
            frames.append(frame)
        for spk, role, n_turns, n_words in part.speakers:
            spk_rows.append({"doc_id": doc_id, "speaker": spk,
                             "speaker_role": roles.get(spk, role),
                             "n_turns": n_turns, "n_words": n_words})
        doc_rows.append({
            "doc_id": doc_id, "doc": rel, "format": p.format, "encoding": p.encoding,
            "sha256": part.sha256, "n_chars": len(p.text),
            "n_words": part.n_words,
            "n_turns": part.n_turns,
            "n_paragraphs": part.n_paragraphs,
            "n_sentences": part.n_sentences,
            "n_speakers": len(part.speakers),
            "speakers": "; ".join(spk for spk, *_ in part.speakers),
        })
    segments = (pd.concat(frames, ignore_index=True) if frames
                else empty_table(SEGMENT_COLUMNS))
    documents = (pd.DataFrame(doc_rows, columns=list(DOCUMENT_COLUMNS)).astype(DOCUMENT_COLUMNS)
                 if doc_rows else empty_table(DOCUMENT_COLUMNS))
    if attributes is not None and len(attributes.columns):
        documents = documents.join(attributes, on="doc_id")
    speakers_df = (pd.DataFrame(spk_rows, columns=list(SPEAKER_COLUMNS)).astype(SPEAKER_COLUMNS)
                   if spk_rows else empty_table(SPEAKER_COLUMNS))
    speakers_df = _join_speaker_attributes(speakers_df, speaker_attributes)
    return Corpus(name, root, docs, documents, segments, speakers_df, attribute_types)


def _rows_frame(rows: list[tuple], columns: Mapping[str, str]) -> pd.DataFrame:
    """A typed table from row tuples, built column by column (no type inference)."""
    if not rows:
        return empty_table(columns)
    data = {}
    for i, (name, dtype) in enumerate(columns.items()):
        values = list(map(itemgetter(i), rows))
        data[name] = pd.array(values, dtype=dtype) if dtype == "string" else np.array(
            values, dtype=dtype)
    return pd.DataFrame(data)


@dataclass(frozen=True)
class _Part:
    """One document hashed and segmented (in a worker process for large corpora).

    ``segments`` holds the rows of ``options.levels`` as a typed table (a table pickles as
    a few buffers, where a million row tuples cost seconds to send), with speaker roles as
    the labels give them; ``speakers.csv`` roles are applied when the corpus is assembled.
    ``speakers``: (speaker, role, turns, words) in order of first turn.
    """

    sha256: str
    segments: pd.DataFrame
    speakers: tuple[tuple[str, str, int, int], ...]
    n_words: int
    n_turns: int
    n_paragraphs: int
    n_sentences: int


def _document_part(rel: str, parsed: ParsedDocument, options: IngestOptions) -> _Part:
    """Hash and segment one document (see :class:`_Part`)."""
    sha = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
    rows, n_paragraphs, n_sentences = _segment_rows(_doc_id(rel), rel, parsed, sha, options,
                                                    options.levels)
    turns = [r for r in rows if r[3] == "turn"]
    speakers: dict[str, list] = {}
    for r in turns:
        if r[6]:
            entry = speakers.setdefault(r[6], [r[7], 0, 0])
            entry[1] += 1
            entry[2] += r[13]
    kept = rows if "turn" in options.levels else [r for r in rows if r[3] != "turn"]
    return _Part(sha, _rows_frame(kept, SEGMENT_COLUMNS),
                 tuple((spk, role, n, w) for spk, (role, n, w) in speakers.items()),
                 sum(r[13] for r in turns), len(turns), n_paragraphs, n_sentences)


def _speaker_overrides(table: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    if table is None or "role" not in table.columns:
        return {}
    return {(str(r.doc_id), str(r.speaker)): str(r.role).strip().lower()
            for r in table.itertuples() if str(r.role).strip()}


def _join_speaker_attributes(speakers: pd.DataFrame, table: pd.DataFrame | None) -> pd.DataFrame:
    if table is None:
        return speakers
    extra = [c for c in table.columns if c not in ("doc_id", "speaker", "role")]
    if not extra:
        return speakers
    specific = table[table["doc_id"] != ""][["doc_id", "speaker", *extra]]
    general = table[table["doc_id"] == ""][["speaker", *extra]]
    out = speakers.merge(specific, on=["doc_id", "speaker"], how="left")
    if len(general):
        filled = speakers[["speaker"]].merge(general, on="speaker", how="left")
        for c in extra:
            out[c] = out[c].where(out[c].notna(), filled[c].to_numpy())
    out = out.astype(SPEAKER_COLUMNS)
    return out.astype({c: "string" for c in extra})
