"""Tests for cmqual.reliability: published worked examples, oracles, properties, tables."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import warnings
from itertools import combinations, pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cmqual.errors import CmqualWarning, ReliabilityError
from cmqual.reliability import (
    POOLED,
    BootstrapCI,
    UndefinedMetricWarning,
    agreement_table,
    bootstrap_ci,
    brennan_prediger,
    cohen_kappa,
    disagreement_table,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    presence_table,
    roll_up_codes,
    scotts_pi,
    to_units_by_coders,
    write_disagreements,
)

DATA = Path(__file__).parent / "data" / "reliability"
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MULTI_RATER = [percent_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac1, brennan_prediger]


def from_counts(table: list[list[int]], labels: list[str] | None = None) -> pd.DataFrame:
    """Expand a two-coder contingency table (rows: coder a, columns: coder b) to units."""
    labels = labels or list(range(len(table)))
    rows = [
        (labels[i], labels[j])
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        for _ in range(count)
    ]
    return pd.DataFrame(rows, columns=["a", "b"])


def quiet(fn, *args, **kwargs):
    """Call ``fn`` with warnings silenced (undefined values are compared as nan)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ours and the oracles' undefined-value warnings
        return fn(*args, **kwargs)


def same(a: float, b: float, tol: float = 1e-9) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= tol


@pytest.fixture(scope="module")
def krippendorff2011() -> pd.DataFrame:
    return pd.read_csv(DATA / "krippendorff2011_reliability_data.csv", index_col="unit")


@pytest.fixture(scope="module")
def fleiss1971() -> pd.DataFrame:
    counts = pd.read_csv(DATA / "fleiss1971_diagnoses.csv", index_col="subject")
    # Fleiss printed category counts per patient; any order of the 6 ratings is the same
    # data, so spell them out in category order.
    rows = [np.repeat(np.arange(1, 6), row) for row in counts.to_numpy()]
    return pd.DataFrame(rows, index=counts.index, columns=[f"rater{k}" for k in range(1, 7)])


# ----------------------------------------------------------- published worked examples


def test_fleiss1971_data_entry(fleiss1971):
    # Fleiss (1971) table 1 bottom line: p_j = .144 .144 .167 .306 .239 (of 180 ratings).
    totals = np.bincount(fleiss1971.to_numpy().ravel(), minlength=6)[1:]
    assert totals.tolist() == [26, 26, 30, 55, 43]


def test_fleiss_kappa_fleiss1971(fleiss1971):
    assert round(fleiss_kappa(fleiss1971), 3) == 0.430
    assert fleiss_kappa(fleiss1971) == pytest.approx(0.4302445, abs=5e-8)  # irr::kappam.fleiss


def test_irrcac_distrib_6raters(fleiss1971):
    first15 = fleiss1971.iloc[:15]  # irrCAC's distrib.6raters
    assert gwet_ac1(first15, categories=[1, 2, 3, 4, 5]) == pytest.approx(0.4448007, abs=5e-8)
    assert fleiss_kappa(first15) == pytest.approx(0.4139265, abs=5e-8)
    assert krippendorff_alpha(first15) == pytest.approx(0.4204384, abs=5e-8)
    assert brennan_prediger(first15) == pytest.approx(0.4388889, abs=5e-8)
    assert percent_agreement(first15) == pytest.approx(0.5511111, abs=5e-8)


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff2011_alpha(krippendorff2011, level, published):
    assert round(krippendorff_alpha(krippendorff2011, level), 3) == published


def test_krippendorff2011_matches_krippendorff_package(krippendorff2011):
    krippendorff = pytest.importorskip("krippendorff")
    data = krippendorff2011.to_numpy(dtype=float).T
    for level in ("nominal", "ordinal", "interval", "ratio"):
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert krippendorff_alpha(krippendorff2011, level) == pytest.approx(expected, abs=1e-12)


def test_krippendorff2011_binary_two_observers():
    # Krippendorff (2011) section A: alpha = 1 - 19 * 4 / (14 * 6) = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert krippendorff_alpha(pd.DataFrame({"A": a, "B": b})) == pytest.approx(1 - 76 / 84)


def test_irrcac_raw4raters(krippendorff2011):
    # irrCAC documentation, cac.raw4raters (the same 4 x 12 data).
    assert percent_agreement(krippendorff2011) == pytest.approx(0.8181818, abs=5e-8)
    assert round(gwet_ac1(krippendorff2011), 5) == 0.77544
    assert round(fleiss_kappa(krippendorff2011), 5) == 0.76117
    assert round(krippendorff_alpha(krippendorff2011), 5) == 0.74342
    assert round(brennan_prediger(krippendorff2011), 5) == 0.77273


def test_irrcac_cont3x3abstractors():
    data = from_counts([[13, 0, 0], [0, 20, 7], [0, 4, 56]], ["Ectopic", "AIU", "NIU"])
    assert cohen_kappa(data) == pytest.approx(0.7964094, abs=5e-8)
    assert scotts_pi(data) == pytest.approx(0.7962397, abs=5e-8)
    assert gwet_ac1(data) == pytest.approx(0.8493305, abs=5e-8)
    assert brennan_prediger(data) == pytest.approx(0.835, abs=5e-8)
    assert krippendorff_alpha(data) == pytest.approx(0.7972585, abs=5e-8)
    assert percent_agreement(data) == pytest.approx(0.89)


