"""Shared machinery of the analysis functions: units, scopes and codings placed on units.

Every analysis works on *units*: the segments of one level (``turn`` by default) of a
corpus, joined with the document attributes (``metadata.csv``) and the speaker attributes
(``speakers.csv``). A coding is placed on every unit its span overlaps (half-open
offsets, so touching spans do not overlap; a zero-length coding lies in the unit that
contains its offset). "Coded segments" counts those units; "hits" counts each coding once,
in the first unit it overlaps.

Group values (the ``by`` columns of the outputs) are turned into text labels, in the
natural order of the original values (numbers and dates ascending, categories in their
order, text alphabetically), with :data:`MISSING` for missing values and :data:`BLANK`
for empty text (the ``speaker_role`` of a transcript without speaker labels).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from cmqual.errors import CmqualWarning, ConfigError
from cmqual.tables import DOCUMENT_COLUMNS, LEVELS, SPEAKER_COLUMNS, require_columns

__all__ = ["BLANK", "MISSING", "CorpusLike", "unit_table"]

#: Label of a missing attribute value in group columns.
MISSING = "(missing)"
#: Label of an empty text value (e.g. the speaker role of text without speaker labels).
BLANK = "(blank)"


class CorpusLike(Protocol):
    """What the analysis functions need from a corpus: its tables and texts.

    A :class:`cmqual.Corpus` is one; so is any object (a ``SimpleNamespace``) with the
    same four attributes.
    """

    documents: pd.DataFrame
    segments: pd.DataFrame
    speakers: pd.DataFrame
    texts: Mapping[str, str]


Scalar = str | int | float | bool
Where = Mapping[str, Scalar | Sequence[Scalar]]


def as_list(value: str | Sequence[str] | None, argname: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        raise ConfigError(f"{argname}: expected a column name or a list of them; got "
                          f"{value!r}") from None


def check_unit(unit: str) -> str:
    if unit not in LEVELS:
        raise ConfigError(f"unit: expected one of {', '.join(LEVELS)}; got {unit!r}")
    return unit


def infer_unit(codings: pd.DataFrame | None, unit: str | None) -> str:
    """``unit`` if given; else the codings' one level (if they have one); else ``turn``."""
    if unit is not None:
        return check_unit(unit)
    if codings is not None and "level" in codings.columns:
        levels = set(codings["level"].dropna().astype(str)) & set(LEVELS)
        if len(levels) == 1:
            return levels.pop()
    return "turn"


def unit_table(corpus: CorpusLike, unit: str = "turn") -> pd.DataFrame:
    """The segments of one level with document and speaker attributes joined on.

    Parameters
    ----------
    corpus : Corpus
        A corpus (or any object with ``documents``, ``segments``, ``speakers``).
    unit : {"turn", "paragraph", "sentence"}
        The segment level.

    Returns
    -------
    DataFrame
        One row per segment of the level, sorted by ``doc_id`` and ``start``, with a fresh
        0-based index: the segment columns (:data:`cmqual.tables.SEGMENT_COLUMNS`), then
        ``position`` (0-based index of the unit within its document), then each document
        attribute column, then each speaker attribute column (a speaker attribute whose name
        is already taken gets the suffix ``_speaker``).

    Examples
    --------
    >>> units = unit_table(corpus, "turn")              # doctest: +SKIP
    >>> units.groupby("speaker_role")["n_words"].sum()  # doctest: +SKIP
    """
    check_unit(unit)
    seg = corpus.segments
    require_columns(seg, ("doc_id", "level", "start", "end", "speaker", "n_words"), "segments")
    units = seg[seg["level"] == unit].copy()
    units["doc_id"] = units["doc_id"].astype(str)
    units = units.sort_values(["doc_id", "start", "end"], kind="stable").reset_index(drop=True)
    units["position"] = units.groupby("doc_id", sort=False).cumcount().astype("int64")
    docs = corpus.documents
    attrs = [c for c in docs.columns if c not in DOCUMENT_COLUMNS and c not in units.columns]
    if attrs:
        table = docs[["doc_id", *attrs]].copy()
        table["doc_id"] = table["doc_id"].astype(str)
        units = units.merge(table, on="doc_id", how="left", sort=False)
    spk = getattr(corpus, "speakers", None)
    if spk is not None and len(spk.columns):
        extra = [c for c in spk.columns if c not in SPEAKER_COLUMNS]
        if extra:
            table = spk[["doc_id", "speaker", *extra]].copy()
            table["doc_id"] = table["doc_id"].astype(str)
            table["speaker"] = table["speaker"].astype(str)
            table = table.drop_duplicates(["doc_id", "speaker"])
            table = table.rename(columns={c: f"{c}_speaker" for c in extra
                                          if c in units.columns})
            units["speaker"] = units["speaker"].astype(str)
            units = units.merge(table, on=["doc_id", "speaker"], how="left", sort=False)
    return units


