"""Code suggestions learned from a researcher's own coding, evaluated and kept apart.

Once a coder has coded enough segments with a code (:data:`MIN_POSITIVES` segments, by
default 10), :func:`suggest` trains one classifier per code on that coder's human codings
and proposes the code for segments they have not coded yet, each with a calibrated
confidence. :func:`evaluate` says how far to trust it: cross-validated precision, recall,
F1 and kappa next to two baselines (the codebook's patterns alone and an NVivo-style
TF-IDF profile), and a learning curve. :func:`uncertainty_queue` orders the segments to
code next by how unsure the models are (active learning).

Training data (details in :mod:`cmqual.suggest._data`)
    Segments of one level (``turn``, ``paragraph`` or ``sentence``); by default the
    participants' only. For each code, a segment is *positive* when one of the coder's
    codings of the code or of a descendant overlaps it (accepted suggestions count: they
    are the coder's codings), an *explicit negative* when the coder rejected a suggestion
    of it there in the coding widget, and a *negative* when it lies in a document the coder
    has coded at least once. Suggestions are made for the segments the coder has not
    coded at all and has not rejected the code on.

Models (details in :mod:`cmqual.suggest._model`)
    TF-IDF word and character n-grams with cmqual's own tokenisation (no NLTK data),
    fitted once and shared by all codes, plus the codebook's pattern hits as features;
    a logistic regression with balanced class weights; Platt-calibrated probabilities.

Storage (details in :mod:`cmqual.suggest._storage`)
    Suggestions are codings with origin ``suggestion`` and coder ``cmqual-suggest:<coder>``,
    never human codings: reliability, reports and ``Project.codings(include_auto=False)``
    leave them out. The coding widget shows them; accepting one stores the coder's own
    coding (origin ``suggestion-accepted``, a positive next time), rejecting one records
    an explicit negative. The model fingerprint, training size, coder and time are in the
    run record (:func:`read_record`), a machine record of the project store: never a memo,
    so never among the project's memos nor in a REFI-QDA export.

Determinism and safety
    Every random choice is seeded (``random_state``), rows are in corpus order and
    scores are rounded to 4 decimals, so the same codings give the same suggestions and
    byte-identical evaluation tables. Models are rebuilt from the codings on every run and
    never saved: nothing is ever unpickled, so a shared project cannot carry code that
    runs on your machine. No cache is needed: 20 codes over 10,000 segments train and
    suggest in a few seconds on one core (``benchmarks/suggest.py``).

Examples
--------
>>> from cmqual.suggest import evaluate, suggest                  # doctest: +SKIP
>>> print(evaluate(project, "alice"))                             # doctest: +SKIP
>>> result = suggest(project, "alice", threshold=0.6)             # doctest: +SKIP
>>> result.models                                                 # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from cmqual.errors import ConfigError
from cmqual.project import Project
from cmqual.suggest._data import (
    POSITIVE,
    Dataset,
    build_dataset,
    check_options,
)
from cmqual.suggest._evaluate import (
    CURVE_COLUMNS,
    EVALUATION_COLUMNS,
    METHODS,
    evaluate_codes,
    plot_learning_curve,
)
from cmqual.suggest._model import (
    SETTINGS,
    Features,
    SegmentClassifier,
    digest,
    fingerprint,
    segment_features,
)
from cmqual.suggest._storage import (
    SUGGEST_CODER,
    SUGGESTION_ORIGIN,
    read_record,
    read_suggestions,
    store_suggestions,
    suggester,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CURVE_COLUMNS",
    "EVALUATION_COLUMNS",
    "METHODS",
    "MIN_POSITIVES",
    "MODEL_COLUMNS",
    "SUGGESTION_COLUMNS",
    "SUGGESTION_ORIGIN",
    "SUGGEST_CODER",
    "Evaluation",
    "Suggestions",
    "evaluate",
    "plot_learning_curve",
    "read_record",
    "read_suggestions",
    "suggest",
    "suggester",
    "uncertainty_queue",
]

#: Positive segments a code needs before a model is trained for it.
MIN_POSITIVES = 10

#: Columns of :attr:`Suggestions.suggestions`.
SUGGESTION_COLUMNS: dict[str, str] = {
    "doc_id": "string",
    "segment_id": "string",
    "level": "string",
    "start": "int64",
    "end": "int64",
    "text": "string",
    "code": "string",
    "confidence": "float64",
    "model": "string",
}
#: Columns of :attr:`Suggestions.models`.
MODEL_COLUMNS: dict[str, str] = {
    "code": "string",
    "status": "string",
    "n_positive": "int64",
    "n_negative": "int64",
    "n_rejected": "int64",
    "calibration": "string",
    "model": "string",
    "n_suggested": "int64",
}
_DECIMALS = 4


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestions:
    """What :func:`suggest` trained and proposed.

    Attributes
    ----------
    coder, level : str
        Whose codings were learned, at which segment level.
    threshold : float
        Confidence from which a code is proposed.
    suggestions : DataFrame
        One row per proposed segment and code (:data:`SUGGESTION_COLUMNS`), in corpus
        order; ``confidence`` is the calibrated probability, ``model`` the fingerprint of
        the model that made it.
    models : DataFrame
        One row per code asked for (:data:`MODEL_COLUMNS`): whether a model was trained
        (``status`` says why not), its training size, calibration, fingerprint and
        number of suggestions.
    stored : bool
        Whether the suggestions were written to the project store.
    """

    coder: str
    level: str
    threshold: float
    suggestions: pd.DataFrame = field(repr=False)
    models: pd.DataFrame = field(repr=False)
    stored: bool = False

    def __str__(self) -> str:
        trained = int((self.models["status"] == "trained").sum())
        lines = [f"learned from {self.coder}'s coding ({self.level} level): "
                 f"{trained} of {len(self.models)} code(s) trained, "
                 f"{len(self.suggestions)} suggestion(s) at confidence >= "
                 f"{self.threshold:g}"]
        table = self.models[["code", "status", "n_positive", "n_negative", "n_rejected",
                             "n_suggested", "model"]]
        lines.append(table.to_string(index=False))
        if self.stored:
            lines.append(f"stored as coder {suggester(self.coder)!r} (origin "
                         f"'{SUGGESTION_ORIGIN}'); review them in the coding widget")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = html.escape(str(self).split("\n", 1)[0])
        return f"<div><p>{head}</p>{self.models.to_html(index=False)}</div>"


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` found.

    Attributes
    ----------
    coder, level : str
    k : int
        Folds asked for (a code with fewer positives or negatives uses fewer).
    threshold : float
        Confidence from which the model codes a segment.
    table : DataFrame
        One row per code and method (:data:`EVALUATION_COLUMNS`): ``model``, ``patterns``
        and ``profile`` (see :mod:`cmqual.suggest._evaluate`), with training size,
        prevalence, folds used, precision, recall, F1, Cohen's kappa and a note.
    learning_curve : DataFrame
        F1 of the model against the number of coded segments trained on
        (:data:`CURVE_COLUMNS`).
    """

    coder: str
    level: str
    k: int
    threshold: float
    table: pd.DataFrame = field(repr=False)
    learning_curve: pd.DataFrame = field(repr=False)

    def plot(self, *, title: str | None = None, ax: Axes | None = None) -> Axes:
        """The learning curve (see :func:`plot_learning_curve`)."""
        return plot_learning_curve(self.learning_curve, title=title, ax=ax)

    def __str__(self) -> str:
        lines = [f"{self.coder}'s coding ({self.level} level), stratified {self.k}-fold "
                 f"cross-validation, threshold {self.threshold:g}:",
                 _format(self.table)]
        if len(self.learning_curve):
            lines += ["", "learning curve (model F1 against coded segments trained on):",
                      _format(self.learning_curve)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<div><p>{html.escape(str(self).split(chr(10), 1)[0])}</p>"
                f"{self.table.to_html(index=False, na_rep='')}</div>")


