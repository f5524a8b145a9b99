import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqual.errors import ConfigError
from cmqual.io.base import TranscriptOptions
from cmqual.io.plaintext import read_plaintext

OPTS = TranscriptOptions()


def turns(text, options=OPTS):
    parsed = read_plaintext(text.encode("utf-8"), "t.txt", options)
    out = []
    for t in parsed.turns:
        out.append((t.speaker, [parsed.text[s:e] for s, e in t.paragraphs]))
    return out


def test_name_colon_labels_and_multi_paragraph_turns():
    text = ("Interviewer: How did it start?\nSam: It was allocated.\nIt was odd.\n\n"
            "Interviewer: Why?\n")
    assert turns(text) == [
        ("Interviewer", ["How did it start?"]),
        ("Sam", ["It was allocated.", "It was odd."]),
        ("Interviewer", ["Why?"]),
    ]


def test_note_and_times_are_not_speakers():
    text = ("Interviewer: Tell me more.\nJo: We met early.\nNote: this was in May.\n"
            "10:30 we had the meeting.\nAt 10:30 it ended.\nInterviewer: Thanks.\n")
    assert turns(text) == [
        ("Interviewer", ["Tell me more."]),
        ("Jo", ["We met early.", "Note: this was in May.", "10:30 we had the meeting.",
                "At 10:30 it ended."]),
        ("Interviewer", ["Thanks."]),
    ]


def test_one_off_colon_phrase_is_not_a_speaker_in_prose():
    text = "I kept asking myself one thing.\nWhat Mattered Most: the students.\n"
    assert [s for s, _ in turns(text)] == ["", ""]


def test_qa_labels():
    assert turns("Q: Why?\nA: Because.\nQ: Ok.\nA: Yes.\n") == [
        ("Q", ["Why?"]), ("A", ["Because."]), ("Q", ["Ok."]), ("A", ["Yes."])]


def test_bracket_labels_but_not_annotations():
    text = "[Alex] hello there\n[laughs] yes really\n[Jo] hi\n[Alex] again\n[Jo] bye\n"
    assert turns(text) == [
        ("Alex", ["hello there", "[laughs] yes really"]), ("Jo", ["hi"]),
        ("Alex", ["again"]), ("Jo", ["bye"])]


def test_markdown_bold_labels():
    text = "**Mentor**: one\n**Mentee:** two\n**Mentor**: three\n"
    assert turns(text) == [("Mentor", ["one"]), ("Mentee", ["two"]), ("Mentor", ["three"])]


def test_speaker_talking_once_in_labelled_transcript():
    text = "Interviewer: Hello. How are you?\nSam: Fine.\nInterviewer: Good.\n"
    assert [s for s, _ in turns(text)] == ["Interviewer", "Sam", "Interviewer"]


def test_label_on_its_own_line():
    text = "Interviewer:\nHow was it?\nPat:\nFine.\n"
    assert turns(text) == [("Interviewer", ["How was it?"]), ("Pat", ["Fine."])]


def test_unlabelled_text_becomes_paragraph_turns():
    text = "First para line one\nline two\nline three.\n\nSecond para.\n"
    assert turns(text) == [("", ["First para line one\nline two\nline three."]),
                           ("", ["Second para."])]


def test_line_mode_for_long_lines():
    text = "A" * 150 + " end.\n" + "B" * 150 + " end.\n"
    assert len(turns(text)) == 2


def test_custom_speaker_pattern():
    opts = TranscriptOptions(speaker_pattern=r"(?P<speaker>[A-Z][A-Z ]+?) - ")
    text = "MR SMITH - Good morning.\nTHE WITNESS - Morning.\n"
    assert turns(text, opts) == [("MR SMITH", ["Good morning."]), ("THE WITNESS", ["Morning."])]


@pytest.mark.parametrize("pattern,fragment", [("(", "not a valid regular expression"),
                                              ("[A-Z]+:", "named group")])
def test_bad_speaker_pattern(pattern, fragment):
    with pytest.raises(ConfigError, match=fragment):
        TranscriptOptions(speaker_pattern=pattern)


def test_otter_export():
    text = ("SUMMARY KEYWORDS\nmentoring, time\nSPEAKERS\nJane Doe, Unknown Speaker\n\n"
            "Jane Doe  0:03\nHello there.\n\nUnknown Speaker  0:10\nHi. It is 10:30.\nmore\n\n"
            "Jane Doe  1:02:03\nBye.\n\nTranscribed by https://otter.ai\n")
    parsed = read_plaintext(text.encode(), "o.txt", OPTS)
    assert parsed.format == "otter"
    got = [(t.speaker, t.timestamp, t.timestamp_end, [text[s:e] for s, e in t.paragraphs])
           for t in parsed.turns]
    assert got == [
        ("Jane Doe", 3.0, 10.0, ["Hello there."]),
        ("Unknown Speaker", 10.0, 3723.0, ["Hi. It is 10:30.", "more"]),
        ("Jane Doe", 3723.0, None, ["Bye."]),
    ]


