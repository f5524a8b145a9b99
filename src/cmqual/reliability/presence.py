"""From codings to unit x coder presence tables.

A presence table says, for every unit and code, whether each coder applied the code
there (1) or not (0). Units are segments of one level (turns, paragraphs, sentences),
whole documents, or characters. Character-level tables are built with interval
arithmetic: every stretch of text between two consecutive coding or segment boundaries
is one row whose ``weight`` is its length in characters, so a 100,000-character
interview costs a few rows per coding rather than 100,000 rows; the metrics treat
``weight`` as a frequency weight, which gives exactly the per-character result.

Overlap rule: a coding ``[start, end)`` overlaps a segment ``[s, e)`` when they share
at least one character (``start < e and end > s``); a zero-length coding counts at its
position. Offsets are 0-based, end-exclusive code-point offsets, as in
:mod:`cmqual.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cmqual.errors import ReliabilityError

__all__ = ["presence_table", "roll_up_codes"]

UnitLevel = Literal["segment", "document", "character"]
UNIT_LEVELS = ("segment", "document", "character")
#: Columns of a presence table before the one-per-coder columns.
PRESENCE_COLUMNS = ("code", "doc_id", "unit_id", "start", "end", "weight")
_CODING_NEEDS = ("doc_id", "start", "end", "code", "coder")
_SEGMENT_NEEDS = ("doc_id", "segment_id", "level", "start", "end")


def require(frame: object, columns: Sequence[str], argname: str) -> pd.DataFrame:
    """Check ``frame`` is a DataFrame with ``columns``; name what is missing and present."""
    if not isinstance(frame, pd.DataFrame):
        raise ReliabilityError(f"{argname}: expected a DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReliabilityError(
            f"{argname}: missing column(s) {', '.join(missing)}; "
            f"columns present: {', '.join(map(str, frame.columns)) or '(none)'}"
        )
    return frame


def _offsets(frame: pd.DataFrame, argname: str) -> tuple[np.ndarray, np.ndarray]:
    problems = []
    out = []
    for col in ("start", "end"):
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.isna().any():
            problems.append(f"{col} has {int(values.isna().sum())} missing or non-numeric value(s)")
        out.append(values.fillna(0).to_numpy(dtype=np.int64))
    start, end = out
    if (start < 0).any():
        problems.append("start has negative offsets")
    bad = np.flatnonzero(end < start)
    if bad.size:
        problems.append(
            f"{bad.size} row(s) end before they start (first at row {int(bad[0])}: "
            f"start={int(start[bad[0]])}, end={int(end[bad[0]])})"
        )
    if problems:
        raise ReliabilityError(f"{argname}: unusable offsets", problems)
    return start, end


def roll_up_codes(
    codings: pd.DataFrame, *, depth: int | None = None, codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Roll nested code paths up to a depth and/or onto a list of codes.

    Code references are paths such as ``scoping-study/power/line_management``.

    Parameters
    ----------
    codings : DataFrame
        A codings table with a ``code`` column (see :data:`cmqual.tables.CODING_COLUMNS`).
    depth : int, optional
        Keep the first ``depth`` path components (``depth=2`` turns
        ``scoping-study/power/line_management`` into ``scoping-study/power``).
    codes : sequence of str, optional
        Keep only these codes; a coding of a descendant (``a/b/c`` under ``a/b``) counts as
        a coding of the listed ancestor. A coding under two listed codes counts for both.
        Applied after ``depth``.

    Returns
    -------
    DataFrame
        A new codings table (the input is not changed) with the rolled-up ``code``.

    Examples
    --------
    >>> c = pd.DataFrame({"code": ["a/b/c", "a/d", "e"], "coder": ["x", "x", "y"]})
    >>> roll_up_codes(c, depth=1)["code"].tolist()
    ['a', 'a', 'e']
    >>> roll_up_codes(c, codes=["a/b", "e"])["code"].tolist()
    ['a/b', 'e']
    """
    require(codings, ("code",), "codings")
    out = codings.copy()
    path = out["code"].astype("string")
    if depth is not None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ReliabilityError(f"depth: expected a positive whole number; got {depth!r}")
        path = path.str.split("/", n=depth).str[:depth].str.join("/")
    out["code"] = path
    if codes is None:
        return out
    if isinstance(codes, str):
        raise ReliabilityError(f"codes: expected a list of codes; got the string {codes!r}")
    parts = []
    for code in dict.fromkeys(str(c).strip("/") for c in codes):
        hit = (path == code) | path.str.startswith(code + "/")
        parts.append(out.loc[hit.fillna(False).to_numpy()].assign(code=code))
    if not parts:
        return out.iloc[0:0]
    rolled = pd.concat(parts)
    order = np.argsort(rolled.index.to_numpy(), kind="stable")
    return rolled.iloc[order].astype({"code": "string"})