def _format(table: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.max_colwidth", 60):
        return table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.3f}")


# -- training --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Trained:
    dataset: Dataset
    features: Features
    models: dict[str, SegmentClassifier]
    fingerprints: dict[str, str]
    status: dict[str, str]


def _pattern_hits(project: Project, dataset: Dataset) -> tuple[sparse.csr_matrix,
                                                               tuple[str, ...]]:
    """0/1 pattern hits per segment of ``dataset`` and codebook code, rolled up."""
    from cmqual.codebook import iter_codes
    from cmqual.coding import apply_codebook

    codes = sorted({c.ref for book in project.codebooks for c in iter_codes(book)})
    column = {c: i for i, c in enumerate(codes)}
    row = {s: i for i, s in enumerate(dataset.segments["segment_id"].astype(str))}
    rows: set[tuple[int, int]] = set()
    for book in project.codebooks:
        hits = apply_codebook(dataset.segments.assign(level=dataset.level), book,
                              level=dataset.level, speakers=dataset.speakers)
        for sid, ref in zip(hits["segment_id"].astype(str), hits["code"].astype(str),
                            strict=True):
            parts = ref.split("/")
            for depth in range(2, len(parts) + 1):
                anc = "/".join(parts[:depth])
                if anc in column and sid in row:
                    rows.add((row[sid], column[anc]))
    pairs = sorted(rows)
    data = np.ones(len(pairs))
    matrix = sparse.csr_matrix(
        (data, ([p[0] for p in pairs], [p[1] for p in pairs])),
        shape=(len(dataset.segments), len(codes)))
    return matrix, tuple(codes)


