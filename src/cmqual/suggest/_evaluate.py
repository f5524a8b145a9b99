"""Cross-validated evaluation of learned suggestions against two baselines.

For each code, the coder's labelled segments (see :mod:`cmqual.suggest._data`) are split
into ``k`` stratified folds (``k`` = 5, fewer when a code has fewer positives or
negatives); every segment is predicted once, by models trained on the other folds, and
precision, recall, F1 and Cohen's kappa are computed over all predictions pooled. Three
methods are scored on the same folds:

``model``
    The calibrated classifier (:class:`~cmqual.suggest._model.SegmentClassifier`), coding
    a segment when its probability reaches the threshold.
``patterns``
    The codebook's patterns alone: a segment is coded when
    :func:`cmqual.coding.apply_codebook` hits the code (or a descendant) in it. Needs no
    training, so the folds do not matter.
``profile``
    The NVivo-style baseline (:class:`~cmqual.suggest._model.ProfileBaseline`): cosine
    similarity to the code's TF-IDF profile, threshold chosen on the training folds.

The learning curve re-runs ``model`` with nested random subsets of each training fold
(10 %, 25 %, 50 %, 75 % and all of it) and reports the pooled F1 against the number of
coded segments trained on, so a researcher sees whether coding more would still help.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cmqual.errors import ConfigError
from cmqual.suggest._data import POSITIVE, Dataset
from cmqual.suggest._model import Features, ProfileBaseline, SegmentClassifier

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Methods of the evaluation table, in row order.
METHODS: tuple[str, ...] = ("model", "patterns", "profile")
#: Shares of each training fold used for the learning curve.
FRACTIONS: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0)

#: Columns of the evaluation table.
EVALUATION_COLUMNS: dict[str, str] = {
    "code": "string",
    "method": "string",
    "n_positive": "int64",
    "n_negative": "int64",
    "prevalence": "float64",
    "folds": "int64",
    "precision": "float64",
    "recall": "float64",
    "f1": "float64",
    "kappa": "float64",
    "note": "string",
}
#: Columns of the learning-curve table.
CURVE_COLUMNS: dict[str, str] = {
    "code": "string",
    "fraction": "float64",
    "n_segments": "int64",
    "n_positive": "int64",
    "f1": "float64",
}
_DECIMALS = 4


def scores(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Precision, recall, F1 and Cohen's kappa of 0/1 predictions.

    Precision is ``nan`` when nothing was predicted positive; kappa is ``nan`` when it is
    undefined (see :func:`cmqual.reliability.cohen_kappa`).

    Examples
    --------
    >>> {k: round(v, 3) for k, v in scores([1, 1, 0, 0], [1, 0, 0, 0]).items()}
    {'precision': 1.0, 'recall': 0.5, 'f1': 0.667, 'kappa': 0.5}
    """
    from cmqual.reliability import cohen_kappa

    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    tp = int((t & p).sum())
    fp = int((~t & p).sum())
    fn = int((t & ~p).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa: nan in the table is the message
        kappa = cohen_kappa(t.astype(int), p.astype(int), categories=[0, 1])
    return {"precision": precision, "recall": recall, "f1": f1, "kappa": float(kappa)}


def evaluate_codes(dataset: Dataset, features: Features, pattern_hits: Mapping[str, np.ndarray],
                   *, k: int, threshold: float, min_positives: int, random_state: int,
                   learning_curve: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The evaluation table and learning curve for every code of ``dataset``.

    ``pattern_hits`` maps a code to the segments its patterns (or a descendant's) hit.
    """
    from sklearn.model_selection import StratifiedKFold

    rows: list[dict[str, Any]] = []
    curve: list[dict[str, Any]] = []
    fractions = FRACTIONS if learning_curve else (1.0,)
    for code in dataset.codes:
        y_all = dataset.labels[code]
        idx = np.flatnonzero(y_all >= 0)
        y = (y_all[idx] == POSITIVE).astype(np.int64)
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        base = {"code": code, "n_positive": n_pos, "n_negative": n_neg,
                "prevalence": n_pos / len(y) if len(y) else float("nan")}
        note = (f"too few positives to suggest ({n_pos} < {min_positives})"
                if n_pos < min_positives else "")
        if n_pos < 2 or n_neg < 2:
            why = "not evaluated: needs 2 positive and 2 negative segments"
            rows += [{**base, "method": m, "folds": 0, **_nan_scores(), "note": why}
                     for m in METHODS]
            continue
        folds = min(k, n_pos, n_neg)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=random_state)
                      .split(np.zeros(len(y)), y))
        seed = _seed(random_state, code)
        orders = [_nested_order(train, y, np.random.default_rng([seed, i]))
                  for i, (train, _) in enumerate(splits)]
        X = features.matrix[idx]
        model_pred = None
        for fraction in fractions:
            pred = np.zeros(len(y), dtype=np.int64)
            sizes, positives = [], []
            for (_, test), order in zip(splits, orders, strict=True):
                sub = _subset(order, y, fraction)
                if sub is None:
                    break
                clf = SegmentClassifier(random_state=random_state).fit(X[sub], y[sub])
                pred[test] = clf.predict(X[test], threshold)
                sizes.append(len(sub))
                positives.append(int(y[sub].sum()))
            else:
                if learning_curve:
                    curve.append({"code": code, "fraction": fraction,
                                  "n_segments": round(float(np.mean(sizes))),
                                  "n_positive": round(float(np.mean(positives))),
                                  "f1": scores(y, pred)["f1"]})
                if fraction == 1.0:
                    model_pred = pred
        if model_pred is None:
            rows.append({**base, "method": "model", "folds": folds, **_nan_scores(),
                         "note": "not evaluated: a training fold lacks positives"})
        else:
            rows.append({**base, "method": "model", "folds": folds,
                         **scores(y, model_pred), "note": note})
        if code in pattern_hits:
            rows.append({**base, "method": "patterns", "folds": folds,
                         **scores(y, pattern_hits[code][idx]), "note": ""})
        else:
            rows.append({**base, "method": "patterns", "folds": 0, **_nan_scores(),
                         "note": "the code is in no codebook of the project"})
        words = features.words[idx]
        pred = np.zeros(len(y), dtype=np.int64)
        for train, test in splits:
            pred[test] = ProfileBaseline().fit(words[train], y[train]).predict(words[test])
        rows.append({**base, "method": "profile", "folds": folds, **scores(y, pred),
                     "note": ""})
    return _table(rows, EVALUATION_COLUMNS), _table(curve, CURVE_COLUMNS)


def _nan_scores() -> dict[str, float]:
    return {"precision": float("nan"), "recall": float("nan"), "f1": float("nan"),
            "kappa": float("nan")}


def _seed(random_state: int, code: str) -> int:
    """A seed per code, so adding a code does not change another code's subsets."""
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return (int.from_bytes(digest[:4], "big") + int(random_state)) % 2**32


def _nested_order(train: np.ndarray, y: np.ndarray,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positives and negatives of ``train`` in a random order (prefixes nest)."""
    pos = train[y[train] == 1]
    neg = train[y[train] == 0]
    return rng.permutation(pos), rng.permutation(neg)


def _subset(order: tuple[np.ndarray, np.ndarray], y: np.ndarray,
            fraction: float) -> np.ndarray | None:
    """A stratified ``fraction`` of a training fold; None when a class would be missing (or,
    for a part of the fold, have fewer than 2 segments)."""
    pos, neg = order
    n_pos = len(pos) if fraction >= 1.0 else int(np.ceil(fraction * len(pos)))
    n_neg = len(neg) if fraction >= 1.0 else int(np.ceil(fraction * len(neg)))
    least = 1 if fraction >= 1.0 else 2
    if n_pos < least or n_neg < least:
        return None
    return np.sort(np.concatenate([pos[:n_pos], neg[:n_neg]]))


def _table(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(columns)).astype(dict(columns))
    floats = [c for c, t in columns.items() if t == "float64"]
    frame[floats] = frame[floats].round(_DECIMALS)
    return frame.reset_index(drop=True)


def plot_learning_curve(curve: pd.DataFrame, *, title: str | None = None,
                        ax: Axes | None = None) -> Axes:
    """F1 of the learned model against the number of coded segments, one line per code.

    Parameters
    ----------
    curve : DataFrame
        :attr:`Evaluation.learning_curve` (code, n_segments, f1).
    title : str, optional
        Axes title.
    ax : Axes, optional
        Where to draw (a new figure when None).

    Returns
    -------
    Axes

    Examples
    --------
    >>> plot_learning_curve(evaluate(project, "alice").learning_curve)  # doctest: +SKIP
    """
    from cmqual.plotting import _GRID, _axes, _style, code_colours

    missing = [c for c in ("code", "n_segments", "f1") if c not in curve.columns]
    if missing:
        raise ConfigError(f"curve: missing column(s) {', '.join(missing)}; columns present: "
                          f"{', '.join(map(str, curve.columns))}")
    ax = _axes(ax, 6.4, 3.8)
    codes = sorted(set(curve["code"].astype(str)))
    colours = code_colours(None, codes)
    with _style():
        for code in codes:
            part = curve[curve["code"].astype(str) == code].sort_values("n_segments")
            ax.plot(part["n_segments"].to_numpy(), part["f1"].to_numpy(), "o-",
                    color=colours[code], markersize=3.5, linewidth=1.5, label=code)
        ax.set_xlabel("coded segments trained on")
        ax.set_ylabel("F1 (cross-validated)")
        ax.set_ylim(0, 1.02)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(color=_GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        if codes:
            ax.legend(fontsize=7, frameon=False, loc="lower right")
        if title:
            ax.set_title(title, loc="left")
    return ax
