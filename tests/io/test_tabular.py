import csv
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transcript_checks import assert_turn_spans, turn_texts

from cmqual.errors import DecodeError, FormatError
from cmqual.io import _zipsafe, get_reader
from cmqual.io.base import TranscriptOptions
from cmqual.io.tabular import find_columns, read_csv_transcript, read_xlsx_transcript

DATA = Path(__file__).resolve().parents[1] / "data" / "transcripts"
OPTS = TranscriptOptions()


def csv_doc(text: str, name: str = "t.csv", options: TranscriptOptions = OPTS):
    return read_csv_transcript(text.encode("utf-8"), name, options)


def test_registry_points_here():
    assert get_reader(".csv") is read_csv_transcript
    assert get_reader(".tsv") is read_csv_transcript
    assert get_reader(".xlsx") is read_xlsx_transcript


def test_semicolon_csv_fixture():
    doc = read_csv_transcript((DATA / "semicolon.csv").read_bytes(), "semicolon.csv", OPTS)
    assert doc.format == "csv" and doc.encoding == "utf-8-sig"
    assert doc.text == (
        "Interviewer: Hello, and welcome\n"
        'Participant 2: Thanks; it is\ngood to "be" here\n'
        "Background noise\n"
        "Participant 2: Fine\twith tabs\n"
    )
    assert turn_texts(doc) == [
        ("Interviewer", ["Hello, and welcome"]),
        ("Participant 2", ["Thanks; it is", 'good to "be" here']),
        ("", ["Background noise"]),
        ("Participant 2", ["Fine\twith tabs"]),
    ]
    assert [(t.timestamp, t.timestamp_end) for t in doc.turns] == [
        (1.0, 3.5), (4.0, None), (9.0, 10.0), (None, None)]
    assert len(doc.notes) == 1 and "line 8: start 'later'" in doc.notes[0]


def test_tsv_fixture():
    doc = read_csv_transcript((DATA / "otter.tsv").read_bytes(), "otter.tsv", OPTS)
    assert turn_texts(doc) == [("Ana", ["First, with a comma"]), ("Ben", ["Second"])]
    assert [t.timestamp for t in doc.turns] == [1.0, 3723.0]


def test_xlsx_fixture():
    doc = read_xlsx_transcript((DATA / "turns.xlsx").read_bytes(), "turns.xlsx", OPTS)
    assert doc.format == "xlsx"
    assert doc.text == (
        "Interviewer: Welcome back.\n"
        "Participant 1: Two lines\nin one cell\n"
        "An unlabelled row\n"
        "Interviewer: 42\n"
        "Participant 1: Escaped\ncarriage\n"
    )
    assert turn_texts(doc) == [
        ("Interviewer", ["Welcome back."]),
        ("Participant 1", ["Two lines", "in one cell"]),
        ("", ["An unlabelled row"]),
        ("Interviewer", ["42"]),
        ("Participant 1", ["Escaped", "carriage"]),
    ]
    assert [(t.timestamp, t.timestamp_end) for t in doc.turns] == [
        (5.0, 9.5), (12.5, 20.0), (30.0, None), (62.0, None), (None, None)]
    assert doc.notes and "row 8: start 'bad time'" in doc.notes[0]


def test_comma_csv_with_quoted_crlf_and_missing_cells():
    doc = csv_doc('Name,Text,Start\r\nAna,"one\r\n\r\n  two  ",\r\nBen\r\n,   ,\r\n'
                  'Cy,"x, y"\r\n')
    assert turn_texts(doc) == [("Ana", ["one", "two"]), ("Cy", ["x, y"])]
    assert doc.text == "Ana: one\n\n  two  \nCy: x, y\n"


def test_text_only_column_gives_unlabelled_turns():
    doc = csv_doc("transcript\nHello\n\nWorld\n")
    assert turn_texts(doc) == [("", ["Hello"]), ("", ["World"])]


def test_tab_sniffed_for_csv_extension_and_header_after_blank_lines():
    doc = csv_doc("\n\nwho\tdialogue\tend_time\nAna\tHi, there\t00:00:02.5\n")
    assert turn_texts(doc) == [("Ana", ["Hi, there"])]
    assert doc.turns[0].timestamp_end == 2.5


def test_configured_columns_win_over_defaults():
    opts = TranscriptOptions(csv_columns=(("text", "Clean Text"), ("speaker", "Role")))
    doc = csv_doc("Speaker,Role,Text,Clean Text\nS1,Interviewer,um hi,Hi\n", options=opts)
    assert turn_texts(doc) == [("Interviewer", ["Hi"])]


def test_find_columns_prefers_earlier_aliases_and_normalises_names():
    assert find_columns(["Person", "SPEAKER", "Turn", "words", "Time-In"], OPTS) == {
        "text": 2, "speaker": 1}
    assert find_columns(["start-time", "End Time", "text"], OPTS) == {
        "text": 2, "start": 0, "end": 1}


