"""Agreement coefficients as plain functions.

Every function takes a ``units x coders`` table (see :mod:`cmqual.reliability`) and
returns a float. The formulas are the published ones, cited beside each function; the
shared pieces (per-unit category counts, the coincidence matrix) are built once with
``numpy.bincount`` so that no Python loop runs over units.

Undefined coefficients (for example kappa when both coders used one category throughout,
so chance agreement is 1) return ``nan`` and emit :class:`UndefinedMetricWarning` saying
why. Malformed input raises :class:`~cmqual.errors.ReliabilityError` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from cmqual.errors import ReliabilityError
from cmqual.reliability._input import numeric_categories, ratings
from cmqual.reliability._kernels import (
    LEVELS,
    UndefinedMetricWarning,
    ac1_from_codes,
    alpha_from_codes,
    chance_corrected,
    contingency,
    fleiss_from_codes,
    kappa_from_table,
    pa_from_codes,
    pi_from_table,
    undefined,
)

__all__ = [
    "UndefinedMetricWarning",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
    "scotts_pi",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
#: A metric prepared on one data set: call with row indices (a bootstrap resample) or
#: ``None`` (all units) to get the coefficient.
Kernel = Callable[[np.ndarray | None], float]


# ------------------------------------------------------------------ prepared kernels


def _prepared(setup: Callable[..., tuple[Any, Callable]]) -> Callable[..., Kernel]:
    """Wrap ``setup(...) -> (Ratings, fn(codes, weights))`` into a resample-aware kernel."""

    def make(*args: Any, **kwargs: Any) -> Kernel:
        r, fn = setup(*args, **kwargs)

        def kernel(idx: np.ndarray | None = None) -> float:
            if idx is None:
                return fn(r.codes, r.weights)
            return fn(r.codes[idx], r.weights[idx])

        kernel.n_units = r.n_units  # type: ignore[attr-defined]
        return kernel

    return make


@_prepared
def _percent_agreement(data, *, categories=None, sample_weight=None):
    r = ratings(data, categories=categories, sample_weight=sample_weight)
    return r, lambda c, w: pa_from_codes(c, w, len(r.categories))


def _weight_matrix(weights: Any, n_categories: int) -> np.ndarray | None:
    """Cohen's (1968) disagreement weights ``v[i, j]`` (0 on the diagonal), or None."""
    if weights is None:
        return None
    pos = np.arange(n_categories, dtype=np.float64)
    if isinstance(weights, str):
        if weights == "linear":
            return np.abs(pos[:, None] - pos[None, :])
        if weights == "quadratic":
            return (pos[:, None] - pos[None, :]) ** 2
        raise ReliabilityError(
            f"weights: expected None, 'linear', 'quadratic' or a square matrix; got {weights!r}"
        )
    try:
        v = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ReliabilityError(f"weights: expected a numeric square matrix: {exc}") from exc
    if v.shape != (n_categories, n_categories):
        raise ReliabilityError(
            f"weights: expected a {n_categories} x {n_categories} matrix (one row and column "
            f"per category, in the order of categories); got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)) or (v < 0).any():
        raise ReliabilityError("weights: disagreement weights must be finite and non-negative")
    if np.any(np.diag(v) != 0):
        raise ReliabilityError(
            "weights: a matrix gives disagreement weights, 0 on the diagonal (Cohen 1968); "
            "for agreement weights w (1 on the diagonal, as in irrCAC) pass 1 - w"
        )
    return v


@_prepared
def _cohen_kappa(a, b=None, *, weights=None, categories=None, sample_weight=None):
    r = ratings(a, b=b, pairwise=True, categories=categories, sample_weight=sample_weight)
    k = len(r.categories)
    v = _weight_matrix(weights, k)
    return r, lambda c, w: kappa_from_table(contingency(c, w, k), v)


@_prepared
def _scotts_pi(a, b=None, *, categories=None, sample_weight=None):
    r = ratings(a, b=b, pairwise=True, categories=categories, sample_weight=sample_weight)
    k = len(r.categories)
    return r, lambda c, w: pi_from_table(contingency(c, w, k))


@_prepared
def _fleiss_kappa(data, *, categories=None, sample_weight=None):
    r = ratings(data, categories=categories, sample_weight=sample_weight)
    return r, lambda c, w: fleiss_from_codes(c, w, len(r.categories))


@_prepared
def _gwet_ac1(data, *, categories=None, sample_weight=None):
    r = ratings(data, categories=categories, sample_weight=sample_weight)
    return r, lambda c, w: ac1_from_codes(c, w, len(r.categories))


@_prepared
def _brennan_prediger(data, *, q=None, categories=None, sample_weight=None):
    r = ratings(data, categories=categories, sample_weight=sample_weight)
    k = len(r.categories)
    if q is None:
        q = k
    elif isinstance(q, bool) or not isinstance(q, int | np.integer):
        raise ReliabilityError(f"q: expected the number of possible categories; got {q!r}")
    elif q < k:
        raise ReliabilityError(
            f"q: the data use {k} categories, so q (the number of possible categories) "
            f"must be at least {k}; got {q}"
        )
    q = int(q)

    def fn(c: np.ndarray, w: np.ndarray) -> float:
        if q < 2:
            return undefined(
                "brennan_prediger",
                "only one category is possible (q = 1); pass q= or categories=",
            )
        pa = pa_from_codes(c, w, k)
        return chance_corrected("brennan_prediger", pa, 1.0 / q, "chance agreement is 1")

    return r, fn


@_prepared
def _krippendorff_alpha(data, level="nominal", *, categories=None, sample_weight=None):
    if level not in LEVELS:
        raise ReliabilityError(f"level: expected one of {', '.join(LEVELS)}; got {level!r}")
    r = ratings(data, categories=categories, sample_weight=sample_weight)
    if level in ("interval", "ratio"):
        values = numeric_categories(r.categories, level)
    else:
        values = np.arange(len(r.categories), dtype=np.float64)
    return r, lambda c, w: alpha_from_codes(c, w, level, values)


# ------------------------------------------------------------------------ public metrics


def percent_agreement(
    data: Any,
    *,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Observed agreement: the share of agreeing coder pairs, averaged over units.

    For each unit rated by two or more coders, the proportion of pairs of coders who
    gave the same value; then the (weighted) mean over those units (Fleiss 1971's
    ``P-bar``; Gwet 2014 for missing ratings). With two coders this is simply the share
    of units on which they agree.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders (one row per unit, one column per coder, NaN for missing), or a
        long DataFrame with columns ``unit``, ``coder``, ``value``.
    categories : sequence, optional
        All possible values; any other value is an error.
    sample_weight : sequence of float, optional
        How many times each unit counts.

    Returns
    -------
    float
        A proportion between 0 and 1 (not a percentage); nan with
        :class:`UndefinedMetricWarning` when no unit has two ratings.

    Examples
    --------
    >>> percent_agreement([[1, 1], [1, 2], [2, 2], [2, 2]])
    0.75
    """
    return _percent_agreement(data, categories=categories, sample_weight=sample_weight)(None)


def cohen_kappa(
    a: Any,
    b: Any = None,
    *,
    weights: Literal["linear", "quadratic"] | np.ndarray | None = None,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Cohen's kappa for two coders (Cohen 1960), optionally weighted (Cohen 1968).

    ``kappa = (p_o - p_e) / (1 - p_e)`` where ``p_e`` uses each coder's own marginal
    distribution. Weighted kappa is ``1 - sum(v * observed) / sum(v * expected)`` with
    disagreement weights ``v``; "linear" uses ``|i - j|`` and "quadratic" ``(i - j)^2``
    where ``i, j`` are positions in the category order (the scale factor cancels, so this
    equals the normalised weights of irr/irrCAC and scikit-learn). Units that either coder
    left missing are dropped.

    Parameters
    ----------
    a : DataFrame, 2-D array-like or 1-D sequence
        A table with exactly two coders, or the first coder's values when ``b`` is given.
    b : 1-D sequence, optional
        The second coder's values, one per value of ``a``.
    weights : {None, "linear", "quadratic"} or array of shape (q, q)
        None for unweighted kappa; a matrix gives disagreement weights (0 on the diagonal)
        with rows and columns in the order of ``categories``.
    categories : sequence, optional
        All possible values in order (default: the values present, sorted). List unused
        ones so that weighted kappa puts each value at its true position.
    sample_weight : sequence of float, optional
        How many times each unit counts.

    Returns
    -------
    float
        nan with :class:`UndefinedMetricWarning` when both coders used one and the same
        category throughout (chance agreement is 1) or no unit was rated by both.

    Raises
    ------
    ReliabilityError
        If there are not exactly two coders, ``a`` and ``b`` differ in length, or
        ``weights`` is not understood.

    Examples
    --------
    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 3)
    0.5
    >>> round(cohen_kappa([1, 2, 3, 3], [1, 3, 3, 2], weights="quadratic"), 3)
    0.636
    """
    kernel = _cohen_kappa(a, b, weights=weights, categories=categories, sample_weight=sample_weight)
    return kernel(None)


def scotts_pi(
    a: Any,
    b: Any = None,
    *,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Scott's pi for two coders (Scott 1955).

    Like Cohen's kappa, but chance agreement uses the two coders' pooled distribution of
    values, ``p_e = sum_c ((n_ac + n_bc) / 2n)^2``. Units either coder left missing are
    dropped. For three or more coders use :func:`fleiss_kappa`, its generalisation.

    Parameters
    ----------
    a, b, categories, sample_weight
        As for :func:`cohen_kappa`.

    Returns
    -------
    float
        nan with :class:`UndefinedMetricWarning` when every rating is in one category.

    Examples
    --------
    >>> round(scotts_pi(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 3)
    0.467
    """
    return _scotts_pi(a, b, categories=categories, sample_weight=sample_weight)(None)


def fleiss_kappa(
    data: Any,
    *,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Fleiss' kappa for any number of coders (Fleiss 1971).

    ``kappa = (P-bar - P_e) / (1 - P_e)`` with ``P_e = sum_j p_j^2``. With complete data
    this is exactly Fleiss (1971). With missing ratings it follows Gwet's (2014)
    generalisation (as in the R package irrCAC): ``P-bar`` averages over units rated by
    two or more coders and ``p_j`` averages each unit's share of category ``j`` over units
    rated by at least one coder.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders, or a long table (``unit``, ``coder``, ``value``).
    categories : sequence, optional
        All possible values (unused ones do not change Fleiss' kappa).
    sample_weight : sequence of float, optional
        How many times each unit counts.

    Returns
    -------
    float
        nan with :class:`UndefinedMetricWarning` when all ratings are in one category.

    Examples
    --------
    >>> round(fleiss_kappa([[1, 1, 1], [1, 2, 2], [2, 2, 2], [1, 1, 2]]), 3)
    0.333
    """
    return _fleiss_kappa(data, categories=categories, sample_weight=sample_weight)(None)


def krippendorff_alpha(
    data: Any,
    level: Level = "nominal",
    *,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Krippendorff's alpha for any number of coders and missing data.

    ``alpha = 1 - (n - 1) * sum(o * delta^2) / sum(n_c n_k delta^2)`` computed from the
    coincidence matrix ``o`` (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability"); units with fewer than two values are dropped, as they have no
    pairable values. The coincidence matrix is built with ``numpy.bincount`` in bounded
    blocks of units, so large tables are fast.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders, or a long table (``unit``, ``coder``, ``value``).
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement, choosing the difference function. "ordinal" uses the order
        of ``categories`` (default: sorted values); "interval" and "ratio" need numbers,
        and "ratio" non-negative ones.
    categories : sequence, optional
        All possible values, in order for "ordinal".
    sample_weight : sequence of float, optional
        How many times each unit counts.

    Returns
    -------
    float
        nan with :class:`UndefinedMetricWarning` when there are no pairable values or all
        pairable values are equal (no variation).

    Raises
    ------
    ReliabilityError
        If ``level`` is unknown, the data have fewer than two coders, or interval/ratio
        data are not numeric.

    Examples
    --------
    >>> round(krippendorff_alpha([[1, 1], [2, 2], [3, 2], [None, 3]]), 3)
    0.545
    >>> round(krippendorff_alpha([[1, 1], [2, 2], [3, 2], [None, 3]], level="interval"), 3)
    0.706
    """
    return _krippendorff_alpha(data, level, categories=categories, sample_weight=sample_weight)(
        None
    )


def gwet_ac1(
    data: Any,
    *,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Gwet's AC1 (Gwet 2008) for any number of coders, with missing ratings (Gwet 2014).

    ``AC1 = (p_a - p_e) / (1 - p_e)`` with ``p_e = sum_c pi_c (1 - pi_c) / (q - 1)``;
    ``p_a`` and ``pi_c`` are as in :func:`fleiss_kappa` and ``q`` is the number of
    categories. Unlike kappa, AC1 stays high when coders agree on a code that is rare
    (the "kappa paradox"). With two coders and complete data this is Gwet's (2008)
    two-rater formula.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders, or a long table (``unit``, ``coder``, ``value``).
    categories : sequence, optional
        All possible values. ``q`` is their number, so list unused ones (for presence
        data pass ``categories=[0, 1]``).
    sample_weight : sequence of float, optional
        How many times each unit counts.

    Returns
    -------
    float
        nan with :class:`UndefinedMetricWarning` when only one category is possible.

    Examples
    --------
    >>> rare = [[0, 0]] * 18 + [[1, 0], [0, 1]]
    >>> round(gwet_ac1(rare), 3), round(cohen_kappa(rare), 3)
    (0.89, -0.053)
    """
    return _gwet_ac1(data, categories=categories, sample_weight=sample_weight)(None)


def brennan_prediger(
    data: Any,
    *,
    q: int | None = None,
    categories: Sequence[Any] | None = None,
    sample_weight: Sequence[float] | None = None,
) -> float:
    """Brennan and Prediger's (1981) coefficient: chance agreement ``1/q``.

    ``(p_a - 1/q) / (1 - 1/q)`` with ``p_a`` as in :func:`percent_agreement`; for two
    coders this is also Bennett, Alpert and Goldstein's (1954) S.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders, or a long table (``unit``, ``coder``, ``value``).
    q : int, optional
        Number of possible categories (default: ``len(categories)``, or the number of
        distinct values present).
    categories : sequence, optional
        All possible values.
    sample_weight : sequence of float, optional
        How many times each unit counts.

    Returns
    -------
    float
        nan with :class:`UndefinedMetricWarning` when ``q == 1``.

    Examples
    --------
    >>> brennan_prediger([[1, 1], [1, 2], [2, 2], [2, 2]], q=4)
    0.6666666666666666
    """
    return _brennan_prediger(data, q=q, categories=categories, sample_weight=sample_weight)(None)


#: Each public metric and the function that prepares it for resampling.
KERNELS: dict[Callable[..., float], Callable[..., Kernel]] = {
    percent_agreement: _percent_agreement,
    cohen_kappa: _cohen_kappa,
    scotts_pi: _scotts_pi,
    fleiss_kappa: _fleiss_kappa,
    krippendorff_alpha: _krippendorff_alpha,
    gwet_ac1: _gwet_ac1,
    brennan_prediger: _brennan_prediger,
}