def test_artstein_poesio_2008_table1():
    # Two coders, 100 utterances, Statement vs Info-Request: Ao = 0.7, kappa = 0.348.
    data = from_counts([[20, 20], [10, 50]], ["Stat", "IReq"])
    assert percent_agreement(data) == pytest.approx(0.7)
    assert round(cohen_kappa(data), 3) == 0.348
    # By hand from the same table: pi uses pooled marginals .35/.65, S chance 1/2.
    assert scotts_pi(data) == pytest.approx((0.7 - 0.545) / 0.455)
    assert brennan_prediger(data) == pytest.approx(0.4)


def test_artstein_poesio_three_category_example():
    # The three-category example of Artstein & Poesio (as shipped with NLTK): Ao = 0.88,
    # S = 0.82, pi = 0.7995, kappa = 0.8013, alpha = 0.8005.
    data = from_counts([[46, 6, 0], [0, 32, 0], [0, 6, 10]], ["stat", "ireq", "chck"])
    assert percent_agreement(data) == pytest.approx(0.88)
    assert brennan_prediger(data) == pytest.approx(0.82)
    assert scotts_pi(data) == pytest.approx(0.7995322418977615, abs=1e-12)
    assert cohen_kappa(data) == pytest.approx(0.8013245033112583, abs=1e-12)
    assert krippendorff_alpha(data) == pytest.approx(0.8005345806882727, abs=1e-12)


def test_irr_kappa2_diagnoses(fleiss1971):
    # irr's `diagnoses` lists each patient's ratings in category order, as our fixture
    # does, so raters 1 and 2 are the same columns: irr::kappa2 gives 0.651.
    assert round(cohen_kappa(fleiss1971[["rater1", "rater2"]]), 3) == 0.651


# irr's `anxiety` data (20 subjects, raters 2 and 3), weighted kappas from irr::kappa2.
ANXIETY_2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


@pytest.mark.parametrize(
    ("weights", "published"),
    [(None, -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)],
)
def test_irr_kappa2_anxiety_weighted(weights, published):
    assert cohen_kappa(ANXIETY_2, ANXIETY_3, weights=weights) == pytest.approx(published, abs=5e-8)


def test_weight_matrix_equals_named_weights():
    v = np.abs(np.subtract.outer(np.arange(5), np.arange(5)))
    assert cohen_kappa(ANXIETY_2, ANXIETY_3, weights=v) == pytest.approx(
        cohen_kappa(ANXIETY_2, ANXIETY_3, weights="linear")
    )
    # Declaring the unused category 5 moves 6 one step further away.
    assert cohen_kappa(
        ANXIETY_2, ANXIETY_3, weights="linear", categories=[1, 2, 3, 4, 5, 6]
    ) != pytest.approx(cohen_kappa(ANXIETY_2, ANXIETY_3, weights="linear"))


def test_kappa_paradox_rare_code():
    # Coders agree on 18 of 20 units, but the code is rare: kappa collapses, AC1 does not.
    data = pd.DataFrame([[0, 0]] * 18 + [[1, 0], [0, 1]])
    assert cohen_kappa(data) == pytest.approx((0.9 - 0.905) / (1 - 0.905))
    pi1 = 0.05
    expected_ac1 = (0.9 - 2 * pi1 * (1 - pi1)) / (1 - 2 * pi1 * (1 - pi1))
    assert gwet_ac1(data) == pytest.approx(expected_ac1)
    assert gwet_ac1(data) > 0.85 > 0 > cohen_kappa(data)


# ------------------------------------------------------------------ oracle properties

labels = st.integers(min_value=0, max_value=4)


@st.composite
def two_coders(draw, min_size=1):
    n = draw(st.integers(min_value=min_size, max_value=40))
    a = draw(st.lists(labels, min_size=n, max_size=n))
    b = draw(st.lists(labels, min_size=n, max_size=n))
    return a, b


@st.composite
def ratings_tables(draw, max_coders=5, missing=True):
    k = draw(st.integers(min_value=2, max_value=max_coders))
    n = draw(st.integers(min_value=1, max_value=25))
    value = st.one_of(st.none(), st.integers(1, 5)) if missing else st.integers(1, 5)
    rows = draw(st.lists(st.lists(value, min_size=k, max_size=k), min_size=n, max_size=n))
    return pd.DataFrame(rows, columns=[f"c{j}" for j in range(k)], dtype=float)


