"""Codebooks as spreadsheets: CSV and XLSX export, import and validation."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from codebook_samples import build_codebook, sample_codebook
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqual.codebook import Code, Codebook
from cmqual.errors import CmqualWarning, CodebookError, ConfigError, ExchangeError
from cmqual.io.codebook_table import TABLE_COLUMNS, read_codebook_table, write_codebook_table


def csv_bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


# -- export ---------------------------------------------------------------------------------


def test_csv_layout(tmp_path):
    path = write_codebook_table(sample_codebook(), tmp_path / "cb.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfref,parent,id,label,definition,include,")
    text = data.decode("utf-8-sig")
    assert text.split("\r\n")[0] == ",".join(TABLE_COLUMNS)
    assert (
        "coaching-equity/power/line_management/gatekeeping,power/line_management,gatekeeping,"
    ) in text
    # A list cell: one item per line, continuation lines indented by two spaces.
    assert (
        "\"The mentor is also the mentee's line manager\nA judgement that affects pay or "
        'progression,\n  written over two lines\n- an item that starts with a dash"'
    ) in text


def test_xlsx_layout(tmp_path):
    path = write_codebook_table(sample_codebook(), tmp_path / "cb.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["codes", "codebook", "sources"]
    codes = book["codes"]
    assert [c.value for c in codes[1]] == list(TABLE_COLUMNS)
    assert codes.max_row == 7  # header + 6 codes
    assert [r[0].value for r in book["codebook"].iter_rows(min_row=2)] == [
        "id",
        "title",
        "version",
        "description",
    ]
    assert book["sources"]["B3"].value.startswith("Scoping study of coaching & mentoring")
    assert book.properties.creator == "cmqual"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_is_deterministic(tmp_path, suffix):
    a = write_codebook_table(sample_codebook(), tmp_path / f"a{suffix}").read_bytes()
    b = write_codebook_table(sample_codebook(), tmp_path / f"b{suffix}").read_bytes()
    assert a == b


def test_xlsx_has_fixed_timestamps(tmp_path):
    path = write_codebook_table(sample_codebook(), tmp_path / "cb.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z</dcterms:modified>" in core
    assert "2000-01-01T00:00:00Z</dcterms:created>" in core


def test_formula_like_text_stays_text(tmp_path):
    code = Code(id="f", label="=SUM(A1:A9)", path="f", ref="cb/f", include=("+1", "@me"))
    cb = Codebook(id="cb", title="CB", version="1", codes=(code,))
    path = write_codebook_table(cb, tmp_path / "cb.xlsx")
    cell = openpyxl.load_workbook(path)["codes"]["D2"]
    assert cell.value == "=SUM(A1:A9)" and cell.data_type == "s"
    assert read_codebook_table(path) == cb


def test_xlsx_refuses_what_excel_cannot_store(tmp_path):
    codes = (
        Code(id="a", label="bell\x07", path="a", ref="cb/a"),
        Code(id="b", label="B", path="b", ref="cb/b", definition="x" * 40_000),
    )
    with pytest.raises(ExchangeError) as info:
        write_codebook_table(
            Codebook(id="cb", title="CB", version="1", codes=codes), tmp_path / "cb.xlsx"
        )
    assert info.value.problems == (
        "sheet codes, row 2, column label: character U+0007 cannot be stored in Excel; remove it",
        "sheet codes, row 3, column definition: 40000 characters; Excel cells hold at most "
        "32767; shorten it or use CSV",
    )
    assert not (tmp_path / "cb.xlsx").exists()


def test_unknown_extension(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown table format '.ods'; use .csv or .xlsx"):
        write_codebook_table(sample_codebook(), tmp_path / "cb.ods")
    with pytest.raises(ConfigError, match="pass format="):
        read_codebook_table(io.BytesIO(b"id,label\n"))


# -- round trips ----------------------------------------------------------------------------


def test_xlsx_round_trip_is_lossless(tmp_path):
    cb = sample_codebook()
    assert read_codebook_table(write_codebook_table(cb, tmp_path / "cb.xlsx")) == cb


def test_csv_round_trip_keeps_codes_and_codebook_id(tmp_path):
    cb = sample_codebook()
    back = read_codebook_table(write_codebook_table(cb, tmp_path / "cb.csv"))
    assert back.codes == cb.codes
    assert back.id == cb.id and back.title == cb.id and back.version == "1"
    assert [(s.id, s.citation) for s in back.sources] == [
        ("seed-002", "seed-002 (no citation in cb.csv)"),
        ("seed-003", "seed-003 (no citation in cb.csv)"),
    ]


_CELL = st.one_of(
    st.lists(
        st.sampled_from(["", " ", "  two", "\\", "\\x", "- a", "x ", "é 🙂", '"q",', "\t"]),
        max_size=4,
    ).map("\n".join),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x24F), max_size=10),
)


@settings(max_examples=40, deadline=None)
@given(items=st.lists(_CELL, max_size=4).map(tuple), text=_CELL)
def test_csv_and_xlsx_round_trip_any_text(tmp_path_factory, items, text):
    folder = tmp_path_factory.mktemp("t")
    cb = build_codebook(
        {
            "id": "cb",
            "title": "T",
            "version": "1",
            "description": text,
            "sources": [],
            "codes": [
                {
                    "id": "a",
                    "label": text if text.strip() else "A",
                    "definition": text,
                    "memo": text,
                    "include": items,
                    "examples": items[::-1],
                }
            ],
        }
    )
    assert read_codebook_table(write_codebook_table(cb, folder / "cb.xlsx")) == cb
    assert read_codebook_table(write_codebook_table(cb, folder / "cb.csv")).codes == cb.codes


# -- import of hand-made tables ---------------------------------------------------------------


def test_hand_made_csv(tmp_path):
    path = tmp_path / "team codebook.csv"
    path.write_text(
        "id;label;parent;include;speakers;colour\n"
        'lm;Line management;power;"  boss \n\nmanager\n  who manages";;\n'
        "power;Power;;;participants;#ABCDEF\n"
        ";;;;;\n"
        "voice;Voice;;;;\n",
        encoding="utf-8",
    )
    cb = read_codebook_table(path)
    assert cb.id == "team-codebook" and cb.title == "team-codebook"
    assert [c.id for c in cb.codes] == ["power", "voice"]
    power = cb.codes[0]
    assert power.speakers == "participants" and power.colour == "#ABCDEF"
    lm = power.codes[0]
    assert lm.ref == "team-codebook/power/lm"
    assert lm.include == ("boss", "manager\nwho manages")
    assert cb.codes[1].speakers == "all"


def test_every_problem_is_reported_with_row_and_column():
    table = (
        "ref,parent,id,label,speakers,colour\n"
        "cb/power,,power,Power,,\n"  # row 2: fine
        ",,,Nameless,,\n"  # row 3: empty id
        ",,power,Power again,,\n"  # row 4: duplicate
        ",powr,lm,Line management,,\n"  # row 5: unknown parent
        ",,a/b,Slash,,\n"  # row 6: slash in id
        "cb/wrong,,voice,,everyone,red\n"  # row 7: ref, label, speakers, colour
    )
    with pytest.raises(CodebookError) as info:
        read_codebook_table(csv_bytes(table), format="csv")
    assert str(info.value).startswith("<stream>: the codebook table has problems\n  - row 3")
    assert info.value.problems == (
        "row 3, column id: empty; every code needs an id",
        "row 4, column id: 'power' is already used under the same parent on row 2; ids must "
        "be unique among siblings",
        "row 5, column parent: no code has the path 'powr' (did you mean 'power'?)",
        "row 6, column id: 'a/b' contains '/'; put the parent's path in the parent column instead",
        "row 7, column label: empty; every code needs a label",
        "row 7, column ref: 'cb/wrong' does not match parent and id (expected cb/voice); fix "
        "it or clear the cell",
        "row 7, column speakers: 'everyone'; use all or participants (or leave it empty for all)",
        "row 7, column colour: 'red' is not a colour like #1f77b4",
    )


def test_missing_columns_list_the_columns_present():
    with pytest.raises(
        CodebookError, match=r"codes: missing column.s. id, label; columns present: code, name"
    ):
        read_codebook_table(csv_bytes("code,name\npower,Power\n"), format="csv")


def test_unknown_columns_warn():
    with pytest.warns(CmqualWarning, match="ignoring unknown column.s. notes"):
        cb = read_codebook_table(csv_bytes("id,label,notes\npower,Power,x\n"), format="csv")
    assert cb.codes[0].label == "Power"


def test_refs_naming_two_codebooks():
    table = "ref,id,label\na/x,x,X\nb/y,y,Y\n"
    with pytest.raises(
        CodebookError, match=r"refs name different codebooks: 'a' .row 2., 'b' .row 3."
    ):
        read_codebook_table(csv_bytes(table), format="csv")


def test_xlsx_metadata_and_sources_are_checked(tmp_path):
    path = write_codebook_table(sample_codebook(), tmp_path / "cb.xlsx")
    book = openpyxl.load_workbook(path)
    book["codebook"]["A3"] = "name"
    book["sources"]["A3"] = "seed-000"
    book.save(path)
    with pytest.raises(CodebookError) as info:
        read_codebook_table(path)
    assert info.value.problems == (
        "codebook row 3, column field: unknown field 'name'; use one of id, title, version, "
        "description",
        "sources row 3, column id: 'seed-000' is already used on row 2",
    )


def test_not_a_spreadsheet(tmp_path):
    path = tmp_path / "cb.xlsx"
    path.write_bytes(b"id,label\n")
    with pytest.raises(ValueError, match=r"cb.xlsx: not a valid .xlsx \(zip\) file"):
        read_codebook_table(path)


def test_codebook_checks_name_the_row():
    table = (
        "id,label,parent,patterns,sources\n"
        "power,Power,,re:(unclosed,\n"
        "lm,Line management,power,line manag*,seed-9\n"
        "Bad Id,Bad,,,\n"
    )
    with pytest.raises(CodebookError) as info:
        read_codebook_table(csv_bytes(table), format="csv")
    problems = info.value.problems
    assert problems[0].startswith("row 2 (code codebook/power): patterns[0] 're:(unclosed'")
    assert problems[1].startswith("row 4 (code codebook/Bad Id): id 'Bad Id' must use only")
    assert len(problems) == 2  # a CSV cites sources it cannot list, so seed-9 is fine here
