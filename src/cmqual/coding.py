"""Apply codebooks to a corpus: a fast, explainable auto-coder.

``apply_codebook`` matches every segment of one level in a single pass per batch of
segments (see :mod:`cmqual.matcher`) and returns a codings table
(:data:`cmqual.tables.CODING_COLUMNS`); ``rollup`` counts hits per segment and code,
nested codes also at their ancestors; ``explain_segment`` shows why a segment was coded
as it was.

Speakers
--------
An *interviewer segment* is one whose ``speaker_role`` is ``"interviewer"``. Segments
without a speaker label count as participants' words, so documents without labels (field
notes, policy texts) are coded. A code's ``speakers`` scope and the ``speakers`` argument
combine like this:

==============================  ===========================  ============================
``speakers=``                   code scope ``all``           code scope ``participants``
==============================  ===========================  ============================
``"participants"`` (default)    all but interviewer segments all but interviewer segments
``"all"``                       every segment                all but interviewer segments
==============================  ===========================  ============================
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from cmqual._workers import fork_is_safe, no_gc
from cmqual.codebook import Codebook, Selection
from cmqual.errors import ConfigError, CorpusError
from cmqual.matcher import SEPARATOR, CompiledCodebook, Explanation, compile_codebook
from cmqual.tables import CODING_COLUMNS, LEVELS, empty_table, require_columns, with_dtypes

__all__ = ["CODER", "PARALLEL_THRESHOLD", "apply_codebook", "explain_segment", "rollup"]

#: ``coder`` value of automatic codings.
CODER = "cmqual-auto"
#: Below this many segments ``workers=None`` runs in-process: a worker pool costs more
#: than it saves on small corpora.
PARALLEL_THRESHOLD = 500_000
#: Segments matched per batch (one automaton pass each); also the unit of work handed to
#: a worker process and of progress updates.
CHUNK_SEGMENTS = 25_000
#: Runs with at least this many segments show a progress bar when ``progress=None`` and
#: the output is a terminal or notebook.
PROGRESS_THRESHOLD = 200_000
SPEAKER_OPTIONS = ("participants", "all")
#: Column holding the speaker's role, by preference (``role`` in tables written before
#: the segments table named it ``speaker_role``).
ROLE_COLUMNS = ("speaker_role", "role")

CodebookLike = Codebook | Selection | CompiledCodebook | str


def apply_codebook(
    corpus: Any,
    codebook: CodebookLike,
    level: str = "turn",
    speakers: str = "participants",
    progress: bool | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Code every segment of ``level`` with the patterns of ``codebook``.

    Parameters
    ----------
    corpus : Corpus, (segments, texts) or DataFrame
        A :class:`cmqual.corpus.Corpus` (``corpus.segments``, ``corpus.texts``), or a
        segments table (:data:`cmqual.tables.SEGMENT_COLUMNS`) with the dict of document
        texts, or a segments table alone (its ``text`` column is matched).
    codebook : Codebook, Selection, CompiledCodebook or str
        What to apply; a str is read with :func:`cmqual.codebook.read_codebook`
        (``"default"`` is the default selection).
    level : {"turn", "paragraph", "sentence"}
        Segments to code.
    speakers : {"participants", "all"}
        Whose words to code; see the module docstring for how it combines with each
        code's scope.
    progress : bool, optional
        Show a progress bar (tqdm). By default only for long runs and only when
        writing to a terminal or notebook.
    workers : int, optional
        Worker processes. By default 1 below :data:`PARALLEL_THRESHOLD` segments, else
        ``min(2, cpu count)``. Results do not depend on the number of workers.

    Returns
    -------
    DataFrame
        Columns :data:`cmqual.tables.CODING_COLUMNS`, one row per hit, sorted by
        ``doc_id, start, end, code``. ``start``/``end`` are offsets of the hit in the
        document's canonical text; ``text`` is the words hit; ``code`` the full reference
        of the most specific code; ``pattern`` the pattern as written.

    Examples
    --------
    >>> codings = apply_codebook(corpus, "default", level="paragraph")  # doctest: +SKIP
    >>> rollup(codings).groupby("code").size()  # doctest: +SKIP
    """
    if level not in LEVELS:
        raise ConfigError(f"level={level!r}: use one of {', '.join(LEVELS)}")
    if speakers not in SPEAKER_OPTIONS:
        raise ConfigError(f"speakers={speakers!r}: use 'participants' or 'all'")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"workers={workers!r}: give a whole number of processes, 1 or more")
    cm = codebook if isinstance(codebook, CompiledCodebook) else compile_codebook(codebook)
    segments, texts = _corpus_parts(corpus)
    require_columns(segments, ["doc_id", "segment_id", "level", "start", "end"], "segments table")
    levels = segments["level"].astype("string")
    chosen = (levels == level).fillna(False).to_numpy(dtype=bool)
    if len(segments) and not chosen.any():
        present = ", ".join(sorted(set(levels.dropna())))
        raise ConfigError(
            f"level={level!r}: the corpus has no {level} segments; levels present: {present}"
        )
    is_interviewer = _interviewer_mask(segments)
    if speakers == "participants":
        chosen &= ~is_interviewer
    rows = np.flatnonzero(chosen)
    interviewer = is_interviewer[rows] if speakers == "all" else np.zeros(len(rows), dtype=bool)
    source = _TextSource.of(segments, texts, rows)
    n = len(rows)
    n_workers = workers or (1 if n < PARALLEL_THRESHOLD else min(2, os.cpu_count() or 1))
    bounds = [(a, min(a + CHUNK_SEGMENTS, n)) for a in range(0, n, CHUNK_SEGMENTS)]
    results = _run(cm, source, interviewer, bounds, n_workers, _show_progress(progress, n))
    return _codings_table(cm, segments, rows, results)


