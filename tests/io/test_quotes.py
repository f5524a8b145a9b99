"""The one-row-per-quote table: deterministic export, round trips, validated import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cmqual.errors import FormatError, ProjectError
from cmqual.io.quotes import read_quotes
from cmqual.project import ImportResult, init_project
from conftest import copy_project_data

DATA = Path(__file__).resolve().parents[1] / "data" / "project"


@pytest.fixture
def project(tmp_path):
    copy_project_data(DATA, tmp_path)
    with init_project(tmp_path / "proj", tmp_path / "corpus", [tmp_path / "codebook.yaml"]) as p:
        p.code("p02", 45, 67, "mini/observation", "ben")
        p.code("p01", 86, 149, "mini/power/assessment", "ana", memo="line manager")
        p.code("p01", 60, 85, "mini/resourcing", "ana")
        yield p


def test_export_columns_and_rows(project, tmp_path):
    table = project.quotes()
    assert list(table.columns) == [
        "document",
        "sector",
        "cohort",
        "speaker",
        "timestamp",
        "code",
        "code_level_1",
        "code_level_2",
        "code_level_3",
        "code_label",
        "quote",
        "start",
        "end",
        "coder",
        "origin",
        "memo",
        "stale",
    ]
    first = table.iloc[0]
    assert (
        first["document"],
        first["sector"],
        first["speaker"],
        first["code_level_2"],
        first["code_label"],
        first["quote"],
    ) == ("p01.txt", "FE", "Asha", "resourcing", "Resourcing", "There is no money for it.")
    assert table["document"].tolist() == ["p01.txt", "p01.txt", "p02.txt"]
    assert table["code_level_3"].tolist() == ["", "assessment", ""]
    assert table["memo"].tolist() == ["", "line manager", ""]
    assert "created" not in table.columns
    assert {"created", "modified"} <= set(project.quotes(include_times=True).columns)


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_export_is_deterministic_and_round_trips(project, tmp_path, ext):
    a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    project.export_quotes(a)
    project.uncode(doc="p01", start=60, end=85, code="mini/resourcing", coder="ana")
    project.undo("ana")  # same codings, new modified times: the file must not change
    project.export_quotes(b)
    assert a.read_bytes() == b.read_bytes()
    assert project.import_quotes(a) == ImportResult(added=0, unchanged=3, memos_updated=0)
    assert len(project.codings()) == 3


def test_import_rows_added_by_a_colleague(project, tmp_path):
    out = tmp_path / "quotes.xlsx"
    project.export_quotes(out)
    table = read_quotes(out)
    assert list(table.index) == [2, 3, 4]  # spreadsheet rows, below the header
    new = pd.DataFrame(
        [
            # offsets and quote
            {
                "document": "p02.txt",
                "code": "mini/power/assessment",
                "quote": "It feels like assessment, not support.",
                "start": "68",
                "end": "106",
                "coder": "cy",
                "memo": "graded obs",
            },
            # quote only: located in the text
            {
                "document": "p01",
                "code": "mini/resourcing",
                "quote": "It runs on goodwill.",
                "coder": "cy",
            },
            # code given by its levels only
            {
                "document": "p02",
                "code_level_1": "mini",
                "code_level_2": "observation",
                "quote": "Observation is graded.",
                "coder": "cy",
                "origin": "suggestion-accepted",
            },
        ]
    )
    table.loc[3, "memo"] = "line manager, and assessor"
    combined = pd.concat([table.reset_index(drop=True), new], ignore_index=True).fillna("")
    combined.to_csv(tmp_path / "edited.csv", index=False)
    result = project.import_quotes(tmp_path / "edited.csv")
    assert result == ImportResult(added=3, unchanged=3, memos_updated=1)
    cy = project.codings(coder="cy")
    assert cy[["doc_id", "start", "end", "code"]].values.tolist() == [
        ["p01", 219, 239, "mini/resourcing"],
        ["p02", 45, 67, "mini/observation"],
        ["p02", 68, 106, "mini/power/assessment"],
    ]
    assert cy["origin"].tolist() == ["human", "suggestion-accepted", "human"]
    assert "line manager, and assessor" in project.codings(coder="ana")["memo"].tolist()
    project.undo("cy")  # one coder's import is undone, nobody else's
    assert project.codings(coder="cy").empty and len(project.codings()) == 3


def test_import_reports_every_problem_and_writes_nothing(project, tmp_path):
    rows = pd.DataFrame(
        [
            {
                "document": "p99",
                "code": "mini/power",
                "quote": "x",
                "start": "",
                "end": "",
                "coder": "cy",
            },
            {
                "document": "p01",
                "code": "mini/power",
                "quote": "",
                "start": "10",
                "end": "900",
                "coder": "cy",
            },
            {
                "document": "p01",
                "code": "mini/power",
                "quote": "Not what it says",
                "start": "60",
                "end": "85",
                "coder": "cy",
            },
            {
                "document": "p01",
                "code": "mini/power",
                "quote": "is",
                "start": "",
                "end": "",
                "coder": "cy",
            },
            {
                "document": "p01",
                "code": "mini/power",
                "quote": "never said",
                "start": "",
                "end": "",
                "coder": "cy",
            },
            {
                "document": "p01",
                "code": "mini/powr",
                "quote": "There is no money for it.",
                "start": "",
                "end": "",
                "coder": "cy",
            },
            {
                "document": "p01",
                "code": "mini/power",
                "quote": "",
                "start": "ten",
                "end": "20",
                "coder": "",
            },
            {
                "document": "p01",
                "code": "mini/power",
                "quote": "It runs on goodwill.",
                "start": "",
                "end": "",
                "coder": "cy",
                "origin": "auto",
            },
        ]
    ).fillna("")
    path = tmp_path / "bad.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(ProjectError) as info:
        project.import_quotes(path)
    text = str(info.value)
    assert "nothing was imported" in text
    for fragment in (
        "row 2, column document: unknown document 'p99'",
        "row 3, column end: 900 is past the end of p01 (240 characters)",
        "row 4, column quote: 'Not what it says' does not equal the text at [60:85] of p01: "
        "'There is no money for it.'",
        "row 5, column quote: 'is' occurs",
        "give start and end",
        "row 6, column quote: 'never said' does not occur in p01",
        "row 7, column code: unknown code 'mini/powr'; did you mean 'mini/power'",
        "row 8, column start: 'ten' is not a whole number",
        "row 8, column coder: is empty",
        "row 9, column origin: 'auto' codings come from the auto-coder",
    ):
        assert fragment in text, fragment
    assert len(project.codings()) == 3


def test_import_needs_its_columns(project, tmp_path):
    path = tmp_path / "thin.csv"
    pd.DataFrame({"document": ["p01"], "notes": ["x"]}).to_csv(path, index=False)
    with pytest.raises(
        FormatError,
        match=r"missing column\(s\) code, coder, quote \(or "
        r"start and end\); columns present: document, notes",
    ):
        project.import_quotes(path)


def test_duplicate_new_rows_are_reported(project, tmp_path):
    row = {"document": "p01", "code": "mini/power", "quote": "It runs on goodwill.", "coder": "cy"}
    path = tmp_path / "dupes.csv"
    pd.DataFrame([row, row]).to_csv(path, index=False)
    with pytest.raises(ProjectError, match="row 3, column document: repeats row 2"):
        project.import_quotes(path)


def test_empty_project_exports_a_header(tmp_path):
    shutil.copytree(DATA / "corpus", tmp_path / "corpus")
    with init_project(tmp_path / "p", tmp_path / "corpus") as p:
        out = p.export_quotes(tmp_path / "empty.csv")
    header = out.read_text().splitlines()[0]
    assert header.startswith("document,sector,cohort,speaker,timestamp,code,code_level_1")
