import importlib.util
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transcript_checks import turn_texts

from cmqual.errors import FormatError
from cmqual.io import _zipsafe, get_reader
from cmqual.io.base import TranscriptOptions
from cmqual.io.docx import read_docx

DATA = Path(__file__).resolve().parents[1] / "data" / "transcripts"
OPTS = TranscriptOptions()

_spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)


def fixture(name: str, options: TranscriptOptions = OPTS):
    return read_docx((DATA / name).read_bytes(), name, options)


def body(xml: str, options: TranscriptOptions = OPTS):
    return read_docx(make_fixtures.word_package(xml), "t.docx", options)


def para(*runs: str) -> str:
    """A paragraph from runs; a run written ``**x**`` is bold."""
    out = []
    for run in runs:
        bold = run.startswith("**") and run.endswith("**") and len(run) > 4
        text = run[2:-2] if bold else run
        rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
        out.append(f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>')
    return f"<w:p>{''.join(out)}</w:p>"


def row(*cells: str) -> str:
    return "<w:tr>" + "".join(
        f"<w:tc>{''.join(para(p) for p in c.split('|'))}</w:tc>" for c in cells) + "</w:tr>"


def table(*rows: str) -> str:
    return f"<w:tbl>{''.join(rows)}</w:tbl>"


def test_registry_points_here():
    assert get_reader(".DOCX") is read_docx


@pytest.mark.parametrize("name", sorted(make_fixtures.FIXTURES))
def test_committed_fixtures_match_the_script(name):
    assert (DATA / name).read_bytes() == make_fixtures.FIXTURES[name](), (
        f"run python tests/data/transcripts/make_fixtures.py to refresh {name}")


def test_bold_speaker_labels():
    doc = fixture("bold_speakers.docx")
    assert doc.format == "docx"
    assert doc.text == (
        "Interview with Alex, 3 May 2024\n"
        "\n"
        "Interviewer: Thanks for coming. How did you start?\n"
        "Alex: It began in 2019.\n"
        "I was nervous at first.\n"
        "Interviewer And then?\n"
        "Alex \tThen\tit got better.\n"
        "Never had I seen that.\n"
        "First line\n"
        "Interviewer: still Alex speaking\n"
        "Sam:  I agree, mostly.\n"
        "Note: the recording ended here.\n"
    )
    assert turn_texts(doc) == [
        ("", ["Interview with Alex, 3 May 2024"]),
        ("Interviewer", ["Thanks for coming. How did you start?"]),
        ("Alex", ["It began in 2019.", "I was nervous at first."]),
        ("Interviewer", ["And then?"]),
        # a line after a soft line break never starts a turn
        ("Alex", ["Then\tit got better.", "Never had I seen that.", "First line",
                  "Interviewer: still Alex speaking"]),
        ("Sam", ["I agree, mostly.", "Note: the recording ended here."]),
    ]


def test_tables_and_paragraphs_in_body_order():
    doc = fixture("table_transcript.docx")
    assert doc.text == (
        "Focus group 2\n"
        "Moderator: Welcome everyone.\n"
        "P1: Hi.\nGlad to be here.\nContinuing P1.\n"
        "P2: Hello.\n"
        "End of part one.\n"
        "Interviewer: Ready?\n"
        "Kim: Yes.\nVery ready.\n"
        "Kim: Later words\n"
        "Interviewer: Bye\n"
        "Date\n3 May 2024\nPlace\nLeeds\n"
        "Interviewer: Plain label after the tables.\n"
    )
    assert turn_texts(doc) == [
        ("", ["Focus group 2"]),
        ("Moderator", ["Welcome everyone."]),
        ("P1", ["Hi.", "Glad to be here.", "Continuing P1."]),
        ("P2", ["Hello."]),
        ("", ["End of part one."]),
        ("Interviewer", ["Ready?"]),
        ("Kim", ["Yes.", "Very ready."]),
        ("Kim", ["Later words"]),
        ("Interviewer", ["Bye"]),
        ("", ["Date"]), ("", ["3 May 2024"]), ("", ["Place"]), ("", ["Leeds"]),
        ("Interviewer", ["Plain label after the tables."]),
    ]
    assert [t.timestamp for t in doc.turns[7:9]] == [65.0, 70.0]


def test_word_markup_keeps_visible_text_only():
    doc = fixture("word_markup.docx")
    assert doc.text == (
        "Interview 7 – tracked changes\n"
        "Interviewer: We really value this link.\n"
        "Participant 2:\tIt was a well-known fact — page 3, see the note.\n"
        "Main text continues with x=1\n"
        "line one\nInterviewer: line two\na\nb\n"
        "moved here\n"
        "\n"
        "Interviewer Thanks.\n"
        "Participant 2: bold words too\n"
        "Interviewer not bold, not a label\n"
    )
    assert turn_texts(doc) == [
        ("", ["Interview 7 – tracked changes"]),
        ("Interviewer", ["We really value this link."]),  # bold character style
        ("Participant 2", ["It was a well-known fact — page 3, see the note.",
                           "Main text continues with x=1", "line one",
                           "Interviewer: line two", "a", "b", "moved here"]),
        ("Interviewer", ["Thanks."]),
        ("Participant 2", ["bold words too", "Interviewer not bold, not a label"]),
    ]
    assert doc.notes == ("2 text boxes were not read (move their text into the body to "
                         "include it)",)
    assert "BOX TEXT" not in doc.text and "gone" not in doc.text


def test_bold_label_alone_on_its_line_starts_a_turn():
    doc = body(para("**Alex:**") + para("First thought.") + para("Second.")
               + para("**Sam**", ": reply"))
    assert turn_texts(doc) == [("Alex", ["First thought.", "Second."]), ("Sam", ["reply"])]


def test_bold_without_colon_needs_repetition_or_a_role():
    doc = body(para("Intro.") + para("**Really**", " good day") + para("**Moderator**",
                                                                         " welcome"))
    assert turn_texts(doc) == [("", ["Intro."]), ("", ["Really good day"]),
                               ("Moderator", ["welcome"])]
    doc = body(para("**Kim**", " one") + para("**Lee**", " two") + para("**Kim**", " three"))
    assert turn_texts(doc) == [("Kim", ["one", "Lee two"]), ("Kim", ["three"])]


def test_bold_sentence_with_colon_and_bold_times_are_not_labels():
    doc = body(para("**Alex: hello there**") + para("**10:30**", " we met")
               + para("**Important point:**", " no") + para("**Note:**", " later"))
    assert turn_texts(doc) == [
        ("Alex", ["hello there", "10:30 we met", "Important point: no", "Note: later"])]


def test_speaker_pattern_replaces_bold_labels_but_not_tables():
    opts = TranscriptOptions(speaker_pattern=r"(?P<speaker>[A-Z]{2,}) - ")
    doc = body(para("**Alex:**", " hi") + para("JO - hello")
               + table(row("Speaker", "Text"), row("Kim", "yes")), opts)
    assert turn_texts(doc) == [("", ["Alex: hi"]), ("JO", ["hello"]), ("Kim", ["yes"])]


def test_table_rows_without_speaker_before_any_speaker_and_nested_tables():
    doc = body(table(row("Name", "Utterance"), row("", "orphan one|orphan two"),
                     row("Ana", "hi"), row("", "")))
    assert turn_texts(doc) == [("", ["orphan one"]), ("", ["orphan two"]), ("Ana", ["hi"])]
    inner = table(row("x", "y"))
    doc = body(f"<w:tbl><w:tr><w:tc>{para('a')}{inner}</w:tc><w:tc>{para('b')}</w:tc>"
               f"<w:tc>{para('c')}</w:tc></w:tr></w:tbl>")
    assert doc.text == "a\nx\ny\nb\nc\n"
    assert [p for _, p in turn_texts(doc)] == [["a"], ["x"], ["y"], ["b"], ["c"]]


def test_two_column_table_that_is_not_a_transcript():
    doc = body(table(row("Name", "Ana Lopez"), row("Recorded in", "Leeds")))
    assert doc.text == "Name\nAna Lopez\nRecorded in\nLeeds\n"


def test_empty_document():
    doc = body("")
    assert doc.text == "" and doc.turns == ()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_not_a_zip():
    with pytest.raises(FormatError) as err:
        read_docx(b"Interviewer: hello\n", "notes.docx", OPTS)
    msg = str(err.value)
    assert "notes.docx: not a valid .docx (zip) file" in msg and "re-save it" in msg
    assert "Word" in msg


def test_old_doc_gets_a_hint():
    with pytest.raises(FormatError, match="old binary Office file or a password"):
        read_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.docx", OPTS)


def test_zip_without_document_xml():
    with pytest.raises(FormatError) as err:
        read_docx(_zip({"xl/workbook.xml": b"<a/>"}), "sheet.docx", OPTS)
    assert "sheet.docx" in str(err.value) and "word/document.xml is missing" in str(err.value)


def test_unreadable_package():
    with pytest.raises(FormatError, match=r"t\.docx: cannot read the \.docx"):
        read_docx(_zip({"word/document.xml": b"<w:document"}), "t.docx", OPTS)


def test_zip_bomb_ratio():
    bomb = _zip({"word/document.xml": b"<a/>", "word/media/x.bin": bytes(30 * 2**20)})
    with pytest.raises(FormatError) as err:
        read_docx(bomb, "bomb.docx", OPTS)
    assert "bomb.docx" in str(err.value) and "compressed" in str(err.value)
    assert "zip bomb" in str(err.value)


def test_total_size_limit(monkeypatch):
    monkeypatch.setattr(_zipsafe, "MAX_UNCOMPRESSED", 10_000)
    with pytest.raises(FormatError, match=r"big\.docx: \.docx content would expand to"):
        read_docx((DATA / "bold_speakers.docx").read_bytes(), "big.docx", OPTS)


def test_too_many_members(monkeypatch):
    monkeypatch.setattr(_zipsafe, "MAX_MEMBERS", 3)
    with pytest.raises(FormatError, match=r"many\.docx: \.docx package has 5 members"):
        read_docx((DATA / "word_markup.docx").read_bytes(), "many.docx", OPTS)


# --- property: random bold-labelled paragraphs survive a round trip through Word XML ----

def _xml_safe(ch: str) -> bool:
    cp = ord(ch)
    return cp in (9, 10, 13) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or cp > 0xFFFF


_WORDS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=":[*").filter(
        _xml_safe) | st.sampled_from(["\t", " "]), max_size=25)