def _features(project: Project, dataset: Dataset,
              patterns: bool) -> tuple[Features, dict[str, np.ndarray], list[str]]:
    """Features (pattern hits as features when ``patterns``), hits per code, hashes used."""
    from cmqual.codebook import codebook_hash

    hits_by_code: dict[str, np.ndarray] = {}
    hashes: list[str] = []
    matrix = None
    codes: tuple[str, ...] = ()
    if project.codebooks:
        matrix, codes = _pattern_hits(project, dataset)
        dense = matrix.tocsc()
        hits_by_code = {c: dense[:, i].toarray().ravel() > 0 for i, c in enumerate(codes)}
        hashes = sorted(codebook_hash(b) for b in project.codebooks)
    features = segment_features(dataset.texts, matrix if patterns else None, codes)
    return features, hits_by_code, hashes if patterns else []


def _train(project: Project, coder: str, codes: str | Sequence[str] | None, *, level: str,
           speakers: str, patterns: bool, min_positives: int, random_state: int) -> _Trained:
    from sklearn import __version__ as sklearn_version

    from cmqual._version import __version__

    dataset = build_dataset(project, coder, codes, level=level, speakers=speakers)
    features, _, hashes = _features(project, dataset, patterns)
    scope = digest(dataset.segments["segment_id"].astype(str).tolist())
    ids = dataset.segments["segment_id"].astype(str).to_numpy()
    models: dict[str, SegmentClassifier] = {}
    prints: dict[str, str] = {}
    status: dict[str, str] = {}
    for code in dataset.codes:
        n_pos, n_neg, _ = dataset.counts(code)
        if n_pos < min_positives:
            status[code] = f"too few positives ({n_pos} < {min_positives})"
            continue
        if n_neg == 0:
            status[code] = "no negative segments (code some documents without it)"
            continue
        y_all = dataset.labels[code]
        idx = np.flatnonzero(y_all >= 0)
        y = (y_all[idx] == POSITIVE).astype(np.int64)
        prints[code] = fingerprint({
            "settings": dict(SETTINGS), "cmqual": __version__, "sklearn": sklearn_version,
            "level": level, "speakers": speakers, "random_state": random_state,
            "codebooks": hashes, "segments": scope, "code": code,
            "labels": digest([f"{s}\t{v}" for s, v in zip(ids[idx], y, strict=True)]),
        })
        models[code] = SegmentClassifier(random_state=random_state).fit(
            features.matrix[idx], y)
        status[code] = "trained"
    return _Trained(dataset, features, models, prints, status)