def test_missing_text_column_lists_columns_and_fix():
    with pytest.raises(FormatError) as err:
        csv_doc("Speaker,Said,When\nAna,hi,1\n")
    msg = str(err.value)
    for fragment in ("t.csv", "'Speaker', 'Said', 'When'", "no text column",
                     "utterance", "csv_columns=(('text', '<column name>'),)"):
        assert fragment in msg


def test_configured_column_that_is_absent_is_reported():
    opts = TranscriptOptions(csv_columns=(("speaker", "Who Spoke"),))
    with pytest.raises(FormatError) as err:
        csv_doc("Speaker,Text\nAna,hi\n", options=opts)
    assert "'Who Spoke'" in str(err.value) and "'Speaker', 'Text'" in str(err.value)


def test_bad_quoting_names_the_line():
    with pytest.raises(FormatError) as err:
        csv_doc('speaker,text\nAna,hi\nBen,"unterminated\n')
    assert "t.csv, line 3: cannot read the CSV row" in str(err.value)
    assert "quotes" in str(err.value)


def test_empty_csv_is_an_error_and_header_only_has_no_turns():
    with pytest.raises(FormatError, match="empty"):
        csv_doc("\n \n")
    assert csv_doc("speaker,text\n").turns == ()


def test_undecodable_csv_is_reported():
    with pytest.raises(DecodeError):
        read_csv_transcript(b"\xff\xfe\x00\xd8" + b"a", "t.csv", OPTS)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_xlsx_that_is_not_a_zip():
    with pytest.raises(FormatError) as err:
        read_xlsx_transcript(b"speaker,text\nAna,hi\n", "t.xlsx", OPTS)
    assert "t.xlsx: not a valid .xlsx (zip) file" in str(err.value)
    assert "re-save" in str(err.value)


def test_old_excel_file_gets_a_hint():
    with pytest.raises(FormatError, match="old binary Office file or a password"):
        read_xlsx_transcript(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "t.xlsx", OPTS)


def test_xlsx_zip_without_workbook():
    with pytest.raises(FormatError, match=r"t\.xlsx.*xl/workbook\.xml is missing"):
        read_xlsx_transcript(_zip({"hello.txt": b"hi"}), "t.xlsx", OPTS)


def test_xlsx_with_broken_workbook_xml():
    data = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not xml"})
    with pytest.raises(FormatError, match=r"t\.xlsx: cannot read the \.xlsx workbook"):
        read_xlsx_transcript(data, "t.xlsx", OPTS)


def test_xlsx_zip_bomb_is_refused():
    bomb = _zip({"xl/workbook.xml": b"<a/>", "xl/worksheets/sheet1.xml": bytes(20 * 2**20)})
    with pytest.raises(FormatError) as err:
        read_xlsx_transcript(bomb, "bomb.xlsx", OPTS)
    assert "bomb.xlsx" in str(err.value) and "zip bomb" in str(err.value)


def test_xlsx_too_large_when_uncompressed(monkeypatch):
    monkeypatch.setattr(_zipsafe, "MAX_UNCOMPRESSED", 1000)
    data = (DATA / "turns.xlsx").read_bytes()
    with pytest.raises(FormatError, match=r"turns\.xlsx: .xlsx content would expand to"):
        read_xlsx_transcript(data, "turns.xlsx", OPTS)


def test_xlsx_missing_text_column(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["Speaker", "Said"])
    wb.active.append(["Ana", "hi"])
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(FormatError, match=r"t\.xlsx: cannot find.*'Speaker', 'Said'"):
        read_xlsx_transcript(out.getvalue(), "t.xlsx", OPTS)


# --- property: random turns survive a round trip through CSV ---------------------------

_TEXT = st.text(st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc")),
    st.sampled_from(["\t", "\r", "\n", " ", '"', ",", ";"])), max_size=40)
_SPEAKER = st.one_of(st.just(""), st.text(st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from([" ", "\t"])),
    max_size=15))


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [line.strip() for line in text.split("\n") if line.strip()]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_SPEAKER, _TEXT, st.floats(0, 1e5, allow_nan=False)),
                max_size=8),
       st.sampled_from([(",", "t.csv"), (";", "t.csv"), ("\t", "t.tsv"), ("\t", "t.csv")]))
def test_csv_round_trip(rows, dialect):
    delimiter, name = dialect
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Speaker", "Start", "Text"])
    writer.writerows([(s, repr(t), x) for s, x, t in rows])
    doc = read_csv_transcript(out.getvalue().encode("utf-8"), name, OPTS)
    assert_turn_spans(doc)
    expected = [(" ".join(s.split()), _paragraphs(x), t) for s, x, t in rows if x.strip()]
    got = [(t.speaker, [doc.text[a:b] for a, b in t.paragraphs], t.timestamp)
           for t in doc.turns]
    assert got == expected
