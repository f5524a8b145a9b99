"""The coding session and its widget, driven from Python (no browser; see
``test_widget_browser.py`` for the real JupyterLab)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cmqual.codebook import read_codebook
from cmqual.coding import apply_codebook
from cmqual.errors import CmqualWarning, ConfigError, ProjectError
from cmqual.project import init_project, open_project
from cmqual.widget import CodingSession, Filters, Progress, Suggestion
from cmqual.widget.render import Mark, body_html, pieces, text_view_html
from conftest import copy_project_data

DATA = Path(__file__).resolve().parent / "data" / "widget"
FIRST = "Mentoring 🙂 has no budget here, so it runs on goodwill."


@pytest.fixture
def folder(tmp_path):
    return copy_project_data(DATA, tmp_path)


@pytest.fixture
def project(folder):
    with init_project(folder / "project", folder / "corpus", [folder / "codebook.yaml"]) as p:
        yield p


@pytest.fixture
def session(project):
    return CodingSession(project, coder="alice")


def _turns(project):
    return project.corpus.segments_at("turn")


def _codings(project, coder="alice"):
    table = project.codings(coder=coder, include_auto=False)
    return sorted(zip(table["code"], table["start"], table["end"], table["origin"], strict=True))


# -- opening and reading the state -------------------------------------------------------------
def test_session_starts_at_the_first_segment_with_the_codebook_tree(session):
    assert session.current.text == FIRST
    assert session.current.speaker == "Asha"
    assert session.index == 0 and session.n_segments == 8
    assert session.progress == Progress(coded=0, total=8, index=1, n_segments=8)
    assert str(session.progress) == "segment 1 of 8 · coded 0 of 8 (0%)"
    tree = session.codes
    assert tree["ref"].tolist() == ["demo/resourcing", "demo/power", "demo/power/assessment",
                                    "demo/observation"]
    assert tree["number"].tolist() == [1, 2, 3, 4]
    assert tree["depth"].tolist() == [1, 1, 2, 1]
    assert tree.loc[0, "colour"] == "#1f77b4"
    assert tree.loc[0, "definition"] == "Money, time and staffing for mentoring."
    before, after = session.context_segments()
    assert before == [] and [s.text for s in after] == ["Who is your mentor?"]
    assert session.place_in_document == (1, 5)
    assert "coded 0 of 8" in repr(session)


def test_session_accepts_a_project_folder(project):
    session = CodingSession(project.root, coder="bob", suggestions=None)
    assert session.project.root == project.root


def test_bad_arguments_are_reported_together(project):
    with pytest.raises(ConfigError) as err:
        CodingSession(project, coder="", level="page", context=-1, suggestions="maybe")
    text = str(err.value)
    for fragment in ("coder must be a non-empty name", "level must be one of",
                     "context must be", "suggestions must be"):
        assert fragment in text


def test_codes_are_resolved_by_ref_path_label_or_number(session):
    assert session.resolve_code("demo/power") == "demo/power"
    assert session.resolve_code("power/assessment") == "demo/power/assessment"
    assert session.resolve_code("Assessment") == "demo/power/assessment"
    assert session.resolve_code("resourcing") == "demo/resourcing"
    assert session.resolve_code(4) == "demo/observation"
    with pytest.raises(ConfigError, match="did you mean demo/power"):
        session.resolve_code("demo/powr")
    with pytest.raises(ConfigError, match="numbered 1-4"):
        session.resolve_code(9)


# -- coding -----------------------------------------------------------------------------------
def test_toggle_codes_the_whole_segment_and_toggles_it_off(session, project):
    seg = session.current
    assert session.toggle("power") is True
    assert _codings(project) == [("demo/power", seg.start, seg.end, "human")]
    assert session.coded_refs() == {"demo/power"}
    assert session.progress.coded == 1
    assert session.toggle("power") is False
    assert _codings(project) == []
    project.undo("alice")  # the removal is one undoable action
    assert _codings(project) == [("demo/power", seg.start, seg.end, "human")]


def test_toggle_off_removes_sub_span_codings_of_the_code_in_one_action(session, project):
    session.code_phrase("resourcing", "budget")
    session.code_phrase("resourcing", "goodwill")
    assert session.toggle("resourcing") is False
    assert _codings(project) == []
    session.undo()
    assert len(_codings(project)) == 2


def test_code_phrase_uses_code_point_offsets_of_the_document(session, project):
    text = project.corpus.texts["p01"]
    cid = session.code_phrase("power/assessment", "goodwill")
    row = project.store.coding(cid)
    at = text.index("goodwill")  # after the emoji: one code point, two UTF-16 units
    assert (row["start_offset"], row["end_offset"], row["text"]) == (at, at + 8, "goodwill")


def test_code_phrase_finds_the_nth_occurrence_and_says_how_often_it_occurs(session, project):
    session.next()
    session.next()  # "My line manager. She also grades my observations, so ..."
    seg = session.current
    first = session.find_phrase("s", 1)
    third = session.find_phrase("s", 3)
    assert first[0] == seg.start + seg.text.index("s")
    assert third[0] > first[0]
    with pytest.raises(ConfigError, match="occurs 0 time"):
        session.code_phrase("power", "Line Manager")  # exact and case-sensitive
    with pytest.raises(ConfigError, match="occurs 1 time"):
        session.code_phrase("power", "line manager", occurrence=2)
    with pytest.raises(ConfigError, match="phrase must be"):
        session.find_phrase("  ")


def test_code_span_trims_whitespace_and_uncode_removes_one_coding(session, project):
    seg = session.current
    at = seg.start + seg.text.index(" has no budget")
    cid = session.code_span("resourcing", at, at + len(" has no budget "))
    row = project.store.coding(cid)
    assert row["text"] == "has no budget"
    assert session.codings["coding_id"].tolist() == [cid]
    assert session.uncode(cid) == 1
    assert session.codings.empty
    with pytest.raises(ConfigError, match="has no coding with id"):
        session.uncode(cid)


def test_unknown_codes_are_refused_by_the_project(session):
    with pytest.raises(ConfigError, match="no code 'nonsense'"):
        session.toggle("nonsense")


# -- navigation and resuming ----------------------------------------------------------------
def test_next_previous_and_jump_save_the_position(session, project):
    turns = _turns(project)
    assert session.previous() is False
    assert session.next() is True
    assert project.position("alice").segment_id == turns.loc[1, "segment_id"]
    session.jump(-1)
    assert session.current.text.startswith("There is no money for cover")
    assert session.next() is False
    session.jump(turns.loc[2, "segment_id"])
    assert session.index == 2
    assert session.jump("4").text == "No remission at all."  # an index given as text
    with pytest.raises(ConfigError, match="outside 0-7"):
        session.jump(8)
    with pytest.raises(ConfigError, match="no segment 'nope'"):
        session.jump("nope")


def test_jump_to_a_segment_of_another_level_goes_to_the_turn_holding_it(session, project):
    sentences = project.corpus.segments_at("sentence")
    grades = sentences[sentences["text"].str.startswith("She also grades")].iloc[0]
    assert session.jump(grades["segment_id"]).text.startswith("My line manager.")


def test_a_new_session_resumes_where_the_coder_stopped(session, project):
    session.next()
    session.next()
    again = CodingSession(project, coder="alice", suggestions=None)
    assert again.index == 2
    assert CodingSession(project, coder="bob", suggestions=None).index == 0
    # at another level: the segment holding the saved position's start
    by_sentence = CodingSession(project, coder="alice", level="sentence", suggestions=None)
    assert by_sentence.current.text == "My line manager."


def test_a_reopened_project_keeps_codings_memos_and_position(session, project):
    session.toggle("power")
    session.set_memo("Goodwill again.")
    session.next()
    project.close()
    with open_project(project.root) as reopened:
        resumed = CodingSession(reopened, coder="alice")
        assert resumed.index == 1
        resumed.previous()
        assert resumed.coded_refs() == {"demo/power"}
        assert resumed.memo() == "Goodwill again."


# -- filters ----------------------------------------------------------------------------------
def test_filters_choose_the_segments_next_visits(session):
    session.set_filters(participants=True)
    texts = [session.current.text]
    while session.next():
        texts.append(session.current.text)
    assert "Who is your mentor?" not in texts and len(texts) == 5
    assert session.progress.total == 5


def test_filter_by_document_moves_into_it_and_limits_progress(session):
    assert session.set_filters(doc="p02.txt") is False  # moved: path accepted for the id
    assert session.current.doc_id == "p02"
    assert session.filters == Filters(doc="p02")
    assert session.progress.total == 3
    assert session.previous() is False


def test_uncoded_filter_skips_coded_segments(session):
    session.jump(1)
    session.toggle("power")
    session.jump(0)
    session.set_filters(uncoded=True)
    session.next()
    assert session.index == 2


def test_speaker_suggestion_and_code_filters(session):
    session.set_filters(speaker="Ben")
    assert session.current.speaker == "Ben"
    with pytest.raises(ConfigError, match="no such speaker"):
        session.set_filters(speaker="Nobody")
    session.set_filters(speaker=None, suggested=True)
    visited = [session.index]
    while session.next():
        visited.append(session.index)
    assert all(session.jump(i) and session.suggestions for i in visited)
    session.set_filters(suggested=False, code="observation")
    assert "bservation" in session.current.text
    session.jump(0)
    session.set_filters(code="power")  # its child Assessment counts too
    assert "grades" in session.current.text
    session.jump(5)
    session.next()
    assert session.current.text.startswith("Observation is graded")  # assessment: graded
    with pytest.raises(ConfigError, match="unknown filter"):
        session.set_filters(colour="red")


# -- suggestions --------------------------------------------------------------------------------
def test_suggestions_are_grouped_per_code_and_accepted_for_the_segment(session, project):
    (sug,) = session.suggestions
    assert isinstance(sug, Suggestion)
    assert sug.code == "demo/resourcing" and sug.texts == ("budget", "goodwill")
    assert [project.corpus.texts["p01"][a:b] for a, b in sug.spans] == ["budget", "goodwill"]
    seg = session.current
    session.accept()
    assert _codings(project) == [("demo/resourcing", seg.start, seg.end,
                                  "suggestion-accepted")]
    assert session.suggestions == []


def test_accept_hits_codes_only_the_words_hit(session, project):
    session.jump(2)
    # "observations" is not a hit of 'observation': patterns match whole words
    assert [s.code for s in session.suggestions] == ["demo/power", "demo/power/assessment"]
    session.accept("assessment", span="hits")
    text = project.corpus.texts["p01"]
    got = [text[s:e] for _, s, e, _ in _codings(project)]
    assert sorted(got) == ["assessment", "grades"]


def test_rejections_are_remembered_per_coder(session, project):
    session.reject(0)
    assert session.suggestions == [] and session.n_rejected == 2
    again = CodingSession(project, coder="alice")
    again.jump(0)
    assert again.suggestions == []
    other = CodingSession(project, coder="bob")
    assert [s.code for s in other.suggestions] == ["demo/resourcing"]
    table = project.rejections("alice")
    assert table["doc_id"].tolist() == ["p01", "p01"] and "goodwill" in table["text"].tolist()
    assert project.memos().empty  # rejections are not memos
    with pytest.raises(ConfigError, match="has 0 pending"):
        session.reject(0)


def test_undo_after_reject_brings_the_suggestion_back(session, project):
    session.reject(0)
    assert session.suggestions == []
    assert session.undo().action.kind == "reject"
    assert [s.code for s in session.suggestions] == ["demo/resourcing"]
    assert session.n_rejected == 0 and project.rejections().empty


def test_a_rejection_lapses_when_its_document_changes(session, project, folder):
    session.reject(0)
    path = folder / "corpus" / "p01.txt"
    path.write_text(path.read_text(encoding="utf-8") + "Asha: One more line.\n",
                    encoding="utf-8")
    project.reload()
    again = CodingSession(project, coder="alice")
    assert [s.code for s in again.suggestions] == ["demo/resourcing"]


def test_suggestion_table_sources(project):
    from cmqual.widget.suggestions import suggestion_table

    columns = ["doc_id", "start", "end", "code", "pattern"]
    assert list(suggestion_table(project, None).columns) == columns
    assert suggestion_table(project, "stored").empty
    ran = suggestion_table(project, "auto")
    assert len(ran) == len(suggestion_table(project, "run")) > 0
    assert list(ran.columns) == columns


def test_stored_suggestions_are_used_before_running_the_auto_coder(project):
    book = read_codebook(str(project.root.parent / "codebook.yaml"))
    hits = apply_codebook(project.corpus, book)
    project.add_auto_codings(hits[hits["code"] == "demo/observation"], origin="suggestion")
    session = CodingSession(project, coder="alice", suggestions="auto")
    session.jump(6)  # "Observation is graded. ..."
    assert [s.code for s in session.suggestions] == ["demo/observation"]
    given = CodingSession(project, coder="alice", suggestions=hits)
    assert [s.code for s in given.suggestions] == ["demo/observation", "demo/power/assessment"]
    assert CodingSession(project, coder="alice", suggestions=None).suggestions == []


# -- memos ----------------------------------------------------------------------------------------
def test_memos_on_the_document_a_coding_a_code_and_the_project(session, project):
    session.set_memo("About funding.")
    cid = session.code_phrase("resourcing", "budget")
    session.set_memo("Budget, not money.", on=cid)
    session.set_memo("Watch this code.", on="resourcing")
    session.set_memo("Project note.", on="project")
    memos = project.memos(coder="alice")
    assert sorted(zip(memos["target_kind"], memos["target"], memos["text"], strict=True)) == [
        ("code", "demo/resourcing", "Watch this code."),
        ("document", "p01", "About funding."),
        ("project", "", "Project note.")]
    assert project.store.coding(cid)["memo"] == "Budget, not money."
    assert session.memo(on=cid) == "Budget, not money."
    assert session.memo() == "About funding."
    session.set_memo("")
    assert session.memo() == ""
    with pytest.raises(ConfigError, match="has no coding with that id"):
        session.set_memo("x", on=9999)


def test_stale_codings_are_not_shown(session, project, folder):
    session.toggle("power")
    (folder / "corpus" / "p01.txt").write_text("Asha: A new text.\n", encoding="utf-8")
    project.reload()
    with pytest.warns(CmqualWarning, match="1 of your codings refer to an older version"):
        fresh = CodingSession(project, coder="alice", suggestions=None)
    assert fresh.codings.empty


# -- rendering ----------------------------------------------------------------------------------
def test_pieces_split_at_every_mark_boundary():
    marks = [Mark(2, 6, "red", "a"), Mark(4, 8, "blue", "b", suggested=True)]
    got = [(a, b, [m.label for m in on]) for a, b, on in pieces(0, 10, marks)]
    assert got == [(0, 2, []), (2, 4, ["a"]), (4, 6, ["a", "b"]), (6, 8, ["b"]),
                   (8, 10, [])]


def test_body_html_escapes_text_and_labels_and_keeps_the_text_exact():
    text = 'a <script>alert("x")</script> b'
    html = body_html(text, 100, [Mark(102, 110, "#123456", 'Label "<i>"'),
                                 Mark(104, 108, "#abcdef", "Sug", suggested=True)])
    assert "<script" not in html and "&lt;/script&gt;" in html
    assert 'title="Label &quot;&lt;i&gt;&quot;' in html
    assert "cmqual-suggested" in html and "text-decoration-color: #abcdef" in html
    from html.parser import HTMLParser

    class Text(HTMLParser):
        data = ""

        def handle_data(self, data):
            self.data += data

    parser = Text()
    parser.feed(html)
    assert parser.data == text


def test_text_view_marks_human_codings_and_suggestions_differently(session):
    pytest.importorskip("anywidget")
    session.code_phrase("power", "budget")
    session.widget  # noqa: B018 - builds the view
    html = session._view.text.html
    assert "cmqual-current" in html and "cmqual-context" in html
    assert html.count("cmqual-mark cmqual-suggested") == 2  # "budget" and "goodwill"
    session.code_phrase("resourcing", "goodwill")  # the code is used: no more suggestions
    assert "cmqual-mark cmqual-suggested" not in session._view.text.html
    assert "background: color-mix(in srgb, #ff7f0e" in html
    seg = session.current
    assert f'data-start="{seg.start}"' in html


def test_text_view_html_shows_context_before_and_after():
    from cmqual.corpus import Segment

    def seg(i, text):
        return Segment("d", "d.txt", f"s{i}", "turn", i * 10, i * 10 + len(text), "A",
                       "participant", float("nan"), float("nan"), i, i, text, 1)

    html = text_view_html(seg(1, "now"), [seg(0, "before")], [seg(2, "after")], {}, "h <1>")
    assert html.index("before") < html.index("now") < html.index("after")
    assert "h &lt;1&gt;" in html


# -- the widget, driven from Python ---------------------------------------------------------------
@pytest.fixture
def view(session):
    pytest.importorskip("anywidget")
    session.widget  # noqa: B018 - builds the view
    return session._view


def test_widget_displays_as_an_ipywidget(session, view):
    bundle = session._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "cmqual-session" in view.root._dom_classes
    button = view.code_buttons["demo/resourcing"]
    assert button.description == "1 Resourcing"
    assert button.tooltip == "Money, time and staffing for mentoring."


def test_code_buttons_toggle_and_show_their_state(view, session, project):
    view.code_buttons["demo/power"].click()
    assert _codings(project)[0][0] == "demo/power"
    assert view.code_buttons["demo/power"].button_style == "info"
    assert "Power" in view.codings_box.children[1].description
    view.codings_box.children[1].click()  # the chip's ✕ removes that coding
    assert _codings(project) == []
    assert view.code_buttons["demo/power"].button_style == ""


def test_a_selection_or_a_phrase_makes_code_buttons_code_just_those_words(view, project):
    text = project.corpus.texts["p01"]
    at = text.index("budget")
    view.text.selection = [at - 1, at + len("budget") + 1]  # with spaces: trimmed
    assert view.span == (at, at + 6)
    assert "selection" in view.span_info.value
    view.code_buttons["demo/resourcing"].click()
    assert _codings(project) == [("demo/resourcing", at, at + 6, "human")]
    assert view.span is None and "whole segment" in view.span_info.value
    view.phrase.value = "s"
    view.occurrence.value = 2
    second = text.index("s", text.index("s", text.index(FIRST)) + 1)
    assert view.span == (second, second + 1)
    view.press("Escape")
    assert view.span is None and view.phrase.value == ""
    view.phrase.value = "not there"
    assert "occurs 0 time" in view.span_info.value


def test_keyboard_shortcuts(view, session, project):
    view.press("2")
    assert session.coded_refs() == {"demo/power"}
    view._on_msg(view.text, {"kind": "key", "key": "n"}, [])  # as the browser sends it
    assert session.index == 1
    view.press("ArrowLeft")
    assert session.index == 0
    view.press("a")
    assert session.coded_refs() == {"demo/power", "demo/resourcing"}
    view.press("u")
    assert session.coded_refs() == {"demo/power"}
    view.press("p")
    view.press("9")  # no ninth code: nothing happens
    assert session.index == 0 and view.message.value == ""
    view.press("r")
    assert session.suggestions == [] and "rejected" in view.suggestions_box.children[-1].value
    view.press("u")  # the rejection is undone: the suggestion is back
    assert [s.code for s in session.suggestions] == ["demo/resourcing"]


def test_every_documented_shortcut_is_sent_by_the_browser(view):
    from cmqual.widget.view import SHORTCUTS

    assert view.text.shortcut_keys == list(SHORTCUTS)
    assert {"n", "p", "ArrowLeft", "ArrowRight", *"123456789"} <= set(SHORTCUTS)


def test_accept_and_reject_buttons(view, session, project):
    text = view.suggestions_box.children[0].children[2]
    assert "suggested" in text.value and "Resourcing" in text.value
    session.jump(2)
    view.suggestions_box.children[0].children[1].click()  # reject Power
    assert [s.code for s in session.suggestions] == ["demo/power/assessment"]
    assert "rejected" in view.suggestions_box.children[-1].value
    view.suggestions_box.children[0].children[0].click()  # accept Assessment
    assert _codings(project)[0][::3] == ("demo/power/assessment", "suggestion-accepted")


def test_memo_box_saves_on_edit_and_on_the_button(view, session, project):
    view.memo.value = "Edited in the box."
    assert session.memo() == "Edited in the box."
    view.memo_button.click()
    assert "saved" in view.memo_status.value
    cid = session.code_phrase("resourcing", "budget")
    view.memo_on.value = cid
    assert view.memo.value == ""
    view.memo.value = "On the coding."
    assert project.store.coding(cid)["memo"] == "On the coding."
    view.next_button.click()
    assert view.memo_on.value == "document"
    assert view.memo.value == "Edited in the box."  # same document


def test_navigation_filters_and_errors_in_the_widget(view, session):
    view.next_button.click()
    assert session.index == 1
    view.previous_button.click()
    assert session.index == 0
    view.goto.value = "7"  # the widget counts from 1
    view.goto_button.click()
    assert session.index == 6
    view.goto.value = "no such segment"
    view.goto_button.click()
    assert "no segment" in view.message.value and session.index == 6
    view.doc_filter.value = "p01"
    assert session.current.doc_id == "p01" and view.message.value == ""
    view.participants.value = True
    assert session.filters == Filters(doc="p01", participants=True)
    view.doc_filter.value = ""
    assert session.filters.doc is None
    assert "coded 0 of 5" in view.progress_label.value  # Asha's and Ben's turns


def test_the_view_follows_changes_made_through_the_api(view, session):
    session.next()
    assert "Who is your mentor?" in view.text.html
    session.toggle("observation")
    assert view.code_buttons["demo/observation"].button_style == "info"


def test_project_errors_are_shown_not_raised(view, session, monkeypatch):
    def refuse(*args, **kwargs):
        raise ProjectError("the project store refused a write (disk full)")

    monkeypatch.setattr(session.project, "code", refuse)
    view.code_buttons["demo/power"].click()
    assert "disk full" in view.message.value
    assert view.code_buttons["demo/power"].button_style == ""


def test_codings_table_columns(session):
    session.toggle(1)
    table = session.codings
    assert list(table.columns) == ["coding_id", "start", "end", "code", "label", "origin",
                                   "text", "memo"]
    assert table["label"].tolist() == ["Resourcing"]
    assert isinstance(table, pd.DataFrame)