@dataclass(frozen=True)
class Presence:
    """Presence in array form, shared by the table builders of this package.

    For segment and document levels ``present[c, u, k]`` says whether coder ``k``
    applied code ``c`` to unit ``u``; ``units`` has one row per unit (doc_id, unit_id,
    start, end, weight and, for segments, text). For the character level ``rows`` holds
    the long table directly.
    """

    codes: tuple[str, ...]
    coders: tuple[str, ...]
    units: pd.DataFrame | None
    present: np.ndarray | None
    rows: pd.DataFrame | None = None
    #: Character level: for each row, an integer id of the segment (or document) it lies
    #: in, used to resample whole segments in the bootstrap.
    row_segment: np.ndarray | None = None


def _check_choice(value: object, allowed: Sequence[str], argname: str) -> None:
    if value not in allowed:
        raise ReliabilityError(
            f"{argname}: expected one of {', '.join(map(repr, allowed))}; got {value!r}"
        )


def _clean_codings(
    codings: pd.DataFrame,
    coders: Sequence[str] | None,
    codes: Sequence[str] | None,
    depth: int | None,
    documents: Sequence[str] | None,
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...], list[str]]:
    require(codings, _CODING_NEEDS, "codings")
    frame = pd.DataFrame(
        {
            "doc_id": codings["doc_id"].astype("string").to_numpy(dtype=object),
            "code": codings["code"].astype("string").to_numpy(dtype=object),
            "coder": codings["coder"].astype("string").to_numpy(dtype=object),
        }
    )
    frame["start"], frame["end"] = _offsets(codings, "codings")
    if frame[["doc_id", "code", "coder"]].isna().any().any():
        raise ReliabilityError("codings: doc_id, code and coder must not be missing")
    present_coders = sorted(frame["coder"].unique())
    if coders is None:
        chosen = tuple(present_coders)
    else:
        if isinstance(coders, str):
            raise ReliabilityError(f"coders: expected a list of coders; got the string {coders!r}")
        chosen = tuple(dict.fromkeys(str(c) for c in coders))
        unknown = [c for c in chosen if c not in set(present_coders)]
        if unknown:
            raise ReliabilityError(
                f"coders: no codings by {', '.join(map(repr, unknown))}; coders present: "
                f"{', '.join(map(repr, present_coders)) or '(none)'}"
            )
    if len(chosen) < 2:
        raise ReliabilityError(
            f"coders: agreement needs at least 2 coders; got {len(chosen)} "
            f"({', '.join(map(repr, chosen)) or 'none'})"
        )
    clash = [c for c in chosen if c in PRESENCE_COLUMNS]
    if clash:
        raise ReliabilityError(
            f"coders: coder name(s) {', '.join(map(repr, clash))} clash with the table's own "
            f"columns ({', '.join(PRESENCE_COLUMNS)}); rename them in the codings"
        )
    frame = frame[frame["coder"].isin(chosen)]
    if documents is None:
        # Compare coders only where every one of them coded something: a coder who coded
        # a subset of the corpus must not be counted as disagreeing everywhere else.
        per_coder = [set(frame.loc[frame["coder"] == c, "doc_id"]) for c in chosen]
        docs = sorted(set.intersection(*per_coder))
        if not docs:
            counts = ", ".join(f"{c}: {len(d)}" for c, d in zip(chosen, per_coder, strict=True))
            raise ReliabilityError(
                f"coders: no document was coded by every coder (documents coded: {counts}); "
                "pass documents= to compare over documents you choose"
            )
    else:
        if isinstance(documents, str):
            raise ReliabilityError(
                f"documents: expected a list of doc_ids; got the string {documents!r}"
            )
        docs = sorted(dict.fromkeys(str(d) for d in documents))
    frame = frame[frame["doc_id"].isin(docs)]
    frame = roll_up_codes(frame, depth=depth, codes=codes)
    frame["code"] = frame["code"].astype(object)
    all_codes = set(frame["code"])
    if codes is not None:
        all_codes |= {str(c).strip("/") for c in codes}
    return frame.reset_index(drop=True), chosen, tuple(sorted(all_codes)), docs


