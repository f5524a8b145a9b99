"""The arithmetic behind every coefficient, on integer-coded ratings.

Ratings arrive here already encoded (see :mod:`cmqual.reliability._input`): a ``units x
coders`` int array with -1 for missing, and one frequency weight per unit. Per-unit
category counts and Krippendorff's coincidence matrix are built with ``numpy.bincount``
over bounded blocks of units, so no Python loop runs over units and memory stays flat.
The public functions in :mod:`cmqual.reliability.metrics` validate input and call these.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator

import numpy as np

from cmqual.errors import CmqualWarning

LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Units x categories blocks of at most this many cells are built at a time, so memory
# stays bounded (about 32 MB) however many units there are.
_BLOCK_CELLS = 1 << 22
# Chance agreement this close to 1 means the coefficient is 0/0.
_TOL = 1e-12
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class UndefinedMetricWarning(CmqualWarning, RuntimeWarning):
    """A coefficient is undefined for this data (0/0) and was returned as ``nan``.

    It derives from :class:`~cmqual.errors.CmqualWarning` (so from ``UserWarning``) and
    from ``RuntimeWarning``; filter either to silence it.
    """


def caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside this package."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def undefined(metric: str, reason: str) -> float:
    """Warn that ``metric`` is undefined because of ``reason`` and return nan."""
    warnings.warn(
        f"{metric} is undefined: {reason}; returning nan",
        UndefinedMetricWarning,
        stacklevel=caller_stacklevel(),
    )
    return float("nan")


def _blocks(n_units: int, n_categories: int) -> Iterator[slice]:
    step = max(1, _BLOCK_CELLS // max(n_categories, 1))
    for start in range(0, n_units, step):
        yield slice(start, min(start + step, n_units))


def unit_counts(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Return ``n[u, c]``: how many coders put unit ``u`` in category ``c``."""
    n_units = codes.shape[0]
    valid = codes >= 0
    rows = np.broadcast_to(np.arange(n_units, dtype=np.int64)[:, None], codes.shape)[valid]
    flat = rows * n_categories + codes[valid]
    counts = np.bincount(flat, minlength=n_units * n_categories)
    return counts.reshape(n_units, n_categories).astype(np.float64)


def multirater_stats(
    codes: np.ndarray, weights: np.ndarray, n_categories: int
) -> tuple[float, float, np.ndarray, float]:
    """Sums behind percent agreement, Fleiss' kappa, AC1 and Brennan-Prediger.

    Returns ``(pa_sum, pa_units, pi_sum, pi_units)`` where, following Gwet (2014,
    Handbook of Inter-Rater Reliability, 4th ed., ch. 2 and 5) for missing ratings,
    ``pa_sum / pa_units`` is the observed agreement averaged over units rated by two or
    more coders, and ``pi_sum / pi_units`` is the share of each category averaged over
    units rated by at least one coder. With complete data these are Fleiss' (1971)
    ``P-bar`` and ``p_j``.
    """
    pa_sum = pa_units = pi_units = 0.0
    pi_sum = np.zeros(n_categories)
    for block in _blocks(codes.shape[0], n_categories):
        n = unit_counts(codes[block], n_categories)
        w = weights[block]
        m = n.sum(axis=1)
        two = m >= 2
        if two.any():
            agree = (n[two] * (n[two] - 1)).sum(axis=1) / (m[two] * (m[two] - 1))
            pa_sum += float(w[two] @ agree)
            pa_units += float(w[two].sum())
        one = m >= 1
        if one.any():
            pi_sum += (w[one] / m[one]) @ n[one]
            pi_units += float(w[one].sum())
    return pa_sum, pa_units, pi_sum, pi_units


def coincidences(codes: np.ndarray, weights: np.ndarray, n_categories: int) -> np.ndarray:
    """Krippendorff's coincidence matrix ``o[c, k]``.

    Each unit with ``m >= 2`` values contributes its ``m(m-1)`` ordered pairs of values
    from different coders, each weighted ``1/(m-1)`` (Krippendorff 2011, section C);
    units with fewer than two values have no pairable values and drop out.
    """
    o = np.zeros((n_categories, n_categories))
    for block in _blocks(codes.shape[0], n_categories):
        n = unit_counts(codes[block], n_categories)
        m = n.sum(axis=1)
        keep = m >= 2
        if not keep.any():
            continue
        n = n[keep]
        f = weights[block][keep] / (m[keep] - 1)
        nf = n * f[:, None]
        o += nf.T @ n
        o[np.diag_indices(n_categories)] -= nf.sum(axis=0)
    return o


