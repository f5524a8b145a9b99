"""The Project API: configuration, validated coding, the codings table, stale codings,
auto codings, memos, reorganising codes, positions and the ``cmqual project`` CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cmqual.cli import main
from cmqual.errors import CmqualWarning, FormatError, ProjectError
from cmqual.project import PROJECT_CODING_COLUMNS, init_project, open_project
from cmqual.tables import CODING_COLUMNS
from conftest import copy_project_data

DATA = Path(__file__).resolve().parent / "data" / "project"
P01_MONEY = (60, 85)  # "There is no money for it." (Asha's turn 60-149)
P01_POWER = (86, 149)  # "My mentor is also my line manager, so it feels like assessment."


@pytest.fixture
def folder(tmp_path):
    return copy_project_data(DATA, tmp_path)


@pytest.fixture
def project(folder):
    with init_project(folder / "proj", folder / "corpus", [folder / "codebook.yaml"]) as p:
        yield p


# -- creating and opening --------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:.*never overlap:cmqual.errors.CmqualWarning")
def test_init_stores_paths_relative_to_the_project(folder, monkeypatch):
    monkeypatch.chdir(folder)
    init_project("projects/one", "corpus", ["codebook.yaml", "scoping-study"]).close()
    text = (folder / "projects/one/project.yaml").read_text()
    assert "corpus: ../../corpus" in text
    assert "- ../../codebook.yaml" in text and "- scoping-study" in text
    with open_project(folder / "projects/one/project.yaml") as p:
        assert len(p.corpus) == 2
        refs = set(p.codes()["ref"])
        assert {"mini/power/assessment", "scoping-study/resourcing"} <= refs


def test_init_refuses_existing_project_and_missing_corpus(project, folder):
    with pytest.raises(ProjectError, match="already a cmqual project"):
        init_project(project.root, folder / "corpus")
    with pytest.raises(ProjectError, match="does not exist"):
        init_project(folder / "other", folder / "nowhere")


def test_open_missing_project_says_how_to_create_one(tmp_path):
    with pytest.raises(ProjectError, match="cmqual project init"):
        open_project(tmp_path)


def test_bad_project_yaml_lists_every_problem(project):
    (project.root / "project.yaml").write_text("codebooks: 3\ncolour: red\n")
    with pytest.raises(ProjectError) as info:
        open_project(project.root)
    text = str(info.value)
    assert "unknown key(s) colour" in text and "'corpus' must name" in text
    assert "'codebooks' must be a list" in text


# -- coding ----------------------------------------------------------------------------------
def test_code_stores_quote_and_document_hash(project):
    cid = project.code("p01", *P01_MONEY, "mini/resourcing", "ana", memo="funding")
    row = project.store.coding(cid)
    doc = project.corpus.document("p01")
    assert row["text"] == "There is no money for it." == doc.text[slice(*P01_MONEY)]
    assert row["doc_sha256"] == doc.sha256 and row["origin"] == "human"
    assert row["codebook_hash"]  # the codebook version coded against


def test_code_by_document_path_uses_the_doc_id(project):
    project.code("p01.txt", *P01_MONEY, "mini/resourcing", "ana")
    assert project.codings()["doc_id"].tolist() == ["p01"]


def test_code_validation_reports_every_problem(project):
    with pytest.raises(ProjectError) as info:
        project.code("p9", -3, 5000, "mini/powr", "", origin="robot")
    text = str(info.value)
    assert text.startswith("cannot code 'p9' [-3:5000] as 'mini/powr'")
    for fragment in ("no document 'p9'", "start -3 is negative", "did you mean mini/power",
                     "coder must be a non-empty name", "origin must be one of"):
        assert fragment in text
    with pytest.raises(ProjectError, match=r"end 5000 is past the end of p01 \(240 char"):
        project.code("p01", 10, 5000, "mini/power", "ana")
    with pytest.raises(ProjectError, match="start 20 must be before end 20"):
        project.code("p01", 20, 20, "mini/power", "ana")
    with pytest.raises(ProjectError, match="whole numbers"):
        project.code("p01", 1.5, 4, "mini/power", "ana")
    assert project.codings().empty


def test_without_codebooks_any_code_is_accepted(folder):
    with init_project(folder / "free", folder / "corpus") as p:
        p.code("p02", 45, 67, "my own/theme", "ana")
        assert p.codings()["code"].tolist() == ["my own/theme"]


def test_uncode_by_id_and_by_span(project):
    a = project.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    project.code("p01", *P01_POWER, "mini/power", "ana")
    assert project.uncode(a) == 1
    assert project.uncode(doc="p01", start=86, end=149, code="mini/power", coder="ana") == 1
    assert project.codings().empty
    with pytest.raises(ProjectError, match="no coding with id 99"):
        project.uncode(99)
    with pytest.raises(ProjectError, match="missing end, code"):
        project.uncode(doc="p01", start=1)


# -- the codings table -----------------------------------------------------------------------
def test_codings_table_columns_segments_and_speakers(project):
    project.code("p01", *P01_POWER, "mini/power", "ben")
    project.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    project.code("p01", 60, 200, "mini/resourcing", "ana")  # spans three turns
    table = project.codings()
    assert list(table.columns) == list(PROJECT_CODING_COLUMNS)
    assert table[["start", "end"]].values.tolist() == [[60, 85], [60, 200], [86, 149]]
    turn_id = project.corpus.segments.query("doc_id == 'p01' and start == 60 "
                                            "and level == 'turn'")["segment_id"].item()
    assert table["segment_id"].tolist() == [turn_id, "", turn_id]
    assert table["speaker"].tolist() == ["Asha", "Asha; Interviewer", "Asha"]
    assert set(table["level"]) == {"turn"} and not table["stale"].any()
    sentences = project.codings(level="sentence")
    assert sentences["segment_id"].iloc[0] != turn_id and sentences["segment_id"].iloc[0]
    assert project.codings(coder="ben")["code"].tolist() == ["mini/power"]
    assert len(project.codings(doc="p02")) == 0


def test_documents_counts_codings(project):
    project.code("p02", 45, 67, "mini/observation", "ana")
    docs = project.documents().set_index("doc_id")
    assert docs.loc["p02", "n_codings"] == 1 and docs.loc["p01", "n_codings"] == 0
    assert "sector" in docs.columns


# -- stale codings ---------------------------------------------------------------------------
def test_changed_document_makes_codings_stale_never_shifted(project, folder):
    cid = project.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    project.code("p02", 45, 67, "mini/observation", "ana")
    path = folder / "corpus" / "p01.txt"
    path.write_text("Interviewer: Hello.\n" + path.read_text())
    project.reload()
    with pytest.warns(CmqualWarning, match=r"1 coding\(s\) refer to an older version"):
        table = project.codings()
    stale = table.set_index("coding_id").loc[cid]
    assert stale["stale"] and stale["start"] == 60 and stale["segment_id"] == ""
    assert stale["text"] == "There is no money for it."  # the quote as coded, not re-read
    report = project.stale_codings()
    assert report["coding_id"].tolist() == [cid]
    assert report["reason"].tolist() == ["document text changed"]
    assert report["text_now"].iloc[0] != "There is no money for it."
    with pytest.warns(CmqualWarning, match="stale_codings"):
        status = dict(project.status().itertuples(index=False))
    assert status["stale codings"] == "1"


def test_removed_document_is_reported(project, folder):
    project.code("p02", 45, 67, "mini/observation", "ana")
    (folder / "corpus" / "p02.txt").unlink()
    (folder / "corpus" / "metadata.csv").write_text("file,sector,cohort\np01.txt,FE,2023\n")
    project.reload()
    report = project.stale_codings()
    assert report["reason"].tolist() == ["document not in corpus"]
    assert project.n_stale() == 1


# -- automatic codings -----------------------------------------------------------------------
def _auto(project, spans, digest="hash-1"):
    text = project.corpus.texts["p01"]
    return pd.DataFrame([{"doc_id": "p01", "doc": "p01.txt", "segment_id": "", "level": "turn",
                          "start": s, "end": e, "text": text[s:e], "code": "mini/resourcing",
                          "pattern": "money", "speaker": "Asha", "coder": "cmqual 0.1",
                          "codebook_hash": digest} for s, e in spans],
                        columns=list(CODING_COLUMNS))


def test_auto_codings_replace_earlier_run_of_same_codebook(project):
    human = project.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    assert project.add_auto_codings(_auto(project, [P01_MONEY, P01_POWER])) == 2
    assert project.add_auto_codings(_auto(project, [P01_MONEY])) == 1
    project.add_auto_codings(_auto(project, [(198, 239)], digest="hash-2"))
    auto = project.codings(origin="auto")
    assert sorted(auto["codebook_hash"]) == ["hash-1", "hash-2"]
    assert set(auto["coder"]) == {"cmqual-auto"} and set(auto["pattern"]) == {"money"}
    assert project.codings(include_auto=False)["coding_id"].tolist() == [human]
    project.add_auto_codings(_auto(project, []), codebook_hash="hash-1")
    assert project.codings(origin="auto")["codebook_hash"].tolist() == ["hash-2"]


def test_auto_codings_are_validated(project):
    bad = _auto(project, [P01_MONEY, (10, 9999)])
    bad.loc[0, "text"] = "something else"
    with pytest.raises(ProjectError) as info:
        project.add_auto_codings(bad)
    assert "row 0: text 'something else' is not the document's text" in str(info.value)
    assert "row 1: end 9999 is past the end of p01" in str(info.value)
    with pytest.raises(FormatError, match=r"missing column\(s\) codebook_hash"):
        project.add_auto_codings(bad.drop(columns=["codebook_hash"]))


# -- memos -----------------------------------------------------------------------------------
def test_memos_on_project_code_document_and_coding(project):
    cid = project.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    project.memo("Overall impressions.", coder="ana")
    project.memo("Money talk.", coder="ana", code="mini/resourcing")
    project.memo("Ben's view.", coder="ben", code="mini/resourcing")
    project.memo("Noisy audio.", coder="ana", doc="p01.txt")
    project.memo("Strong quote.", coder="ana", coding=cid)
    project.memo("Money and time.", coder="ana", code="mini/resourcing")  # replaces
    memos = project.memos()
    assert memos[["target_kind", "target", "coder", "text"]].values.tolist() == [
        ["code", "mini/resourcing", "ana", "Money and time."],
        ["code", "mini/resourcing", "ben", "Ben's view."],
        ["document", "p01", "ana", "Noisy audio."],
        ["project", "", "ana", "Overall impressions."],
    ]
    assert project.codings()["memo"].tolist() == ["Strong quote."]
    project.memo("", coder="ben", code="mini/resourcing")  # deletes
    assert len(project.memos(coder="ben")) == 0
    with pytest.raises(ProjectError, match="give one memo target, not code and doc"):
        project.memo("x", coder="ana", code="mini/power", doc="p01")
    with pytest.raises(ProjectError, match="not in the project's codebooks"):
        project.memo("x", coder="ana", code="mini/nope")


# -- rejected suggestions --------------------------------------------------------------------
def test_reject_takes_the_quote_from_the_text_and_accepts_a_document_path(project):
    assert project.reject("p01.txt", [(*P01_MONEY, "mini/resourcing")], coder="ana") == 1
    table = project.rejections()
    assert table[["coder", "doc_id", "start", "end", "code", "text"]].values.tolist() == [
        ["ana", "p01", *P01_MONEY, "mini/resourcing", "There is no money for it."]]
    assert table["doc_sha256"].tolist() == [project.corpus.document("p01").sha256]
    assert project.reject("p01", [], coder="ana") == 0
    assert project.memos().empty and project.coders() == ["ana"]


def test_reject_lists_every_problem_and_writes_nothing(project):
    with pytest.raises(ProjectError) as info:
        project.reject("p01", [(5, 3, "mini/power"), (10, 5000, "mini/powr"), "bad"],
                       coder="")
    text = str(info.value)
    assert text.startswith("cannot record the rejection of suggestions in 'p01'")
    for fragment in ("coder must be a non-empty name", "hit 0: start 5 must be before end 3",
                     "hit 1: end 5000 is past the end of p01",
                     "hit 1: code 'mini/powr' is not in the project's codebooks",
                     "hit 2: must be (start, end, code), not 'bad'"):
        assert fragment in text
    with pytest.raises(ProjectError, match="no document 'p9'"):
        project.reject("p9", [(0, 5, "mini/power")], coder="ana")
    assert project.store.rejections_frame().empty and project.actions().empty


# -- reorganising codes ----------------------------------------------------------------------
def test_recode_moves_own_codings_unless_all_coders(project):
    a = project.code("p01", *P01_POWER, "mini/power", "ana")
    b = project.code("p01", *P01_POWER, "mini/power", "ben")
    assert project.recode("mini/power", "mini/power/assessment", coder="ana") == 1
    codes = project.codings().set_index("coding_id")["code"]
    assert codes[a] == "mini/power/assessment" and codes[b] == "mini/power"
    assert project.recode("mini/power", "mini/observation", coder="lead", all_coders=True) == 1
    with pytest.raises(ProjectError, match="'ana' has no codings of 'mini/power'"):
        project.recode("mini/power", "mini/observation", coder="ana")
    with pytest.raises(ProjectError, match="not in the project's codebooks"):
        project.recode("mini/power", "mini/nowhere", coder="ana")
    project.undo("ana")
    assert project.codings().set_index("coding_id")["code"][a] == "mini/power"


def test_merge_codes_dedupes_and_keeps_memos(project):
    project.code("p01", *P01_POWER, "mini/power", "ana", memo="power memo")
    project.code("p01", *P01_POWER, "mini/power/assessment", "ana", memo="assessment memo")
    project.code("p02", 68, 106, "mini/power/assessment", "ben")
    project.memo("about assessment", coder="ana", code="mini/power/assessment")
    project.memo("about power", coder="ana", code="mini/power")
    assert project.merge_codes(["mini/power/assessment"], "mini/power", coder="lead") == 2
    table = project.codings()
    assert set(table["code"]) == {"mini/power"} and len(table) == 2
    ana = table[table["coder"] == "ana"]
    assert ana["memo"].tolist() == ["power memo\n\nassessment memo"]
    assert project.memos()["text"].tolist() == ["about power\n\nabout assessment"]
    assert project.undo("lead").action.kind == "merge"
    assert sorted(project.codings()["code"]) == ["mini/power", "mini/power/assessment",
                                                 "mini/power/assessment"]
    with pytest.raises(ProjectError, match="no coding or memo uses code 'mini/typo'"):
        project.merge_codes(["mini/typo"], "mini/power", coder="lead")


def test_rename_code_moves_children_and_memos(folder):
    with init_project(folder / "free", folder / "corpus") as p:
        p.code("p01", *P01_POWER, "cb/power", "ana")
        p.code("p01", *P01_POWER, "cb/power/assessment", "ben")
        p.memo("note", coder="ana", code="cb/power/assessment")
        assert p.rename_code("cb/power", "cb/control", coder="lead") == 2
        assert sorted(p.codings()["code"]) == ["cb/control", "cb/control/assessment"]
        assert p.memos()["target"].tolist() == ["cb/control/assessment"]
        with pytest.raises(ProjectError, match="no coding or memo uses code 'cb/nothing'"):
            p.rename_code("cb/nothing", "cb/x", coder="lead")


def test_rename_to_code_missing_from_codebook_is_refused(project):
    project.code("p01", *P01_POWER, "mini/power/assessment", "ana")
    with pytest.raises(ProjectError, match="'mini/control/assessment' is not in"):
        project.rename_code("mini/power", "mini/control", coder="lead")


def test_auto_codings_are_not_recoded(project):
    project.add_auto_codings(_auto(project, [P01_MONEY]))
    with pytest.raises(ProjectError, match="has no codings"):
        project.recode("mini/resourcing", "mini/power", coder="cmqual-auto")


# -- positions -------------------------------------------------------------------------------
def test_position_resumes_per_coder(project):
    seg = project.corpus.segments_at("sentence").iloc[3]
    assert project.position("ana") is None
    project.set_position("ana", seg["segment_id"])
    project.set_position("ben", doc="p02", start=45)
    pos = project.position("ana")
    assert (pos.doc_id, pos.segment_id, pos.start) == (seg["doc_id"], seg["segment_id"],
                                                       seg["start"])
    assert project.position("ben").doc_id == "p02" and project.position("ben").start == 45
    with pytest.raises(ProjectError, match="no segment"):
        project.set_position("ana", "nope")
    assert project.coders() == ["ana", "ben"]


# -- status and display ----------------------------------------------------------------------
def test_status_summarises(project):
    project.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    project.code("p01", *P01_POWER, "mini/power", "ben")
    project.code("p02", 45, 67, "mini/observation", "ben")
    status = dict(project.status().itertuples(index=False))
    assert status["codings"] == "3" and status["  by ben"] == "2"
    assert status["stale codings"] == "0" and status["codebooks"].startswith("mini (")
    assert "cmqual project" in project._repr_html_()


# -- CLI -------------------------------------------------------------------------------------
def test_cli_init_status_export_import(folder, capsys):
    proj = folder / "cli"
    assert main(["project", "init", str(proj), "--corpus", str(folder / "corpus"),
                 "--codebook", str(folder / "codebook.yaml")]) == 0
    assert "created project cli" in capsys.readouterr().out
    with open_project(proj) as p:
        p.code("p01", *P01_MONEY, "mini/resourcing", "ana")
    assert main(["project", "status", str(proj)]) == 0
    assert "by ana" in capsys.readouterr().out
    out = folder / "quotes.csv"
    assert main(["project", "export", str(proj), "--out", str(out)]) == 0
    assert "wrote 1 codings" in capsys.readouterr().out
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    table.loc[1] = table.loc[0]
    table.loc[1, ["coder", "start", "end"]] = ["ben", "", ""]
    table.to_csv(out, index=False)
    assert main(["project", "import", str(proj), str(out)]) == 0
    assert "imported 1 codings" in capsys.readouterr().out
    table.loc[2] = table.loc[1]
    table.loc[2, ["quote", "coder"]] = ["not in the text", "cy"]
    table.to_csv(out, index=False)
    assert main(["project", "import", str(proj), str(out)]) == 2
    assert "row 4, column quote" in capsys.readouterr().err
    assert main(["project", "status", str(folder / "nowhere")]) == 2