# -- the public functions --------------------------------------------------------------------
def suggest(project: Project, coder: str, codes: str | Sequence[str] | None = None, *,
            level: str = "turn", threshold: float = 0.5, min_positives: int = MIN_POSITIVES,
            speakers: str = "participants", patterns: bool = True, store: bool = True,
            random_state: int = 0) -> Suggestions:
    """Learn codes from ``coder``'s codings and propose them for segments not yet coded.

    Parameters
    ----------
    project : Project
        An open project (:func:`cmqual.open_project`).
    coder : str
        The human coder to learn from.
    codes : str or sequence of str, optional
        Codes to learn (a code's descendants count as the code); by default every code
        the coder has used.
    level : {"turn", "paragraph", "sentence"}
        Segments to learn from and to suggest for.
    threshold : float
        Calibrated probability from which a code is proposed (0 proposes every
        segment, with its probability).
    min_positives : int
        Positive segments a code needs before it is learned.
    speakers : {"participants", "all"}
        Leave interviewer segments out (default), or learn and suggest for everyone's.
    patterns : bool
        Use the codebooks' pattern hits as extra features.
    store : bool
        Replace this coder's stored suggestions of these codes with the new ones (see
        :mod:`cmqual.suggest._storage`); False only returns them.
    random_state : int
        Seed of every random choice.

    Returns
    -------
    Suggestions
        ``.suggestions`` (one row per segment and code) and ``.models`` (per code: trained
        or why not, training size, fingerprint).

    Raises
    ------
    ConfigError
        Listing every bad argument, or codes that are neither in the codebooks nor used.
    ProjectError
        The coder has no current codings.

    Examples
    --------
    >>> result = suggest(project, "alice", level="turn", threshold=0.6)  # doctest: +SKIP
    >>> result.models[["code", "status", "n_positive", "n_suggested"]]  # doctest: +SKIP
    """
    problems: list[str] = []
    check_options(level=level, speakers=speakers, threshold=threshold,
                  min_positives=min_positives, problems=problems)
    if problems:
        raise ConfigError("cannot suggest codes", problems)
    with _one_thread():
        trained = _train(project, coder, codes, level=level, speakers=speakers,
                         patterns=patterns, min_positives=min_positives,
                         random_state=random_state)
        probabilities = {code: _probabilities(trained, code) for code in trained.models}
    data = trained.dataset
    segs = data.segments
    parts: list[pd.DataFrame] = []
    counts: dict[str, int] = {}
    for code, (rows, p) in probabilities.items():
        keep = p >= threshold
        rows, p = rows[keep], p[keep]
        counts[code] = len(rows)
        part = segs.iloc[rows][["doc_id", "segment_id", "start", "end", "text"]]
        parts.append(part.assign(code=code, confidence=p, model=trained.fingerprints[code],
                                 _row=rows))
    if parts:
        table = pd.concat(parts, ignore_index=True)
        order = {c: i for i, c in enumerate(data.codes)}
        table = table.assign(_code=table["code"].map(order)).sort_values(
            ["_row", "_code"], kind="mergesort")
        table = table.drop(columns=["_row", "_code"]).assign(level=level)
    else:
        table = pd.DataFrame(columns=list(SUGGESTION_COLUMNS))
    table = table[list(SUGGESTION_COLUMNS)].astype(SUGGESTION_COLUMNS).reset_index(drop=True)
    models = _model_table(trained, counts)
    if store:
        entries = {r.code: {"status": r.status, "model": r.model, "n_positive": r.n_positive,
                            "n_negative": r.n_negative, "n_rejected": r.n_rejected,
                            "calibration": r.calibration, "n_suggested": r.n_suggested,
                            "level": level, "speakers": speakers, "threshold": threshold,
                            "patterns": patterns, "random_state": random_state}
                   for r in models.itertuples(index=False)}
        store_suggestions(project, coder, table, list(data.codes), entries)
    return Suggestions(coder, level, float(threshold), table, models, store)


def _probabilities(trained: _Trained, code: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows the code may be suggested for, and its calibrated probability for each."""
    rows = np.flatnonzero(trained.dataset.targets(code))
    if not len(rows):
        return rows, np.zeros(0)
    p = trained.models[code].predict_proba(trained.features.matrix[rows])[:, 1]
    return rows, np.round(p, _DECIMALS)


def _one_thread() -> Any:
    """Limit BLAS and OpenMP to one thread while training.

    The matrices are sparse and the dense steps tiny: threads only add overhead (many
    times the work on a busy machine) and could change the order of float sums, hence
    the last digits of a probability.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _model_table(trained: _Trained, counts: dict[str, int]) -> pd.DataFrame:
    rows = []
    for code in trained.dataset.codes:
        n_pos, n_neg, n_rej = trained.dataset.counts(code)
        model = trained.models.get(code)
        rows.append({"code": code, "status": trained.status[code], "n_positive": n_pos,
                     "n_negative": n_neg, "n_rejected": n_rej,
                     "calibration": model.calibration_ if model is not None else "",
                     "model": trained.fingerprints.get(code, ""),
                     "n_suggested": counts.get(code, 0)})
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS)).astype(MODEL_COLUMNS)