def _keyed(doc_index: np.ndarray, pos: np.ndarray, big: int) -> np.ndarray:
    """One sortable int64 key per (document, offset): documents never interleave."""
    return doc_index.astype(np.int64) * big + pos


def _unit_segments(
    segments: pd.DataFrame | None, unit: str, docs: list[str], argname: str = "segments"
) -> pd.DataFrame:
    require(segments, _SEGMENT_NEEDS, argname)
    levels = segments["level"].astype("string")
    if not (levels == unit).any():
        present = sorted(levels.dropna().unique())
        raise ReliabilityError(
            f"unit: no segments of level {unit!r}; levels present: "
            f"{', '.join(map(repr, present)) or '(none)'}"
        )
    segs = segments.loc[(levels == unit).fillna(False).to_numpy()]
    start, end = _offsets(segs, argname)
    out = pd.DataFrame(
        {
            "doc_id": segs["doc_id"].astype("string").to_numpy(dtype=object),
            "unit_id": segs["segment_id"].astype("string").to_numpy(dtype=object),
            "start": start,
            "end": end,
            "text": (
                segs["text"].astype("string").to_numpy(dtype=object)
                if "text" in segs.columns
                else pd.NA
            ),
        }
    )
    out = out[out["doc_id"].isin(docs)]
    return out.sort_values(["doc_id", "start", "end", "unit_id"], kind="stable").reset_index(
        drop=True
    )


def _segment_presence(
    frame: pd.DataFrame, segs: pd.DataFrame, codes: tuple[str, ...], coders: tuple[str, ...]
) -> np.ndarray:
    """``present[code, segment, coder]`` by overlap, with no loop over units."""
    n_seg = len(segs)
    present = np.zeros((len(codes), n_seg, len(coders)), dtype=np.int8)
    if n_seg == 0 or frame.empty:
        return present
    docs = pd.Index(sorted(segs["doc_id"].unique()))
    big = int(max(segs["end"].max(), frame["end"].max())) + 2
    seg_doc = docs.get_indexer(segs["doc_id"])
    s_start = _keyed(seg_doc, segs["start"].to_numpy(), big)
    s_end_max = np.maximum.accumulate(_keyed(seg_doc, segs["end"].to_numpy(), big))
    seg_end = _keyed(seg_doc, segs["end"].to_numpy(), big)
    c_doc = docs.get_indexer(frame["doc_id"])
    frame = frame[c_doc >= 0]
    c_doc = c_doc[c_doc >= 0]
    c_start = _keyed(c_doc, frame["start"].to_numpy(), big)
    # A zero-length coding marks one position: count it where that character is.
    c_end = np.maximum(_keyed(c_doc, frame["end"].to_numpy(), big), c_start + 1)
    # Segments are sorted by start; candidates start before the coding ends and, by the
    # running maximum of their ends, may end after it starts.
    hi = np.searchsorted(s_start, c_end, side="left")
    lo = np.searchsorted(s_end_max, c_start, side="right")
    counts = np.maximum(hi - lo, 0)
    coding_idx = np.repeat(np.arange(len(frame)), counts)
    offsets = np.cumsum(counts) - counts
    seg_idx = np.repeat(lo, counts) + (np.arange(int(counts.sum())) - np.repeat(offsets, counts))
    real = (seg_end[seg_idx] > c_start[coding_idx]) & (s_start[seg_idx] < c_end[coding_idx])
    seg_idx, coding_idx = seg_idx[real], coding_idx[real]
    code_idx = pd.Index(codes).get_indexer(frame["code"].to_numpy())[coding_idx]
    coder_idx = pd.Index(coders).get_indexer(frame["coder"].to_numpy())[coding_idx]
    present[code_idx, seg_idx, coder_idx] = 1
    return present