def contingency(codes: np.ndarray, weights: np.ndarray, n_categories: int) -> np.ndarray:
    """Two coders' cross-table ``t[i, j]`` over units both coded (weights summed)."""
    a, b = codes[:, 0], codes[:, 1]
    both = (a >= 0) & (b >= 0)
    flat = a[both] * n_categories + b[both]
    t = np.bincount(flat, weights=weights[both], minlength=n_categories * n_categories)
    return t.reshape(n_categories, n_categories)


def chance_corrected(metric: str, po: float, pe: float, why_pe_one: str) -> float:
    if 1.0 - pe <= _TOL:
        return undefined(metric, why_pe_one)
    return float((po - pe) / (1.0 - pe))


def pa_from_codes(codes: np.ndarray, weights: np.ndarray, n_categories: int) -> float:
    pa_sum, pa_units, _, _ = multirater_stats(codes, weights, n_categories)
    if pa_units == 0:
        return undefined("percent_agreement", "no unit was rated by two or more coders")
    return pa_sum / pa_units


def kappa_from_table(table: np.ndarray, v: np.ndarray | None = None) -> float:
    """Cohen's kappa (1960), or weighted kappa (1968) with disagreement weights ``v``."""
    n = table.sum()
    if n == 0:
        return undefined("cohen_kappa", "no unit was rated by both coders")
    row, col = table.sum(axis=1), table.sum(axis=0)
    if v is None:
        po = np.trace(table) / n
        pe = float(row @ col) / (n * n)
        return chance_corrected(
            "cohen_kappa", po, pe, "both coders used the same single category for every unit"
        )
    expected = np.outer(row, col) / n
    den = float((v * expected).sum())
    if den <= _TOL * n:
        return undefined(
            "cohen_kappa", "the expected weighted disagreement is 0 (no variation to correct for)"
        )
    return 1.0 - float((v * table).sum()) / den


def fleiss_from_codes(codes: np.ndarray, weights: np.ndarray, n_categories: int) -> float:
    pa_sum, pa_units, pi_sum, pi_units = multirater_stats(codes, weights, n_categories)
    if pa_units == 0:
        return undefined("fleiss_kappa", "no unit was rated by two or more coders")
    p = pi_sum / pi_units
    return chance_corrected(
        "fleiss_kappa", pa_sum / pa_units, float(p @ p), "all ratings are in one category"
    )


def ac1_from_codes(codes: np.ndarray, weights: np.ndarray, q: int) -> float:
    if q < 2:
        return undefined(
            "gwet_ac1",
            "only one category is possible (q = 1); pass categories= listing every possible value",
        )
    pa_sum, pa_units, pi_sum, pi_units = multirater_stats(codes, weights, q)
    if pa_units == 0:
        return undefined("gwet_ac1", "no unit was rated by two or more coders")
    p = pi_sum / pi_units
    pe = float(p @ (1 - p)) / (q - 1)
    return chance_corrected("gwet_ac1", pa_sum / pa_units, pe, "chance agreement is 1")


def _delta(level: str, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference function ``delta^2[c, k]`` (2011, section E)."""
    k = len(n_c)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "ordinal":
        # (sum of n_g for g from c to k, minus half of n_c and n_k) squared, c <= k.
        cum = np.concatenate(([0.0], np.cumsum(n_c)))
        i = np.arange(k)
        lo, hi = np.minimum.outer(i, i), np.maximum.outer(i, i)
        between = cum[hi + 1] - cum[lo]
        return (between - (n_c[lo] + n_c[hi]) / 2.0) ** 2
    diff = values[:, None] - values[None, :]
    if level == "interval":
        return diff**2
    total = values[:, None] + values[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (diff / total) ** 2
    return np.where(total == 0, 0.0, out)


def alpha_from_codes(
    codes: np.ndarray, weights: np.ndarray, level: str, values: np.ndarray
) -> float:
    o = coincidences(codes, weights, len(values))
    n_c = o.sum(axis=1)
    n = float(n_c.sum())
    if n <= 1:
        return undefined(
            "krippendorff_alpha", "no unit has two or more values (there are no pairable values)"
        )
    d = _delta(level, values, n_c)
    expected = float(n_c @ d @ n_c)
    if expected <= 0:
        return undefined(
            "krippendorff_alpha",
            "all pairable values are equal, so the expected disagreement is 0",
        )
    return 1.0 - (n - 1.0) * float((o * d).sum()) / expected


def pi_from_table(table: np.ndarray) -> float:
    """Scott's pi (1955) from two coders' cross-table: chance from pooled marginals."""
    n = table.sum()
    if n == 0:
        return undefined("scotts_pi", "no unit was rated by both coders")
    p = (table.sum(axis=0) + table.sum(axis=1)) / (2 * n)
    return chance_corrected(
        "scotts_pi", np.trace(table) / n, float(p @ p), "all ratings are in one category"
    )