def evaluate(project: Project, coder: str, codes: str | Sequence[str] | None = None, *,
             level: str = "turn", k: int = 5, threshold: float = 0.5,
             min_positives: int = MIN_POSITIVES, speakers: str = "participants",
             patterns: bool = True, learning_curve: bool = True,
             random_state: int = 0) -> Evaluation:
    """Cross-validate the suggestions on ``coder``'s codings, next to two baselines.

    Parameters
    ----------
    project, coder, codes, level, threshold, min_positives, speakers, patterns, random_state
        As for :func:`suggest` (codes below ``min_positives`` are evaluated too, with a
        note, when they have 2 positives and 2 negatives).
    k : int
        Folds of the stratified cross-validation (fewer for a code with fewer positive
        or negative segments).
    learning_curve : bool
        Also compute the learning curve (five times the training).

    Returns
    -------
    Evaluation
        ``.table`` (per code: model, patterns and profile rows with precision, recall,
        F1, kappa) and ``.learning_curve``; ``.plot()`` draws the curve.

    Examples
    --------
    >>> result = evaluate(project, "alice")                          # doctest: +SKIP
    >>> result.table.query("method == 'model'")[["code", "f1", "kappa"]]  # doctest: +SKIP
    >>> save_figure(result.plot(), "outputs/learning_curve")       # doctest: +SKIP
    """
    problems: list[str] = []
    check_options(level=level, speakers=speakers, threshold=threshold,
                  min_positives=min_positives, problems=problems)
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        problems.append(f"k={k!r}: give a whole number of folds, 2 or more")
    if problems:
        raise ConfigError("cannot evaluate the suggestions", problems)
    with _one_thread():
        dataset = build_dataset(project, coder, codes, level=level, speakers=speakers)
        features, hits, _ = _features(project, dataset, patterns)
        table, curve = evaluate_codes(dataset, features, hits, k=k, threshold=threshold,
                                      min_positives=min_positives,
                                      random_state=random_state,
                                      learning_curve=learning_curve)
    return Evaluation(coder, level, k, float(threshold), table, curve)


def uncertainty_queue(project: Project, coder: str, codes: str | Sequence[str] | None = None,
                      *, level: str = "turn", limit: int | None = None,
                      min_positives: int = MIN_POSITIVES, speakers: str = "participants",
                      patterns: bool = True, random_state: int = 0) -> list[str]:
    """Segment ids to code next, most uncertain first (active learning).

    A segment's uncertainty is the highest binary entropy of the models' probabilities
    over the codes it could be suggested for (entropy is highest at 0.5), so coding it
    teaches the models most (uncertainty sampling, Lewis & Gale 1994). Only segments the
    coder has not coded are queued; ties keep corpus order. Nothing is stored.

    Parameters
    ----------
    project, coder, codes, level, min_positives, speakers, patterns, random_state
        As for :func:`suggest`.
    limit : int, optional
        Return at most this many ids.

    Returns
    -------
    list of str
        Segment ids; empty when no code has enough positives yet.

    Examples
    --------
    >>> queue = uncertainty_queue(project, "alice", limit=50)        # doctest: +SKIP
    >>> CodingSession(project, "alice", queue=queue)                 # doctest: +SKIP
    """
    problems: list[str] = []
    check_options(level=level, speakers=speakers, min_positives=min_positives,
                  problems=problems)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        problems.append(f"limit={limit!r}: give a whole number, 0 or more")
    if problems:
        raise ConfigError("cannot build the uncertainty queue", problems)
    with _one_thread():
        trained = _train(project, coder, codes, level=level, speakers=speakers,
                         patterns=patterns, min_positives=min_positives,
                         random_state=random_state)
        probabilities = [_probabilities(trained, code) for code in trained.models]
    data = trained.dataset
    best = np.full(len(data.segments), -1.0)
    for rows, p in probabilities:
        best[rows] = np.maximum(best[rows], np.round(_entropy(p), _DECIMALS))
    candidates = np.flatnonzero(best >= 0)
    order = candidates[np.argsort(-best[candidates], kind="stable")]
    ids = data.segments["segment_id"].astype(str).to_numpy()[order].tolist()
    return ids if limit is None else ids[:limit]


def _entropy(p: np.ndarray) -> np.ndarray:
    """Binary entropy in bits (0 at 0 and 1, 1 at 0.5)."""
    q = np.clip(p, 1e-12, 1 - 1e-12)
    h = -(q * np.log2(q) + (1 - q) * np.log2(1 - q))
    return np.where((p <= 0) | (p >= 1), 0.0, h)