def labels(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Text labels of a column and the labels in the natural order of the values."""
    s = values
    order_frame = pd.DataFrame({"v": s}).drop_duplicates()
    present = order_frame["v"]
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.cat.categories if (s == c).any()]
        ordered = cats
    else:
        non_na = present.dropna()
        try:
            ordered = sorted(non_na.tolist())
        except TypeError:
            ordered = sorted(non_na.tolist(), key=str)
    mapping = {v: _label(v) for v in ordered}
    out = pd.Series([MISSING if _isna(v) else mapping.get(v, _label(v)) for v in s],
                    index=s.index, dtype="string")
    order = list(dict.fromkeys(mapping[v] for v in ordered))
    if s.isna().any():
        order.append(MISSING)
    return out, order


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _label(v: Any) -> str:
    if _isna(v):
        return MISSING
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "item"):
        v = v.item()
    return str(v) if str(v) != "" else BLANK


@dataclass(frozen=True)
class Scope:
    """Which units and codings an analysis looks at (every filter optional)."""

    coders: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None
    speakers: tuple[str, ...] | None = None
    documents: tuple[str, ...] | None = None
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @classmethod
    def make(cls, *, coders=None, roles=None, speakers=None, documents=None,
             where=None) -> Scope:
        def tup(v, name):
            if v is None:
                return None
            if isinstance(v, str):
                return (v,)
            try:
                return tuple(str(x) for x in v)
            except TypeError:
                raise ConfigError(f"{name}: expected a name or a list of names; got "
                                  f"{v!r}") from None

        items = []
        for col, allowed in (where or {}).items():
            if isinstance(allowed, str) or not isinstance(allowed, Sequence):
                allowed = (allowed,)
            items.append((str(col), tuple(allowed)))
        return cls(tup(coders, "coders"), tup(roles, "roles"), tup(speakers, "speakers"),
                   tup(documents, "documents"), tuple(sorted(items, key=lambda x: x[0])))

    def filter_units(self, units: pd.DataFrame) -> pd.DataFrame:
        """The units in scope (index kept)."""
        return units[self.unit_mask(units)]

    def unit_mask(self, units: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the units in scope."""
        mask = np.ones(len(units), dtype=bool)
        if self.roles is not None:
            mask &= units["speaker_role"].astype(str).isin(self.roles).to_numpy()
        if self.speakers is not None:
            mask &= units["speaker"].astype(str).isin(self.speakers).to_numpy()
        if self.documents is not None:
            unknown = sorted(set(self.documents) - set(units["doc_id"]))
            if unknown:
                raise ConfigError(f"documents: no document(s) {', '.join(unknown)} in the "
                                  "corpus")
            mask &= units["doc_id"].isin(self.documents).to_numpy()
        for col, allowed in self.where:
            if col not in units.columns:
                raise ConfigError(f"where: no attribute {col!r}; attributes: "
                                  f"{', '.join(attribute_columns(units)) or '(none)'}")
            col_labels, _ = labels(units[col])
            wanted = {_label(a) for a in allowed}
            mask &= col_labels.isin(wanted).to_numpy()
        return mask


def attribute_columns(units: pd.DataFrame) -> list[str]:
    """Columns of a unit table a user can group by (segment columns excluded)."""
    skip = {"doc", "segment_id", "level", "start", "end", "timestamp", "timestamp_end",
            "turn", "paragraph", "text", "n_words", "position"}
    return [c for c in units.columns if c not in skip]


def check_columns(units: pd.DataFrame, columns: Sequence[str], argname: str) -> None:
    missing = [c for c in columns if c not in units.columns]
    if missing:
        raise ConfigError(
            f"{argname}: no attribute {', '.join(map(repr, missing))}; attributes you can use: "
            f"{', '.join(attribute_columns(units))}"
        )


def expand_codes(codes: pd.Series, *, depth: int | None, rollup: bool) -> pd.DataFrame:
    """Map each code to the codes it counts for: truncated to ``depth``, plus ancestors.

    Returns a frame with columns ``row`` (position in ``codes``) and ``code``.
    """
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)
                              or depth < 1):
        raise ConfigError(f"depth: expected a positive whole number; got {depth!r}")
    rows: list[int] = []
    out: list[str] = []
    for i, code in enumerate(codes.astype(str).tolist()):
        parts = code.strip("/").split("/")
        if depth is not None:
            parts = parts[:depth]
        rows.append(i)
        out.append("/".join(parts))
        if rollup:
            # the first component is the codebook id: ancestors stop at book/top-level code
            for k in range(len(parts) - 1, 1, -1):
                rows.append(i)
                out.append("/".join(parts[:k]))
    return pd.DataFrame({"row": np.asarray(rows, dtype=np.int64), "code": out})