def _interviewer_mask(segments: pd.DataFrame) -> np.ndarray:
    """Rows spoken by an interviewer (``speaker_role``, or ``role`` in older tables)."""
    column = next((c for c in ROLE_COLUMNS if c in segments.columns), None)
    if column is None:
        return np.zeros(len(segments), dtype=bool)
    roles = segments[column].astype("string") == "interviewer"
    return roles.fillna(False).to_numpy(dtype=bool)


class _TextSource:
    """Segment texts to match, joined batch by batch without a Python str per segment.

    Arrow-backed text columns (pandas' default string storage) are joined by
    ``pyarrow.compute.binary_join`` straight from their buffers; other columns fall back
    to a list of str.
    """

    def __init__(self, arrow: Any = None, texts: list[str] | None = None):
        self.arrow = arrow
        self.texts = texts

    @classmethod
    def of(
        cls, segments: pd.DataFrame, texts: dict[str, str] | None, rows: np.ndarray
    ) -> _TextSource:
        if "text" not in segments.columns:
            if texts is None:
                raise CorpusError(
                    "segments table has no 'text' column and no document texts were given"
                )
            doc, start, end = (segments[c].to_numpy()[rows] for c in ("doc_id", "start", "end"))
            try:
                return cls(texts=[texts[d][a:b] for d, a, b in zip(doc, start, end, strict=True)])
            except KeyError as exc:
                raise CorpusError(f"no text for document {exc.args[0]!r}") from None
        column = segments["text"]
        arrow = _as_arrow(column)
        if arrow is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            if len(rows) != len(column):
                arrow = arrow.take(pa.array(rows))
            return cls(arrow=pc.fill_null(arrow, ""))
        values = column.to_numpy(dtype=object)[rows]
        return cls(texts=["" if not isinstance(v, str) else v for v in values])

    def texts_of(self, a: int, b: int) -> list[str]:
        """Texts of segments ``a:b`` as a list of str."""
        if self.texts is not None:
            return self.texts[a:b]
        return self.arrow.slice(a, b - a).to_pylist()

    def joined(self, a: int, b: int) -> tuple[str, np.ndarray]:
        """Texts of segments ``a:b`` joined by the separator, and their lengths."""
        if self.texts is not None:
            part = self.texts[a:b]
            lengths = np.fromiter(map(len, part), dtype=np.int64, count=len(part))
            return SEPARATOR.join(part), lengths
        import pyarrow as pa
        import pyarrow.compute as pc

        part = self.arrow.slice(a, b - a)
        offsets = pa.array([0, len(part)], type=pa.int64())
        separator = pa.scalar(SEPARATOR, type=pa.large_string())
        joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, part), separator)
        lengths = pc.utf8_length(part).to_numpy(zero_copy_only=False).astype(np.int64)
        return joined[0].as_py() or "", lengths


def _as_arrow(column: pd.Series) -> Any:
    """The column as one pyarrow large_string array, if it is Arrow-backed; else None."""
    if not (isinstance(column.dtype, pd.StringDtype) or str(column.dtype) == "str"):
        return None
    try:
        import pyarrow as pa

        arrow = pa.chunked_array(pa.array(column.array)).combine_chunks()
        if not pa.types.is_string(arrow.type) and not pa.types.is_large_string(arrow.type):
            return None
        return arrow.cast(pa.large_string())
    except Exception:
        return None


