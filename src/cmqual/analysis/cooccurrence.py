"""Which codes appear together: in the same segment, or within a few segments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cmqual.analysis._scope import CorpusLike, Scope, Where, infer_unit, place
from cmqual.errors import ConfigError

__all__ = ["cooccurrence", "presence_matrix"]


def presence_matrix(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """Units × codes table of presence (True where a coding of the code overlaps the unit).

    Parameters
    ----------
    codings, corpus, unit, codes, rollup, depth, coders, roles, where
        As for :func:`cmqual.analysis.code_frequencies`.

    Returns
    -------
    DataFrame
        One row per unit in scope (index: ``segment_id``, in document and text order) and
        one bool column per code (sorted).

    Examples
    --------
    >>> presence_matrix(codings, corpus).sum()  # coded segments per code  # doctest: +SKIP
    """
    units, code_list, mat = _presence(codings, corpus, unit=infer_unit(codings, unit),
                                      codes=codes, rollup=rollup, depth=depth,
                                      scope=Scope.make(coders=coders, roles=roles,
                                                       where=where))
    return pd.DataFrame(mat, columns=pd.Index(code_list, dtype="string"),
                        index=pd.Index(units["segment_id"].astype(str), name="segment_id"))


def _presence(codings, corpus, *, unit, codes, rollup, depth, scope):
    placed = place(codings, corpus, unit=unit, scope=scope, codes=codes, depth=depth,
                   rollup=rollup)
    code_list = sorted(set(placed.incidence["code"]) | {str(c).strip("/")
                                                       for c in (codes or ())})
    index = {c: i for i, c in enumerate(code_list)}
    mat = np.zeros((len(placed.units), len(code_list)), dtype=bool)
    inc = placed.incidence
    mat[inc["unit"].to_numpy(), inc["code"].map(index).to_numpy(np.int64)] = True
    return placed.units, code_list, mat


def cooccurrence(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    window: int = 0,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    where: Where | None = None,
    min_count: int = 1,
) -> pd.DataFrame:
    """Pairs of codes present in the same segment, or within ``window`` segments.

    With ``window=0``, ``count`` is the number of segments where both codes are present
    and ``jaccard`` is count / the number of segments with either code.

    With ``window=n`` (proximity), a segment counts when it has one code of the pair and
    the other code is present within ``n`` segments of it in the same document (before or
    after, the segment itself included; segments outside the scope set by ``roles`` or
    ``where`` are skipped when counting); ``jaccard`` divides that count by the number of
    segments with either code. For ``n=0`` both definitions agree.

    Parameters
    ----------
    codings, corpus, unit, codes, rollup, depth, coders, roles, where
        As for :func:`cmqual.analysis.code_frequencies`.
    window : int
        Proximity in segments (0: same segment).
    min_count : int
        Leave out pairs with a smaller ``count`` (0 keeps every pair).

    Returns
    -------
    DataFrame
        One row per unordered pair (``code_a < code_b``), sorted by ``count`` descending,
        then ``code_a``, ``code_b``. Columns: ``code_a``, ``code_b``, ``n_a``, ``n_b``
        (segments with each code), ``count``, ``jaccard`` (float in [0, 1]).

    Examples
    --------
    >>> cooccurrence(codings, corpus, depth=2).head()            # doctest: +SKIP
    >>> cooccurrence(codings, corpus, depth=2, window=2).head()  # doctest: +SKIP
    """
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 0:
        raise ConfigError(f"window: expected a whole number >= 0; got {window!r}")
    units, code_list, mat = _presence(codings, corpus, unit=infer_unit(codings, unit),
                                      codes=codes, rollup=rollup, depth=depth,
                                      scope=Scope.make(coders=coders, roles=roles,
                                                       where=where))
    p = mat.astype(np.int64)
    if window:
        docs = units["doc_id"].astype(str).to_numpy()
        near = p.copy()
        for k in range(1, int(window) + 1):
            same = docs[k:] == docs[:-k] if len(docs) > k else np.zeros(0, dtype=bool)
            near[k:] |= p[:-k] * same[:, None]
            near[:-k] |= p[k:] * same[:, None]
    else:
        near = p
    both = p.T @ p
    cross = p.T @ near  # [a, b]: units with a that have b nearby
    count = cross + cross.T - both
    n = p.sum(axis=0)
    rows = []
    for i in range(len(code_list)):
        for j in range(i + 1, len(code_list)):
            c = int(count[i, j])
            if c < min_count:
                continue
            union = int(n[i] + n[j] - both[i, j])
            rows.append((code_list[i], code_list[j], int(n[i]), int(n[j]), c,
                         c / union if union else float("nan")))
    out = pd.DataFrame(rows, columns=["code_a", "code_b", "n_a", "n_b", "count", "jaccard"])
    out = out.astype({"code_a": "string", "code_b": "string", "n_a": "int64", "n_b": "int64",
                      "count": "int64", "jaccard": "float64"})
    out = out.sort_values(["count", "code_a", "code_b"], ascending=[False, True, True],
                          kind="stable")
    return out.reset_index(drop=True)