@PROPERTY
@given(two_coders(), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_matches_sklearn(pair, weights):
    metrics = pytest.importorskip("sklearn.metrics")
    a, b = pair
    expected = quiet(metrics.cohen_kappa_score, a, b, weights=weights)
    assert same(quiet(cohen_kappa, a, b, weights=weights), expected)


@PROPERTY
@given(two_coders(), st.data())
def test_cohen_kappa_matches_sklearn_with_sample_weight(pair, data):
    metrics = pytest.importorskip("sklearn.metrics")
    a, b = pair
    w = data.draw(st.lists(st.integers(1, 5), min_size=len(a), max_size=len(a)))
    expected = quiet(metrics.cohen_kappa_score, a, b, sample_weight=w)
    assert same(quiet(cohen_kappa, a, b, sample_weight=w), expected)


@PROPERTY
@given(ratings_tables(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_krippendorff_alpha_matches_krippendorff_package(table, level):
    krippendorff = pytest.importorskip("krippendorff")
    ours = quiet(krippendorff_alpha, table, level)
    assume(not np.isnan(ours))
    expected = krippendorff.alpha(reliability_data=table.to_numpy().T, level_of_measurement=level)
    assert ours == pytest.approx(expected, abs=1e-9)


@PROPERTY
@given(ratings_tables(), st.randoms(use_true_random=False))
def test_multi_rater_metrics_ignore_unit_and_coder_order(table, rnd):
    units = list(range(len(table)))
    coders = list(table.columns)
    rnd.shuffle(units)
    rnd.shuffle(coders)
    shuffled = table.iloc[units][coders]
    for metric in MULTI_RATER:
        assert same(quiet(metric, table), quiet(metric, shuffled)), metric.__name__


@PROPERTY
@given(ratings_tables(), st.permutations([1, 2, 3, 4, 5]))
def test_nominal_metrics_ignore_category_names(table, perm):
    relabelled = table.apply(lambda col: col.map(dict(zip([1, 2, 3, 4, 5], perm, strict=True))))
    for metric in MULTI_RATER:
        assert same(quiet(metric, table), quiet(metric, relabelled)), metric.__name__


@PROPERTY
@given(ratings_tables(), st.data())
def test_integer_sample_weight_equals_repeating_units(table, data):
    w = data.draw(st.lists(st.integers(0, 3), min_size=len(table), max_size=len(table)))
    repeated = table.loc[table.index.repeat(w)]
    assume(len(repeated) > 0)
    # Declare the categories: a unit of weight 0 would otherwise still add its values to
    # the observed category set (and so to q in AC1 and Brennan-Prediger).
    cats = [1, 2, 3, 4, 5]
    for metric in MULTI_RATER:
        weighted = quiet(metric, table, sample_weight=w, categories=cats)
        assert same(weighted, quiet(metric, repeated, categories=cats)), metric
    pair = table.iloc[:, :2]
    for metric in (cohen_kappa, scotts_pi):
        assert same(quiet(metric, pair, sample_weight=w), quiet(metric, repeated.iloc[:, :2]))


@PROPERTY
@given(ratings_tables())
def test_coefficients_are_at_most_one(table):
    for metric in MULTI_RATER:
        value = quiet(metric, table)
        assert np.isnan(value) or value <= 1 + 1e-12


@PROPERTY
@given(ratings_tables(missing=False, max_coders=2))
def test_two_coder_identities(table):
    n = len(table)
    pi = quiet(scotts_pi, table)
    # Fleiss (1971) reduces to Scott's pi for two coders.
    assert same(quiet(fleiss_kappa, table), pi)
    # Krippendorff: nominal alpha corrects pi for sample size (2n values).
    if not np.isnan(pi):
        assert krippendorff_alpha(table) == pytest.approx(1 - (2 * n - 1) / (2 * n) * (1 - pi))
    # Gwet (2008) two-rater AC1, written out independently.
    a, b = table.iloc[:, 0].to_numpy(), table.iloc[:, 1].to_numpy()
    cats = np.unique(np.concatenate([a, b]))
    if len(cats) >= 2:
        p = np.array([((a == c).mean() + (b == c).mean()) / 2 for c in cats])
        pe = (p * (1 - p)).sum() / (len(cats) - 1)
        assert gwet_ac1(table) == pytest.approx(((a == b).mean() - pe) / (1 - pe))
        q = len(cats)
        assert brennan_prediger(table) == pytest.approx(((a == b).mean() - 1 / q) / (1 - 1 / q))


@PROPERTY
@given(ratings_tables())
def test_long_table_gives_the_same_values(table):
    long = (
        table.rename_axis("unit")
        .reset_index()
        .melt(id_vars="unit", var_name="coder", value_name="value")
        .dropna()
    )
    wide = to_units_by_coders(long)
    assume(wide.shape[1] >= 2)
    for metric in MULTI_RATER:
        assert same(quiet(metric, long), quiet(metric, wide)), metric.__name__


def test_perfect_agreement_is_one():
    table = pd.DataFrame({"a": [1, 2, 3, 1], "b": [1, 2, 3, 1], "c": [1, 2, None, 1]})
    for metric in MULTI_RATER:
        assert metric(table) == pytest.approx(1.0)
    assert cohen_kappa(table[["a", "b"]]) == pytest.approx(1.0)


def test_fleiss_missing_data_follows_gwet_generalisation(krippendorff2011):
    complete = krippendorff2011.dropna()
    # With complete data the generalisation is Fleiss (1971) exactly.
    n = complete.apply(lambda r: r.value_counts(), axis=1).fillna(0).to_numpy()
    m = n.sum(axis=1)
    p_bar = ((n * (n - 1)).sum(axis=1) / (m * (m - 1))).mean()
    p_j = n.sum(axis=0) / n.sum()
    expected = (p_bar - (p_j**2).sum()) / (1 - (p_j**2).sum())
    assert fleiss_kappa(complete) == pytest.approx(expected)


# -------------------------------------------------------------- undefined coefficients


def test_undefined_kappa_is_nan_with_a_reason():
    with pytest.warns(UndefinedMetricWarning, match="same single category"):
        assert np.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))
    with pytest.warns(UndefinedMetricWarning, match="no unit was rated by both"):
        assert np.isnan(cohen_kappa([1, None], [None, 2]))


def test_undefined_warning_is_a_cmqual_and_runtime_warning():
    assert issubclass(UndefinedMetricWarning, CmqualWarning)
    assert issubclass(UndefinedMetricWarning, RuntimeWarning)


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        (krippendorff_alpha, "all pairable values are equal"),
        (fleiss_kappa, "one category"),
        (gwet_ac1, "only one category"),
        (brennan_prediger, "q = 1"),
    ],
)
def test_no_variation_is_undefined(metric, reason):
    with pytest.warns(UndefinedMetricWarning, match=reason):
        assert np.isnan(metric([[2, 2], [2, 2]]))