def _corpus_parts(corpus: Any) -> tuple[pd.DataFrame, dict[str, str] | None]:
    if isinstance(corpus, pd.DataFrame):
        return corpus, None
    if isinstance(corpus, (tuple, list)) and len(corpus) == 2:
        segments, texts = corpus
    elif hasattr(corpus, "segments"):
        segments = corpus.segments() if callable(corpus.segments) else corpus.segments
        texts = getattr(corpus, "texts", None)
        texts = texts() if callable(texts) else texts
    else:
        raise ConfigError(
            "corpus must be a Corpus, a (segments, texts) pair or a segments DataFrame, "
            f"not {type(corpus).__name__}"
        )
    if not isinstance(segments, pd.DataFrame):
        raise ConfigError(f"corpus segments must be a DataFrame, not {type(segments).__name__}")
    return segments, texts


def _show_progress(progress: bool | None, n: int) -> bool:
    if progress is not None:
        return bool(progress)
    if n < PROGRESS_THRESHOLD:
        return False
    if "ipykernel" in sys.modules:
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


# --- running batches ---------------------------------------------------------------------

#: What matching one batch gives: segment index, start and end (relative to the
#: segment), code index, pattern index (numpy arrays) and the hit texts.
Result = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]
_JOB: tuple[CompiledCodebook, _TextSource, np.ndarray] | None = None


def _match_batch(
    cm: CompiledCodebook, source: _TextSource, interviewer: np.ndarray, a: int, b: int
) -> Result:
    joined, lengths = source.joined(a, b)
    flags = frozenset(np.flatnonzero(interviewer[a:b]).tolist())
    seg, ls, le, code, pid, texts = cm._match_joined(joined, lengths, flags)
    return seg + a, ls, le, code, pid, texts


def _work_inherited(bounds: tuple[int, int]) -> Result:
    """Worker body under ``fork``: the data was inherited from the parent."""
    assert _JOB is not None
    return _match_batch(*_JOB, *bounds)


def _work_shipped(task: tuple[CompiledCodebook, _TextSource, np.ndarray, int, int]) -> Result:
    """Worker body under ``spawn``: the batch travels with the task."""
    return _match_batch(*task)


def _run(
    cm: CompiledCodebook,
    source: _TextSource,
    interviewer: np.ndarray,
    bounds: list[tuple[int, int]],
    workers: int,
    show: bool,
) -> list[Result]:
    global _JOB
    bar = _progress_bar(len(interviewer), show)
    results: list[Result] = []
    try:
        if workers <= 1 or len(bounds) <= 1:
            with no_gc():  # see cmqual._workers
                for a, b in bounds:
                    results.append(_match_batch(cm, source, interviewer, a, b))
                    bar(b - a)
            return results
        # Batches go out in order and results come back in order (imap), so the merged
        # rows equal a serial run's. Under fork the data is inherited, not pickled.
        if fork_is_safe():
            _JOB = (cm, source, interviewer)
            context = multiprocessing.get_context("fork")
            work: Callable[[Any], Result] = _work_inherited
            tasks: Iterator[Any] = iter(bounds)
        else:  # Windows and macOS: each batch travels with its task
            context = multiprocessing.get_context("spawn")
            work = _work_shipped
            tasks = (
                (cm, _TextSource(texts=source.texts_of(a, b)), interviewer[a:b], 0, b - a)
                for a, b in bounds
            )
        with context.Pool(processes=workers) as pool:
            for (a, b), part in zip(bounds, pool.imap(work, tasks), strict=True):
                if work is _work_shipped:
                    part = (part[0] + a, *part[1:])
                results.append(part)
                bar(b - a)
        return results
    finally:
        _JOB = None
        bar(None)


def _progress_bar(total: int, show: bool) -> Callable[[int | None], None]:
    if not show:
        return lambda step: None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return lambda step: None
    bar = tqdm(total=total, unit="seg", desc="coding", leave=False)

    def update(step: int | None) -> None:
        if step is None:
            bar.close()
        else:
            bar.update(step)

    return update


def _codings_table(
    cm: CompiledCodebook, segments: pd.DataFrame, rows: np.ndarray, results: list[Result]
) -> pd.DataFrame:
    texts = [t for r in results for t in r[5]]
    if not texts:
        return empty_table(CODING_COLUMNS)
    seg, ls, le, code, pid = (np.concatenate([r[i] for r in results]) for i in range(5))
    at = rows[seg]

    def pick(column: str) -> Any:
        if column not in segments.columns:
            return ""
        return segments[column].take(at).to_numpy()

    offset = segments["start"].to_numpy(dtype=np.int64)[at]
    frame = pd.DataFrame(
        {
            "doc_id": pick("doc_id"),
            "doc": pick("doc"),
            "segment_id": pick("segment_id"),
            "level": pick("level"),
            "start": offset + ls,
            "end": offset + le,
            "text": texts,
            "code": np.asarray(cm.codes, dtype=object)[code],
            "pattern": np.asarray(cm._pat_text, dtype=object)[pid],
            "speaker": pick("speaker"),
            "coder": CODER,
            "codebook_hash": cm.codebook_hash,
        }
    )
    frame = with_dtypes(frame, CODING_COLUMNS)
    frame = frame.sort_values(["doc_id", "start", "end", "code"], kind="mergesort")
    return frame.reset_index(drop=True)