def match_codes(code_values: pd.Series, wanted: Sequence[str]) -> np.ndarray:
    """True where a code is one of ``wanted`` or a descendant of one."""
    s = code_values.astype(str)
    mask = np.zeros(len(s), dtype=bool)
    for w in wanted:
        w = str(w).strip("/")
        mask |= ((s == w) | s.str.startswith(w + "/")).to_numpy()
    return mask


@dataclass(frozen=True)
class Placed:
    """Codings placed on units.

    ``units`` is the (scoped) unit table; ``incidence`` has one row per (coding, code,
    unit) with columns ``coding`` (row of the deduplicated codings), ``code``, ``coder``,
    ``unit`` (row position in ``units``) and ``first`` (the first unit of the coding);
    ``codings`` is the cleaned codings table (``doc_id``, ``start``, ``end``, ``code``,
    ``coder`` and whatever else the input had), one row per distinct coding.
    """

    units: pd.DataFrame
    incidence: pd.DataFrame
    codings: pd.DataFrame


def clean_codings(codings: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Check columns, select coders, normalise types; never changes the input."""
    if not isinstance(codings, pd.DataFrame):
        raise ConfigError(f"codings: expected a DataFrame (see cmqual.tables.CODING_COLUMNS); "
                          f"got {type(codings).__name__}")
    require_columns(codings, ("doc_id", "start", "end", "code"), "codings")
    out = codings.copy()
    if "coder" not in out.columns:
        out["coder"] = ""
    out["doc_id"] = out["doc_id"].astype(str)
    out["code"] = out["code"].astype(str).str.strip("/")
    out["coder"] = out["coder"].fillna("").astype(str)
    try:
        out["start"] = out["start"].astype("int64")
        out["end"] = out["end"].astype("int64")
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"codings: start and end must be whole numbers ({exc})") from None
    bad = out["end"] < out["start"]
    if bad.any():
        raise ConfigError(f"codings: {int(bad.sum())} row(s) end before they start (first: "
                          f"{out.loc[bad].iloc[0][['doc_id', 'start', 'end']].to_dict()})")
    if scope.coders is not None:
        known = set(out["coder"])
        unknown = [c for c in scope.coders if c not in known]
        if unknown and len(out):
            raise ConfigError(f"coders: no codings by {', '.join(map(repr, unknown))}; coders "
                              f"present: {', '.join(sorted(known)) or '(none)'}")
        out = out[out["coder"].isin(scope.coders)]
    return out.reset_index(drop=True)


def place(codings: pd.DataFrame, corpus: CorpusLike, *, unit: str, scope: Scope,
          codes: Sequence[str] | None = None, depth: int | None = None,
          rollup: bool = False) -> Placed:
    """Place codings on the units of a corpus (see the module docstring)."""
    units_all = unit_table(corpus, unit)
    mask = scope.unit_mask(units_all)
    clean = clean_codings(codings, scope)
    expanded = expand_codes(clean["code"], depth=depth, rollup=rollup)
    expanded = expanded.join(clean.drop(columns=["code"]), on="row").drop(columns=["row"])
    if codes is not None:
        expanded = expanded[expanded["code"].isin([str(c).strip("/") for c in codes])]
    expanded = (expanded.drop_duplicates(["code", "coder", "doc_id", "start", "end"])
                .reset_index(drop=True))
    known = set(units_all["doc_id"])
    unknown = sorted(set(expanded["doc_id"]) - known)
    if unknown:
        warnings.warn(
            f"codings: {int(expanded['doc_id'].isin(unknown).sum())} coding(s) name "
            f"document(s) not in the corpus and are ignored: {', '.join(unknown[:5])}"
            + (" ..." if len(unknown) > 5 else ""), CmqualWarning, stacklevel=3)
        expanded = expanded[~expanded["doc_id"].isin(unknown)].reset_index(drop=True)
    _check_texts(expanded, corpus)
    incidence = _overlaps(expanded, units_all)
    n_lost = len(expanded) - incidence["coding"].nunique()
    if n_lost:
        warnings.warn(f"codings: {n_lost} coding(s) overlap no {unit} segment (spans outside "
                      "the transcript text?) and are ignored", CmqualWarning, stacklevel=3)
    # keep the units in scope; a coding's first unit is its first unit in scope
    new_pos = np.full(len(units_all), -1, dtype=np.int64)
    new_pos[mask] = np.arange(int(mask.sum()))
    incidence = incidence.assign(unit=new_pos[incidence["unit"].to_numpy()])
    incidence = incidence[incidence["unit"] >= 0].reset_index(drop=True)
    incidence["first"] = ~incidence["coding"].duplicated()
    units = units_all[mask].reset_index(drop=True)
    return Placed(units, incidence, expanded)


def _check_texts(codings: pd.DataFrame, corpus: CorpusLike) -> None:
    """Warn when codings quote text that is not at their offsets (a changed transcript)."""
    if "text" not in codings.columns or codings.empty:
        return
    texts = corpus.texts
    bad = 0
    first = None
    for doc_id, start, end, text in zip(codings["doc_id"], codings["start"], codings["end"],
                                        codings["text"], strict=True):
        if _isna(text) or text == "":
            continue
        if texts[doc_id][start:end] != text:
            bad += 1
            first = first or f"{doc_id} [{start}:{end}]"
    if bad:
        warnings.warn(f"codings: {bad} coding(s) have a text that differs from the corpus at "
                      f"their offsets (first: {first}); the transcript may have changed since "
                      "they were coded", CmqualWarning, stacklevel=4)


def _overlaps(codings: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    cols = {"coding": "int64", "code": "string", "coder": "string", "unit": "int64",
            "first": "bool"}
    if codings.empty or units.empty:
        return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in cols.items()})
    doc_codes = {d: i for i, d in enumerate(sorted(set(units["doc_id"])
                                                 | set(codings["doc_id"])))}
    big = np.int64(max(int(units["end"].max()), int(codings["end"].max())) + 2)
    u_doc = units["doc_id"].map(doc_codes).to_numpy(np.int64)
    u_start = u_doc * big + units["start"].to_numpy(np.int64)
    u_end = u_doc * big + units["end"].to_numpy(np.int64)
    order = np.lexsort((u_start, u_doc))  # units are sorted already; keep it safe
    u_start, u_end = u_start[order], u_end[order]
    c_doc = codings["doc_id"].map(doc_codes).to_numpy(np.int64)
    c_start = codings["start"].to_numpy(np.int64)
    c_end = np.maximum(codings["end"].to_numpy(np.int64), c_start + 1)
    lo = np.searchsorted(u_end, c_doc * big + c_start, side="right")
    hi = np.searchsorted(u_start, c_doc * big + c_end, side="left")
    n = np.maximum(hi - lo, 0)
    coding = np.repeat(np.arange(len(codings)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    unit_pos = order[np.repeat(lo, n) + offset]
    first = offset == 0
    return pd.DataFrame({
        "coding": coding.astype(np.int64),
        "code": codings["code"].to_numpy()[coding],
        "coder": codings["coder"].to_numpy()[coding],
        "unit": unit_pos.astype(np.int64),
        "first": first,
    }).astype(cols)


def group_labels(units: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """Label columns for ``by`` (one per column) and each column's label order."""
    out = pd.DataFrame(index=units.index)
    orders: dict[str, list[str]] = {}
    for col in by:
        out[col], orders[col] = labels(units[col])
    return out, orders


def sort_by_labels(frame: pd.DataFrame, orders: Mapping[str, list[str]],
                   then: Sequence[str] = ()) -> pd.DataFrame:
    """Sort rows by the label order of each group column, then by ``then`` columns."""
    keys = []
    tmp = frame.copy()
    for col, order in orders.items():
        rank = {v: i for i, v in enumerate(order)}
        tmp[f"__rank_{col}"] = tmp[col].map(rank).astype("int64")
        keys.append(f"__rank_{col}")
    keys += list(then)
    if keys:
        tmp = tmp.sort_values(keys, kind="stable")
    return tmp.drop(columns=[k for k in tmp.columns if k.startswith("__rank_")]).reset_index(
        drop=True)


def as_case(units: pd.DataFrame, case: str | None) -> pd.Series:
    """The case of each unit: its document, or the value of a chosen column."""
    if case is None or case == "doc_id":
        return units["doc_id"].astype("string")
    check_columns(units, [case], "case")
    lab, _ = labels(units[case])
    return lab.mask(lab == MISSING)


def format_timestamp(seconds: float) -> str:
    """``hh:mm:ss`` of a time in seconds ("" when missing).

    Examples
    --------
    >>> format_timestamp(3723.6)
    '01:02:03'
    """
    if seconds is None or _isna(seconds):
        return ""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def citation(doc_id: str, speaker: str, timestamp: float, paragraph: int) -> str:
    """A short citation: document, speaker and time (or paragraph number, 1-based).

    Examples
    --------
    >>> citation("p01", "Amira", 75.0, 3)
    'p01, Amira, 00:01:15'
    >>> citation("p01", "", float("nan"), 3)
    'p01, para. 4'
    """
    parts = [str(doc_id)]
    if speaker and not _isna(speaker):
        parts.append(str(speaker))
    stamp = format_timestamp(timestamp)
    parts.append(stamp if stamp else f"para. {int(paragraph) + 1}")
    return ", ".join(parts)