def test_no_pairable_values_is_undefined():
    table = [[1, None], [None, 2]]
    for metric, reason in [
        (krippendorff_alpha, "no pairable values"),
        (percent_agreement, "two or more coders"),
        (fleiss_kappa, "two or more coders"),
    ]:
        with pytest.warns(UndefinedMetricWarning, match=reason):
            assert np.isnan(metric(table))


def test_declared_categories_make_ac1_defined_for_one_used_category():
    assert gwet_ac1([[0, 0], [0, 0]], categories=[0, 1]) == 1.0
    assert brennan_prediger([[0, 0], [0, 1]], q=4) == pytest.approx((0.5 - 0.25) / 0.75)


def test_warning_points_at_the_caller():
    with pytest.warns(UndefinedMetricWarning) as record:
        krippendorff_alpha([[1, 1]])
    assert record[0].filename == __file__


# --------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: krippendorff_alpha([[1], [2]]), "at least 2 coders"),
        (lambda: fleiss_kappa(pd.DataFrame({"only": [1, 2]})), "at least 2 coders"),
        (lambda: cohen_kappa(pd.DataFrame({"a": [1], "b": [1], "c": [1]})), "exactly 2"),
        (lambda: cohen_kappa(pd.DataFrame({"a": [1, 2]})), "at least 2 coders"),
        (lambda: scotts_pi([[1, 2, 3]]), "exactly 2"),
        (lambda: krippendorff_alpha([[1, 2]], level="nomial"), "level"),
        (lambda: krippendorff_alpha([1, 2, 3]), "2-D"),
        (lambda: gwet_ac1(pd.Series([1, 2])), "single Series"),
        (lambda: cohen_kappa([1, 2], [1]), "same units"),
        (lambda: cohen_kappa([1, 2], [1, 2], weights="cubic"), "weights"),
        (lambda: cohen_kappa([1, 2], [1, 2], weights=np.ones((3, 3))), "2 x 2"),
        (lambda: cohen_kappa([1, 2], [1, 2], weights=np.eye(2)), "0 on the diagonal"),
        (lambda: fleiss_kappa([[1, 2]], categories=[1, 3]), "not in categories"),
        (lambda: fleiss_kappa([[1, 2]], categories=[1, 1, 2]), "more than once"),
        (lambda: krippendorff_alpha([["a", "b"]], level="interval"), "numeric"),
        (lambda: krippendorff_alpha([[-1, 2]], level="ratio"), "non-negative"),
        (lambda: gwet_ac1([[1, 2]], sample_weight=[1, 2]), "sample_weight"),
        (lambda: gwet_ac1([[1, 2]], sample_weight=[-1]), "non-negative"),
        (lambda: brennan_prediger([[1, 2], [3, 3]], q=2), "at least 3"),
        (lambda: bootstrap_ci(gwet_ac1, [[1, 2]], ci=95), "ci"),
        (lambda: bootstrap_ci(gwet_ac1, [[1, 2]], n_boot=0), "n_boot"),
    ],
)
def test_malformed_input_raises_reliability_error(call, fragment):
    with pytest.raises(ReliabilityError, match=fragment):
        call()


def test_reliability_error_is_a_value_error():
    with pytest.raises(ValueError):
        krippendorff_alpha([[1], [2]])


def test_long_table_with_duplicate_ratings_is_rejected():
    long = pd.DataFrame({"unit": [1, 1], "coder": ["a", "a"], "value": [1, 2]})
    with pytest.raises(ReliabilityError, match="more than one value for unit 1"):
        krippendorff_alpha(long)


