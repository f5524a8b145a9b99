"""Seeded percentile bootstrap confidence intervals for any agreement coefficient.

The metric functions return plain floats (one return type, like scikit-learn's
metrics); an interval is asked for separately with :func:`bootstrap_ci`, which returns a
small frozen :class:`BootstrapCI`. Units (rows) are resampled with replacement; pass
``clusters`` to resample whole groups of units together (for example all segments of a
document), which is the honest choice when units within a group are not independent.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cmqual.errors import ReliabilityError
from cmqual.reliability._input import as_table
from cmqual.reliability.metrics import KERNELS, Kernel, UndefinedMetricWarning

__all__ = ["BootstrapCI", "bootstrap_ci"]


@dataclass(frozen=True)
class BootstrapCI:
    """A coefficient with its percentile bootstrap confidence interval.

    Attributes
    ----------
    estimate : float
        The coefficient on the full data.
    low, high : float
        Interval bounds: the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the
        defined bootstrap replicates (nan when none is defined).
    level : float
        Confidence level, e.g. 0.95.
    n_boot : int
        Number of resamples drawn.
    n_undefined : int
        Resamples on which the coefficient was undefined (nan); they are left out.
    random_state : int or None
        The seed used, so the interval can be reproduced.
    """

    estimate: float
    low: float
    high: float
    level: float
    n_boot: int
    n_undefined: int
    random_state: int | None

    def __iter__(self):
        """Unpack as ``estimate, low, high``."""
        return iter((self.estimate, self.low, self.high))


def _check_options(ci: float, n_boot: int) -> None:
    if isinstance(ci, bool) or not isinstance(ci, float | int) or not 0 < ci < 1:
        raise ReliabilityError(f"ci: expected a confidence level between 0 and 1; got {ci!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ReliabilityError(f"n_boot: expected a positive number of resamples; got {n_boot!r}")


class Resampler:
    """Draw bootstrap row indices, resampling units or whole clusters of units."""

    def __init__(self, n_units: int, clusters: Any = None) -> None:
        self.n_units = n_units
        if clusters is None:
            self.order = None
            return
        labels = np.asarray(clusters.to_numpy() if isinstance(clusters, pd.Series) else clusters)
        if labels.shape != (n_units,):
            raise ReliabilityError(
                f"clusters: expected one label per unit ({n_units}); got shape {labels.shape}"
            )
        group, _ = pd.factorize(labels, sort=True)
        if (group < 0).any():
            raise ReliabilityError("clusters: labels must not be missing")
        self.order = np.argsort(group, kind="stable")
        self.sizes = np.bincount(group)
        self.starts = np.cumsum(self.sizes) - self.sizes

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        if self.order is None:
            return rng.integers(0, self.n_units, size=self.n_units)
        picked = rng.integers(0, len(self.sizes), size=len(self.sizes))
        lengths = self.sizes[picked]
        offsets = np.cumsum(lengths) - lengths
        within = np.arange(int(lengths.sum())) - np.repeat(offsets, lengths)
        return self.order[np.repeat(self.starts[picked], lengths) + within]


def run_bootstrap(
    kernel: Kernel,
    n_units: int,
    *,
    ci: float,
    n_boot: int,
    rng: np.random.Generator,
    clusters: Any = None,
    random_state: int | None = None,
) -> BootstrapCI:
    """Percentile interval of ``kernel`` over ``n_boot`` resamples (estimate included)."""
    estimate = kernel(None)
    resampler = Resampler(n_units, clusters)
    reps = np.empty(n_boot)
    with warnings.catch_warnings():
        # An undefined replicate is expected now and then; it is counted, not reported.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for i in range(n_boot):
            reps[i] = kernel(resampler.draw(rng)) if n_units else np.nan
    defined = reps[~np.isnan(reps)]
    if defined.size:
        low, high = np.quantile(defined, [(1 - ci) / 2, (1 + ci) / 2])
    else:
        low = high = float("nan")
        warnings.warn(
            "bootstrap interval is undefined: the coefficient was undefined on every "
            "resample; returning nan bounds",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    return BootstrapCI(
        estimate=float(estimate),
        low=float(low),
        high=float(high),
        level=float(ci),
        n_boot=int(n_boot),
        n_undefined=int(n_boot - defined.size),
        random_state=random_state,
    )


def bootstrap_ci(
    metric: Callable[..., float],
    data: Any,
    *,
    ci: float = 0.95,
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = 0,
    clusters: Any = None,
    **metric_options: Any,
) -> BootstrapCI:
    """Percentile bootstrap confidence interval for an agreement coefficient.

    Units (rows of ``data``) are drawn with replacement ``n_boot`` times and the
    coefficient recomputed on each resample; the interval is the central ``ci`` share of
    the defined replicates (Efron and Tibshirani 1993, percentile method). For the metrics
    of this package the data are validated and encoded once, so resampling is cheap.

    Parameters
    ----------
    metric : callable
        One of :func:`percent_agreement`, :func:`cohen_kappa`, :func:`scotts_pi`,
        :func:`fleiss_kappa`, :func:`krippendorff_alpha`, :func:`gwet_ac1`,
        :func:`brennan_prediger`, or any function ``f(table, **metric_options) -> float``
        taking a units x coders DataFrame.
    data : DataFrame or 2-D array-like
        Units x coders (or a long table, for this package's metrics).
    ci : float
        Confidence level, between 0 and 1.
    n_boot : int
        Number of resamples.
    random_state : int, numpy Generator or None
        Seed; the default 0 makes the interval reproducible.
    clusters : sequence, optional
        One label per unit; whole clusters are resampled together.
    **metric_options
        Passed to ``metric`` (``level=``, ``weights=``, ``categories=``,
        ``sample_weight=`` ...). A ``sample_weight`` is resampled with its units.

    Returns
    -------
    BootstrapCI
        Estimate, bounds, level, number of resamples and of undefined ones.

    Examples
    --------
    >>> from cmqual.reliability import krippendorff_alpha
    >>> table = [[1, 1], [2, 2], [3, 3], [1, 2], [2, 2], [3, 1], [1, 1], [2, 2]]
    >>> result = bootstrap_ci(krippendorff_alpha, table, n_boot=200, random_state=1)
    >>> round(result.estimate, 3), result.low <= result.estimate <= result.high
    (0.63, True)
    """
    _check_options(ci, n_boot)
    seed = random_state if isinstance(random_state, int | type(None)) else None
    rng = np.random.default_rng(random_state)
    setup = KERNELS.get(metric)
    if setup is not None:
        kernel = setup(data, **metric_options)
        n_units = kernel.n_units  # type: ignore[attr-defined]
    else:
        kernel, n_units = _generic_kernel(metric, data, metric_options)
    return run_bootstrap(
        kernel,
        n_units,
        ci=ci,
        n_boot=int(n_boot),
        rng=rng,
        clusters=clusters,
        random_state=seed,
    )


def _generic_kernel(
    metric: Callable[..., float], data: Any, options: dict[str, Any]
) -> tuple[Kernel, int]:
    if not callable(metric):
        raise ReliabilityError(f"metric: expected a function returning a float; got {metric!r}")
    if isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
    else:
        arr, _ = as_table(data)
        frame = pd.DataFrame(arr)
    weight = options.pop("sample_weight", None)
    if weight is not None:
        weight = np.asarray(weight, dtype=np.float64)

    def kernel(idx: np.ndarray | None) -> float:
        if idx is None:
            sub, w = frame, weight
        else:
            sub = frame.iloc[idx].reset_index(drop=True)
            w = None if weight is None else weight[idx]
        extra = {} if w is None else {"sample_weight": w}
        return float(metric(sub, **options, **extra))

    return kernel, len(frame)
