"""Documents, segments and corpora: cmqual's foundation.

A :class:`Corpus` is a set of :class:`Document` objects, each with its canonical text,
and three tables (see :mod:`cmqual.tables` for their columns): ``documents`` (one row per
document with its case attributes), ``segments`` (speaker turns, paragraphs and
sentences with exact offsets) and ``speakers``.

Offsets are 0-based, end-exclusive code-point indices into the document's canonical
text, so ``document.text[start:end]`` is always the segment's words. The canonical text of
``.txt``/``.md`` files is the decoded file with newlines normalised to ``\\n``; for other
formats it is the text the reader assembles (see each reader in :mod:`cmqual.io`).

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

import contextlib
import hashlib
import html
import json
import multiprocessing
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from cmqual._gcpause import no_gc
from cmqual.attributes import type_attributes
from cmqual.errors import CmqualError, CmqualWarning, ConfigError, CorpusError, MetadataError
from cmqual.io import get_reader
from cmqual.io.base import ParsedDocument, TranscriptOptions
from cmqual.io.folder import list_corpus_files, read_bytes, read_string_table
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
    "read_corpus",
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
    keep = set(options.levels)
    docs: list[Document] = []
    seg_rows: list[tuple] = []
    doc_rows: list[dict] = []
    spk_rows: list[dict] = []
    attr_records = {} if attributes is None else attributes.to_dict("index")
    spk_roles = _speaker_overrides(speaker_attributes)
    for rel in sorted(parsed):
        p = parsed[rel]
        doc_id = _doc_id(rel)
        part = parts.get(rel) if parts else None
        sha, rows, n_paragraphs, n_sentences = part or _document_part(rel, p, options)
        attrs = {k: v for k, v in attr_records.get(doc_id, {}).items()}
        docs.append(Document(doc_id, rel, p.format, p.text, sha, p.encoding,
                             MappingProxyType(attrs)))
        rows = _apply_roles(rows, doc_id, spk_roles)
        turns = [r for r in rows if r[3] == "turn"]
        seg_rows.extend(rows if "turn" in keep else (r for r in rows if r[3] != "turn"))
        speakers: dict[str, list] = {}
        for r in turns:
            if r[6]:
                entry = speakers.setdefault(r[6], [r[7], 0, 0])
                entry[1] += 1
                entry[2] += r[13]
        for spk, (role, n_turns, n_words) in speakers.items():
            spk_rows.append({"doc_id": doc_id, "speaker": spk, "speaker_role": role,
                             "n_turns": n_turns, "n_words": n_words})
        doc_rows.append({
            "doc_id": doc_id, "doc": rel, "format": p.format, "encoding": p.encoding,
            "sha256": sha, "n_chars": len(p.text),
            "n_words": sum(r[13] for r in turns),
            "n_turns": len(turns),
            "n_paragraphs": n_paragraphs,
            "n_sentences": n_sentences,
            "n_speakers": len(speakers), "speakers": "; ".join(speakers),
        })
    segments = _rows_frame(seg_rows, SEGMENT_COLUMNS)
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


_Part = tuple[str, list[tuple], int, int]  # (sha256, rows, n_paragraphs, n_sentences)


def _document_part(rel: str, parsed: ParsedDocument, options: IngestOptions) -> _Part:
    """Hash and segment one document: its rows for the turns and ``options.levels``."""
    sha = hashlib.sha256(parsed.text.encode("utf-8")).hexdigest()
    rows, n_paragraphs, n_sentences = _segment_rows(_doc_id(rel), rel, parsed, sha, options,
                                                    options.levels)
    return sha, rows, n_paragraphs, n_sentences


def _speaker_overrides(table: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    if table is None or "role" not in table.columns:
        return {}
    return {(str(r.doc_id), str(r.speaker)): str(r.role).strip().lower()
            for r in table.itertuples() if str(r.role).strip()}


def _apply_roles(rows: list[tuple], doc_id: str,
                 overrides: Mapping[tuple[str, str], str]) -> list[tuple]:
    if not overrides:
        return rows
    out = []
    for r in rows:
        role = overrides.get((doc_id, r[6])) or overrides.get(("", r[6]))
        out.append(r if not role or not r[6] else (*r[:7], role, *r[8:]))
    return out


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


def read_corpus(path: str | Path, options: IngestOptions | None = None, *,
                attribute_types: Mapping[str, str] | None = None,
                speaker_pattern: str | None = None,
                interviewer_labels: Sequence[str] | None = None,
                paragraphs: str | None = None) -> Corpus:
    """Read every transcript in a folder into a :class:`Corpus`.

    Parameters
    ----------
    path : str or Path
        The corpus folder (see :mod:`cmqual.io.folder` for which files count).
    options : IngestOptions, optional
        All settings; the keyword arguments below override single fields.
    attribute_types, speaker_pattern, interviewer_labels, paragraphs
        Shortcuts for the matching :class:`IngestOptions` / :class:`TranscriptOptions`
        fields.

    Returns
    -------
    Corpus

    Raises
    ------
    CorpusError
        One error listing every file that could not be read, each with what to do.
    MetadataError
        ``metadata.csv`` names a file that does not exist or has values of the wrong type.

    Examples
    --------
    >>> corpus = read_corpus("corpora/sample")             # doctest: +SKIP
    >>> corpus.segments_at("turn")[["doc_id", "speaker", "text"]].head()  # doctest: +SKIP
    """
    options = _with_overrides(options or IngestOptions(), attribute_types, speaker_pattern,
                              interviewer_labels, paragraphs)
    listing = list_corpus_files(path)
    parsed: dict[str, ParsedDocument] = {}
    parts: dict[str, _Part] = {}
    problems: list[str] = []
    seen: dict[str, str] = {}
    todo: list[str] = []
    for rel in listing.files:
        doc_id = _doc_id(rel)
        if doc_id in seen:
            problems.append(
                f"{rel}: has the same document id {doc_id!r} as {seen[doc_id]}; rename one "
                "of them (ids are the path without extension)"
            )
            continue
        seen[doc_id] = rel
        todo.append(rel)
    with no_gc():
        for rel, result, problem, caught, part in _read_files(listing.root, todo, options):
            for message, category in caught:
                warnings.warn(message, category, stacklevel=2)
            if problem is not None:
                problems.append(problem)
                continue
            parsed[rel] = result
            if part is not None:
                parts[rel] = part
    if problems:
        raise CorpusError(
            f"could not read {len(problems)} of {len(listing.files)} file(s) in "
            f"{listing.root}", problems
        )
    attributes, types = _read_metadata(listing, parsed, options)
    speakers = _read_speakers(listing, parsed)
    with no_gc():
        return corpus_from_parsed(listing.root.resolve().name, parsed, options,
                                  attributes=attributes, attribute_types=types,
                                  speaker_attributes=speakers, root=listing.root, parts=parts)


#: ``IngestOptions(workers=None)`` reads in several processes from this much input on.
PARALLEL_BYTES = 16_000_000

# (rel, parsed or None, problem or None, warnings as (message, category), part or None)
_FileResult = tuple[str, ParsedDocument | None, str | None, list[tuple[str, type]],
                    _Part | None]


def _read_one(root: Path, rel: str, options: IngestOptions, segment: bool) -> _FileResult:
    """Read and parse one file, and segment it when ``segment`` (in a worker process)."""
    try:
        data = read_bytes(root, rel)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = get_reader(Path(rel).suffix)(data, rel, options.transcript)
    except CmqualError as exc:
        return rel, None, str(exc), [], None
    except (OSError, ValueError) as exc:  # defensive: a reader bug must still name the file
        return rel, None, f"{rel}: could not be read ({type(exc).__name__}: {exc})", [], None
    notes = [(str(w.message), w.category) for w in caught]
    if not any(t.paragraphs for t in result.turns):
        empty = f"{rel}: has no transcript text (only blank lines or headers)"
        return rel, None, empty, notes, None
    return rel, result, None, notes, _document_part(rel, result, options) if segment else None


def _read_task(task: tuple[Path, str, IngestOptions]) -> _FileResult:
    with no_gc():
        return _read_one(*task, True)


def _read_files(root: Path, rels: list[str], options: IngestOptions) -> Iterator[_FileResult]:
    """Read ``rels`` in order: in this process, or in a pool of worker processes that also
    segment each document (results come back in the order of ``rels``)."""
    workers = options.workers
    if workers is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        size = 0
        for rel in rels:
            with contextlib.suppress(OSError):
                size += (root / rel).stat().st_size
        workers = cores if size >= PARALLEL_BYTES else 1
    workers = min(workers, len(rels))
    if workers <= 1:
        for rel in rels:
            yield _read_one(root, rel, options, False)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    chunk = max(1, min(8, len(rels) // (workers * 8)))
    with multiprocessing.get_context(method).Pool(processes=workers) as pool:
        yield from pool.imap(_read_task, ((root, rel, options) for rel in rels), chunksize=chunk)


def _with_overrides(options: IngestOptions, attribute_types, speaker_pattern,
                    interviewer_labels, paragraphs) -> IngestOptions:
    from dataclasses import replace

    t = options.transcript
    if speaker_pattern is not None or paragraphs is not None:
        t = replace(t, speaker_pattern=speaker_pattern if speaker_pattern is not None
                    else t.speaker_pattern, paragraphs=paragraphs or t.paragraphs)
    changes: dict[str, object] = {"transcript": t}
    if attribute_types is not None:
        changes["attribute_types"] = {**options.attribute_types, **attribute_types}
    if interviewer_labels is not None:
        changes["interviewer_labels"] = tuple(interviewer_labels)
    return replace(options, **changes)


def _key_column(frame: pd.DataFrame, name: str) -> str:
    for col in frame.columns:
        if col.lower() in _DOC_KEY_COLUMNS:
            return col
    if len(frame.columns) == 0:
        raise MetadataError(f"{name}: has no columns; the first column must be 'file'")
    return frame.columns[0]


def _match_doc(value: str, parsed: Mapping[str, ParsedDocument]) -> str | None:
    value = value.strip().replace("\\", "/")
    if value in parsed:
        return _doc_id(value)
    ids = {_doc_id(rel): rel for rel in parsed}
    if value in ids:
        return value
    by_name = [rel for rel in parsed if Path(rel).name == value or Path(rel).stem == value]
    return _doc_id(by_name[0]) if len(by_name) == 1 else None


def _read_metadata(listing, parsed, options) -> tuple[pd.DataFrame | None, dict[str, str]]:
    if listing.metadata is None:
        return None, {}
    name = listing.metadata.name
    table = read_string_table(listing.metadata)
    key = _key_column(table, name)
    problems: list[str] = []
    reserved = set(DOCUMENT_COLUMNS) | set(SEGMENT_COLUMNS)
    for col in table.columns:
        if col != key and col in reserved:
            problems.append(
                f"{name}: column {col!r} clashes with a built-in column; rename it "
                f"(e.g. {col}_attr)"
            )
    unknown_types = set(options.attribute_types) - set(table.columns)
    for col in sorted(unknown_types):
        problems.append(
            f"attribute type given for {col!r}, but {name} has no such column; columns: "
            f"{', '.join(c for c in table.columns if c != key)}"
        )
    doc_ids: list[str | None] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(table[key].tolist()):
        line = i + 2
        if not value.strip():
            problems.append(f"{name} line {line}: the {key!r} cell is empty")
            doc_ids.append(None)
            continue
        doc_id = _match_doc(value, parsed)
        if doc_id is None:
            problems.append(
                f"{name} line {line}: names {value!r}, which is not a transcript in the corpus "
                "folder; fix the file name or remove the row"
            )
        elif doc_id in seen:
            problems.append(f"{name} line {line}: {value!r} already has a row (line "
                            f"{seen[doc_id]}); keep one row per document")
        else:
            seen[doc_id] = line
        doc_ids.append(doc_id)
    typed, types, type_problems = type_attributes(
        table.drop(columns=[key]), options.attribute_types, source=name
    )
    problems.extend(type_problems)
    if problems:
        raise MetadataError(f"{name} has {len(problems)} problem(s)", problems)
    typed.index = pd.Index(doc_ids, name="doc_id")
    missing = sorted(_doc_id(rel) for rel in parsed if _doc_id(rel) not in seen)
    if missing:
        warnings.warn(
            f"{name}: no row for {len(missing)} document(s): {', '.join(missing)}; their "
            "attributes are empty",
            CmqualWarning, stacklevel=3,
        )
    return typed, types


def _read_speakers(listing, parsed) -> pd.DataFrame | None:
    if listing.speakers is None:
        return None
    name = listing.speakers.name
    table = read_string_table(listing.speakers)
    if "speaker" not in table.columns:
        raise MetadataError(
            f"{name}: needs a 'speaker' column; columns found: {', '.join(table.columns)}"
        )
    problems = []
    key = next((c for c in table.columns if c.lower() in _DOC_KEY_COLUMNS), None)
    doc_ids = []
    for i, value in enumerate(table[key].tolist() if key else [""] * len(table)):
        if not value.strip():
            doc_ids.append("")
            continue
        doc_id = _match_doc(value, parsed)
        if doc_id is None:
            problems.append(f"{name} line {i + 2}: names {value!r}, which is not a transcript "
                            "in the corpus folder")
        doc_ids.append(doc_id or "")
    if "role" in table.columns:
        for i, role in enumerate(table["role"].tolist()):
            if role.strip() and role.strip().lower() not in ("interviewer", "participant"):
                problems.append(f"{name} line {i + 2}: role {role!r} must be interviewer or "
                                "participant (or blank)")
    if problems:
        raise MetadataError(f"{name} has {len(problems)} problem(s)", problems)
    out = table.drop(columns=[key]) if key else table.copy()
    out.insert(0, "doc_id", doc_ids)
    return out
