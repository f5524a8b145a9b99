"""Features and classifiers for learned code suggestions.

Features
    TF-IDF of word 1-2-grams and of character 3-5-grams within words (scikit-learn's
    ``char_wb``), fitted once on every segment in scope and shared by all codes (the fit
    sees texts, never labels). Words are :func:`cmqual.text.word_spans` tokens, the
    tokenisation used for ``n_words`` everywhere in cmqual, so nothing is downloaded. Both
    blocks are L2-normalised per segment and scaled by 1/sqrt(2), so a segment's text
    vector has length 1; the codebook's pattern hits, when used, are appended as one
    column per code (:data:`PATTERN_WEIGHT` where the code or a descendant is hit).

Classifier (:class:`SegmentClassifier`)
    Logistic regression with ``class_weight="balanced"`` (a code is usually rare; each
    class then weighs the same in the loss). Its probabilities are calibrated by Platt
    scaling (Platt 1999), a sigmoid of the decision value:

    * by :class:`sklearn.calibration.CalibratedClassifierCV` (``method="sigmoid"``,
      ``ensemble=False``) whenever there are at least :data:`MIN_CALIBRATION` positives
      and negatives for each of 2 stratified folds (up to :data:`CALIBRATION_FOLDS`
      folds): the sigmoid is fitted on out-of-fold decision values, the model on all
      data. Out-of-fold values matter with few codings: a model scores its own training
      segments far more confidently than new ones, and a sigmoid fitted on those would
      propose almost nothing;
    * with fewer (a code with a single positive, in a learning-curve subset), the sigmoid
      is fitted on the model's own training decision values with Platt's smoothed targets
      (``(N+ + 1)/(N+ + 2)`` and ``1/(N- + 2)``), which keeps the slope finite on
      separable data. Such probabilities are overconfident; the evaluation
      (:func:`cmqual.suggest.evaluate`) shows how far to trust them.

NVivo-style baseline (:class:`ProfileBaseline`)
    A code's profile is the centroid of its positive segments' word TF-IDF vectors; a
    segment is coded when its cosine similarity to the profile reaches a threshold chosen
    to maximise F1 on the training segments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from cmqual.text import word_spans

#: Inverse regularisation strength of the logistic regression, and its stopping tolerance.
C = 4.0
TOL = 1e-3
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (3, 5)
#: An n-gram must occur in at least this many segments to become a feature.
MIN_DF = 2
#: Value of a pattern-hit feature: about the weight of one distinctive word in a segment
#: (a text vector has length 1), so a pattern informs the model without dominating it.
PATTERN_WEIGHT = 0.25
#: Most folds of the probability calibration, and positives (and negatives) needed per fold.
CALIBRATION_FOLDS = 3
MIN_CALIBRATION = 2

#: Settings that shape a model, recorded in its fingerprint.
SETTINGS: Mapping[str, Any] = {
    "C": C, "tol": TOL, "word_ngrams": list(WORD_NGRAMS), "char_ngrams": list(CHAR_NGRAMS),
    "min_df": MIN_DF, "pattern_weight": PATTERN_WEIGHT,
    "calibration_folds": CALIBRATION_FOLDS, "min_calibration": MIN_CALIBRATION,
    "model": "LogisticRegression(class_weight='balanced', solver='liblinear', dual=True)",
}


def tokens(text: str) -> list[str]:
    """Word tokens of ``text`` (see :func:`cmqual.text.word_spans`); no NLTK data needed.

    Examples
    --------
    >>> tokens("it's a hard-to-reach group")
    ["it's", 'a', 'hard-to-reach', 'group']
    """
    return [text[a:b] for a, b in word_spans(text)]


@dataclass(frozen=True)
class Features:
    """The feature matrix of the segments in scope.

    Attributes
    ----------
    matrix : csr_matrix
        Text blocks (length 1 per row) and pattern-hit columns, one row per segment.
    words : csr_matrix
        The word TF-IDF block alone, rows L2-normalised (for the profile baseline).
    pattern_codes : tuple of str
        Codes of the pattern-hit columns, in column order (empty without patterns).
    n_words, n_chars : int
        Size of the two vocabularies.
    """

    matrix: sparse.csr_matrix
    words: sparse.csr_matrix
    pattern_codes: tuple[str, ...]
    n_words: int
    n_chars: int


def segment_features(texts: Sequence[str], pattern_hits: sparse.spmatrix | None = None,
                     pattern_codes: Sequence[str] = ()) -> Features:
    """Fit the vectorisers once on ``texts`` and return the shared feature matrix.

    Parameters
    ----------
    texts : sequence of str
        Every segment in scope (labelled or not), in a fixed order.
    pattern_hits : sparse matrix, optional
        0/1 hits, one row per text and one column per code of ``pattern_codes``.
    pattern_codes : sequence of str
        The codes of the columns of ``pattern_hits``.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    texts = list(texts)
    min_df = MIN_DF if len(texts) >= 2 * MIN_DF else 1
    toks = [tokens(t.lower()) for t in texts]
    word_counts = _counts(CountVectorizer(analyzer=_word_ngrams, min_df=min_df), toks)
    words = _tfidf(word_counts)
    chars = _tfidf(_char_counts(toks, min_df))
    blocks = [words / np.sqrt(2.0), chars / np.sqrt(2.0)]
    codes: tuple[str, ...] = ()
    if pattern_hits is not None and pattern_hits.shape[1]:
        blocks.append(sparse.csr_matrix(pattern_hits, dtype=np.float64) * PATTERN_WEIGHT)
        codes = tuple(pattern_codes)
    matrix = sparse.hstack(blocks, format="csr")
    matrix.sort_indices()  # once here, not in every fit
    return Features(matrix, words, codes, words.shape[1], chars.shape[1])