def test_crlf_and_bom_offsets_index_canonical_text():
    raw = "\ufeffInterviewer: Hi.\r\nSam: Fine, thanks.\r\nInterviewer: Ok.\r".encode()
    parsed = read_plaintext(raw, "c.txt", OPTS)
    assert parsed.text == "Interviewer: Hi.\nSam: Fine, thanks.\nInterviewer: Ok.\n"
    assert parsed.encoding == "utf-8-sig"
    s, e = parsed.turns[1].paragraphs[0]
    assert parsed.text[s:e] == "Fine, thanks."


NAMES = st.sampled_from(["Interviewer", "Sam", "Participant 2", "Dr. Khan", "Q", "A"])
WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                min_size=1, max_size=40).filter(lambda s: s.strip() and ":" not in s)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(NAMES, WORDS), min_size=2, max_size=8),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_labelled_turns_recovered_exactly(pairs, newline):
    body = newline.join(f"{name}: {words}" for name, words in pairs) + newline
    parsed = read_plaintext(body.encode("utf-8"), "p.txt", OPTS)
    got = [(t.speaker, parsed.text[t.paragraphs[0][0]:t.paragraphs[-1][1]])
           for t in parsed.turns]
    assert got == [(name, words.strip()) for name, words in pairs]


@pytest.mark.parametrize("text", [
    "Jane Smith (00:03):\nHow is it going?\n\nTom Okafor (01:02:15):\nNo time.\n",  # Rev
    "[00:00:03] Jane Smith: How is it going?\n[01:02:15] Tom Okafor: No time.\n",  # Trint
    "Jane Smith [00:00:03]: How is it going?\nTom Okafor [1:02:15]: No time.\n",
    "Jane Smith: [00:00:03] How is it going?\nTom Okafor: (1:02:15) No time.\n",  # Descript
    "00:03 Jane Smith: How is it going?\n1:02:15 Tom Okafor: No time.\n",
])
def test_timestamped_labels_of_transcription_services(text):
    parsed = read_plaintext(text.encode(), "t.txt", OPTS)
    assert turns(text) == [("Jane Smith", ["How is it going?"]), ("Tom Okafor", ["No time."])]
    assert [(t.timestamp, t.timestamp_end) for t in parsed.turns] == [(3.0, 3735.0),
                                                                       (3735.0, None)]


def test_a_time_after_the_colon_is_words_unless_bracketed():
    text = "Ana: 10:30 is fine.\nBen: (00:12) Sure.\nAna: OK.\n"
    parsed = read_plaintext(text.encode(), "t.txt", OPTS)
    assert turns(text) == [("Ana", ["10:30 is fine."]), ("Ben", ["Sure."]), ("Ana", ["OK."])]
    assert [t.timestamp for t in parsed.turns] == [None, 12.0, None]


def test_speaker_pattern_may_capture_a_timestamp():
    options = TranscriptOptions(speaker_pattern=r"(?P<timestamp>\d+:\d\d) - (?P<speaker>\w+) ")
    parsed = read_plaintext(b"0:03 - Ana hello\n0:09 - Ben hi\n", "t.txt", options)
    assert [(t.speaker, t.timestamp, t.timestamp_end) for t in parsed.turns] == [
        ("Ana", 3.0, 9.0), ("Ben", 9.0, None)]


@pytest.mark.parametrize("text", [
    "[Jane Smith] 14:02:33\nHow is it going?\n\n[Tom Okafor] 14:02:40\nNo time.\n",
    "[Jane Smith] 14:02:33 How is it going?\n[Tom Okafor] 14:02:40 No time.\n",
])
def test_zoom_bracketed_names_with_clock_times(text):
    parsed = read_plaintext(text.encode(), "t.txt", OPTS)
    assert turns(text) == [("Jane Smith", ["How is it going?"]), ("Tom Okafor", ["No time."])]
    assert [t.timestamp for t in parsed.turns] == [50553.0, 50560.0]  # as written: 14:02:33


def test_one_timed_line_in_prose_is_not_a_label():
    text = "We met at 10:30.\n[Note] 10:30 the room was cold.\nIt went well.\n"
    assert [s for s, _ in turns(text)] == ["", "", ""]
