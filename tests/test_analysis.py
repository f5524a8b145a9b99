"""Tests of cmqual.analysis against a tiny hand-coded corpus (tests/data/analysis)."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import cmqual
from cmqual import analysis
from cmqual.errors import CmqualWarning, ConfigError

DATA = Path(__file__).resolve().parent / "data" / "analysis"
CORPUS_DIR = DATA / "corpus"

#: (doc_id, exact phrase, code, coder): every expected count below follows from these.
CODINGS = [
    ("a_mentor", "How is mentoring going this year?", "bk/mentoring", "ann"),
    ("a_mentor", "The workload is heavy.", "bk/workload/time", "ann"),
    ("a_mentor", "We have no time for mentoring at all.", "bk/workload/time", "ann"),
    ("a_mentor", "The funding was cut in March.", "bk/workload/funding", "ann"),
    ("a_mentor", "My manager decides everything.", "bk/power", "ann"),
    ("a_mentor", "I have no voice in it.", "bk/power/voice", "ann"),
    ("a_mentor", "These students are weak and lack motivation", "el/deficit_language", "ann"),
    ("b_trainee", "The workload is heavy and there is no time to plan.", "bk/workload/time",
     "ann"),
    ("b_trainee", "The head decides who gets a mentor.", "bk/power", "ann"),
    ("b_trainee", "Nobody asked us.", "bk/power/voice", "ann"),
    ("b_trainee", "Some pupils are vulnerable and fall behind.", "el/deficit_language", "ann"),
    ("c_lead", "More time for mentors.", "bk/workload/time", "ann"),
    ("c_lead", "The funding matters most.", "bk/workload/funding", "ann"),
    ("d_journal", "Mentoring went well this week.", "bk/mentoring", "ann"),
]


def load_corpus() -> cmqual.Corpus:
    return cmqual.read_corpus(CORPUS_DIR, attribute_types={"sector": "category"})


def make_codings(corpus, rows=CODINGS) -> pd.DataFrame:
    """A codings table (CODING_COLUMNS) with exact offsets found from phrases."""
    out = []
    for doc_id, phrase, code, coder in rows:
        text = corpus.texts[doc_id]
        start = text.index(phrase)
        out.append({"doc_id": doc_id, "doc": f"{doc_id}.txt", "segment_id": "",
                    "level": "sentence", "start": start, "end": start + len(phrase),
                    "text": phrase, "code": code, "pattern": "", "speaker": "",
                    "coder": coder, "codebook_hash": "h"})
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def codings(corpus):
    return make_codings(corpus)


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for k, v in where.items():
        mask &= (table[k] == v).to_numpy()
    assert mask.sum() == 1, (where, table)
    return table[mask].iloc[0]


# -- units ---------------------------------------------------------------------------------
def test_unit_table_joins_document_and_speaker_attributes(corpus):
    units = analysis.unit_table(corpus, "turn")
    assert len(units) == 11
    assert units["doc_id"].is_monotonic_increasing
    assert units.groupby("doc_id")["position"].apply(list)["a_mentor"] == [0, 1, 2, 3]
    assert set(units.loc[units["doc_id"] == "b_trainee", "sector"]) == {"HE"}
    assert units["n_words"].sum() == 125


def test_unit_must_be_a_level(corpus, codings):
    with pytest.raises(ConfigError, match="unit: expected one of turn, paragraph, sentence"):
        analysis.code_frequencies(codings, corpus, unit="page")


# -- frequencies ------------------------------------------------------------------------------
def test_code_frequencies_counts_hits_segments_documents_and_cases(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, unit="turn")
    assert freq["code"].tolist() == sorted(freq["code"])
    time_ = row(freq, code="bk/workload/time")
    assert (time_.hits, time_.segments, time_.documents, time_.cases) == (4, 3, 3, 3)
    assert time_.cases_total == 4 and time_.pct_cases == 75.0
    assert time_.words == 125
    assert time_.per_1000_words == pytest.approx(4 / 125 * 1000)
    # without rollup the parent is counted only for its own codings
    assert row(freq, code="bk/power").hits == 2
    assert "bk/workload" not in set(freq["code"])


def test_rollup_counts_codings_for_their_ancestors(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, unit="turn", rollup=True)
    work = row(freq, code="bk/workload")
    assert (work.hits, work.segments, work.documents) == (6, 3, 3)
    power = row(freq, code="bk/power")
    assert (power.hits, power.segments) == (4, 2)
    # the codebook id alone is not a code
    assert "bk" not in set(freq["code"])


def test_depth_truncates_codes(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, unit="turn", depth=2)
    assert freq["code"].tolist() == ["bk/mentoring", "bk/power", "bk/workload",
                                     "el/deficit_language"]
    assert row(freq, code="bk/workload").hits == 6


def test_identical_codings_count_once(corpus, codings):
    doubled = pd.concat([codings, codings.iloc[[1]]], ignore_index=True)
    a = analysis.code_frequencies(codings, corpus, unit="turn")
    b = analysis.code_frequencies(doubled, corpus, unit="turn")
    pd.testing.assert_frame_equal(a, b)


def test_sentence_units_count_each_sentence(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus)  # the codings' level: sentence
    assert row(freq, code="bk/workload/time").segments == 4


def test_frequencies_by_document_attribute(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, by="sector", unit="turn", depth=2)
    assert freq["sector"].drop_duplicates().tolist() == ["FE", "HE"]
    fe = row(freq, sector="FE", code="bk/workload")
    he = row(freq, sector="HE", code="bk/workload")
    assert (fe.hits, fe.segments, fe.cases, fe.cases_total, fe.words) == (5, 2, 2, 2, 73)
    assert (he.hits, he.cases, he.cases_total, he.words, he.pct_cases) == (1, 1, 2, 52, 50.0)
    # every code appears in every group, with zeros
    assert len(freq) == 2 * 4
    assert row(freq, sector="HE", code="bk/mentoring").hits == 1


def test_frequencies_by_speaker_role_use_the_speakers_words(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, by="speaker_role", unit="turn",
                                     codes=["bk/mentoring"])
    assert freq["speaker_role"].tolist() == ["(blank)", "interviewer", "participant"]
    assert freq["words"].tolist() == [15, 18, 92]
    assert freq["hits"].tolist() == [1, 1, 0]


def test_missing_and_numeric_attribute_values_sort_naturally(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, by="years", codes=["bk/power"])
    assert freq["years"].tolist() == ["2", "5", "11", "(missing)"]
    dates = analysis.code_frequencies(codings, corpus, by="interview_date", codes=["bk/power"])
    assert dates["interview_date"].tolist() == ["2024-01-15", "2024-02-10", "2024-03-01",
                                                "2024-04-20"]


def test_case_column_defines_cases(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, case="participant", unit="turn",
                                     depth=2)
    work = row(freq, code="bk/workload")
    assert (work.cases, work.cases_total) == (2, 3)  # p1 (two documents) and p2
    assert work.pct_cases == pytest.approx(200 / 3)


def test_filters_change_counts_and_denominators(corpus, codings):
    freq = analysis.code_frequencies(codings, corpus, roles=["participant"], unit="turn",
                                     codes=["bk/mentoring", "bk/power"])
    assert row(freq, code="bk/mentoring").hits == 0
    assert row(freq, code="bk/power").words == 92
    fe = analysis.code_frequencies(codings, corpus, where={"sector": "FE"}, unit="turn",
                                   codes=["bk/workload/funding"])
    assert (fe.hits.item(), fe.words.item(), fe.cases_total.item()) == (2, 73, 2)


def test_coder_filter_and_its_error(corpus, codings):
    two = pd.concat([codings, codings.assign(coder="bob").iloc[:3]], ignore_index=True)
    freq = analysis.code_frequencies(two, corpus, coders=["bob"], unit="turn")
    assert freq["hits"].sum() == 3
    with pytest.raises(ConfigError, match="no codings by 'eve'; coders present: ann, bob"):
        analysis.code_frequencies(two, corpus, coders=["eve"])


def test_unknown_attribute_lists_the_attributes(corpus, codings):
    with pytest.raises(ConfigError, match=r"by: no attribute 'region'.*sector"):
        analysis.code_frequencies(codings, corpus, by="region")


def test_missing_columns_are_named(corpus):
    with pytest.raises(ValueError, match=r"missing column.*code; columns present: doc_id"):
        analysis.code_frequencies(pd.DataFrame({"doc_id": ["a"], "start": [0], "end": [1]}),
                                  corpus)


def test_codings_of_unknown_documents_and_stale_text_warn(corpus, codings):
    extra = codings.iloc[[0]].assign(doc_id="zz")
    stale = codings.iloc[[1]].assign(text="something else")
    with pytest.warns(CmqualWarning, match="not in the corpus and are ignored: zz"):
        analysis.code_frequencies(pd.concat([codings, extra]), corpus)
    with pytest.warns(CmqualWarning, match="differs from the corpus"):
        analysis.code_frequencies(pd.concat([codings.iloc[2:], stale]), corpus)


def test_empty_codings_give_zero_rows_for_listed_codes(corpus, codings):
    freq = analysis.code_frequencies(codings.iloc[0:0], corpus, codes=["bk/power"])
    assert freq[["code", "hits", "cases", "cases_total"]].values.tolist() == [
        ["bk/power", 0, 0, 4]]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, len(CODINGS) - 1), min_size=0, max_size=20))
def test_frequencies_are_pure_and_consistent(corpus, codings, picks):
    sample = codings.iloc[picks].reset_index(drop=True)
    before = sample.copy()
    a = analysis.code_frequencies(sample, corpus, unit="turn", rollup=True)
    b = analysis.code_frequencies(sample, corpus, unit="turn", rollup=True)
    pd.testing.assert_frame_equal(sample, before)  # not mutated
    pd.testing.assert_frame_equal(a, b)  # deterministic
    distinct = sample.drop_duplicates(["doc_id", "start", "end", "code"])
    leaf = analysis.code_frequencies(sample, corpus, unit="turn")
    assert leaf["hits"].sum() == len(distinct)
    assert (a["segments"] <= a["hits"]).all() and (a["cases"] <= a["cases_total"]).all()


# -- matrix coding and tests --------------------------------------------------------------
def test_matrix_coding_percentages(corpus, codings):
    m = analysis.matrix_coding(codings, corpus, "sector", unit="turn", depth=2)
    assert list(m.columns[:3]) == ["code", "sector", "count"]
    work = m[m["code"] == "bk/workload"]
    assert work["count"].tolist() == [2, 1]
    assert work["row_pct"].tolist() == pytest.approx([200 / 3, 100 / 3])
    for _, group in m.groupby("code"):
        assert group["row_pct"].sum() == pytest.approx(100.0)
    for _, group in m.groupby("sector"):
        assert group["col_pct"].sum() == pytest.approx(100.0)
    with pytest.raises(ConfigError, match="count: expected one of"):
        analysis.matrix_coding(codings, corpus, "sector", count="words")


def fake_corpus(groups: dict[str, int], timestamps: bool = False) -> SimpleNamespace:
    """One document per case, each a single participant turn of ten words."""
    docs, segs = [], []
    for group, n in groups.items():
        for i in range(n):
            doc_id = f"{group}{i:02d}"
            text = "word " * 9 + "end"
            docs.append({"doc_id": doc_id, "doc": doc_id, "n_words": 10, "n_turns": 1,
                         "group": group})
            for level in ("turn", "paragraph", "sentence"):
                segs.append({"doc_id": doc_id, "doc": doc_id, "segment_id": f"{doc_id}-{level}",
                             "level": level, "start": 0, "end": len(text), "speaker": "P",
                             "speaker_role": "participant",
                             "timestamp": 3723.0 if timestamps else np.nan,
                             "timestamp_end": np.nan, "turn": 0, "paragraph": 0,
                             "text": text, "n_words": 10})
    documents = pd.DataFrame(docs)
    texts = {d["doc_id"]: "word " * 9 + "end" for d in docs}
    return SimpleNamespace(name="fake", documents=documents, segments=pd.DataFrame(segs),
                           speakers=pd.DataFrame(columns=["doc_id", "speaker", "speaker_role",
                                                          "n_turns", "n_words"]),
                           texts=texts, attribute_types={"group": "category"})


def coded(corpus, present: dict[str, int], code: str = "bk/x") -> pd.DataFrame:
    rows = []
    for group, n in present.items():
        for i in range(n):
            rows.append({"doc_id": f"{group}{i:02d}", "start": 0, "end": 4, "code": code,
                         "coder": "ann"})
    return pd.DataFrame(rows)


def test_chi_square_when_expected_counts_allow():
    corpus = fake_corpus({"a": 20, "b": 20})
    codings = coded(corpus, {"a": 15, "b": 5})
    t = analysis.association_tests(codings, corpus, "group")
    r = t.iloc[0]
    chi2, p, dof, _ = stats.chi2_contingency([[15, 5], [5, 15]])
    assert r.test == "chi-square" and r.dof == dof
    assert r.statistic == pytest.approx(chi2) and r.p_value == pytest.approx(p)
    assert r.cramers_v == pytest.approx(np.sqrt(chi2 / 40))
    assert r.min_expected == 10.0 and r.note == ""


def test_fisher_for_small_two_by_two():
    corpus = fake_corpus({"a": 6, "b": 6})
    t = analysis.association_tests(coded(corpus, {"a": 5, "b": 1}), corpus, "group")
    r = t.iloc[0]
    res = stats.fisher_exact([[5, 1], [1, 5]])
    assert r.test == "fisher"
    assert r.p_value == pytest.approx(res.pvalue)
    assert r.statistic == pytest.approx(res.statistic)


def test_no_test_with_a_reason():
    corpus = fake_corpus({"a": 3, "b": 3, "c": 3})
    t = analysis.association_tests(coded(corpus, {"a": 2, "b": 1}), corpus, "group")
    assert t.iloc[0].test == "" and "too few cases for 3 groups" in t.iloc[0].note
    everywhere = analysis.association_tests(coded(corpus, {"a": 3, "b": 3, "c": 3}), corpus,
                                            "group")
    assert everywhere.iloc[0].note == "the code is present in every case"


def test_no_test_when_cases_span_groups(corpus, codings):
    t = analysis.association_tests(codings, corpus, "speaker_role", depth=2)
    assert (t["test"] == "").all()
    assert t["note"].str.contains("more than one speaker_role group").all()


# -- co-occurrence ----------------------------------------------------------------------------
def test_cooccurrence_same_segment(corpus, codings):
    co = analysis.cooccurrence(codings, corpus, unit="turn", depth=2)
    assert co[["code_a", "code_b", "n_a", "n_b", "count", "jaccard"]].values.tolist() == [
        ["bk/power", "el/deficit_language", 2, 2, 2, 1.0]]
    every = analysis.cooccurrence(codings, corpus, unit="turn", depth=2, min_count=0)
    assert len(every) == 6


def test_cooccurrence_within_a_window(corpus, codings):
    co = analysis.cooccurrence(codings, corpus, unit="turn", depth=2, window=1)
    got = {(r.code_a, r.code_b): (r.count, r.jaccard) for r in co.itertuples()}
    assert got[("bk/mentoring", "bk/workload")] == (2, pytest.approx(0.4))
    assert got[("bk/power", "bk/workload")] == (2, pytest.approx(0.4))
    assert got[("bk/power", "el/deficit_language")] == (2, 1.0)
    assert ("bk/mentoring", "bk/power") not in got
    with pytest.raises(ConfigError, match="window: expected a whole number >= 0"):
        analysis.cooccurrence(codings, corpus, window=-1)


def test_presence_matrix(corpus, codings):
    pm = analysis.presence_matrix(codings, corpus, unit="turn", depth=2)
    assert pm.shape == (11, 4)
    assert pm.sum().to_dict() == {"bk/mentoring": 2, "bk/power": 2, "bk/workload": 3,
                                  "el/deficit_language": 2}


# -- retrieval --------------------------------------------------------------------------------
def test_parse_query_precedence_and_round_trip():
    q = analysis.parse_query("a OR b AND NOT c")
    assert isinstance(q, analysis.Or)
    assert str(q) == "a OR b AND NOT c"
    assert str(analysis.parse_query("(a OR b) and not (c or d)")) == \
        "(a OR b) AND NOT (c OR d)"
    assert analysis.parse_query('"odd code" & !x') == \
        analysis.And((analysis.Term("odd code"), analysis.Not(analysis.Term("x"))))
    structured = analysis.Term("a") & ~analysis.Term("b")
    assert str(structured) == "a AND NOT b"


@pytest.mark.parametrize(("text", "fragment"), [
    ("a b", "'b': expected AND or OR before it at position 3"),
    ("a AND", "ends too early"),
    ("(a OR b", "'(' is never closed"),
    ("a)", "unmatched ')'"),
    ("", "is empty"),
    ('"open', "unclosed quote"),
])
def test_parse_query_errors_show_where(text, fragment):
    with pytest.raises(ConfigError, match=None) as info:
        analysis.parse_query(text)
    assert fragment in str(info.value)


def test_retrieve_boolean_queries(corpus, codings):
    none = analysis.retrieve(codings, corpus, "bk/power AND NOT el/deficit_language",
                             unit="turn")
    assert none.empty
    one = analysis.retrieve(codings, corpus, "bk/workload AND NOT bk/workload/funding",
                            unit="turn")
    assert one["doc_id"].tolist() == ["b_trainee"]
    assert one["codes"].item() == "bk/workload/time"
    r = one.iloc[0]
    assert corpus.texts[r.doc_id][r.start:r.end] == r.text
    assert r.citation == "b_trainee, Ben, para. 2"
    either = analysis.retrieve(codings, corpus, "bk/workload OR bk/mentoring", unit="turn")
    assert len(either) == 5
    rest = analysis.retrieve(codings, corpus, "NOT bk/workload", unit="turn",
                             roles=["participant"])
    assert rest["text"].str.startswith(("My manager", "The head")).all() and len(rest) == 2
    fe = analysis.retrieve(codings, corpus, "bk/workload", unit="turn", where={"sector": "FE"})
    assert set(fe["doc_id"]) == {"a_mentor", "c_lead"}


def test_retrieve_by_coder(corpus, codings):
    two = pd.concat([codings, codings.iloc[[4]].assign(coder="bob")], ignore_index=True)
    got = analysis.retrieve(two, corpus, "bk/power", unit="turn", coders=["bob"])
    assert len(got) == 1 and got["coders"].item() == "bob"


# -- words ------------------------------------------------------------------------------------
def test_kwic_offsets_and_context(corpus):
    k = analysis.kwic(corpus, "mentor*", mode="glob", window=3)
    assert len(k) == 6
    for r in k.itertuples():
        assert corpus.texts[r.doc_id][r.start:r.end] == r.keyword
    first = k.iloc[1]
    assert (first.left, first.keyword, first.right) == ("no time for", "mentoring",
                                                         "at all. The")
    assert analysis.kwic(corpus, "mentoring", case_sensitive=True)["doc_id"].tolist() == [
        "a_mentor", "a_mentor"]


def test_kwic_phrases_apostrophes_and_regex(corpus):
    curly = analysis.kwic(corpus, "students’ fault")
    assert curly["keyword"].tolist() == ["students' fault"]
    assert curly["citation"].item() == "c_lead, Cat, para. 2"
    rx = analysis.kwic(corpus, r"\bfund\w+", mode="regex", window=0)
    assert rx["keyword"].tolist() == ["funding", "funding"]
    assert rx["left"].tolist() == ["", ""]
    assert analysis.kwic(corpus, "time", roles=["interviewer"]).empty
    with pytest.raises(ConfigError, match="mode: expected 'fixed', 'glob' or 'regex'"):
        analysis.kwic(corpus, "x", mode="fuzzy")
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        analysis.kwic(corpus, "(", mode="regex")


def test_stop_words_cover_sklearn_and_fillers():
    assert {"the", "and", "um", "yeah", "like", "don't"} <= analysis.STOP_WORDS
    assert analysis.tokens("It’s a hard-to-reach group") == ["it's", "a", "hard-to-reach",
                                                            "group"]


def test_word_frequencies(corpus, codings):
    wf = analysis.word_frequencies(corpus)
    top = wf.set_index("word")
    assert top.loc["workload", "count"] == 2
    assert "the" not in top.index and "um" not in top.index
    assert top.loc["workload", "per_1000_words"] == pytest.approx(2 / 125 * 1000)
    assert wf["rank"].tolist() == list(range(1, len(wf) + 1))
    by = analysis.word_frequencies(corpus, by="sector", top=2)
    assert by.groupby("sector").size().tolist() == [2, 2]
    coded_words = analysis.word_frequencies(corpus, codings=codings, query="bk/power",
                                            unit="turn")
    assert {"manager", "decides", "head"} <= set(coded_words["word"])
    assert "workload" not in set(coded_words["word"])


def test_collocations_match_nltk_and_stay_within_segments(corpus):
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

    co = analysis.collocations(corpus, min_count=2, top=None)
    pair = co[(co["word_1"] == "workload") & (co["word_2"] == "heavy")]
    assert pair.empty  # "workload is heavy": "is" sits between them
    wide = analysis.collocations(corpus, min_count=2, window=3, top=None)
    hit = wide[(wide["word_1"] == "workload") & (wide["word_2"] == "heavy")].iloc[0]
    words = []
    for text in analysis.unit_table(corpus, "turn")["text"]:
        words += [*analysis.tokens(text), None, None]
    finder = BigramCollocationFinder.from_words(words, window_size=3)
    assert hit["count"] == 2
    expected = dict(finder.score_ngrams(BigramAssocMeasures.likelihood_ratio))
    assert hit["score"] == pytest.approx(expected[("workload", "heavy")])
    with pytest.raises(ConfigError, match="measure: expected one of"):
        analysis.collocations(corpus, measure="dice")


# -- quotes -----------------------------------------------------------------------------------
def test_exemplar_quotes_are_exact_and_spread(corpus, codings):
    q = analysis.exemplar_quotes(codings, corpus, depth=2, n=2, min_words=1)
    assert q.groupby("code").size().max() <= 2
    for r in q.itertuples():
        assert corpus.texts[r.doc_id][r.start:r.end] == r.quote
        assert 0.0 <= r.score <= 1.0
    work = q[q["code"] == "bk/workload"]
    assert work["doc_id"].nunique() == 2  # one per document before a second from the same
    deficit = q[q["code"] == "el/deficit_language"].iloc[0]
    assert deficit.citation.startswith(deficit.doc_id + ", ")
    # participants' words come first: the interviewer's question only as a second quote
    assert set(q.loc[q["rank"] == 1, "speaker_role"]) <= {"participant", ""}


def test_exemplar_quotes_drop_overlaps_and_near_duplicates(corpus, codings):
    twice = pd.concat([codings, codings.assign(coder="bob")], ignore_index=True)
    q = analysis.exemplar_quotes(twice, corpus, codes=["bk/workload/funding"], n=5,
                                 min_words=1)
    assert len(q) == 2  # the same spans by two coders are one quote each
    inner = make_codings(corpus, [("a_mentor", "workload is heavy.", "bk/workload/time", "x")])
    q = analysis.exemplar_quotes(pd.concat([codings, inner]), corpus,
                                 codes=["bk/workload/time"], n=9, min_words=1)
    assert len(q) == 4  # five spans, two of them overlapping: four quotes


def test_quote_citation_uses_timestamps():
    corpus = fake_corpus({"a": 1}, timestamps=True)
    q = analysis.exemplar_quotes(coded(corpus, {"a": 1}), corpus, min_words=1)
    assert q["citation"].item() == "a00, P, 01:02:03"
    assert analysis.format_timestamp(float("nan")) == ""


def test_quote_unit_quotes_the_whole_segment(corpus, codings):
    q = analysis.exemplar_quotes(codings, corpus, codes=["bk/power/voice"], unit="turn", n=1)
    assert q["quote"].item().startswith(("My manager", "The head"))


# -- saturation -------------------------------------------------------------------------------
def test_saturation_by_attribute_order(corpus, codings):
    sat = analysis.saturation(codings, corpus, order="interview_date")
    assert sat["doc_id"].tolist() == ["b_trainee", "c_lead", "a_mentor", "d_journal"]
    assert sat["new_codes"].tolist() == [4, 1, 1, 0]
    assert sat["cumulative_codes"].tolist() == [4, 5, 6, 6]
    assert sat["saturated"].tolist() == [False, False, False, True]
    assert sat["new_code_list"].iloc[1] == "bk/workload/funding"
    assert sat["order_value"].iloc[0] == "2024-01-15"


def test_saturation_given_order_and_errors(corpus, codings):
    sat = analysis.saturation(codings, corpus, order=["d_journal", "a_mentor"], depth=2)
    assert sat["cumulative_codes"].tolist() == [1, 4]
    assert not sat["saturated"].any()
    with pytest.raises(ConfigError, match="not in the corpus: zz; listed twice: a_mentor"):
        analysis.saturation(codings, corpus, order=["a_mentor", "a_mentor", "zz"])
    with pytest.raises(ConfigError, match="no document attribute 'when'"):
        analysis.saturation(codings, corpus, order="when")


# -- deficit framing --------------------------------------------------------------------------
def test_deficit_profile(corpus, codings):
    p = analysis.deficit_profile(codings, corpus, code="el/deficit_language", unit="turn")
    overall = p[p["case"] == "(all)"].set_index("speaker_role")
    assert overall.loc["participant", "hits"] == 2
    assert overall.loc["participant", "per_1000_words"] == pytest.approx(2 / 92 * 1000)
    assert overall.loc["interviewer", "hits"] == 0
    a = p[(p["case"] == "a_mentor") & (p["speaker_role"] == "participant")].iloc[0]
    assert (a.hits, a.words) == (1, 45)


def test_deficit_challenges_use_markers(corpus, codings):
    ch = analysis.deficit_challenges(codings, corpus, code="el/deficit_language")
    assert ch["doc_id"].tolist() == ["a_mentor"]
    assert ch["markers"].item() == "push back; I'd push back"
    r = ch.iloc[0]
    assert corpus.texts[r.doc_id][r.marker_start:r.marker_end] == "I'd push back"
    custom = analysis.deficit_challenges(codings, corpus, code="el/deficit_language",
                                         markers=["vulnerable"])
    assert custom["doc_id"].tolist() == ["b_trainee"]
    with pytest.raises(ConfigError, match="markers: expected a non-empty list"):
        analysis.deficit_challenges(codings, corpus, markers="deficit")


def test_default_deficit_code_and_markers():
    assert analysis.DEFICIT_CODE == "equity-lens/deficit_language"
    assert {"deficit", "not the students' fault", "reframe", "strengths",
            "it's the system"} <= set(analysis.CHALLENGE_MARKERS)


def test_no_warnings_for_clean_input(corpus, codings):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis.code_frequencies(codings, corpus, by="sector")
        analysis.exemplar_quotes(codings, corpus)