def _word_ngrams(toks: list[str]) -> list[str]:
    lo, hi = WORD_NGRAMS
    return [" ".join(toks[i:i + n]) for n in range(lo, hi + 1)
            for i in range(len(toks) - n + 1)]


def _counts(vectoriser: Any, docs: list[list[str]]) -> sparse.csr_matrix:
    try:
        return vectoriser.fit_transform(docs).tocsr()
    except ValueError:  # no n-gram reaches min_df (tiny or empty texts): no features
        return sparse.csr_matrix((len(docs), 0), dtype=np.float64)


def _char_counts(toks: list[list[str]], min_df: int) -> sparse.csr_matrix:
    """Counts of character n-grams within words (each word padded with a space).

    The n-grams of each distinct word are listed once and multiplied by the word counts,
    instead of scanning every occurrence: the same counts as scikit-learn's ``char_wb``
    analyser over cmqual's word tokens, several times faster on a large corpus.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    unigrams = CountVectorizer(analyzer=_same, min_df=1)
    per_word = _counts(unigrams, toks)
    if per_word.shape[1] == 0:
        return per_word
    vocab = unigrams.get_feature_names_out()
    lo, hi = CHAR_NGRAMS
    grams: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, word in enumerate(vocab):
        padded = f" {word} "
        for n in range(lo, hi + 1):
            for j in range(len(padded) - n + 1):
                cols.append(grams.setdefault(padded[j:j + n], len(grams)))
                rows.append(i)
    ngrams = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                               shape=(len(vocab), len(grams)))
    counts = (per_word @ ngrams).tocsr()
    names = np.array(list(grams), dtype=object)
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(df >= min_df)
    keep = keep[np.argsort(names[keep], kind="stable")]  # columns in n-gram order
    return counts[:, keep].tocsr()


def _same(toks: list[str]) -> list[str]:
    return toks


def _tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sublinear TF-IDF with smoothed IDF, rows L2-normalised (scikit-learn's defaults)."""
    from sklearn.feature_extraction.text import TfidfTransformer

    if counts.shape[1] == 0:
        return sparse.csr_matrix(counts.shape, dtype=np.float64)
    return TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr()


# -- the classifier --------------------------------------------------------------------------
class SegmentClassifier:
    """Calibrated linear classifier for one code (scikit-learn estimator conventions).

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    calibration_folds : int
        Most folds of :class:`~sklearn.calibration.CalibratedClassifierCV`.
    min_calibration : int
        Positives and negatives needed per calibration fold; when not even 2 folds have
        that many, Platt scaling is fitted on the training decision values instead.
    random_state : int
        Seed of the calibration folds and the solver.

    Attributes
    ----------
    model_ : estimator
        The fitted logistic regression or calibrated classifier.
    calibration_ : str
        How the probabilities were calibrated.
    platt_ : tuple of float or None
        ``(a, b)`` of the in-sample Platt sigmoid, when that was used.
    classes_ : ndarray
        ``[0, 1]``.

    Examples
    --------
    >>> clf = SegmentClassifier().fit(X, y)                          # doctest: +SKIP
    >>> clf.predict_proba(X_new)[:, 1]                                # doctest: +SKIP
    """

    def __init__(self, C: float = C, calibration_folds: int = CALIBRATION_FOLDS,
                 min_calibration: int = MIN_CALIBRATION, random_state: int = 0) -> None:
        self.C = C
        self.calibration_folds = calibration_folds
        self.min_calibration = min_calibration
        self.random_state = random_state

    def _base(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        # The dual problem: with text features there are far more features than segments,
        # where liblinear's dual coordinate descent is many times faster than the primal.
        return LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear",
                                  dual=True, tol=TOL, random_state=self.random_state,
                                  max_iter=1000)

    def fit(self, X: Any, y: Any) -> SegmentClassifier:
        """Fit on features ``X`` and 0/1 labels ``y``; return ``self``."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y).astype(np.int64)
        n_pos = int(y.sum())
        n_neg = len(y) - n_pos
        if n_pos == 0 or n_neg == 0:
            raise ValueError("y: needs positive and negative segments")
        self.classes_ = np.array([0, 1])
        self.platt_: tuple[float, float] | None = None
        folds = min(self.calibration_folds, n_pos // self.min_calibration,
                    n_neg // self.min_calibration)
        if folds >= 2:
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            self.model_ = CalibratedClassifierCV(self._base(), method="sigmoid", cv=cv,
                                                 ensemble=False).fit(X, y)
            self.calibration_ = f"sigmoid on {folds}-fold out-of-fold scores"
        else:
            self.model_ = self._base().fit(X, y)
            self.platt_ = platt_fit(self.model_.decision_function(X), y)
            self.calibration_ = "Platt sigmoid on training scores (too few to cross-fit)"
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, 2)``; column 1 is the code's."""
        if self.platt_ is None:
            p = self.model_.predict_proba(X)[:, 1]
        else:
            p = platt_apply(self.model_.decision_function(X), self.platt_)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any, threshold: float = 0.5) -> np.ndarray:
        """1 where the probability reaches ``threshold``."""
        return (self.predict_proba(X)[:, 1] >= threshold).astype(np.int64)


