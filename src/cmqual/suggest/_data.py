"""Segment-level training data from one coder's codings in a project.

A segment (of the chosen level, in scope for ``speakers``) is labelled for a code as
follows, in this order of precedence:

1. *positive* when any of the coder's human codings (origins ``human`` and
   ``suggestion-accepted``) of the code or of one of its descendants overlaps it;
2. *explicit negative* when the coder rejected a suggestion of the code (or of an
   ancestor) that overlaps it, in the coding widget (:meth:`Project.rejections`);
3. *negative* when it lies in a document the coder has coded at least once;
4. *unlabelled* otherwise.

Codings whose document text has changed since (stale codings) are ignored, and so are
rejections of an older text.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cmqual.errors import CmqualWarning, ConfigError, ProjectError
from cmqual.project import Project
from cmqual.store import AUTO_ORIGINS, ORIGINS

#: Origins that count as a person's judgement (a kept suggestion is one).
HUMAN_ORIGINS: tuple[str, ...] = tuple(o for o in ORIGINS if o not in AUTO_ORIGINS)
SPEAKER_OPTIONS: tuple[str, ...] = ("participants", "all")

#: Label values in :attr:`Dataset.labels`.
UNLABELLED, NEGATIVE, POSITIVE = -1, 0, 1


@dataclass(frozen=True)
class Dataset:
    """The segments in scope and one coder's labels for each code.

    Attributes
    ----------
    coder, level, speakers : str
        Whose codings, which segments.
    segments : DataFrame
        doc_id, segment_id, start, end, speaker_role and text of the segments in scope,
        in corpus order (document order, then start).
    codes : tuple of str
        The codes labelled, in the order asked for.
    labels : dict of str to ndarray
        Per code, one int8 per segment: 1 positive, 0 negative, -1 unlabelled.
    rejected : dict of str to ndarray
        Per code, which segments are explicit negatives (a rejected suggestion).
    coded : ndarray of bool
        Segments the coder has coded with any code (not suggestion targets).
    coded_docs : tuple of str
        Documents the coder has coded at least once.
    n_stale : int
        The coder's codings ignored because their document text has changed.
    """

    coder: str
    level: str
    speakers: str
    segments: pd.DataFrame
    codes: tuple[str, ...]
    labels: dict[str, np.ndarray] = field(repr=False)
    rejected: dict[str, np.ndarray] = field(repr=False)
    coded: np.ndarray = field(repr=False)
    coded_docs: tuple[str, ...] = ()
    n_stale: int = 0

    @property
    def texts(self) -> list[str]:
        """Segment texts, in row order."""
        return self.segments["text"].astype(str).tolist()

    def counts(self, code: str) -> tuple[int, int, int]:
        """``(positives, negatives, of which explicit)`` for ``code``."""
        y = self.labels[code]
        return (int((y == POSITIVE).sum()), int((y == NEGATIVE).sum()),
                int(self.rejected[code].sum()))

    def targets(self, code: str) -> np.ndarray:
        """Segments to propose ``code`` for: not coded by the coder, not rejected."""
        return ~self.coded & ~self.rejected[code]


def check_options(*, level: str, speakers: str, threshold: float | None = None,
                  min_positives: int | None = None, problems: list[str]) -> None:
    """Collect problems with the common options into ``problems``."""
    from cmqual.tables import LEVELS

    if level not in LEVELS:
        problems.append(f"level={level!r}: use one of {', '.join(LEVELS)}")
    if speakers not in SPEAKER_OPTIONS:
        problems.append(f"speakers={speakers!r}: use 'participants' or 'all'")
    if threshold is not None and (isinstance(threshold, bool)
                                  or not isinstance(threshold, (int, float))
                                  or not 0.0 <= float(threshold) <= 1.0):
        problems.append(f"threshold={threshold!r}: give a probability between 0 and 1")
    if min_positives is not None and (isinstance(min_positives, bool)
                                      or not isinstance(min_positives, int)
                                      or min_positives < 2):
        problems.append(f"min_positives={min_positives!r}: give a whole number, 2 or more")


def build_dataset(project: Project, coder: str, codes: str | Sequence[str] | None = None, *,
                  level: str = "turn", speakers: str = "participants") -> Dataset:
    """Label the segments of ``level`` for each code from ``coder``'s codings.

    Parameters
    ----------
    project : Project
    coder : str
        The human coder whose codings are learned from.
    codes : str or sequence of str, optional
        Code references; by default every code the coder has used.
    level : {"turn", "paragraph", "sentence"}
    speakers : {"participants", "all"}
        ``participants`` leaves interviewer segments out of training and suggestions
        (as the auto-coder does by default).

    Raises
    ------
    ProjectError
        The coder has no (current) codings.
    ConfigError
        A code is neither in the project's codebooks nor used by the coder.
    """
    if not isinstance(coder, str) or not coder.strip():
        raise ConfigError(f"coder={coder!r}: give the name of a human coder")
    corpus = project.corpus
    segments = _segments_in_scope(project, level, speakers)
    every = project.store.codings_frame(coders=[coder], origins=list(HUMAN_ORIGINS))
    shas = {d.id: d.sha256 for d in corpus}
    fresh_mask = np.asarray([shas.get(d) == s for d, s in zip(
        every["doc_id"].astype(str), every["doc_sha256"].astype(str), strict=True)], dtype=bool)
    raw = every[fresh_mask] if len(every) else every
    n_stale = len(every) - len(raw)
    if n_stale:
        warnings.warn(f"{n_stale} of {coder}'s codings refer to an older version of their "
                      "document and are not learned from; review them with "
                      "project.stale_codings()", CmqualWarning, stacklevel=3)
    if raw.empty:
        coders = [c for c in project.coders() if c in set(project.store.codings_frame(
            origins=list(HUMAN_ORIGINS))["coder"].astype(str))]
        raise ProjectError(f"{coder!r} has no current codings to learn from; code some "
                           "segments first (coders with codings: "
                           f"{', '.join(coders) or 'none'})")
    used = sorted(set(raw["code"].astype(str)))
    chosen = _choose_codes(project, codes, used)
    index = _SegmentIndex(segments)
    seg_of = index.overlapping(raw["doc_id"].astype(str).to_numpy(),
                               raw["start"].to_numpy(np.int64), raw["end"].to_numpy(np.int64))
    coding_codes = raw["code"].astype(str).to_numpy()
    n = len(segments)
    coded = np.zeros(n, dtype=bool)
    coded[seg_of[1]] = True
    coded_docs = tuple(sorted(set(raw["doc_id"].astype(str))))
    in_coded_doc = segments["doc_id"].astype(str).isin(coded_docs).to_numpy()
    rejections = _rejections(project, coder, index)
    labels: dict[str, np.ndarray] = {}
    rejected: dict[str, np.ndarray] = {}
    for code in chosen:
        y = np.full(n, UNLABELLED, dtype=np.int8)
        y[in_coded_doc] = NEGATIVE
        explicit = np.zeros(n, dtype=bool)
        for ref, rows in rejections.items():
            if _covers(ref, code):
                explicit[rows] = True
        mine = np.asarray([_covers(code, c) for c in coding_codes], dtype=bool)
        positive = np.zeros(n, dtype=bool)
        positive[seg_of[1][mine[seg_of[0]]]] = True
        explicit &= ~positive  # a coding is the coder's last word on a segment
        y[explicit] = NEGATIVE
        y[positive] = POSITIVE
        labels[code] = y
        rejected[code] = explicit
    return Dataset(coder, level, speakers, segments, tuple(chosen), labels, rejected, coded,
                   coded_docs, n_stale)


def _covers(ancestor: str, code: str) -> bool:
    """Whether ``code`` is ``ancestor`` or lies below it."""
    return code == ancestor or code.startswith(ancestor + "/")


def _segments_in_scope(project: Project, level: str, speakers: str) -> pd.DataFrame:
    corpus = project.corpus
    segs = corpus.segments_at(level)
    rank = {d: i for i, d in enumerate(corpus.doc_ids)}
    order = pd.DataFrame({"rank": segs["doc_id"].astype(str).map(rank).to_numpy(),
                          "start": segs["start"].to_numpy()})
    segs = segs.iloc[order.sort_values(["rank", "start"], kind="mergesort").index]
    if speakers == "participants":
        roles = segs["speaker_role"].astype("string").fillna("")
        segs = segs[(roles != "interviewer").to_numpy()]
    columns = ["doc_id", "segment_id", "start", "end", "speaker_role", "text"]
    segs = segs[columns].reset_index(drop=True)
    if segs.empty:
        raise ConfigError(f"level={level!r}: the project has no {level} segments "
                          f"{'of participants ' if speakers == 'participants' else ''}to learn "
                          "from")
    return segs


def _choose_codes(project: Project, codes: str | Sequence[str] | None,
                  used: Sequence[str]) -> list[str]:
    if codes is None:
        return list(used)
    chosen = [codes] if isinstance(codes, str) else list(codes)
    known = set(project.codes()["ref"].astype(str)) | set(used)
    problems = []
    for code in chosen:
        if not isinstance(code, str) or not code.strip():
            problems.append(f"{code!r} is not a code reference")
        elif code not in known and not any(_covers(code, u) for u in used):
            problems.append(f"{code!r} is neither in the project's codebooks nor used by the "
                            "coder")
    if not chosen:
        problems.append("give at least one code")
    if problems:
        raise ConfigError("codes: cannot learn these codes", problems)
    return list(dict.fromkeys(chosen))


def _rejections(project: Project, coder: str, index: _SegmentIndex) -> dict[str, np.ndarray]:
    """Per rejected code, the segments its rejected suggestions overlap."""
    found = project.rejections(coder)
    if found.empty:
        return {}
    docs = found["doc_id"].astype(str).to_numpy(dtype=object)
    codes = found["code"].astype(str).tolist()
    which, rows = index.overlapping(docs, found["start"].to_numpy(np.int64),
                                    found["end"].to_numpy(np.int64))
    out: dict[str, list[int]] = {}
    for w, r in zip(which.tolist(), rows.tolist(), strict=True):
        out.setdefault(codes[w], []).append(r)
    return {code: np.asarray(sorted(set(r)), dtype=np.int64) for code, r in out.items()}


class _SegmentIndex:
    """Finds the in-scope segments overlapping spans (segments of one level do not overlap)."""

    def __init__(self, segments: pd.DataFrame) -> None:
        docs = segments["doc_id"].astype(str).to_numpy()
        self._starts = segments["start"].to_numpy(np.int64)
        self._ends = segments["end"].to_numpy(np.int64)
        self._range: dict[str, tuple[int, int]] = {}
        for i, d in enumerate(docs):
            lo, _ = self._range.get(d, (i, i))
            self._range[d] = (lo, i + 1)

    def overlapping(self, docs: np.ndarray, starts: np.ndarray,
                    ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(span index, segment row)`` for every span and segment that overlap."""
        spans: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        frame = pd.DataFrame({"doc": docs, "i": np.arange(len(docs))})
        for doc, group in frame.groupby("doc", sort=True):
            if doc not in self._range:
                continue
            lo, hi = self._range[str(doc)]
            idx = group["i"].to_numpy()
            s, e = starts[idx], ends[idx]
            first = lo + np.searchsorted(self._ends[lo:hi], s, side="right")
            last = lo + np.searchsorted(self._starts[lo:hi], e, side="left")
            counts = np.maximum(last - first, 0)
            spans.append(np.repeat(idx, counts))
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            rows.append(np.repeat(first, counts) + offsets)
        if not spans:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(spans).astype(np.int64), np.concatenate(rows).astype(np.int64)

