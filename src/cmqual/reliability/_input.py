"""Turn what a user passes to a metric into integer category codes.

Every coefficient in :mod:`cmqual.reliability` works on the same internal form: a
``units x coders`` array of integer category codes (``-1`` for a missing rating), the
category labels those codes index, and one frequency weight per unit. This module is the
one place that form is built and the one place malformed input is rejected, so every
metric accepts exactly the same inputs and reports the same errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cmqual.errors import ReliabilityError

__all__ = ["Ratings", "to_units_by_coders"]

#: Column names that mark a DataFrame as a long table (one row per rating).
LONG_COLUMNS = ("unit", "coder", "value")


@dataclass(frozen=True)
class Ratings:
    """Ratings in the internal form shared by every metric.

    ``codes[u, k]`` is the index into ``categories`` of coder ``k``'s value for unit
    ``u``, or ``-1`` when that coder gave none. ``weights[u]`` is how many times unit
    ``u`` counts (1 unless the caller passed ``sample_weight``).
    """

    codes: np.ndarray
    categories: np.ndarray
    coders: tuple[str, ...]
    weights: np.ndarray

    @property
    def n_units(self) -> int:
        return int(self.codes.shape[0])


def to_units_by_coders(
    table: pd.DataFrame, *, unit: str = "unit", coder: str = "coder", value: str = "value"
) -> pd.DataFrame:
    """Pivot a long table of ratings (one row per unit and coder) to units x coders.

    Parameters
    ----------
    table : DataFrame
        One row per rating, with a unit, a coder and a value column.
    unit, coder, value : str
        Names of those columns.

    Returns
    -------
    DataFrame
        One row per unit (sorted), one column per coder (sorted), NaN where a coder
        gave no value.

    Raises
    ------
    ReliabilityError
        If a column is missing or a coder rated the same unit twice.

    Examples
    --------
    >>> long = pd.DataFrame({"unit": [1, 1, 2], "coder": ["a", "b", "a"], "value": [0, 1, 1]})
    >>> wide = to_units_by_coders(long)
    >>> list(wide.columns), wide.index.tolist()
    (['a', 'b'], [1, 2])
    >>> wide.loc[2].tolist()
    [1.0, nan]
    """
    if not isinstance(table, pd.DataFrame):
        raise ReliabilityError(
            f"table: expected a DataFrame with columns {unit}, {coder}, {value}; "
            f"got {type(table).__name__}"
        )
    missing = [c for c in (unit, coder, value) if c not in table.columns]
    if missing:
        raise ReliabilityError(
            f"table: missing column(s) {', '.join(missing)}; "
            f"columns present: {', '.join(map(str, table.columns)) or '(none)'}"
        )
    dup = table.duplicated(subset=[unit, coder], keep=False)
    if dup.any():
        first = [
            v.item() if hasattr(v, "item") else v for v in table.loc[dup, [unit, coder]].iloc[0]
        ]
        raise ReliabilityError(
            f"table: coder {first[1]!r} has more than one value for unit {first[0]!r} "
            f"({int(dup.sum())} duplicated rows); keep one value per unit and coder"
        )
    wide = table.pivot(index=unit, columns=coder, values=value)
    return wide.sort_index(axis=0).sort_index(axis=1)


def as_table(data: Any, argname: str = "data") -> tuple[np.ndarray, tuple[str, ...]]:
    """Return ``data`` as a 2-D ``units x coders`` array and the coder labels.

    Accepts a wide DataFrame, a long DataFrame whose columns are exactly ``unit``,
    ``coder`` and ``value``, or any 2-D array-like (rows are units, columns coders).
    """
    if isinstance(data, pd.DataFrame):
        if set(map(str, data.columns)) == set(LONG_COLUMNS) and data.shape[1] == 3:
            data = to_units_by_coders(data)
        coders = tuple(str(c) for c in data.columns)
        return data.to_numpy(), coders
    if isinstance(data, pd.Series):
        raise ReliabilityError(
            f"{argname}: expected a units x coders table (one column per coder); got a single "
            "Series; for two coders pass a two-column DataFrame or cohen_kappa(a, b)"
        )
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise ReliabilityError(f"{argname}: cannot read as a units x coders table: {exc}") from exc
    if arr.ndim != 2:
        raise ReliabilityError(
            f"{argname}: expected a 2-D units x coders table; got an array with "
            f"{arr.ndim} dimension(s) and shape {arr.shape}"
        )
    return arr, tuple(str(k) for k in range(arr.shape[1]))


def pair_table(a: Any, b: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    """Return the two coders' ratings as a ``units x 2`` array.

    Either ``a`` is a table with exactly two coders and ``b`` is None, or ``a`` and ``b``
    are two equally long 1-D sequences.
    """
    if b is None:
        arr, coders = as_table(a, "a")
        check_coders(coders, "a", minimum=2, maximum=2)
        return arr, coders
    arrs = []
    for name, x in (("a", a), ("b", b)):
        x = x.to_numpy() if isinstance(x, pd.Series | pd.Index) else np.asarray(x, dtype=object)
        if x.ndim != 1:
            raise ReliabilityError(
                f"{name}: expected one coder's values (1-D) when both a and b are given; "
                f"got shape {x.shape}"
            )
        arrs.append(x)
    if len(arrs[0]) != len(arrs[1]):
        raise ReliabilityError(
            f"a and b must rate the same units: a has {len(arrs[0])} values, b has {len(arrs[1])}"
        )
    out = np.empty((len(arrs[0]), 2), dtype=object)
    out[:, 0], out[:, 1] = arrs
    return out, ("a", "b")


def check_coders(
    coders: tuple[str, ...], argname: str, minimum: int = 2, maximum: int | None = None
) -> None:
    """Raise :class:`ReliabilityError` unless the number of coders is in range."""
    n = len(coders)
    if n < minimum:
        raise ReliabilityError(
            f"{argname}: agreement needs at least {minimum} coders (columns); got {n}"
            + (f" ({', '.join(coders)})" if coders else "")
        )
    if maximum is not None and n > maximum:
        raise ReliabilityError(
            f"{argname}: this coefficient compares exactly {maximum} coders; got {n} "
            f"({', '.join(coders)}); select two columns, or use fleiss_kappa, krippendorff_alpha "
            "or gwet_ac1 for more coders"
        )


def encode(
    arr: np.ndarray, categories: Sequence[Any] | None, argname: str = "data"
) -> tuple[np.ndarray, np.ndarray]:
    """Map every value of ``arr`` to an index into the category labels.

    With ``categories=None`` the labels are the distinct values present, sorted (numbers
    numerically, strings alphabetically). Missing values (NaN, None, ``pd.NA``) become -1.
    """
    flat = arr.ravel()
    if categories is None:
        codes, uniques = pd.factorize(flat, sort=True)
        cats = np.asarray(uniques)
    else:
        if isinstance(categories, str | bytes) or not isinstance(
            categories, Sequence | np.ndarray | pd.Index | pd.Series
        ):
            raise ReliabilityError(
                f"categories: expected a list of the possible values; got {categories!r}"
            )
        index = pd.Index(list(categories))
        if index.has_duplicates:
            dups = sorted(map(repr, index[index.duplicated()].unique()))
            raise ReliabilityError(f"categories: listed more than once: {', '.join(dups)}")
        if index.hasnans:
            raise ReliabilityError("categories: a missing value (NaN/None) is not a category")
        codes = index.get_indexer(flat)
        missing = pd.isna(flat)
        unknown = (codes < 0) & ~missing
        if unknown.any():
            bad = pd.unique(flat[unknown])
            shown = ", ".join(repr(v) for v in bad[:5]) + (", ..." if len(bad) > 5 else "")
            raise ReliabilityError(
                f"{argname}: value(s) {shown} are not in categories "
                f"({', '.join(map(repr, index[:10]))}{', ...' if len(index) > 10 else ''})"
            )
        cats = index.to_numpy()
    return np.asarray(codes, dtype=np.int64).reshape(arr.shape), cats


def sample_weights(sample_weight: Any, n_units: int) -> np.ndarray:
    """Return one non-negative float weight per unit (all 1 when not given)."""
    if sample_weight is None:
        return np.ones(n_units, dtype=np.float64)
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ReliabilityError(f"sample_weight: expected numbers, one per unit: {exc}") from exc
    if w.shape != (n_units,):
        raise ReliabilityError(
            f"sample_weight: expected one weight per unit ({n_units}); got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ReliabilityError("sample_weight: weights must be finite and non-negative")
    return w


def ratings(
    data: Any,
    *,
    categories: Sequence[Any] | None = None,
    sample_weight: Any = None,
    b: Any = None,
    pairwise: bool = False,
) -> Ratings:
    """Validate ``data`` (and ``b`` for pairwise metrics) and encode it."""
    if pairwise:
        arr, coders = pair_table(data, b)
    else:
        arr, coders = as_table(data)
        check_coders(coders, "data")
    codes, cats = encode(arr, categories)
    return Ratings(codes, cats, coders, sample_weights(sample_weight, codes.shape[0]))


def numeric_categories(cats: np.ndarray, level: str) -> np.ndarray:
    """Return the category labels as floats, or raise naming the level that needs them."""
    try:
        values = np.asarray(cats, dtype=np.float64)
    except (TypeError, ValueError):
        shown = ", ".join(repr(c) for c in cats[:5])
        raise ReliabilityError(
            f"data: level={level!r} needs numeric values; got {shown}; "
            "use level='nominal' or 'ordinal' for labels"
        ) from None
    if level == "ratio" and (values < 0).any():
        raise ReliabilityError(
            "data: level='ratio' needs non-negative values (a ratio scale has a true zero); "
            f"got {values.min():g}"
        )
    return values