def platt_fit(scores: Any, y: Any) -> tuple[float, float]:
    """Fit Platt's sigmoid ``p = 1 / (1 + exp(a * score + b))`` to 0/1 labels.

    Targets are smoothed as in Platt (1999), ``(N+ + 1) / (N+ + 2)`` for positives and
    ``1 / (N- + 2)`` for negatives, so separable scores still give a finite slope.

    Examples
    --------
    >>> a, b = platt_fit([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])
    >>> bool(a < 0)
    True
    """
    from scipy.optimize import minimize

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    t = np.where(y, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * s + ab[1]
        value = float(np.sum(np.logaddexp(0.0, z) - (1.0 - t) * z))
        g = 1.0 / (1.0 + np.exp(-z)) - (1.0 - t)
        return value, np.array([float(np.dot(g, s)), float(g.sum())])

    start = np.array([0.0, float(np.log((n_neg + 1.0) / (n_pos + 1.0)))])
    result = minimize(loss, start, jac=True, method="BFGS")
    return float(result.x[0]), float(result.x[1])


def platt_apply(scores: Any, ab: tuple[float, float]) -> np.ndarray:
    """Probabilities from Platt's sigmoid (see :func:`platt_fit`)."""
    z = ab[0] * np.asarray(scores, dtype=np.float64) + ab[1]
    return 1.0 / (1.0 + np.exp(np.clip(z, -500.0, 500.0)))


# -- the NVivo-style baseline ----------------------------------------------------------------
class ProfileBaseline:
    """A code's TF-IDF profile (centroid of its positives) and a cosine threshold.

    Attributes
    ----------
    centroid_ : ndarray
        The normalised mean of the positive segments' word vectors.
    threshold_ : float
        Cosine similarity from which a segment is coded (maximises F1 on the training
        segments; ties go to the higher threshold).
    """

    def fit(self, X: Any, y: Any) -> ProfileBaseline:
        """Fit on L2-normalised word vectors ``X`` and 0/1 labels ``y``; return ``self``."""
        y = np.asarray(y).astype(bool)
        centroid = np.asarray(X[y].mean(axis=0)).ravel() if y.any() else np.zeros(X.shape[1])
        norm = float(np.linalg.norm(centroid))
        self.centroid_ = centroid / norm if norm > 0 else centroid
        self.threshold_ = best_f1_threshold(self.decision_function(X), y)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Cosine similarity of each row to the profile."""
        return np.asarray(X @ self.centroid_).ravel()

    def predict(self, X: Any) -> np.ndarray:
        """1 where the similarity reaches the threshold."""
        return (self.decision_function(X) >= self.threshold_).astype(np.int64)


def best_f1_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The score threshold (coding ``score >= threshold``) with the highest F1 on ``y``.

    Examples
    --------
    >>> best_f1_threshold(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0]))
    0.5
    """
    y = np.asarray(y).astype(bool)
    n_pos = int(y.sum())
    if n_pos == 0 or len(scores) == 0:
        return float("inf")
    order = np.argsort(-scores, kind="stable")
    s, hits = scores[order], y[order]
    tp = np.cumsum(hits)
    k = np.arange(1, len(s) + 1)
    cut = np.append(s[1:] != s[:-1], True)  # only between distinct scores
    f1 = np.where(cut, 2.0 * tp / (k + n_pos), -1.0)
    i = int(np.argmax(f1))
    return float((s[i] + s[i + 1]) / 2.0) if i + 1 < len(s) else float(s[i])


# -- fingerprints ----------------------------------------------------------------------------
def fingerprint(payload: Mapping[str, Any]) -> str:
    """12 hex digits of the SHA-256 of ``payload`` as canonical JSON."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def digest(items: Sequence[str]) -> str:
    """SHA-256 of newline-joined ``items`` (for long lists inside a fingerprint)."""
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()
