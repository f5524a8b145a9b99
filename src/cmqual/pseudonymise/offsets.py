"""Offsets between original and pseudonymised texts: :class:`OffsetMap`, carrying codings.

Offsets are 0-based, end-exclusive code points, like every offset in cmqual. Unchanged
text maps one to one; a span that starts or ends inside a replacement grows to cover it.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import pandas as pd

from cmqual.corpus import segment_id
from cmqual.errors import ConfigError
from cmqual.pseudonymise.names import _check_choice
from cmqual.pseudonymise.result import PseudonymisationResult
from cmqual.tables import require_columns

__all__ = ["OffsetMap", "carry_codings"]


@dataclass(frozen=True, eq=False)
class OffsetMap:
    """Carries spans between a document's original text and its pseudonymised text.

    ``pieces`` tile both texts in order: ``(old_start, old_end, new_start, new_end,
    copied)``. A copied piece maps character for character; any other piece (a replaced
    name, a rewritten label) maps as a whole, so a span that starts or ends inside it
    grows to cover it. Build one with :meth:`from_edits`.

    Examples
    --------
    >>> m = OffsetMap.from_edits("a", "Hi Jane Smith, bye", [(3, 13, "[Person 1]")])
    >>> m.new_text
    'Hi [Person 1], bye'
    >>> m.to_new(0, 5), m.to_new(15, 18), m.to_old(3, 13)
    ((0, 13), (15, 18), (3, 13))
    """

    doc_id: str
    old_text: str = field(repr=False)
    new_text: str = field(repr=False)
    pieces: tuple[tuple[int, int, int, int, bool], ...] = field(repr=False)
    new_doc_id: str = ""
    path: str = ""
    new_path: str = ""
    speakers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}),
                                        repr=False)

    @classmethod
    def from_edits(cls, doc_id: str, old_text: str,
                   edits: Iterable[tuple[int, int, str]], **fields: object) -> OffsetMap:
        """Apply ``(start, end, replacement)`` edits (sorted, not overlapping) to ``old_text``.

        Zero-width edits insert text; an edit whose replacement equals the old text is a
        copy.
        """
        pieces: list[tuple[int, int, int, int, bool]] = []
        parts: list[str] = []
        pos = npos = 0
        for s, e, new in edits:
            if s < pos or e < s or e > len(old_text):
                raise ValueError(f"edit ({s}, {e}) overlaps an earlier one or is out of range")
            if s > pos:
                pieces.append((pos, s, npos, npos + s - pos, True))
                parts.append(old_text[pos:s])
                npos += s - pos
            if new == old_text[s:e]:
                if e > s:
                    pieces.append((s, e, npos, npos + e - s, True))
            else:
                pieces.append((s, e, npos, npos + len(new), False))
            parts.append(new)
            npos += len(new)
            pos = e
        if pos < len(old_text):
            pieces.append((pos, len(old_text), npos, npos + len(old_text) - pos, True))
            parts.append(old_text[pos:])
        return cls(doc_id, old_text, "".join(parts), tuple(pieces), **fields)

    @cached_property
    def _tables(self) -> dict[str, tuple[list[int], list[tuple]]]:
        fwd = [p for p in self.pieces if p[1] > p[0]]
        back = [(p[2], p[3], p[0], p[1], p[4]) for p in self.pieces if p[3] > p[2]]
        return {"new": ([p[0] for p in fwd], fwd), "old": ([p[0] for p in back], back)}

    def _map(self, start: int, end: int, target: str) -> tuple[int, int]:
        src, dst = ((self.old_text, self.new_text) if target == "new"
                    else (self.new_text, self.old_text))
        if not (0 <= start <= end <= len(src)):
            raise ConfigError(
                f"span ({start}, {end}) is outside document {self.doc_id!r} "
                f"({len(src)} characters in the {'original' if target == 'new' else 'new'} "
                "text); offsets are 0-based and end-exclusive"
            )
        starts, table = self._tables[target]

        def piece(pos: int) -> tuple:
            return table[bisect.bisect_right(starts, pos) - 1]

        if start == end:
            if start == len(src):
                return len(dst), len(dst)
            s0, _, d0, _, copied = piece(start)
            p = d0 + (start - s0) if copied else d0
            return p, p
        s0, _, d0, _, copied = piece(start)
        new_start = d0 + (start - s0) if copied else d0
        s1, _, d1, d1e, copied = piece(end - 1)
        new_end = d1 + (end - s1) if copied else d1e
        return new_start, new_end

    def to_new(self, start: int, end: int) -> tuple[int, int]:
        """Map an original span to the pseudonymised text (grows over replacements)."""
        return self._map(start, end, "new")

    def to_old(self, start: int, end: int) -> tuple[int, int]:
        """Map a pseudonymised span back to the original text (grows over replacements)."""
        return self._map(start, end, "old")

    def quote(self, start: int, end: int) -> str:
        """The pseudonymised text of the original span ``[start, end)``.

        Examples
        --------
        >>> OffsetMap.from_edits("a", "Ask Jane.", [(4, 8, "[P01]")]).quote(0, 9)
        'Ask [P01].'
        """
        s, e = self.to_new(start, end)
        return self.new_text[s:e]

    def replacements(self) -> pd.DataFrame:
        """The replaced pieces: old and new offsets and texts (holds real names)."""
        rows = [(a, b, c, d, self.old_text[a:b], self.new_text[c:d])
                for a, b, c, d, copied in self.pieces if not copied]
        return pd.DataFrame(rows, columns=["old_start", "old_end", "new_start", "new_end",
                                           "old", "new"])


def carry_codings(codings: pd.DataFrame,
                  mapping: PseudonymisationResult | Mapping[str, OffsetMap],
                  direction: str = "to_new") -> pd.DataFrame:
    """Carry a codings table between the original and the pseudonymised corpus.

    ``start``/``end`` are mapped with :class:`OffsetMap` (a span that starts or ends
    inside a replaced name grows to cover it), ``text`` is taken from the target text,
    ``doc_id``, ``doc``, ``speaker`` and ``segment_id`` (recomputed as in
    :func:`cmqual.corpus.segment_id` for the target text) follow; other columns are kept.

    Parameters
    ----------
    codings : DataFrame
        Needs ``doc_id``, ``start`` and ``end`` (see ``cmqual.tables.CODING_COLUMNS``).
    mapping : PseudonymisationResult or Mapping[str, OffsetMap]
        The maps (keyed by original ``doc_id``).
    direction : {"to_new", "to_old"}
        ``to_new``: codings of the original corpus onto the pseudonymised one.

    Examples
    --------
    >>> carried = carry_codings(codings, result)                    # doctest: +SKIP
    >>> back = carry_codings(carried, result, direction="to_old")   # doctest: +SKIP
    """
    _check_choice(direction, ("to_new", "to_old"), "direction")
    maps = mapping.maps if isinstance(mapping, PseudonymisationResult) else mapping
    require_columns(codings, ("doc_id", "start", "end"), "codings")
    forward = direction == "to_new"
    lookup = {(m.doc_id if forward else m.new_doc_id): m for m in maps.values()}
    missing = sorted({str(d) for d in codings["doc_id"]} - set(lookup))
    if missing:
        raise ConfigError(
            f"codings name {len(missing)} document(s) the mapping does not know: "
            f"{', '.join(missing[:5])}; mapping has {', '.join(sorted(lookup)[:5])}")
    out = codings.copy()
    starts, ends, texts, ids, docs, sids, spk = [], [], [], [], [], [], []
    has_level = "level" in out.columns and "segment_id" in out.columns
    levels = out["level"].tolist() if has_level else [None] * len(out)
    speakers = out["speaker"].tolist() if "speaker" in out.columns else [None] * len(out)
    shas: dict[str, str] = {}
    for doc_id, start, end, level, speaker in zip(out["doc_id"].tolist(), out["start"].tolist(),
                                                  out["end"].tolist(), levels, speakers,
                                                  strict=True):
        m = lookup[str(doc_id)]
        s, e = (m.to_new if forward else m.to_old)(int(start), int(end))
        target = m.new_text if forward else m.old_text
        target_id = m.new_doc_id if forward else m.doc_id
        starts.append(s)
        ends.append(e)
        texts.append(target[s:e])
        ids.append(target_id)
        docs.append(m.new_path if forward else m.path)
        if has_level:
            sha = shas.setdefault(target_id, hashlib.sha256(target.encode("utf-8")).hexdigest())
            sids.append(segment_id(target_id, sha, str(level), s, e))
        names = m.speakers if forward else {v: k for k, v in m.speakers.items()}
        spk.append(speaker if pd.isna(speaker) else names.get(str(speaker), speaker))
    out["doc_id"] = pd.Series(ids, index=out.index, dtype=codings["doc_id"].dtype)
    out["start"] = pd.Series(starts, index=out.index, dtype="int64")
    out["end"] = pd.Series(ends, index=out.index, dtype="int64")
    out["text"] = pd.Series(texts, index=out.index,
                            dtype=codings["text"].dtype if "text" in codings else "string")
    if "doc" in out.columns:
        out["doc"] = pd.Series(docs, index=out.index, dtype=codings["doc"].dtype)
    if has_level:
        out["segment_id"] = pd.Series(sids, index=out.index, dtype=codings["segment_id"].dtype)
    if "speaker" in out.columns:
        out["speaker"] = pd.Series(spk, index=out.index, dtype=codings["speaker"].dtype)
    return out
