"""The coding session: one coder working through a project's segments, without a browser.

:class:`CodingSession` holds the state of human coding (where the coder is, which filters
apply, what the auto-coder suggests) and turns every action into a call of the project API
(:meth:`Project.code`, :meth:`Project.uncode`, :meth:`Project.memo`,
:meth:`Project.reject`, :meth:`Project.set_position`), so an action is on disk when the
call returns and a new session resumes where the last one stopped. The JupyterLab widget
(:mod:`cmqual.widget.view`) is a thin layer over this class; tests and power users call it
directly.

Suggestions
-----------
Suggestions are auto-coder hits (see :mod:`cmqual.widget.suggestions`), grouped per code
and segment. A suggestion is *pending* until the coder has a coding of its code in the
segment (accepting one codes the whole segment with origin ``suggestion-accepted``) or has
rejected it; rejections are kept in the project store per coder (see
:meth:`Project.reject` and :mod:`cmqual.widget.rejections`), and undoing a rejection
brings the suggestion back.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from cmqual.codebook import iter_codes
from cmqual.corpus import Segment
from cmqual.errors import CmqualWarning, ConfigError
from cmqual.project import Project, open_project
from cmqual.store import AUTO_ORIGINS, ORIGINS, UndoResult
from cmqual.tables import LEVELS, SEGMENT_COLUMNS
from cmqual.widget.rejections import Rejection, read_rejections
from cmqual.widget.suggestions import (
    SOURCES,
    Hit,
    SuggestionSource,
    group_pending,
    suggestion_table,
)
from cmqual.widget.types import PALETTE, CodeInfo, Filters, Progress, Suggestion

__all__ = ["CodingSession"]

_HUMAN_ORIGINS = [o for o in ORIGINS if o not in AUTO_ORIGINS]


class _Coding(NamedTuple):
    coding_id: int
    doc_id: str
    start: int
    end: int
    code: str
    origin: str
    memo: str
    text: str


# -- the session -----------------------------------------------------------------------------
class CodingSession:
    """Code a project's segments by hand, one segment at a time.

    Displayed in JupyterLab (the last expression of a cell, or ``display(session)``) it
    shows the coding widget; every method below also works without a browser.

    Parameters
    ----------
    project : Project or str or Path
        An open project, or its folder.
    coder : str
        Who codes. Codings, memos, position and rejections are kept per coder.
    level : {"turn", "paragraph", "sentence"}
        The segments to step through.
    context : int
        Segments of the same document shown before and after the current one.
    suggestions : {"auto", "stored", "run"}, DataFrame or None
        Where suggestions come from: ``"stored"`` machine codings of the project,
        ``"run"`` the auto-coder applied now (not stored), ``"auto"`` (default) stored
        ones when there are any, else run; a codings table
        (:func:`cmqual.coding.apply_codebook` output) to use as is; ``None`` for none.
    speakers : {"participants", "all"}
        Whose words the auto-coder codes when it runs (see :mod:`cmqual.coding`).
    doc, code, uncoded, suggested, speaker, participants
        Initial :class:`Filters`.
    queue : sequence of str, optional
        Segment ids in the order :meth:`next` and :meth:`previous` visit them (only these
        segments, still subject to the filters), e.g. the most uncertain first from
        :func:`cmqual.suggest.uncertainty_queue`; see :meth:`set_queue`.

    Attributes
    ----------
    project : Project
    coder : str
    level : str
    context : int

    Examples
    --------
    >>> session = CodingSession("projects/inquiry", coder="alice")   # doctest: +SKIP
    >>> session.toggle("scoping-study/resourcing")                    # doctest: +SKIP
    True
    >>> session.code_phrase("power", "line manager")                  # doctest: +SKIP
    17
    >>> session.set_memo("Funding and line management are tangled here.")  # doctest: +SKIP
    >>> session.next()                                                # doctest: +SKIP
    True
    >>> print(session.progress)                                       # doctest: +SKIP
    segment 2 of 401 · coded 1 of 401 (0%)
    """

    def __init__(self, project: Project | str | Path, coder: str, level: str = "turn", *,
                 context: int = 1,
                 suggestions: SuggestionSource | pd.DataFrame | None = "auto",
                 speakers: str = "participants", doc: str | None = None,
                 code: str | None = None, uncoded: bool = False, suggested: bool = False,
                 speaker: str | None = None, participants: bool = False,
                 queue: Sequence[str] | None = None) -> None:
        problems = []
        if not isinstance(coder, str) or not coder.strip():
            problems.append(f"coder must be a non-empty name, not {coder!r}")
        if level not in LEVELS:
            problems.append(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        if not isinstance(context, int) or isinstance(context, bool) or context < 0:
            problems.append(f"context must be a whole number of segments >= 0, not {context!r}")
        if not (suggestions is None or isinstance(suggestions, pd.DataFrame)
                or suggestions in SOURCES):
            problems.append(f"suggestions must be 'auto', 'stored', 'run', a codings table or "
                            f"None, not {suggestions!r}")
        if problems:
            raise ConfigError("cannot start the coding session", problems)
        self.project = project if isinstance(project, Project) else open_project(project)
        self.coder = coder
        self.level = level
        self.context = context
        self._listeners: list[Callable[[], None]] = []
        self._load_segments()
        self._load_codes()
        self._reload_codings()
        n_stale = self._n_stale
        if n_stale:
            warnings.warn(f"{n_stale} of your codings refer to an older version of their "
                          "document (or to a document no longer in the corpus) and are not "
                          "shown; review them with project.stale_codings()",
                          CmqualWarning, stacklevel=2)
        self._rejected: set[Rejection] = read_rejections(self.project, coder)
        self._load_suggestions(suggestions, speakers)
        self._filters = Filters()
        self._scope = np.ones(len(self._segs), dtype=bool)
        self._queue: list[int] | None = None
        self._queue_rank: dict[int, int] = {}
        self._pos = self._resume()
        if queue is not None:
            self.set_queue(queue, move=False)
            if self._queue:
                self._pos = self._queue[0]  # a queue starts at its head
        self.set_filters(doc=doc, code=code, uncoded=uncoded, suggested=suggested,
                         speaker=speaker, participants=participants)

    # -- loading ----------------------------------------------------------------------------
    def _load_segments(self) -> None:
        corpus = self.project.corpus
        segs = corpus.segments_at(self.level)
        rank = {d: i for i, d in enumerate(corpus.doc_ids)}
        order = pd.DataFrame({"rank": segs["doc_id"].astype(str).map(rank).to_numpy(),
                              "start": segs["start"].to_numpy()})
        segs = segs.iloc[order.sort_values(["rank", "start"], kind="mergesort").index]
        self._segs = segs.reset_index(drop=True)
        if self._segs.empty:
            raise ConfigError(f"the corpus has no {self.level} segments to code")
        self._doc_ids = self._segs["doc_id"].astype(str).tolist()
        self._starts = self._segs["start"].astype("int64").to_numpy()
        self._ends = self._segs["end"].astype("int64").to_numpy()
        self._ids = self._segs["segment_id"].astype(str).tolist()
        self._speakers = self._segs["speaker"].fillna("").astype(str).tolist()
        self._roles = self._segs["speaker_role"].fillna("").astype(str).tolist()
        self._index_of = {sid: i for i, sid in enumerate(self._ids)}
        self._doc_range: dict[str, tuple[int, int]] = {}
        for i, d in enumerate(self._doc_ids):
            lo, _ = self._doc_range.get(d, (i, i))
            self._doc_range[d] = (lo, i + 1)

    def _load_codes(self) -> None:
        codes: dict[str, CodeInfo] = {}
        for book in self.project.codebooks:
            for code in iter_codes(book):
                if code.ref in codes:
                    continue
                n = len(codes) + 1
                colour = code.colour or PALETTE[(n - 1) % len(PALETTE)]
                codes[code.ref] = CodeInfo(n, code.ref, code.label or code.id,
                                           code.definition, colour, code.depth)
        self._codes = codes

    def _fresh(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows whose document is in the corpus with the same text (not stale)."""
        corpus = self.project.corpus
        shas = {d.id: d.sha256 for d in corpus}
        keep = [shas.get(d) == s for d, s in zip(frame["doc_id"], frame["doc_sha256"],
                                                  strict=True)]
        return frame[np.asarray(keep, dtype=bool)] if len(frame) else frame

    def _reload_codings(self) -> None:
        every = self.project.store.codings_frame(coders=[self.coder], origins=_HUMAN_ORIGINS)
        raw = self._fresh(every)
        self._n_stale = len(every) - len(raw)
        by_pos: dict[int, list[_Coding]] = {}
        for r in raw.itertuples(index=False):
            c = _Coding(int(r.coding_id), str(r.doc_id), int(r.start), int(r.end),
                        str(r.code), str(r.origin), str(r.memo), str(r.text))
            for pos in self._overlapping(c.doc_id, c.start, c.end):
                by_pos.setdefault(pos, []).append(c)
        for items in by_pos.values():
            items.sort(key=lambda c: (c.start, c.end, c.code, c.coding_id))
        self._by_pos = by_pos

    def _load_suggestions(self, source: SuggestionSource | pd.DataFrame | None,
                          speakers: str) -> None:
        table = suggestion_table(self.project, source, level=self.level, speakers=speakers,
                                 coder=self.coder)
        texts = self.project.corpus.texts
        hits: dict[int, list[Hit]] = {}
        seen = set()
        for d, s, e, code, p in zip(table["doc_id"].astype(str), table["start"], table["end"],
                                    table["code"].astype(str), table["pattern"].astype(str),
                                    strict=True):
            s, e = int(s), int(e)
            if (d, s, e, code) in seen or d not in texts or not 0 <= s < e <= len(texts[d]):
                continue  # the same hit stored twice, or not in this corpus
            seen.add((d, s, e, code))
            pos = self._containing(d, s)
            if pos is not None:
                hits.setdefault(pos, []).append(Hit(d, s, e, code, texts[d][s:e], p))
        self._hits = hits

    def _resume(self) -> int:
        position = self.project.position(self.coder)
        if position is None:
            return 0
        if position.segment_id in self._index_of:
            return self._index_of[position.segment_id]
        # The segment is of another level, or its document changed: resume by offset.
        if position.doc_id in self._doc_range:
            start = position.start or 0
            pos = self._containing(position.doc_id, start)
            if pos is None:
                lo, hi = self._doc_range[position.doc_id]
                later = [i for i in range(lo, hi) if self._starts[i] >= start]
                pos = later[0] if later else hi - 1
            return pos
        return 0

    # -- geometry -----------------------------------------------------------------------------
    def _containing(self, doc_id: str, offset: int) -> int | None:
        """Position of the segment of ``doc_id`` holding ``offset``, or None."""
        if doc_id not in self._doc_range:
            return None
        lo, hi = self._doc_range[doc_id]
        i = lo + int(np.searchsorted(self._starts[lo:hi], offset, side="right")) - 1
        return i if i >= lo and self._ends[i] > offset else None

    def _overlapping(self, doc_id: str, start: int, end: int) -> range:
        """Positions of the segments of ``doc_id`` that overlap [start, end)."""
        if doc_id not in self._doc_range:
            return range(0)
        lo, hi = self._doc_range[doc_id]
        first = lo + int(np.searchsorted(self._starts[lo:hi], start, side="right")) - 1
        if first < lo or self._ends[first] <= start:
            first += 1
        last = lo + int(np.searchsorted(self._starts[lo:hi], end, side="left"))
        return range(max(first, lo), last)

    # -- listeners (the widget redraws on every change) ---------------------------------------
    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every change of position, codings, memos or filters."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback()

    # -- reading the state --------------------------------------------------------------------
    @property
    def index(self) -> int:
        """0-based position of the current segment among all segments of the level."""
        return self._pos

    def index_of(self, segment_id: str) -> int:
        """0-based index of a segment of the session's level."""
        try:
            return self._index_of[segment_id]
        except KeyError:
            raise ConfigError(f"no {self.level} segment {segment_id!r}") from None

    @property
    def place_in_document(self) -> tuple[int, int]:
        """``(number, count)``: the current segment is the number-th (1-based) of count
        segments of its document."""
        lo, hi = self._doc_range[self._doc_ids[self._pos]]
        return self._pos - lo + 1, hi - lo

    @property
    def n_segments(self) -> int:
        """Number of segments of the level."""
        return len(self._segs)

    @property
    def current(self) -> Segment:
        """The current segment (see :class:`cmqual.corpus.Segment`)."""
        return self._segment(self._pos)

    def _segment(self, pos: int) -> Segment:
        row = self._segs.iloc[pos]
        return Segment(**{c: _plain(row[c]) for c in SEGMENT_COLUMNS})

    def context_segments(self) -> tuple[list[Segment], list[Segment]]:
        """The segments of the same document shown before and after the current one."""
        lo, hi = self._doc_range[self._doc_ids[self._pos]]
        before = range(max(lo, self._pos - self.context), self._pos)
        after = range(self._pos + 1, min(hi, self._pos + 1 + self.context))
        return [self._segment(i) for i in before], [self._segment(i) for i in after]

    @property
    def codes(self) -> pd.DataFrame:
        """The codebook tree: number (1-9 have shortcuts), ref, label, definition, colour,
        depth."""
        rows = [(c.number, c.ref, c.label, c.definition, c.colour, c.depth)
                for c in self._codes.values()]
        return pd.DataFrame(rows, columns=["number", "ref", "label", "definition", "colour",
                                           "depth"])

    def code_info(self, ref: str) -> CodeInfo:
        """Display information of a code (also for codes outside the codebooks)."""
        info = self._codes.get(ref)
        if info is None:
            colour = PALETTE[sum(map(ord, ref)) % len(PALETTE)]  # stable across runs
            info = CodeInfo(0, ref, ref.rsplit("/", 1)[-1], "", colour, ref.count("/"))
        return info

    @property
    def tree(self) -> tuple[CodeInfo, ...]:
        """The codes of the project's codebooks, depth-first, parents before children."""
        return tuple(self._codes.values())

    @property
    def codings(self) -> pd.DataFrame:
        """The coder's codings overlapping the current segment (see :meth:`codings_at`)."""
        return self.codings_at(self._pos)

    def codings_at(self, index: int) -> pd.DataFrame:
        """The coder's codings overlapping the segment at 0-based ``index``.

        Columns: coding_id, start, end (document offsets), code, label, origin, text, memo.
        """
        rows = [(c.coding_id, c.start, c.end, c.code, self.code_info(c.code).label, c.origin,
                 c.text, c.memo) for c in self._by_pos.get(index, [])]
        return pd.DataFrame(rows, columns=["coding_id", "start", "end", "code", "label",
                                           "origin", "text", "memo"]).astype(
            {"coding_id": "int64", "start": "int64", "end": "int64"})

    def coded_refs(self) -> set[str]:
        """Codes the coder has used in the current segment."""
        return {c.code for c in self._by_pos.get(self._pos, [])}

    @property
    def suggestions(self) -> list[Suggestion]:
        """Pending suggestions for the current segment, in text order."""
        return self._pending(self._pos)

    def _pending(self, pos: int) -> list[Suggestion]:
        used = {c.code for c in self._by_pos.get(pos, [])}
        groups = group_pending(self._hits.get(pos, []), used, self._rejected)
        return [Suggestion(code, self.code_info(code).label, hs[0].doc_id, self._ids[pos],
                           tuple((h.start, h.end) for h in hs), tuple(h.text for h in hs),
                           tuple(h.pattern for h in hs)) for code, hs in groups.items()]

    def hits(self) -> list[tuple[int, int, str, str]]:
        """Pending suggestion hits in the current segment: (start, end, code, pattern)."""
        return [(s, e, sug.code, p) for sug in self.suggestions
                for (s, e), p in zip(sug.spans, sug.patterns, strict=True)]

    @property
    def n_rejected(self) -> int:
        """Rejected suggestion hits in the current segment."""
        return sum((h.doc_id, h.start, h.end, h.code) in self._rejected
                   for h in self._hits.get(self._pos, []))

    @property
    def progress(self) -> Progress:
        """Coded segments in scope, and where the current segment is."""
        coded = sum(1 for p in self._by_pos if self._scope[p])
        return Progress(coded, int(self._scope.sum()), self._pos + 1, len(self._segs))

    @property
    def filters(self) -> Filters:
        """The filters in force (change them with :meth:`set_filters`)."""
        return self._filters

    def documents(self) -> list[tuple[str, str]]:
        """``(doc_id, path)`` of every document with segments, in corpus order."""
        corpus = self.project.corpus
        return [(d, corpus.document(d).path) for d in self._doc_range]

    def speakers(self) -> list[str]:
        """Speaker labels of the level's segments, sorted ("" left out)."""
        return sorted({s for s in self._speakers if s})

    # -- filters and navigation ---------------------------------------------------------------
    def set_filters(self, **changes: Any) -> bool:
        """Change some :class:`Filters`; return whether the current segment still matches.

        When it does not, the session moves to the next matching segment (from the start
        of the corpus when there is none after it).

        Examples
        --------
        >>> session.set_filters(uncoded=True, participants=True)      # doctest: +SKIP
        True
        """
        names = {f.name for f in fields(Filters)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigError(f"unknown filter(s) {', '.join(unknown)}; filters are "
                              f"{', '.join(sorted(names))}")
        new = replace(self._filters, **changes)
        problems = []
        if new.doc is not None:
            try:
                new = replace(new, doc=self.project.corpus.document(str(new.doc)).id)
            except KeyError:
                problems.append(f"doc={new.doc!r}: no such document; documents are "
                                f"{', '.join(list(self._doc_range)[:5])}...")
        if new.code is not None:
            try:
                new = replace(new, code=self.resolve_code(new.code))
            except ConfigError as exc:
                problems.append(f"code={new.code!r}: {exc}")
        if new.speaker is not None and new.speaker not in set(self._speakers):
            problems.append(f"speaker={new.speaker!r}: no such speaker; speakers are "
                            f"{', '.join(self.speakers()[:8])}")
        if problems:
            raise ConfigError("cannot set the filters", problems)
        self._filters = new
        mask = np.ones(len(self._segs), dtype=bool)
        if new.doc is not None:
            mask &= np.asarray([d == new.doc for d in self._doc_ids])
        if new.speaker is not None:
            mask &= np.asarray([s == new.speaker for s in self._speakers])
        if new.participants:
            mask &= np.asarray([r != "interviewer" for r in self._roles])
        self._scope = mask
        matches = self.matches(self._pos)
        if not matches:
            found = self._find(self._pos, +1)
            if found is None:
                found = self._find(-1, +1)
            if found is not None:
                self._go(found)
                return False
        self._changed()
        return matches

    def matches(self, index: int) -> bool:
        """Whether the segment at 0-based ``index`` passes every filter."""
        f = self._filters
        if not self._scope[index]:
            return False
        mine = self._by_pos.get(index, [])
        if f.uncoded and mine:
            return False
        if f.suggested and not self._pending(index):
            return False
        if f.code is None:
            return True
        codes = {c.code for c in mine} | {s.code for s in self._pending(index)}
        return any(c == f.code or c.startswith(f.code + "/") for c in codes)

    @property
    def queue(self) -> list[str] | None:
        """Segment ids :meth:`next` visits in order, or None (document order)."""
        return None if self._queue is None else [self._ids[i] for i in self._queue]

    def set_queue(self, queue: Sequence[str] | None, *, move: bool = True) -> None:
        """Visit segments in the order of ``queue`` (segment ids), or in document order
        with None. With ``move``, go to the first queued segment that matches the filters.

        Ids of another level map to this level's segment holding their start; ids not in
        the corpus are an error.

        Examples
        --------
        >>> from cmqual.suggest import uncertainty_queue               # doctest: +SKIP
        >>> session.set_queue(uncertainty_queue(session.project, "alice"))  # doctest: +SKIP
        """
        if queue is None:
            self._queue, self._queue_rank = None, {}
            return
        if isinstance(queue, str):
            raise ConfigError("queue must be a sequence of segment ids, not one string")
        order: list[int] = []
        rank: dict[int, int] = {}
        unknown: list[str] = []
        for sid in queue:
            pos = self._index_of.get(str(sid))
            if pos is None:
                try:
                    seg = self.project.corpus.segment(str(sid))
                except KeyError:
                    unknown.append(str(sid))
                    continue
                pos = self._containing(seg.doc_id, seg.start)
            if pos is not None and pos not in rank:
                rank[pos] = len(order)
                order.append(pos)
        if unknown:
            raise ConfigError(f"queue: {len(unknown)} segment id(s) not in the corpus, e.g. "
                              f"{', '.join(unknown[:3])}")
        self._queue, self._queue_rank = order, rank
        if move:
            found = self._find(-1, +1)
            if found is not None:
                self._go(found)
            else:
                self._changed()

    def _find(self, start: int, step: int) -> int | None:
        if self._queue is not None:
            return self._find_queued(start, step)
        i = start + step
        while 0 <= i < len(self._segs):
            if self.matches(i):
                return i
            i += step
        return None

    def _find_queued(self, start: int, step: int) -> int | None:
        """Like :meth:`_find`, stepping through the queue; from outside it, from its start."""
        queue = self._queue or []
        i = self._queue_rank.get(start, -1 if step > 0 else len(queue)) + step
        while 0 <= i < len(queue):
            if self.matches(queue[i]):
                return queue[i]
            i += step
        return None

    def _go(self, pos: int) -> None:
        self._pos = pos
        self.project.set_position(self.coder, self._ids[pos])
        self._changed()

    def next(self) -> bool:
        """Move to the next segment that matches the filters; False when there is none.

        Examples
        --------
        >>> while session.next():                                     # doctest: +SKIP
        ...     print(session.current.text[:40])
        """
        found = self._find(self._pos, +1)
        if found is None:
            return False
        self._go(found)
        return True

    def previous(self) -> bool:
        """Move to the previous segment that matches the filters; False when there is none."""
        found = self._find(self._pos, -1)
        if found is None:
            return False
        self._go(found)
        return True

    def jump(self, target: str | int) -> Segment:
        """Go to a segment by id or by 0-based index (negative counts from the end), ignoring
        the filters; return it.

        A segment id of another level jumps to this level's segment holding its start.

        Examples
        --------
        >>> session.jump("3f9c0e1d2b4a5c6d").speaker                  # doctest: +SKIP
        'Asha'
        >>> session.jump(-1)                                          # doctest: +SKIP
        """
        if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
            n = len(self._segs)
            if not -n <= int(target) < n:
                raise ConfigError(f"index {target} is outside 0-{n - 1} ({n} {self.level} "
                                  "segments)")
            pos = int(target) % n
        elif isinstance(target, str) and target.strip().lstrip("-").isdigit():
            return self.jump(int(target.strip()))
        elif isinstance(target, str) and target in self._index_of:
            pos = self._index_of[target]
        elif isinstance(target, str):
            try:
                seg = self.project.corpus.segment(target.strip())
            except KeyError:
                raise ConfigError(f"no segment {target!r}; give a segment id or a 0-based "
                                  f"index below {len(self._segs)}") from None
            found = self._containing(seg.doc_id, seg.start)
            if found is None:
                raise ConfigError(f"segment {target!r} lies in no {self.level} segment")
            pos = found
        else:
            raise ConfigError(f"jump needs a segment id or an index, not {target!r}")
        self._go(pos)
        return self.current

    # -- coding -------------------------------------------------------------------------------
    def resolve_code(self, code: str | int) -> str:
        """The full reference of ``code``: a reference, a code path (``power/assessment``),
        a label (case-insensitive) or a 1-based number in the tree, each when unambiguous.

        Raises
        ------
        ConfigError
            No code, or several, match; names close references.
        """
        codes = self._codes
        if isinstance(code, (int, np.integer)) and not isinstance(code, bool):
            by_number = [c.ref for c in codes.values() if c.number == int(code)]
            if not by_number:
                raise ConfigError(f"no code number {code}; codes are numbered 1-{len(codes)}")
            return by_number[0]
        if not isinstance(code, str) or not code.strip():
            raise ConfigError(f"code must be a code reference, not {code!r}")
        if code in codes or not codes:
            return code
        for key in ("path", "label"):
            found = [c.ref for c in codes.values()
                     if (c.ref.split("/", 1)[-1] if key == "path" else c.label.lower())
                     == (code if key == "path" else code.lower())]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise ConfigError(f"code {code!r} is ambiguous: {', '.join(found)}; give the "
                                  "full reference")
        close = difflib.get_close_matches(code, list(codes), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else (
            f"codes look like {', '.join(list(codes)[:3])}")
        raise ConfigError(f"no code {code!r} in the project's codebooks; {hint}")

    def toggle(self, code: str | int) -> bool:
        """Code the current segment with ``code``, or, when the coder already has codings
        of it in this segment, remove them (one undoable action); return whether the
        segment is now coded with it.

        Examples
        --------
        >>> session.toggle("resourcing")                              # doctest: +SKIP
        True
        >>> session.toggle(1)   # the first code of the tree, like key 1  # doctest: +SKIP
        False
        """
        ref = self.resolve_code(code)
        mine = [c.coding_id for c in self._by_pos.get(self._pos, []) if c.code == ref]
        if mine:
            self.project.uncode(mine, by=self.coder)
        else:
            seg = self.current
            self.project.code(seg.doc_id, seg.start, seg.end, ref, self.coder)
        self._reload_codings()
        self._changed()
        return not mine

    def code_span(self, code: str | int, start: int, end: int, *,
                  memo: str | None = None) -> int:
        """Code ``document.text[start:end]`` of the current document; return the coding id.

        Offsets are 0-based, end-exclusive code points of the document (not of the
        segment). Surrounding whitespace is trimmed from the span, as from segments.

        Examples
        --------
        >>> seg = session.current                                     # doctest: +SKIP
        >>> session.code_span("power", seg.start + 30, seg.start + 42)  # doctest: +SKIP
        """
        ref = self.resolve_code(code)
        doc = self.project.corpus.document(self._doc_ids[self._pos])
        start, end = _trim(doc.text, int(start), int(end))
        cid = self.project.code(doc.id, start, end, ref, self.coder, memo=memo)
        self._reload_codings()
        self._changed()
        return cid

    def find_phrase(self, phrase: str, occurrence: int = 1) -> tuple[int, int]:
        """Document offsets of the ``occurrence``-th (1-based) exact occurrence of
        ``phrase`` in the current segment.

        Raises
        ------
        ConfigError
            The phrase is empty or occurs fewer times; says how often it occurs.
        """
        if not isinstance(phrase, str) or not phrase.strip():
            raise ConfigError("phrase must be some words of the current segment")
        if not isinstance(occurrence, int) or occurrence < 1:
            raise ConfigError(f"occurrence must be 1 or more, not {occurrence!r}")
        seg = self.current
        found, at = 0, -1
        while found < occurrence:
            at = seg.text.find(phrase, at + 1)
            if at < 0:
                raise ConfigError(
                    f"phrase {phrase!r} occurs {found} time(s) in the current segment, so "
                    f"occurrence {occurrence} does not exist (matching is exact and "
                    "case-sensitive)")
            found += 1
        return seg.start + at, seg.start + at + len(phrase)

    def code_phrase(self, code: str | int, phrase: str, occurrence: int = 1, *,
                    memo: str | None = None) -> int:
        """Code the ``occurrence``-th occurrence of ``phrase`` in the current segment; return
        the coding id.

        Examples
        --------
        >>> session.code_phrase("power", "line manager")              # doctest: +SKIP
        42
        """
        start, end = self.find_phrase(phrase, occurrence)
        return self.code_span(code, start, end, memo=memo)

    def uncode(self, coding_id: int) -> int:
        """Remove one of the coder's codings by id; return how many were removed."""
        row = self.project.store.coding(int(coding_id))
        if row is None or row["coder"] != self.coder:
            raise ConfigError(f"{self.coder!r} has no coding with id {coding_id}")
        n = self.project.uncode(int(coding_id), by=self.coder)
        self._reload_codings()
        self._changed()
        return n

    def _suggestion(self, suggestion: Suggestion | int | str) -> Suggestion:
        if isinstance(suggestion, Suggestion):
            return suggestion
        pending = self.suggestions
        if isinstance(suggestion, (int, np.integer)) and not isinstance(suggestion, bool):
            if not 0 <= int(suggestion) < len(pending):
                raise ConfigError(f"suggestion {suggestion} does not exist: the current "
                                  f"segment has {len(pending)} pending suggestion(s)")
            return pending[int(suggestion)]
        ref = self.resolve_code(suggestion)
        for s in pending:
            if s.code == ref:
                return s
        raise ConfigError(f"no pending suggestion of {ref!r} in the current segment; pending: "
                          f"{', '.join(s.code for s in pending) or 'none'}")

    def accept(self, suggestion: Suggestion | int | str = 0, *,
               span: Literal["segment", "hits"] = "segment") -> list[int]:
        """Accept a suggestion: code its segment (or with ``span="hits"`` each hit) with
        origin ``suggestion-accepted``; return the coding ids.

        ``suggestion`` is a :class:`Suggestion`, an index into :attr:`suggestions` or a
        code.

        Examples
        --------
        >>> session.accept()            # the first pending suggestion  # doctest: +SKIP
        [57]
        """
        s = self._suggestion(suggestion)
        if span not in ("segment", "hits"):
            raise ConfigError(f"span must be 'segment' or 'hits', not {span!r}")
        if span == "segment":
            seg = self._segment(self._index_of[s.segment_id])
            spans: Sequence[tuple[int, int]] = [(seg.start, seg.end)]
        else:
            spans = s.spans
        ids = [self.project.code(s.doc_id, a, b, s.code, self.coder,
                                 origin="suggestion-accepted") for a, b in spans]
        self._reload_codings()
        self._changed()
        return ids

    def reject(self, suggestion: Suggestion | int | str = 0) -> None:
        """Reject a suggestion: its hits are not suggested to this coder again (until
        :meth:`undo`, or until the document's text changes).

        Examples
        --------
        >>> session.reject("equity-lens/deficit_language")            # doctest: +SKIP
        """
        s = self._suggestion(suggestion)
        self.project.reject(s.doc_id, [(a, b, s.code) for a, b in s.spans], coder=self.coder)
        self._rejected = read_rejections(self.project, self.coder)
        self._changed()

    # -- memos --------------------------------------------------------------------------------
    def memo(self, on: str | int = "document") -> str:
        """The coder's memo on the current document (default), the project
        (``on="project"``), one of their codings (a coding id) or a code (a code)."""
        kind, target = self._memo_target(on)
        if kind == "coding":
            row = self.project.store.coding(int(target))
            return str(row["memo"]) if row else ""
        memos = self.project.memos(coder=self.coder, kind=kind)
        hit = memos.loc[memos["target"] == target, "text"]
        return str(hit.iloc[0]) if len(hit) else ""

    def set_memo(self, text: str, on: str | int = "document") -> None:
        """Write the coder's memo (see :meth:`memo` for ``on``); ``""`` deletes it.

        Examples
        --------
        >>> session.set_memo("Ambivalent about observation.")         # doctest: +SKIP
        >>> session.set_memo("Check with Ben.", on=session.codings.coding_id[0])  # doctest: +SKIP
        """
        kind, target = self._memo_target(on)
        if kind == "coding":
            self.project.memo(text, coder=self.coder, coding=int(target))
        elif kind == "document":
            self.project.memo(text, coder=self.coder, doc=target)
        elif kind == "code":
            self.project.memo(text, coder=self.coder, code=target)
        else:
            self.project.memo(text, coder=self.coder)
        self._reload_codings()
        self._changed()

    def _memo_target(self, on: str | int) -> tuple[str, str]:
        if isinstance(on, (int, np.integer)) and not isinstance(on, bool):
            row = self.project.store.coding(int(on))
            if row is None or row["coder"] != self.coder:
                raise ConfigError(f"on={on}: {self.coder!r} has no coding with that id")
            return "coding", str(int(on))
        if on == "document":
            return "document", self._doc_ids[self._pos]
        if on == "project":
            return "project", ""
        return "code", self.resolve_code(on)

    # -- undo ---------------------------------------------------------------------------------
    def undo(self) -> UndoResult | None:
        """Undo the coder's most recent coding, memo or rejection (see
        :meth:`Project.undo`)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CmqualWarning)
            result = self.project.undo(self.coder)
        for w in caught:  # re-issue from here, so it points at the caller
            warnings.warn(str(w.message), CmqualWarning, stacklevel=2)
        self._rejected = read_rejections(self.project, self.coder)
        self._reload_codings()
        self._changed()
        return result

    # -- display ------------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The JupyterLab widget (built on first use; needs ipywidgets and anywidget)."""
        if getattr(self, "_view", None) is None:
            from cmqual.widget.view import CodingView

            self._view = CodingView(self)
        return self._view.root

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        try:
            widget = self.widget
        except ImportError as exc:
            return {"text/plain": f"{self!r}\n(the coding widget needs ipywidgets and "
                                  f"anywidget: pip install 'cmqual[notebook]'; {exc})"}
        return widget._repr_mimebundle_(include=include, exclude=exclude)

    def __repr__(self) -> str:
        return (f"<CodingSession {self.coder!r} on {self.project.name!r} ({self.level}): "
                f"{self.progress}>")


# -- helpers ---------------------------------------------------------------------------------
def _plain(value: object) -> object:
    if value is None or value is pd.NA:
        return ""
    if hasattr(value, "item"):
        return value.item()
    return value


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