def test_inputs_are_not_mutated(krippendorff2011):
    before = krippendorff2011.copy()
    for metric in MULTI_RATER:
        metric(krippendorff2011)
    pd.testing.assert_frame_equal(krippendorff2011, before)


# ------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_seeded_and_frozen(krippendorff2011):
    first = bootstrap_ci(krippendorff_alpha, krippendorff2011, n_boot=300, random_state=7)
    again = bootstrap_ci(krippendorff_alpha, krippendorff2011, n_boot=300, random_state=7)
    other = bootstrap_ci(krippendorff_alpha, krippendorff2011, n_boot=300, random_state=8)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
    assert isinstance(first, BootstrapCI)
    assert first.estimate == krippendorff_alpha(krippendorff2011)
    assert first.low <= first.high and first.level == 0.95 and first.n_boot == 300
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.low = 0.0  # type: ignore[misc]
    estimate, low, high = first
    assert (estimate, low, high) == (first.estimate, first.low, first.high)


def test_bootstrap_passes_metric_options(krippendorff2011):
    result = bootstrap_ci(krippendorff_alpha, krippendorff2011, level="interval", n_boot=50)
    assert result.estimate == krippendorff_alpha(krippendorff2011, "interval")


def test_bootstrap_of_any_callable_draws_the_same_resamples():
    data = from_counts([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    fast = bootstrap_ci(cohen_kappa, data, n_boot=200, random_state=3)
    generic = bootstrap_ci(lambda t: cohen_kappa(t), data, n_boot=200, random_state=3)
    assert fast == generic


def test_bootstrap_clusters_of_one_unit_equal_unit_resampling():
    data = from_counts([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    plain = bootstrap_ci(gwet_ac1, data, n_boot=100, random_state=5)
    clustered = bootstrap_ci(gwet_ac1, data, n_boot=100, random_state=5, clusters=range(100))
    assert plain == clustered
    docs = np.repeat(np.arange(10), 10)
    by_doc = bootstrap_ci(gwet_ac1, data, n_boot=100, random_state=5, clusters=docs)
    assert by_doc.estimate == plain.estimate and by_doc != plain


def test_bootstrap_counts_undefined_resamples():
    data = pd.DataFrame({"a": [1] * 9 + [2], "b": [1] * 9 + [2]})
    result = bootstrap_ci(cohen_kappa, data, n_boot=200, random_state=0)
    assert 0 < result.n_undefined < 200
    assert result.low == result.high == 1.0


# ------------------------------------------------------------ codings -> presence tables


def segments_table(rows: list[tuple[str, str, str, int, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["doc_id", "segment_id", "level", "start", "end", "text"])


def codings_table(rows: list[tuple[str, int, int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["doc_id", "start", "end", "code", "coder"])


@pytest.fixture()
def interview():
    text = "Q: Who decides?|A: My line manager.|Q: Always?|A: Mostly, yes."
    bounds = [(0, 15), (16, 35), (36, 46), (47, 62)]
    segs = segments_table(
        [("int1", f"int1-t{i}", "turn", s, e, text[s:e]) for i, (s, e) in enumerate(bounds)]
        + [("int1", "int1-p0", "paragraph", 0, 62, text)]
        + [("int2", "int2-t0", "turn", 0, 10, "A: No one.")]
    )
    cods = codings_table(
        [
            ("int1", 19, 35, "power/line_management", "ann"),
            ("int1", 19, 34, "power/line_management", "bob"),
            ("int1", 47, 62, "power/informal", "bob"),
            ("int1", 36, 46, "hedging", "ann"),
            ("int2", 0, 10, "hedging", "ann"),
            ("int2", 0, 5, "hedging", "bob"),
        ]
    )
    return cods, segs


def test_segment_presence_by_overlap(interview):
    cods, segs = interview
    table = presence_table(cods, segs)
    assert list(table.columns) == [
        "code",
        "doc_id",
        "unit_id",
        "start",
        "end",
        "weight",
        "ann",
        "bob",
    ]
    lm = table[table["code"] == "power/line_management"].set_index("unit_id")
    assert lm.loc["int1-t1", ["ann", "bob"]].tolist() == [1, 1]
    assert lm[["ann", "bob"]].to_numpy().sum() == 2
    informal = table[table["code"] == "power/informal"].set_index("unit_id")
    assert informal.loc["int1-t3", ["ann", "bob"]].tolist() == [0, 1]
    assert sorted(table["code"].unique()) == ["hedging", "power/informal", "power/line_management"]
    assert (table["weight"] == 1).all()


def test_touching_is_not_overlapping_and_point_codings_count():
    segs = segments_table(
        [("d", "s0", "turn", 0, 10, "x" * 10), ("d", "s1", "turn", 10, 20, "y" * 10)]
    )
    cods = codings_table(
        [("d", 5, 10, "c", "ann"), ("d", 10, 10, "c", "bob"), ("d", 0, 1, "c", "bob")]
    )
    table = presence_table(cods, segs).set_index("unit_id")
    assert table.loc["s0", ["ann", "bob"]].tolist() == [1, 1]
    assert table.loc["s1", ["ann", "bob"]].tolist() == [0, 1]


def test_coding_spanning_segments_marks_each(interview):
    _, segs = interview
    wide = codings_table([("int1", 10, 40, "x", "ann"), ("int1", 0, 1, "x", "bob")])
    table = presence_table(wide, segs)
    assert table["ann"].tolist() == [1, 1, 1, 0]


def test_paragraph_unit_and_document_level(interview):
    cods, segs = interview
    para = presence_table(cods, segs, unit="paragraph")
    assert set(para["unit_id"]) == {"int1-p0"}  # int2 has no paragraph segments
    docs = presence_table(cods, segs, level="document").set_index(["code", "doc_id"])
    assert docs.loc[("hedging", "int2"), ["ann", "bob"]].tolist() == [1, 1]
    assert docs.loc[("hedging", "int1"), ["ann", "bob"]].tolist() == [1, 0]
    assert docs.loc[("power/informal", "int1"), ["ann", "bob"]].tolist() == [0, 1]


def test_roll_up_by_depth_and_by_codes(interview):
    cods, segs = interview
    top = presence_table(cods, segs, depth=1)
    assert sorted(top["code"].unique()) == ["hedging", "power"]
    power = top[top["code"] == "power"].set_index("unit_id")
    assert power.loc["int1-t3", ["ann", "bob"]].tolist() == [0, 1]
    listed = presence_table(cods, segs, codes=["power", "unused"])
    assert sorted(listed["code"].unique()) == ["power", "unused"]
    assert listed.loc[listed["code"] == "unused", ["ann", "bob"]].to_numpy().sum() == 0
    rolled = roll_up_codes(cods, codes=["power/line_management"])
    assert len(rolled) == 2 and len(cods) == 6  # input untouched


def test_documents_default_to_those_every_coder_coded(interview):
    cods, segs = interview
    extra = pd.concat([cods, codings_table([("int3", 0, 4, "hedging", "ann")])])
    segs3 = pd.concat([segs, segments_table([("int3", "int3-t0", "turn", 0, 9, "A: Maybe.")])])
    assert set(presence_table(extra, segs3)["doc_id"]) == {"int1", "int2"}
    chosen = presence_table(extra, segs3, documents=["int1", "int2", "int3"])
    assert set(chosen["doc_id"]) == {"int1", "int2", "int3"}
    apart = codings_table([("int1", 0, 4, "c", "ann"), ("int2", 0, 4, "c", "bob")])
    with pytest.raises(ReliabilityError, match="no document was coded by every coder"):
        presence_table(apart, segs)


def test_character_presence_counts_characters(interview):
    cods, segs = interview
    table = presence_table(cods, segs, level="character", codes=["power/line_management"])
    assert table["weight"].sum() == 15 + 19 + 10 + 15 + 10  # every turn character
    both = table[(table["ann"] == 1) & (table["bob"] == 1)]["weight"].sum()
    only_ann = table[(table["ann"] == 1) & (table["bob"] == 0)]["weight"].sum()
    assert (both, only_ann) == (15, 1)
    assert set(table["unit_id"]) <= set(segs["segment_id"])


def test_exclude_uncoded_drops_characters_nobody_coded(interview):
    cods, segs = interview
    table = presence_table(cods, segs, level="character", exclude_uncoded=True)
    lm = table[table["code"] == "power/line_management"]
    # Characters coded with any code by anyone: 19-35, 36-46, 47-62 in int1; 0-10 in int2.
    assert lm["weight"].sum() == 16 + 10 + 15 + 10
    no_segments = presence_table(cods, None, level="character")
    assert no_segments["weight"].sum() == table["weight"].sum()


@st.composite
def coded_document(draw):
    length = draw(st.integers(5, 60))
    cuts = sorted(set(draw(st.lists(st.integers(1, length - 1), max_size=6))))
    edges = [0, *cuts, length]
    segs = []
    for i, (s, e) in enumerate(pairwise(edges)):
        if draw(st.booleans()) or i == 0:  # some gaps between segments
            segs.append(("d", f"s{i}", "turn", s, e, "x" * (e - s)))
    cods = []
    for _ in range(draw(st.integers(0, 8))):
        s = draw(st.integers(0, length))
        e = draw(st.integers(s, length))
        cods.append(
            ("d", s, e, draw(st.sampled_from(["a", "b"])), draw(st.sampled_from(["x", "y"])))
        )
    return length, segments_table(segs), codings_table(cods)


@PROPERTY
@given(coded_document(), st.booleans())
def test_character_level_equals_naive_per_character_expansion(doc, exclude):
    length, segs, cods = doc
    cods = pd.concat([cods, codings_table([("d", 0, 0, "a", "x"), ("d", 0, 0, "a", "y")])])
    table = presence_table(
        cods, segs, level="character", documents=["d"], exclude_uncoded=exclude, codes=["a", "b"]
    )
    in_segment = np.zeros(length, bool)
    for s, e in segs[["start", "end"]].to_numpy():
        in_segment[s:e] = True
    cover = {}
    for code in ("a", "b"):
        for coder in ("x", "y"):
            mask = np.zeros(length, bool)
            for s, e in cods[(cods.code == code) & (cods.coder == coder)][
                ["start", "end"]
            ].to_numpy():
                mask[s:e] = True
            cover[code, coder] = mask
    coded_any = np.logical_or.reduce(list(cover.values()))
    universe = in_segment & coded_any if exclude else in_segment
    for code in ("a", "b"):
        rows = table[table["code"] == code]
        expected = pd.Series(
            list(zip(cover[code, "x"][universe], cover[code, "y"][universe], strict=True))
        ).value_counts()
        got = rows.groupby(["x", "y"])["weight"].sum()
        got = got[got > 0]
        assert {(bool(i), bool(j)): n for (i, j), n in got.items()} == expected.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(level="word"), "level"),
        (dict(unit="sentence"), "no segments of level 'sentence'"),
        (dict(coders=["ann"]), "at least 2 coders"),
        (dict(coders=["ann", "carl"]), "no codings by 'carl'"),
        (dict(depth=0), "depth"),
    ],
)
def test_presence_argument_errors(interview, kwargs, fragment):
    cods, segs = interview
    with pytest.raises(ReliabilityError, match=fragment):
        presence_table(cods, segs, **kwargs)


def test_missing_columns_are_listed(interview):
    cods, segs = interview
    with pytest.raises(ReliabilityError, match=r"missing column.*coder.*present: doc_id"):
        presence_table(cods.drop(columns="coder"), segs)
    with pytest.raises(ReliabilityError, match="segments"):
        presence_table(cods, None, level="segment")
    bad = cods.assign(end=cods["start"] - 1)
    with pytest.raises(ReliabilityError, match="end before they start"):
        presence_table(bad, segs)


# ------------------------------------------------------------------- agreement tables


def test_agreement_table_matches_the_metrics(interview):
    cods, segs = interview
    table = agreement_table(cods, segs)
    assert list(table.columns) == [
        "code",
        "coders",
        "n_units",
        "n_coded",
        "percent_agreement",
        "cohen_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
    ]
    assert table["code"].tolist() == ["hedging", "power/informal", "power/line_management", POOLED]
    presence = presence_table(cods, segs)
    for code in ("hedging", "power/line_management"):
        sub = presence[presence["code"] == code][["ann", "bob"]]
        row = table.set_index("code").loc[code]
        assert row["n_units"] == 5 and row["coders"] == "ann, bob"
        assert row["percent_agreement"] == percent_agreement(sub)
        assert row["krippendorff_alpha"] == pytest.approx(krippendorff_alpha(sub))
        assert row["gwet_ac1"] == pytest.approx(gwet_ac1(sub, categories=[0, 1]))
        assert same(row["cohen_kappa"], quiet(cohen_kappa, sub))
    pooled = table.iloc[-1]
    assert pooled["n_units"] == 15
    assert pooled["krippendorff_alpha"] == pytest.approx(
        krippendorff_alpha(presence[["ann", "bob"]])
    )


def test_agreement_table_warns_with_the_code_name(interview):
    cods, segs = interview
    with pytest.warns(UndefinedMetricWarning) as record:
        table = agreement_table(cods, segs, codes=["hedging", "unused"])
    messages = [str(w.message) for w in record]
    assert any(m.startswith("code 'unused': cohen_kappa is undefined") for m in messages)
    assert any(m.startswith("code 'unused': krippendorff_alpha is undefined") for m in messages)
    assert all(m.startswith("code 'unused'") for m in messages)
    unused = table.set_index("code").loc["unused"]
    assert np.isnan(unused["cohen_kappa"]) and unused["gwet_ac1"] == 1.0


def test_three_coders_mean_pairwise_kappa_and_pairs(interview):
    cods, segs = interview
    carl = cods[cods["coder"] == "ann"].assign(coder="carl").iloc[:-1]
    three = pd.concat([cods, carl])
    table = agreement_table(three, segs, codes=["hedging"])
    presence = presence_table(three, segs, codes=["hedging"])
    pair_kappas = [
        quiet(cohen_kappa, presence[[a, b]]) for a, b in combinations(["ann", "bob", "carl"], 2)
    ]
    assert table.loc[0, "cohen_kappa"] == pytest.approx(np.mean(pair_kappas))
    assert table.loc[0, "coders"] == "ann, bob, carl"
    pairs = agreement_table(three, segs, codes=["hedging"], pairs=True)
    assert pairs[["coder_a", "coder_b"]].values.tolist()[:3] == [
        ["ann", "bob"],
        ["ann", "carl"],
        ["bob", "carl"],
    ]
    assert pairs["cohen_kappa"].iloc[:3].tolist() == pytest.approx(pair_kappas)
    assert len(pairs) == 6  # 3 pairs for the code, 3 pooled


def test_auto_coder_precision_recall_f1():
    segs = segments_table([("d", f"s{i}", "turn", 10 * i, 10 * i + 10, "t") for i in range(5)])
    cods = codings_table(
        [
            ("d", 0, 5, "c", "ann"),
            ("d", 10, 15, "c", "ann"),
            ("d", 20, 25, "c", "ann"),
            ("d", 0, 5, "c", "cmqual-auto"),
            ("d", 10, 15, "c", "cmqual-auto"),
            ("d", 30, 35, "c", "cmqual-auto"),
        ]
    )
    row = agreement_table(cods, segs).iloc[0]
    assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    pairs = agreement_table(cods, segs, pairs=True)
    assert pairs.loc[0, "precision"] == pytest.approx(2 / 3)
    bob = cods[cods["coder"] == "ann"].assign(coder="bob")
    three = pd.concat([cods, bob])
    assert "precision" not in agreement_table(three, segs).columns  # whose codings are gold?
    scored = agreement_table(three, segs, reference="bob").iloc[0]
    assert scored["recall"] == pytest.approx(2 / 3)
    with pytest.raises(ReliabilityError, match="reference"):
        agreement_table(three, segs, reference="cmqual-auto")


def test_agreement_table_ci_is_reproducible(interview):
    cods, segs = interview
    first = agreement_table(cods, segs, ci=True, n_boot=200, random_state=1)
    again = agreement_table(cods, segs, ci=True, n_boot=200, random_state=1)
    pd.testing.assert_frame_equal(first, again)
    assert {"ci_low", "ci_high"} <= set(first.columns)
    defined = first.dropna(subset=["ci_low"])
    assert (defined["ci_low"] <= defined["ci_high"]).all()
    subset = agreement_table(cods, segs, codes=["hedging"], ci=0.9, n_boot=200, random_state=1)
    assert (
        subset.loc[0, "ci_low"] != first.loc[0, "ci_low"]
        or subset.loc[0, "ci_high"] != (first.loc[0, "ci_high"])
    )


def test_agreement_table_character_level(interview):
    cods, segs = interview
    table = agreement_table(cods, segs, level="character", exclude_uncoded=True, ci=True, n_boot=50)
    lm = table.set_index("code").loc["power/line_management"]
    assert lm["n_units"] == 51 and lm["n_coded"] == 16
    assert lm["percent_agreement"] == pytest.approx(50 / 51)


# ---------------------------------------------------------------- disagreement tables


def test_disagreement_table_order_and_content(interview):
    cods, segs = interview
    more = pd.concat([cods, codings_table([("int1", 47, 50, "hedging", "ann")])])
    table = disagreement_table(more, segs)
    assert list(table.columns) == [
        "doc_id",
        "unit_id",
        "start",
        "end",
        "text",
        "n_disagreements",
        "disputed_codes",
        "ann",
        "bob",
    ]
    assert table["unit_id"].tolist() == ["int1-t3", "int1-t2"]
    first = table.iloc[0]
    assert first["n_disagreements"] == 2
    assert first["disputed_codes"] == "hedging; power/informal"
    assert (first["ann"], first["bob"]) == ("hedging", "power/informal")
    assert first["text"] == "A: Mostly, yes."
    everything = disagreement_table(more, segs, include_agreements=True)
    assert len(everything) == 5 and everything["n_disagreements"].is_monotonic_decreasing


def test_disagreement_table_documents(interview):
    cods, segs = interview
    table = disagreement_table(cods, segs, level="document")
    assert table["unit_id"].tolist() == ["int1"]
    with pytest.raises(ReliabilityError, match="level"):
        disagreement_table(cods, segs, level="character")


@pytest.mark.parametrize("suffix", [".csv", ".html", ".xlsx"])
def test_write_disagreements_is_atomic_and_deterministic(interview, tmp_path, suffix):
    if suffix == ".xlsx":
        openpyxl = pytest.importorskip("openpyxl")
    cods, segs = interview
    formula = codings_table([("int2", 0, 3, "=SUM(A1)", "ann")])
    table = disagreement_table(pd.concat([cods, formula]), segs)
    path = write_disagreements(table, tmp_path / f"disagreements{suffix}")
    first = path.read_bytes()
    write_disagreements(table, path)
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == [f"disagreements{suffix}"]
    if suffix == ".csv":
        back = pd.read_csv(path, keep_default_na=False)
        assert back["unit_id"].tolist() == table["unit_id"].tolist()
    elif suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).active
        values = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1))]
        assert values == list(table.columns)
        cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
        assert all(c.data_type != "f" for c in cells)
        assert any(c.value == "=SUM(A1)" for c in cells)
    else:
        assert first.startswith(b"<!DOCTYPE html>") and b"A: Mostly, yes." in first


def test_write_disagreements_rejects_unknown_formats(tmp_path):
    table = pd.DataFrame({"unit_id": ["s1"]})
    with pytest.raises(ReliabilityError, match=r"path.*\.csv"):
        write_disagreements(table, tmp_path / "out.docx")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_disagreements(table, tmp_path / "missing" / "out.csv")


# -------------------------------------------------------------------- documentation


@pytest.mark.parametrize(
    "module",
    ["_input", "_kernels", "metrics", "bootstrap", "presence", "agreement"],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"cmqual.reliability.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