def _sweep(
    starts: np.ndarray, ends: np.ndarray, channel: np.ndarray, n_channels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split keyed intervals at every boundary; report which channels cover each piece.

    Returns ``(x0, x1, cover)`` for consecutive boundary points; ``cover[i, ch]`` is True
    when some interval of channel ``ch`` covers ``[x0[i], x1[i])``.
    """
    pos = np.concatenate([starts, ends])
    if pos.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.zeros((0, n_channels), dtype=bool)
    delta = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    ch = np.concatenate([channel, channel]).astype(np.int64)
    points, inverse = np.unique(pos, return_inverse=True)
    d = np.bincount(
        inverse * n_channels + ch, weights=delta, minlength=points.size * n_channels
    ).reshape(points.size, n_channels)
    cover = np.cumsum(d, axis=0)[:-1] > 0.5
    return points[:-1], points[1:], cover


def _character_rows(
    frame: pd.DataFrame,
    segs: pd.DataFrame | None,
    docs: list[str],
    codes: tuple[str, ...],
    coders: tuple[str, ...],
    exclude_uncoded: bool,
) -> tuple[pd.DataFrame, np.ndarray]:
    doc_index = pd.Index(docs)
    ends = [frame["end"].max() if len(frame) else 0]
    if segs is not None and len(segs):
        ends.append(segs["end"].max())
    big = int(max(ends)) + 2
    coded = frame[frame["end"] > frame["start"]]
    c_doc = doc_index.get_indexer(coded["doc_id"])
    c_start = _keyed(c_doc, coded["start"].to_numpy(), big)
    c_end = _keyed(c_doc, coded["end"].to_numpy(), big)

    # 1. The universe: segment characters (split at segment boundaries so that every
    #    piece lies in one segment), optionally only those some coder coded.
    parts_s, parts_e, parts_ch = [], [], []
    if segs is not None:
        seg_doc = doc_index.get_indexer(segs["doc_id"])
        seg_start = _keyed(seg_doc, segs["start"].to_numpy(), big)
        parts_s.append(seg_start)
        parts_e.append(_keyed(seg_doc, segs["end"].to_numpy(), big))
        parts_ch.append(np.zeros(len(segs), dtype=np.int64))
    need_coded = exclude_uncoded or segs is None
    if need_coded:
        parts_s.append(c_start)
        parts_e.append(c_end)
        parts_ch.append(np.ones(len(c_start), dtype=np.int64))
    x0, x1, cover = _sweep(
        np.concatenate(parts_s), np.concatenate(parts_e), np.concatenate(parts_ch), 2
    )
    keep = (x0 // big == x1 // big) & (x1 > x0)
    if segs is not None:
        keep &= cover[:, 0]
    if need_coded:
        keep &= cover[:, 1]
    p0, p1 = x0[keep], x1[keep]
    piece_doc = p0 // big
    # Each piece's unit: the segment containing it, else (no segments) its document.
    if segs is not None and len(segs):
        at = np.searchsorted(seg_start, p0, side="right") - 1
        seg_end = _keyed(seg_doc, segs["end"].to_numpy(), big)
        inside = (at >= 0) & (seg_end[np.maximum(at, 0)] > p0)
        labels = np.concatenate(
            [segs["unit_id"].to_numpy(dtype=object), np.asarray(docs, dtype=object)]
        )
        piece_unit = np.where(inside, at, len(segs) + piece_doc)
    else:
        labels = np.asarray(docs, dtype=object)
        piece_unit = piece_doc

    # 2. Per code: split the universe pieces at that code's coding boundaries.
    coder_idx = pd.Index(coders).get_indexer(coded["coder"].to_numpy())
    code_of = coded["code"].to_numpy(dtype=object)
    k = len(coders)
    out_code, out_x0, out_x1, out_piece, out_cov = [], [], [], [], []
    for c, code in enumerate(codes):
        mine = code_of == code
        y0, y1, cov = _sweep(
            np.concatenate([c_start[mine], p0]),
            np.concatenate([c_end[mine], p1]),
            np.concatenate([coder_idx[mine], np.full(p0.size, k)]),
            k + 1,
        )
        inside = cov[:, k] & (y1 > y0)
        out_code.append(np.full(int(inside.sum()), c))
        out_x0.append(y0[inside])
        out_x1.append(y1[inside])
        out_piece.append(np.searchsorted(p0, y0[inside], side="right") - 1)
        out_cov.append(cov[inside, :k])
    if not out_code:
        return _empty_presence(coders), np.empty(0, dtype=np.int64)
    code_idx = np.concatenate(out_code)
    y0, y1 = np.concatenate(out_x0), np.concatenate(out_x1)
    unit_idx = piece_unit[np.concatenate(out_piece)]
    cover = np.concatenate(out_cov)
    rows = pd.DataFrame(
        {
            "code": np.asarray(codes, dtype=object)[code_idx],
            "doc_id": np.asarray(docs, dtype=object)[y0 // big] if y0.size else [],
            "unit_id": labels[unit_idx] if y0.size else [],
            "start": y0 % big,
            "end": y1 % big,
            "weight": y1 - y0,
        }
    )
    for j, coder in enumerate(coders):
        rows[coder] = cover[:, j].astype(np.int8)
    return rows, unit_idx


def _empty_presence(coders: tuple[str, ...]) -> pd.DataFrame:
    data = {c: pd.Series([], dtype="object") for c in ("code", "doc_id", "unit_id")}
    data |= {c: pd.Series([], dtype=np.int64) for c in ("start", "end", "weight")}
    data |= {c: pd.Series([], dtype=np.int8) for c in coders}
    return pd.DataFrame(data)


def build_presence(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None,
    *,
    level: str,
    unit: str,
    coders: Sequence[str] | None,
    codes: Sequence[str] | None,
    depth: int | None,
    documents: Sequence[str] | None,
    exclude_uncoded: bool,
) -> Presence:
    """Validate the arguments of :func:`presence_table` and compute presence."""
    _check_choice(level, UNIT_LEVELS, "level")
    frame, chosen, all_codes, docs = _clean_codings(codings, coders, codes, depth, documents)
    if level == "segment":
        if segments is None:
            raise ReliabilityError("segments: level='segment' needs the segments table")
        segs = _unit_segments(segments, unit, docs)
        present = _segment_presence(frame, segs, all_codes, chosen)
        units = segs.assign(weight=np.ones(len(segs), dtype=np.int64))
        return Presence(all_codes, chosen, units, present)
    if level == "document":
        spans = [frame.groupby("doc_id")["end"].max()]
        if segments is not None:
            require(segments, _SEGMENT_NEEDS, "segments")
            _, seg_end = _offsets(segments, "segments")
            spans.append(
                pd.Series(seg_end, index=segments["doc_id"].astype(str)).groupby(level=0).max()
            )
        length = pd.concat(spans).groupby(level=0).max().reindex(docs).fillna(0)
        units = pd.DataFrame(
            {
                "doc_id": np.asarray(docs, dtype=object),
                "unit_id": np.asarray(docs, dtype=object),
                "start": np.zeros(len(docs), dtype=np.int64),
                "end": length.to_numpy(dtype=np.int64),
                "text": pd.NA,
                "weight": np.ones(len(docs), dtype=np.int64),
            }
        )
        present = np.zeros((len(all_codes), len(docs), len(chosen)), dtype=np.int8)
        if len(frame):
            present[
                pd.Index(all_codes).get_indexer(frame["code"]),
                pd.Index(docs).get_indexer(frame["doc_id"]),
                pd.Index(chosen).get_indexer(frame["coder"]),
            ] = 1
        return Presence(all_codes, chosen, units, present)
    segs = None if segments is None else _unit_segments(segments, unit, docs)
    rows, row_segment = _character_rows(frame, segs, docs, all_codes, chosen, bool(exclude_uncoded))
    return Presence(all_codes, chosen, None, None, rows, row_segment)


def presence_to_frame(p: Presence) -> pd.DataFrame:
    """The long presence table (one row per code and unit) from array form."""
    if p.rows is not None:
        out = p.rows
    else:
        n_codes, n_units = len(p.codes), len(p.units)
        out = pd.DataFrame(
            {
                "code": np.repeat(np.asarray(p.codes, dtype=object), n_units),
                **{
                    col: np.tile(p.units[col].to_numpy(), n_codes)
                    for col in ("doc_id", "unit_id", "start", "end", "weight")
                },
            }
        )
        flat = p.present.reshape(n_codes * n_units, len(p.coders))
        for j, coder in enumerate(p.coders):
            out[coder] = flat[:, j]
    return out.astype(
        {
            "code": "string",
            "doc_id": "string",
            "unit_id": "string",
            "start": "int64",
            "end": "int64",
            "weight": "int64",
        }
    ).reset_index(drop=True)


def presence_table(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    *,
    level: UnitLevel = "segment",
    unit: str = "turn",
    coders: Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    depth: int | None = None,
    documents: Sequence[str] | None = None,
    exclude_uncoded: bool = False,
) -> pd.DataFrame:
    """Which coder applied which code to which unit, as a 0/1 table.

    Parameters
    ----------
    codings : DataFrame
        Codings table with at least ``doc_id, start, end, code, coder``
        (:data:`cmqual.tables.CODING_COLUMNS`).
    segments : DataFrame, optional
        Segments table (:data:`cmqual.tables.SEGMENT_COLUMNS`); needed for
        ``level="segment"``. For ``level="character"`` its segments of level ``unit`` are
        the characters compared; without it, only characters some coder coded are.
    level : {"segment", "document", "character"}
        The unit of analysis. "segment": a code is present for a coder when any of that
        coder's codings of it overlaps the segment. "document": when the coder used the
        code anywhere in the document. "character": per character, as stretches of text
        weighted by their length.
    unit : str
        Segment level used for "segment" and "character": ``turn``, ``paragraph`` or
        ``sentence``.
    coders : sequence of str, optional
        Coders to compare, in column order (default: all, sorted). Each must have codings.
    codes : sequence of str, optional
        Codes to compare; descendants roll up into a listed ancestor (see
        :func:`roll_up_codes`). Listed codes nobody used get all-zero rows.
    depth : int, optional
        Roll code paths up to this many components first.
    documents : sequence of str, optional
        Documents to compare. Default: those every selected coder coded at least once,
        so a coder who coded part of the corpus is compared only there.
    exclude_uncoded : bool
        At character level, drop characters no coder coded with any compared code. This
        removes the agreement-on-nothing that inflates character-level figures (as NVivo
        reports them).

    Returns
    -------
    DataFrame
        Columns ``code, doc_id, unit_id, start, end, weight`` and one 0/1 (int8) column per
        coder, sorted by code, document and offset. ``unit_id`` is the segment id (the
        document id at document level; at character level, the segment containing the
        stretch). ``weight`` is 1 per segment or document and the number of characters at
        character level; pass it to the metrics as ``sample_weight``.

    Raises
    ------
    ReliabilityError
        If a column is missing, offsets are unusable, fewer than two coders are chosen,
        a coder has no codings, or ``level``/``unit`` is unknown.

    Examples
    --------
    >>> segments = pd.DataFrame({"doc_id": ["d", "d"], "segment_id": ["s1", "s2"],
    ...     "level": ["turn", "turn"], "start": [0, 10], "end": [10, 20]})
    >>> codings = pd.DataFrame({"doc_id": ["d", "d", "d"], "start": [2, 3, 12],
    ...     "end": [5, 4, 15], "code": ["power", "power", "power"], "coder": ["ann", "bob", "bob"]})
    >>> presence_table(codings, segments)[["unit_id", "ann", "bob"]]
      unit_id  ann  bob
    0      s1    1    1
    1      s2    0    1
    """
    p = build_presence(
        codings,
        segments,
        level=level,
        unit=unit,
        coders=coders,
        codes=codes,
        depth=depth,
        documents=documents,
        exclude_uncoded=exclude_uncoded,
    )
    return presence_to_frame(p)
