"""Code suggestions learned from a coder's own coding (cmqual.suggest) and ``cmqual suggest``.

The fixture project (tests/data/suggest) has six coaching interviews; alice coded the first
four, so the last two are left for suggestions.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cmqual.cli import main
from cmqual.errors import ConfigError, ProjectError
from cmqual.io.qdpx import export_qdpx
from cmqual.project import init_project, open_project
from cmqual.suggest import (
    CURVE_COLUMNS,
    EVALUATION_COLUMNS,
    METHODS,
    MODEL_COLUMNS,
    SUGGESTION_COLUMNS,
    Suggestions,
    evaluate,
    plot_learning_curve,
    read_record,
    read_suggestions,
    suggest,
    suggester,
    uncertainty_queue,
)
from cmqual.widget import CodingSession
from conftest import copy_project_data

DATA = Path(__file__).resolve().parent / "data" / "suggest"
GOALS, FEEDBACK = "coaching/goals", "coaching/feedback"
WELLBEING, WORKLOAD = "coaching/wellbeing", "coaching/wellbeing/workload"
HUMAN = ["human", "suggestion-accepted"]


@pytest.fixture
def folder(tmp_path):
    return copy_project_data(DATA, tmp_path)


@pytest.fixture
def project(folder):
    with init_project(folder / "project", folder / "corpus", [folder / "codebook.yaml"]) as p:
        p.import_quotes(pd.read_csv(DATA / "codings.csv"))
        yield p


def _alice_segments(project, prefix: str = "") -> set[str]:
    table = project.codings(coder="alice", include_auto=False, level="turn")
    return set(table.loc[table["code"].str.startswith(prefix), "segment_id"].astype(str))


def _human_rows(project) -> pd.DataFrame:
    return project.store.codings_frame(origins=HUMAN)


# -- training and suggesting -----------------------------------------------------------------
def test_codes_below_the_minimum_are_reported_not_trained(project):
    result = suggest(project, "alice", store=False)
    models = result.models.set_index("code")
    assert list(result.models.columns) == list(MODEL_COLUMNS)
    assert sorted(models.index) == [FEEDBACK, GOALS, WELLBEING, WORKLOAD]
    assert models.loc[WORKLOAD, "status"] == "too few positives (6 < 10)"
    assert models.loc[WORKLOAD, "n_suggested"] == 0 and models.loc[WORKLOAD, "model"] == ""
    for code in (GOALS, FEEDBACK, WELLBEING):
        assert models.loc[code, "status"] == "trained"
        assert len(models.loc[code, "model"]) == 12
    assert set(result.suggestions["code"]) <= {GOALS, FEEDBACK, WELLBEING}
    assert "too few positives (6 < 10)" in str(result)
    with_lower_bar = suggest(project, "alice", [WORKLOAD], min_positives=5, store=False)
    assert with_lower_bar.models["status"].tolist() == ["trained"]


def test_a_parent_code_learns_from_its_descendants_codings(project):
    models = suggest(project, "alice", store=False).models.set_index("code")
    assert models.loc[WELLBEING, "n_positive"] == len(_alice_segments(project, WELLBEING))
    assert models.loc[WELLBEING, "n_positive"] > len(
        _alice_segments(project, WELLBEING)) - len(_alice_segments(project, WORKLOAD))
    participant_turns = 17 * 4 + 2  # p01 to p04, alice's negatives are the rest of them
    assert models.loc[GOALS, "n_positive"] + models.loc[GOALS, "n_negative"] == (
        participant_turns)


def test_suggestions_go_to_segments_the_coder_has_not_coded(project):
    result = suggest(project, "alice", threshold=0.0, store=False)
    table = result.suggestions
    assert list(table.columns) == list(SUGGESTION_COLUMNS)
    assert not set(table["segment_id"]) & _alice_segments(project)
    turns = project.corpus.segments_at("turn")
    uncoded = turns[(turns["speaker_role"] != "interviewer")
                    & ~turns["segment_id"].isin(_alice_segments(project))]
    assert len(table) == 3 * len(uncoded)  # threshold 0: every target, every trained code
    assert table["confidence"].between(0, 1).all()
    strict = suggest(project, "alice", threshold=0.9, store=False).suggestions
    assert (strict["confidence"] >= 0.9).all() and len(strict) < len(table)


def test_the_learned_codes_are_the_right_ones_on_new_interviews(project):
    table = suggest(project, "alice", store=False).suggestions
    lena = table[table["doc_id"] == "p05_lena"]
    goals = lena.loc[lena["code"] == GOALS, "text"].str.cat(sep=" ")
    assert "target" in goals and "goal" in goals
    assert "photocopier" not in table["text"].str.cat(sep=" ")


def test_suggestions_are_stored_apart_from_human_codings(project):
    before = _human_rows(project)
    result = suggest(project, "alice")
    pd.testing.assert_frame_equal(_human_rows(project), before)
    assert result.stored
    stored = project.store.codings_frame(origins=["suggestion"])
    assert len(stored) == len(result.suggestions) > 0
    assert set(stored["coder"]) == {suggester("alice")} == {"cmqual-suggest:alice"}
    assert set(stored["level"]) == {"turn"}
    assert stored["pattern"].str.fullmatch(r"learned model [0-9a-f]{12}, confidence "
                                           r"[0-9.]+").all()
    human_view = project.codings(include_auto=False)
    assert "suggestion" not in set(human_view["origin"])
    assert suggester("alice") not in set(human_view["coder"])
    back = read_suggestions(project, "alice")
    merged = back.merge(result.suggestions, on=["doc_id", "start", "end", "code"])
    assert len(merged) == len(result.suggestions)
    assert np.allclose(merged["confidence_x"], merged["confidence_y"], atol=5e-4)
    assert (merged["model_x"] == merged["model_y"]).all()
    assert not back["stale"].any() and set(back["coder"]) == {"alice"}


def test_the_run_record_keeps_fingerprint_training_size_coder_and_time(project):
    result = suggest(project, "alice")
    record = read_record(project, "alice")
    assert record["coder"] == "alice" and record["updated"].endswith("Z")
    entry = record["models"][GOALS]
    row = result.models.set_index("code").loc[GOALS]
    assert entry["model"] == row["model"]
    assert (entry["n_positive"], entry["n_negative"]) == (row["n_positive"], row["n_negative"])
    assert entry["level"] == "turn" and entry["threshold"] == 0.5
    assert entry["trained"].endswith("Z")
    assert record["models"][WORKLOAD]["status"].startswith("too few positives")
    assert read_record(project, "bob") == {}


def test_the_run_record_is_a_store_record_never_a_memo_or_an_exported_note(project, tmp_path):
    project.memo("Goals come up in every interview.", coder="alice")
    suggest(project, "alice")
    suggest(project, "alice", [GOALS])
    memos = project.memos()
    assert memos["coder"].tolist() == ["alice"]
    assert not memos["coder"].str.startswith("cmqual-suggest").any()
    assert json.loads(project.store.record("suggest-run:alice")) == read_record(project, "alice")
    # Logged as the suggester's, like the suggestions it stored, and not undoable.
    actions = project.actions(suggester("alice"))
    records = actions[actions["kind"] == "record"]
    assert [json.loads(d)["change"] for d in records["detail"]] == ["created", "replaced"]
    assert not records["undoable"].any()
    assert project.undo(suggester("alice")) is None
    assert set(read_record(project, "alice")["models"]) == {GOALS, FEEDBACK, WELLBEING,
                                                            WORKLOAD}
    # A REFI-QDA export carries the researcher's memo as its only note.
    ns = {"q": "urn:QDA-XML:project:1.0"}
    for include_auto in (True, False):
        out = export_qdpx(project, tmp_path / f"auto-{include_auto}.qdpx",
                          include_auto=include_auto)
        with zipfile.ZipFile(out) as zf:
            root = etree.fromstring(zf.read("project.qde"))
        notes = [n.findtext("q:PlainTextContent", namespaces=ns)
                 for n in root.iterfind("q:Notes/q:Note", ns)]
        assert notes == ["Goals come up in every interview."]
    users = {u.get("name") for u in root.iterfind("q:Users/q:User", ns)}
    assert users == set(_human_rows(project)["coder"])  # no cmqual-suggest:alice
    with open_project(project.root) as again:
        assert read_record(again, "alice") == read_record(project, "alice")


def test_a_new_run_replaces_its_codes_and_keeps_the_others(project):
    first = suggest(project, "alice")
    suggest(project, "alice")
    assert len(read_suggestions(project, "alice")) == len(first.suggestions)
    only_goals = suggest(project, "alice", [GOALS], threshold=0.95)
    stored = read_suggestions(project, "alice")
    kept = stored[stored["code"] != GOALS]
    assert len(kept) == int((first.suggestions["code"] != GOALS).sum())
    assert len(stored[stored["code"] == GOALS]) == len(only_goals.suggestions)
    assert set(read_record(project, "alice")["models"]) == {GOALS, FEEDBACK, WELLBEING,
                                                            WORKLOAD}


def test_each_coder_has_their_own_suggestions(project):
    alice = suggest(project, "alice")
    codings = pd.read_csv(DATA / "codings.csv")
    mine = codings[(codings["coder"] == "alice")
                   & codings["document"].isin(["p01_priya.txt", "p02_tom.txt"])]
    project.import_quotes(mine.assign(coder="bob"))
    bob = suggest(project, "bob", min_positives=5)
    assert (bob.models["status"] == "trained").sum() == 3
    assert len(read_suggestions(project, "alice")) == len(alice.suggestions)
    assert len(read_suggestions(project, "bob")) == len(bob.suggestions) > 0
    assert set(read_suggestions(project)["coder"]) == {"alice", "bob"}


def test_same_inputs_give_the_same_suggestions(project):
    a = suggest(project, "alice", store=False)
    b = suggest(project, "alice")  # storing changes nothing a model learns from
    c = suggest(project, "alice", store=False)
    pd.testing.assert_frame_equal(a.suggestions, b.suggestions)
    pd.testing.assert_frame_equal(a.suggestions, c.suggestions)
    pd.testing.assert_frame_equal(a.models, c.models)
    other_seed = suggest(project, "alice", store=False, random_state=1)
    assert set(other_seed.models["model"]) != set(a.models["model"]) - {""}


def test_project_suggest_is_the_same_function(project):
    result = project.suggest("alice", store=False)
    assert isinstance(result, Suggestions)
    pd.testing.assert_frame_equal(result.suggestions,
                                  suggest(project, "alice", store=False).suggestions)


def test_pattern_features_and_speakers_are_options(project):
    without = suggest(project, "alice", store=False, patterns=False)
    assert set(without.models["model"]) != set(
        suggest(project, "alice", store=False).models["model"])
    everyone = suggest(project, "alice", store=False, speakers="all", threshold=0.0)
    turns = project.corpus.segments_at("turn")
    asked = set(turns.loc[turns["speaker_role"] == "interviewer", "segment_id"])
    assert asked & set(everyone.suggestions["segment_id"])
    sentences = suggest(project, "alice", level="sentence", store=False)
    assert set(sentences.suggestions["level"]) <= {"sentence"}


def test_a_project_without_codebooks_learns_from_the_codes_used(folder):
    with init_project(folder / "bare", folder / "corpus") as bare:
        bare.import_quotes(pd.read_csv(DATA / "codings.csv"))
        result = suggest(bare, "alice")
        assert (result.models["status"] == "trained").sum() == 3
        assert len(read_suggestions(bare, "alice")) == len(result.suggestions) > 0
        table = evaluate(bare, "alice", [GOALS], learning_curve=False).table
        patterns = table[table["method"] == "patterns"]
        assert patterns["note"].iloc[0] == "the code is in no codebook of the project"
        assert np.isnan(patterns["f1"].iloc[0])


def test_bad_arguments_are_reported_together(project):
    with pytest.raises(ConfigError) as err:
        suggest(project, "alice", level="page", threshold=1.5, min_positives=1,
                speakers="nobody")
    for fragment in ("level='page'", "threshold=1.5", "min_positives=1", "speakers='nobody'"):
        assert fragment in str(err.value)
    with pytest.raises(ConfigError, match="k=1"):
        evaluate(project, "alice", k=1)
    with pytest.raises(ConfigError, match="neither in the project's codebooks"):
        suggest(project, "alice", ["coaching/nothing"], store=False)
    with pytest.raises(ProjectError, match=r"'carol' has no current codings.*alice, bob"):
        suggest(project, "carol")


# -- the coding widget ------------------------------------------------------------------------
def _segment_with(session: CodingSession, code: str, skip: set[str] = frozenset()) -> str:
    for i in range(session.n_segments):
        session.jump(i)
        if session.current.segment_id not in skip and code in {
                s.code for s in session.suggestions}:
            return session.current.segment_id
    raise AssertionError(f"no pending suggestion of {code}")


def test_accepting_and_rejecting_feed_the_next_training(project):
    first = suggest(project, "alice")
    counts = first.models.set_index("code")
    session = CodingSession(project, "alice", suggestions="stored")
    accepted = _segment_with(session, GOALS)
    session.accept(GOALS)
    rejected = _segment_with(session, FEEDBACK, skip={accepted})
    session.reject(FEEDBACK)
    assert session.suggestions == [] or FEEDBACK not in {s.code for s in session.suggestions}
    table = project.codings(coder="alice", include_auto=False)
    assert "suggestion-accepted" in set(table["origin"])

    again = suggest(project, "alice", store=False)
    models = again.models.set_index("code")
    assert models.loc[GOALS, "n_positive"] == counts.loc[GOALS, "n_positive"] + 1
    assert models.loc[FEEDBACK, "n_rejected"] == 1
    assert models.loc[GOALS, "model"] != counts.loc[GOALS, "model"]
    made = again.suggestions
    assert accepted not in set(made["segment_id"])  # coded now
    assert rejected not in set(made.loc[made["code"] == FEEDBACK, "segment_id"])


def test_the_widget_shows_a_coder_only_their_own_learned_suggestions(project):
    suggest(project, "alice")
    alice = CodingSession(project, "alice", suggestions="stored")
    sid = _segment_with(alice, GOALS)
    bob = CodingSession(project, "bob", suggestions="stored")
    bob.jump(sid)
    assert bob.suggestions == []
    assert "learned model" in alice.suggestions[0].patterns[0]


def test_the_uncertainty_queue_orders_uncoded_segments_by_entropy(project):
    queue = uncertainty_queue(project, "alice")
    assert queue and not set(queue) & _alice_segments(project)
    assert len(queue) == len(set(queue))
    probabilities = suggest(project, "alice", threshold=0.0, store=False).suggestions
    p = probabilities["confidence"].to_numpy()
    entropy = -(p * np.log2(np.clip(p, 1e-12, 1)) + (1 - p) * np.log2(np.clip(1 - p, 1e-12,
                                                                               1)))
    worst = pd.Series(entropy).groupby(probabilities["segment_id"].to_numpy()).max()
    ranked = worst.loc[queue].to_numpy()
    assert (np.diff(ranked) <= 1e-3).all()
    assert uncertainty_queue(project, "alice", limit=3) == queue[:3]
    assert uncertainty_queue(project, "alice", min_positives=50) == []


def test_a_coding_session_can_follow_the_queue(project):
    queue = uncertainty_queue(project, "alice", limit=4)
    session = CodingSession(project, "alice", suggestions=None, queue=queue)
    assert session.queue == queue
    seen = [session.current.segment_id]
    while session.next():
        seen.append(session.current.segment_id)
    assert seen == queue
    assert session.previous() and session.current.segment_id == queue[-2]
    session.set_queue(None)
    assert session.queue is None and session.next()
    with pytest.raises(ConfigError, match="not in the corpus"):
        session.set_queue(["nope"])


# -- evaluation ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """One project and its evaluation, shared by the tests that only read them."""
    root = tmp_path_factory.mktemp("evaluated")
    shutil.copytree(DATA / "corpus", root / "corpus")
    with init_project(root / "project", root / "corpus", [DATA / "codebook.yaml"]) as p:
        p.import_quotes(pd.read_csv(DATA / "codings.csv"))
        yield p, evaluate(p, "alice")


@pytest.fixture
def evaluation(evaluated):
    return evaluated[1]


def test_evaluation_table_has_every_code_and_method(evaluation):
    table = evaluation.table
    assert list(table.columns) == list(EVALUATION_COLUMNS)
    assert list(evaluation.learning_curve.columns) == list(CURVE_COLUMNS)
    assert sorted(set(table["code"])) == [FEEDBACK, GOALS, WELLBEING, WORKLOAD]
    for _, group in table.groupby("code"):
        assert group["method"].tolist() == list(METHODS) == ["model", "patterns", "profile"]
    goals = table[table["code"] == GOALS]
    assert set(goals["folds"]) == {5}
    assert goals[["precision", "recall", "f1"]].stack().between(0, 1).all()
    workload = table[(table["code"] == WORKLOAD) & (table["method"] == "model")]
    assert workload["note"].iloc[0] == "too few positives to suggest (6 < 10)"
    assert workload["folds"].iloc[0] == 5  # evaluated anyway: 6 positives make 5 folds
    text = str(evaluation)
    assert "stratified 5-fold cross-validation" in text and "learning curve" in text


def test_a_learnable_code_beats_the_trivial_baseline(evaluation):
    model = evaluation.table[evaluation.table["method"] == "model"].set_index("code")
    for code in (GOALS, FEEDBACK, WELLBEING):
        p = model.loc[code, "prevalence"]
        code_everything = 2 * p / (1 + p)  # F1 of suggesting the code for every segment
        assert model.loc[code, "f1"] > code_everything + 0.2, code
        assert model.loc[code, "kappa"] > 0.4, code


def test_the_learning_curve_rises_with_more_coded_segments(evaluation):
    curve = evaluation.learning_curve
    for code in (GOALS, FEEDBACK, WELLBEING):
        part = curve[curve["code"] == code].sort_values("n_segments")
        assert part["fraction"].tolist() == [0.1, 0.25, 0.5, 0.75, 1.0]
        assert part["f1"].iloc[-1] > part["f1"].iloc[0]
    model = evaluation.table[evaluation.table["method"] == "model"].set_index("code")
    last = curve[curve["fraction"] == 1.0].set_index("code")
    assert last.loc[GOALS, "f1"] == model.loc[GOALS, "f1"]
    ax = plot_learning_curve(curve)
    assert len(ax.get_lines()) == curve["code"].nunique()
    assert evaluation.plot().get_xlabel() == "coded segments trained on"


def test_same_inputs_give_byte_identical_evaluation_tables(evaluated):
    project, evaluation = evaluated
    again = evaluate(project, "alice")
    assert again.table.to_csv(index=False) == evaluation.table.to_csv(index=False)
    assert (again.learning_curve.to_csv(index=False)
            == evaluation.learning_curve.to_csv(index=False))
    assert str(again) == str(evaluation)


def test_evaluation_without_learning_curve_or_codebook_codes(project):
    result = evaluate(project, "alice", [GOALS], learning_curve=False, k=3)
    assert result.learning_curve.empty
    assert set(result.table["folds"]) == {3}


# -- metrics --------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40))
def test_scores_match_scikit_learn(pairs):
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

    from cmqual.suggest._evaluate import scores

    t = np.array([a for a, _ in pairs], dtype=int)
    p = np.array([b for _, b in pairs], dtype=int)
    got = scores(t, p)
    if p.any():
        assert got["precision"] == pytest.approx(precision_score(t, p))
    else:
        assert np.isnan(got["precision"])
    if t.any():
        assert got["recall"] == pytest.approx(recall_score(t, p))
        assert got["f1"] == pytest.approx(f1_score(t, p))
    if len(set(t) | set(p)) == 2 and not np.isnan(got["kappa"]):
        assert got["kappa"] == pytest.approx(cohen_kappa_score(t, p))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=30), st.randoms())
def test_platt_probabilities_are_monotone_and_bounded(values, rnd):
    from cmqual.suggest._model import platt_apply, platt_fit

    s = np.array(values)
    y = np.array([rnd.random() < 0.5 for _ in values], dtype=int)
    y[0], y[-1] = 0, 1
    p = platt_apply(np.sort(s), platt_fit(s, y))
    assert ((p >= 0) & (p <= 1)).all()
    assert (np.diff(p) >= -1e-12).all() or (np.diff(p) <= 1e-12).all()


# -- the command line ---------------------------------------------------------------------------
def test_cli_suggests_and_stores(project, capsys, tmp_path):
    root = str(project.root)
    assert main(["suggest", root, "--coder", "alice", "--queue", "2",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "3 of 4 code(s) trained" in out and "too few positives (6 < 10)" in out
    assert "stored as coder 'cmqual-suggest:alice'" in out
    assert "code these next (2 segment(s)" in out
    assert (tmp_path / "out" / "suggestions.csv").is_file()
    assert len(read_suggestions(project, "alice")) > 0


def test_cli_evaluates_with_table_curve_and_plot(project, capsys, tmp_path):
    out = tmp_path / "eval"
    assert main(["suggest", str(project.root), "--coder", "alice", "--evaluate",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for fragment in ("precision", "recall", "kappa", "patterns", "profile",
                     "learning curve"):
        assert fragment in text
    for name in ("evaluation.csv", "learning_curve.csv", "learning_curve.png",
                 "learning_curve.svg"):
        assert (out / name).is_file(), name
    first = (out / "evaluation.csv").read_bytes()
    assert main(["suggest", str(project.root), "--coder", "alice", "--evaluate",
                 "--out", str(out)]) == 0
    assert (out / "evaluation.csv").read_bytes() == first
    assert read_suggestions(project, "alice").empty  # evaluating stores nothing


def test_cli_reports_errors_in_one_line(project, capsys):
    assert main(["suggest", str(project.root), "--coder", "carol"]) == 2
    assert "has no current codings" in capsys.readouterr().err
