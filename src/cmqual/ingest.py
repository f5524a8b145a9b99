"""Reading a corpus folder: :func:`read_corpus`.

Lists the transcripts of a folder (:mod:`cmqual.io.folder`), reads each with the reader for
its format (:mod:`cmqual.io`), reads ``metadata.csv`` and ``speakers.csv``, and builds the
:class:`~cmqual.corpus.Corpus` (:func:`cmqual.corpus.corpus_from_parsed`). Every file
that cannot be read is reported in one error, each with what to do.

Large corpora are read in worker processes: from :data:`PARALLEL_BYTES` of files on
(``IngestOptions(workers=None)``), or with ``IngestOptions(workers=N)``, one process per
core reads, hashes and segments files, and the results are assembled in file order, so
the corpus is the same as from a one-process read.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from cmqual._workers import fork_is_safe, no_gc
from cmqual.attributes import type_attributes
from cmqual.corpus import (
    _DOC_KEY_COLUMNS,
    Corpus,
    IngestOptions,
    _doc_id,
    _document_part,
    _Part,
    corpus_from_parsed,
)
from cmqual.errors import CmqualError, CmqualWarning, CorpusError, MetadataError
from cmqual.io import get_reader
from cmqual.io.base import ParsedDocument
from cmqual.io.folder import list_corpus_files, read_bytes, read_string_table
from cmqual.tables import DOCUMENT_COLUMNS, SEGMENT_COLUMNS

__all__ = ["PARALLEL_BYTES", "read_corpus"]


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
    method = "fork" if fork_is_safe() else "spawn"
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