# --- summaries and explanations ----------------------------------------------------------


def rollup(codings: pd.DataFrame, depth: int | None = None) -> pd.DataFrame:
    """Count hits per segment and code, nested codes also counted at their ancestors.

    Parameters
    ----------
    codings : DataFrame
        A codings table (:data:`cmqual.tables.CODING_COLUMNS`).
    depth : int, optional
        Keep codes down to this depth (1 = top-level codes only). By default every level:
        a hit for ``power/line_management`` gives a row for it and one for ``power``.

    Returns
    -------
    DataFrame
        Columns doc_id, doc, segment_id, level, speaker, code, depth, hits; one row per
        segment and code, sorted by doc_id, segment_id, code.

    Examples
    --------
    >>> rollup(codings, depth=1)  # doctest: +SKIP
    """
    require_columns(codings, ["doc_id", "segment_id", "code"], "codings table")
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise ConfigError(f"depth={depth!r}: give 1 or more (1 = top-level codes)")
    keys = ["doc_id", "doc", "segment_id", "level", "speaker"]
    base = codings.reindex(columns=[*keys, "code"]).copy()
    for column in keys:
        base[column] = base[column].astype("string").fillna("")
    parts = base["code"].astype("string").str.split("/")
    own_depth = parts.str.len() - 1
    deepest = int(own_depth.max()) if len(base) else 0
    frames = []
    for d in range(1, min(deepest, depth or deepest) + 1):
        mask = (own_depth >= d).to_numpy()
        part = base.loc[mask, keys].copy()
        part["code"] = parts[mask].str[: d + 1].str.join("/")
        part["depth"] = d
        frames.append(part)
    columns = [*keys, "code", "depth", "hits"]
    if not frames:
        return pd.DataFrame(
            {
                c: pd.Series([], dtype="int64" if c in ("depth", "hits") else "string")
                for c in columns
            }
        )
    stacked = pd.concat(frames, ignore_index=True)
    out = stacked.groupby([*keys, "code", "depth"], sort=False).size().reset_index(name="hits")
    out = out.astype({"code": "string", "depth": "int64", "hits": "int64"})
    out = out.sort_values(["doc_id", "segment_id", "code"], kind="mergesort").reset_index(drop=True)
    return out[columns]


def explain_segment(
    corpus: Any,
    codebook: CodebookLike,
    doc_id: str,
    segment_id: str,
    speakers: str = "participants",
) -> Explanation:
    """Explain how one segment is coded: every pattern match and what became of it.

    Offsets in the explanation are offsets into the document's text (as in codings).
    ``speakers`` has the meaning it has in :func:`apply_codebook`.

    Examples
    --------
    >>> print(explain_segment(corpus, "default", "interviews/p01", "p01-t-0012"))  # doctest: +SKIP
    """
    if speakers not in SPEAKER_OPTIONS:
        raise ConfigError(f"speakers={speakers!r}: use 'participants' or 'all'")
    segments, texts = _corpus_parts(corpus)
    require_columns(segments, ["doc_id", "segment_id", "start", "end"], "segments table")
    found = segments[
        ((segments["doc_id"] == doc_id) & (segments["segment_id"] == segment_id)).to_numpy()
    ]
    if found.empty:
        in_doc = segments.loc[(segments["doc_id"] == doc_id).to_numpy(), "segment_id"]
        hint = (
            f"; {doc_id!r} has {len(in_doc)} segments"
            if len(in_doc)
            else f"; no document {doc_id!r}"
        )
        raise ConfigError(f"no segment {segment_id!r} in document {doc_id!r}{hint}")
    row = found.iloc[0]
    start, end = int(row["start"]), int(row["end"])
    if texts is not None and doc_id in texts:
        text, spans = texts[doc_id], [(start, end)]
    else:
        text, spans = " " * start + str(row["text"]), [(start, end)]
    cm = codebook if isinstance(codebook, CompiledCodebook) else compile_codebook(codebook)
    interviewer = frozenset({0}) if _interviewer_mask(found)[0] else frozenset()
    ex = cm.explain(text, spans, interviewer, only_participants=speakers == "participants")
    # Matches elsewhere in the document are noise here; those straddling the segment's
    # edges stay (they explain why a phrase was not coded).
    events = tuple(
        e for e in ex.events if e.outcome != "outside" or (e.start < end and e.end > start)
    )
    return Explanation(ex.text, ex.hits, events)