_TURN = st.tuples(st.sampled_from(["Interviewer", "Participant 4", "Moderator", "Q"]),
                  st.lists(_WORDS, min_size=1, max_size=3))


def _run(text: str, bold: bool = False) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{esc}</w:t></w:r>'


@settings(max_examples=60, deadline=None)
@given(st.lists(_TURN, min_size=1, max_size=5))
def test_docx_round_trip(turns):
    xml = []
    for speaker, paras in turns:
        xml.append(f"<w:p>{_run(speaker + ':', True)}{_run(' ' + paras[0])}</w:p>")
        xml.extend(f"<w:p>{_run(p)}</w:p>" for p in paras[1:])
    doc = body("".join(xml))
    expected = [(s, [p.strip() for p in paras if p.strip()]) for s, paras in turns]
    assert turn_texts(doc) == [t for t in expected if t[1]]


def test_teams_and_otter_layout_gives_timed_turns():
    doc = body(para("Transcript") + para("November 26, 2026, 2:00PM") + para("")
               + para("Jane Smith   0:03") + para("How is the mentoring going?")
               + para("Tom Okafor   0:10") + para("There is no time for it.")
               + para("It is all goodwill.") + para("Jane Smith   1:02:15") + para("OK."))
    assert [(t.speaker, t.timestamp, t.timestamp_end) for t in doc.turns] == [
        ("Jane Smith", 3.0, 10.0), ("Tom Okafor", 10.0, 3735.0), ("Jane Smith", 3735.0, None)]
    assert turn_texts(doc) == [
        ("Jane Smith", ["How is the mentoring going?"]),
        ("Tom Okafor", ["There is no time for it.", "It is all goodwill."]),
        ("Jane Smith", ["OK."])]
    assert "Transcript" in doc.text and doc.format == "docx"  # kept, in no segment


def test_timed_layout_needs_two_headers_and_no_transcript_table():
    one = body(para("Jane Smith   0:03") + para("Hello there."))
    assert [t.speaker for t in one.turns] == ["", ""]
    mixed = body(para("Jane Smith   0:03") + para("Hi.") + para("Tom Okafor   0:10")
                 + para("Yes.") + table(row("Speaker", "Text"), row("Ana", "Hello")))
    assert "Ana" in [t.speaker for t in mixed.turns]
    assert "Jane Smith" not in [t.speaker for t in mixed.turns]
