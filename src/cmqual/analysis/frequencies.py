"""How prevalent is each code, overall and for whom: frequencies, matrix coding, tests.

Counting rules (see :mod:`cmqual.analysis._scope`):

``hits``
    codings, each counted once (identical spans of one code by one coder count once);
    a coding lies in the group of the first unit it overlaps.
``segments``
    units (segments of the chosen level, turns by default) a code overlaps.
``documents``, ``cases``
    distinct documents and cases with at least one coded unit. A case is a document
    unless ``case`` names a column (a participant id, a school, a speaker attribute).
``words``
    words of the group's units (the denominator of ``per_1000_words``), counted with
    :func:`cmqual.text.count_words` like everywhere in cmqual.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cmqual.analysis._scope import (
    CorpusLike,
    Scope,
    Where,
    as_case,
    as_list,
    check_columns,
    group_labels,
    infer_unit,
    place,
    sort_by_labels,
    unit_table,
)
from cmqual.errors import ConfigError

__all__ = ["association_tests", "code_frequencies", "matrix_coding"]

_COUNTS = ("hits", "segments", "documents", "cases")


def code_frequencies(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    by: str | Sequence[str] | None = None,
    case: str | None = None,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    documents: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """Prevalence of each code: hits, coded segments, documents, cases, rate per 1,000 words.

    Parameters
    ----------
    codings : DataFrame
        Codings (:data:`cmqual.tables.CODING_COLUMNS`; ``doc_id``, ``start``, ``end`` and
        ``code`` are required, ``coder`` is used when present).
    corpus : Corpus
        The corpus the codings point into.
    by : str or list of str, optional
        Document attributes (``metadata.csv`` columns), speaker attributes
        (``speaker_role``, ``speaker``, ``speakers.csv`` columns) or ``doc_id`` to group by.
    case : str, optional
        Column whose values are the cases (default: each document is a case).
    unit : {"turn", "paragraph", "sentence"}, optional
        What a "segment" is; default: the codings' level when they have one, else turn.
    codes : list of str, optional
        Report these codes only (with zero rows for codes never applied).
    rollup : bool
        Count every coding also for its ancestors (``book/a/b`` counts for ``book/a``).
    depth : int, optional
        Truncate codes to this many path components first (2 = codebook id and top code).
    coders, roles, speakers, documents : list of str, optional
        Keep only codings by these coders, and units spoken by speakers with these roles
        (``interviewer``, ``participant``), by these speaker labels, in these documents.
        The filters change the denominators too (words and cases of the units kept).
    where : dict, optional
        Keep only units whose attribute has one of the given values,
        e.g. ``{"sector": ["FE", "HE"]}``.

    Returns
    -------
    DataFrame
        One row per group and code (every code in every group, zeros included), sorted by
        group (natural order of the values) and code. Columns: the ``by`` columns (text
        labels, ``"(missing)"`` for missing values), ``code``, ``hits``, ``segments``,
        ``documents``, ``cases`` (int64), ``cases_total`` (cases in the group), ``pct_cases``
        (100 × cases / cases_total), ``words`` (words in the group), ``per_1000_words``
        (1000 × hits / words; NaN when the group has no words).

    Examples
    --------
    >>> freq = code_frequencies(codings, corpus, by="sector", rollup=True)  # doctest: +SKIP
    >>> freq[freq["code"] == "scoping-study/power"]                          # doctest: +SKIP
    """
    by_cols = as_list(by, "by")
    unit = infer_unit(codings, unit)
    scope = Scope.make(coders=coders, roles=roles, speakers=speakers, documents=documents,
                       where=where)
    placed = place(codings, corpus, unit=unit, scope=scope, codes=codes, depth=depth,
                   rollup=rollup)
    units = placed.units
    check_columns(units, by_cols, "by")
    if case is not None:
        check_columns(units, [case], "case")
    glabels, orders = group_labels(units, by_cols)
    keyed = glabels.assign(case=as_case(units, case), doc_id=units["doc_id"].astype(str),
                           n_words=units["n_words"].astype("int64"))
    if by_cols:
        totals = (keyed.groupby(by_cols, sort=False, dropna=False)
                  .agg(cases_total=("case", "nunique"), words=("n_words", "sum"))
                  .reset_index())
    else:
        totals = pd.DataFrame({"cases_total": [int(keyed["case"].nunique())],
                               "words": [int(keyed["n_words"].sum())]})
    inc = placed.incidence.join(keyed, on="unit")
    code_list = sorted(set(inc["code"]) | {str(c).strip("/") for c in (codes or ())})
    keys = [*by_cols, "code"]
    if inc.empty:
        counts = pd.DataFrame({c: pd.Series([], dtype="string" if c in keys else "int64")
                               for c in [*keys, *_COUNTS]})
    else:
        hits = inc[inc["first"]].groupby(keys, dropna=False).size().rename("hits")
        per_unit = inc.drop_duplicates(["unit", "code"])
        grouped = per_unit.groupby(keys, dropna=False)
        counts = pd.concat([hits, grouped.size().rename("segments"),
                            grouped["doc_id"].nunique().rename("documents"),
                            grouped["case"].nunique().rename("cases")], axis=1).reset_index()
    grid = totals.merge(pd.DataFrame({"code": pd.Series(code_list, dtype="string")}),
                        how="cross")
    counts = counts.astype({k: "string" for k in keys})
    grid = grid.astype({k: "string" for k in keys})
    out = grid.merge(counts, on=keys, how="left")
    for col in _COUNTS:
        out[col] = out[col].fillna(0).astype("int64")
    out["cases_total"] = out["cases_total"].astype("int64")
    out["words"] = out["words"].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_cases"] = np.where(out["cases_total"] > 0,
                                    100.0 * out["cases"] / out["cases_total"].clip(lower=1),
                                    np.nan)
        out["per_1000_words"] = np.where(out["words"] > 0,
                                         1000.0 * out["hits"] / out["words"].clip(lower=1),
                                         np.nan)
    columns = [*by_cols, "code", *_COUNTS, "cases_total", "pct_cases", "words",
               "per_1000_words"]
    out = out[columns].astype({c: "string" for c in [*by_cols, "code"]})
    return sort_by_labels(out, orders, then=["code"])


def matrix_coding(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    by: str,
    *,
    count: str = "segments",
    case: str | None = None,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """Codes × values of one attribute: counts, row and column percentages, rates.

    Parameters
    ----------
    codings, corpus, case, unit, codes, rollup, depth, coders, roles, where
        As for :func:`code_frequencies`.
    by : str
        The attribute whose values are the columns of the matrix.
    count : {"segments", "hits", "documents", "cases"}
        Which count fills the cells (and the percentages).

    Returns
    -------
    DataFrame
        Long form, one row per code and value (sorted by code, then value in natural
        order). Columns: ``code``, ``<by>`` (text label), ``count`` (the chosen count),
        ``row_pct`` (100 × count / the code's total over all values), ``col_pct``
        (100 × count / the value's total over all codes; codes may overlap, so this is a
        share of codings, not of segments), ``cases``, ``cases_total``, ``pct_cases``,
        ``words``, ``per_1000_words`` (1000 × hits / words). Percentages of a zero total
        are NaN. Pivot it for display:
        ``m.pivot(index="code", columns=by, values="row_pct")``.

    Examples
    --------
    >>> m = matrix_coding(codings, corpus, "sector", rollup=True, depth=2)  # doctest: +SKIP
    >>> m.pivot(index="code", columns="sector", values="count")            # doctest: +SKIP
    """
    if count not in _COUNTS:
        raise ConfigError(f"count: expected one of {', '.join(_COUNTS)}; got {count!r}")
    if not isinstance(by, str):
        raise ConfigError(f"by: expected one attribute name; got {by!r}")
    freq = code_frequencies(codings, corpus, by=by, case=case, unit=unit, codes=codes,
                            rollup=rollup, depth=depth, coders=coders, roles=roles,
                            where=where)
    order = list(dict.fromkeys(freq[by].tolist()))
    out = freq.assign(count=freq[count])
    row_tot = out.groupby("code")["count"].transform("sum")
    col_tot = out.groupby(by)["count"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["row_pct"] = np.where(row_tot > 0, 100.0 * out["count"] / row_tot.clip(lower=1),
                                  np.nan)
        out["col_pct"] = np.where(col_tot > 0, 100.0 * out["count"] / col_tot.clip(lower=1),
                                  np.nan)
    out = out[["code", by, "count", "row_pct", "col_pct", "cases", "cases_total",
               "pct_cases", "words", "per_1000_words"]]
    rank = {v: i for i, v in enumerate(order)}
    out = out.assign(_r=out[by].map(rank)).sort_values(["code", "_r"], kind="stable")
    return out.drop(columns="_r").reset_index(drop=True)


def association_tests(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    by: str,
    *,
    case: str | None = None,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    rollup: bool = False,
    depth: int | None = None,
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    where: Where | None = None,
    min_expected: float = 5.0,
) -> pd.DataFrame:
    """Is each code's presence in a case associated with an attribute? One test per code.

    For every code, a table of cases *with* and *without* the code in each group of
    ``by`` is tested:

    * chi-square test of independence (Pearson; Yates' continuity correction for 2 × 2,
      as :func:`scipy.stats.chi2_contingency` does) when every expected count is at
      least ``min_expected`` (Cochran's rule);
    * otherwise, for a 2 × 2 table, Fisher's exact test (two-sided);
    * otherwise no test, with a note saying why (too few cases for the number of groups).

    Cases, not segments, are the units of the test, since segments of one interview are
    not independent; a case must fall in exactly one group (so ``by`` should be a case
    attribute such as a ``metadata.csv`` column, not ``speaker_role`` when cases are
    documents). No correction for multiple testing is made; a p-value from exploratory
    counts is a pointer for the analyst, not a finding.

    Parameters
    ----------
    codings, corpus, by, case, unit, codes, rollup, depth, coders, roles, where
        As for :func:`matrix_coding`.
    min_expected : float
        Smallest expected count for the chi-square test (default 5).

    Returns
    -------
    DataFrame
        One row per code, sorted by code. Columns: ``code``, ``test`` (``"chi-square"``,
        ``"fisher"`` or ``""``), ``statistic`` (chi-square, or the odds ratio for
        Fisher), ``dof``, ``p_value``, ``cramers_v`` (chi-square only), ``n_cases``,
        ``n_groups`` (groups with cases), ``min_expected`` (smallest expected count),
        ``note`` (why no test was run, or ""). Missing values are NaN.

    Examples
    --------
    >>> association_tests(codings, corpus, "sector", depth=2)  # doctest: +SKIP
    """
    from scipy import stats
    from scipy.stats.contingency import expected_freq

    freq = code_frequencies(codings, corpus, by=by, case=case, unit=unit, codes=codes,
                            rollup=rollup, depth=depth, coders=coders, roles=roles,
                            where=where)
    # check that each case lies in one group: the test assumes independent cases
    scope = Scope.make(coders=coders, roles=roles, where=where)
    units = scope.filter_units(unit_table(corpus, infer_unit(codings, unit)))
    glabels, _ = group_labels(units, [by])
    per_case = pd.DataFrame({"case": as_case(units, case), "g": glabels[by]}).dropna()
    shared = per_case.drop_duplicates().groupby("case")["g"].nunique()
    overlap = int((shared > 1).sum())
    rows = []
    for code, tab in freq.groupby("code", sort=True):
        tab = tab[tab["cases_total"] > 0]
        with_code = tab["cases"].to_numpy(np.int64)
        without = (tab["cases_total"] - tab["cases"]).to_numpy(np.int64)
        table = np.column_stack([with_code, without])
        row = {"code": code, "test": "", "statistic": math.nan, "dof": math.nan,
               "p_value": math.nan, "cramers_v": math.nan, "n_cases": int(table.sum()),
               "n_groups": len(tab), "min_expected": math.nan, "note": ""}
        if overlap:
            row["note"] = (f"{overlap} case(s) fall in more than one {by} group; the test "
                           "needs each case in one group")
        elif len(tab) < 2:
            row["note"] = f"fewer than two {by} groups with cases"
        elif with_code.sum() == 0 or without.sum() == 0:
            row["note"] = ("the code is present in every case" if without.sum() == 0 else
                           "the code is present in no case")
        else:
            expected = expected_freq(table)
            row["min_expected"] = float(expected.min())
            if expected.min() >= min_expected:
                chi2, p, dof, _ = stats.chi2_contingency(table)
                n = table.sum()
                k = min(table.shape) - 1
                row.update(test="chi-square", statistic=float(chi2), dof=float(dof),
                           p_value=float(p), cramers_v=float(math.sqrt(chi2 / (n * k))))
            elif table.shape == (2, 2):
                res = stats.fisher_exact(table)
                row.update(test="fisher", statistic=float(res.statistic),
                           p_value=float(res.pvalue))
            else:
                n_small = int((expected < min_expected).sum())
                row["note"] = (f"{n_small} of {expected.size} expected counts are below "
                               f"{min_expected:g} and the table is larger than 2 × 2: too few "
                               f"cases for {len(tab)} groups (merge groups for a test)")
        rows.append(row)
    columns = ["code", "test", "statistic", "dof", "p_value", "cramers_v", "n_cases",
               "n_groups", "min_expected", "note"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"code": "string", "test": "string", "note": "string",
                       "n_cases": "int64", "n_groups": "int64", "statistic": "float64",
                       "dof": "float64", "p_value": "float64", "cramers_v": "float64",
                       "min_expected": "float64"})

