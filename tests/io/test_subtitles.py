from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transcript_checks import assert_turn_spans, turn_texts

from cmqual.errors import FormatError
from cmqual.io import get_reader
from cmqual.io.base import TranscriptOptions
from cmqual.io.subtitles import read_srt, read_vtt

DATA = Path(__file__).resolve().parents[1] / "data" / "transcripts"
OPTS = TranscriptOptions()


def vtt(text: str, options: TranscriptOptions = OPTS):
    return read_vtt(text.encode("utf-8"), "t.vtt", options)


def srt(text: str, options: TranscriptOptions = OPTS):
    return read_srt(text.encode("utf-8"), "t.srt", options)


def test_registry_points_here():
    assert get_reader(".VTT") is read_vtt
    assert get_reader(".srt") is read_srt


def test_teams_vtt_voice_tags_merge_cues_into_one_paragraph():
    doc = read_vtt((DATA / "teams.vtt").read_bytes(), "teams.vtt", OPTS)
    assert doc.format == "vtt" and doc.encoding == "utf-8-sig"
    assert doc.text == (
        "Alex Smith: Thanks for joining & welcome.\n"
        "Can you hear me?\n"
        "Jo Bloggs: Yes, loud and clear <mostly>.\n"
        "It works\u00a0now\n"
        "Alex Smith: Great.\n"
        "Jo Bloggs: Shall we start?\n"
    )
    assert turn_texts(doc) == [
        ("Alex Smith", ["Thanks for joining & welcome.\nCan you hear me?"]),
        ("Jo Bloggs", ["Yes, loud and clear <mostly>.\nIt works\u00a0now"]),
        ("Alex Smith", ["Great."]),
        ("Jo Bloggs", ["Shall we start?"]),
    ]
    times = [(t.timestamp, t.timestamp_end) for t in doc.turns]
    assert times == [(1.0, 6.0), (6.5, 10.0), (70.0, 72.0), (70.0, 72.0)]


def test_zoom_vtt_name_prefixes_and_label_only_cue():
    doc = read_vtt((DATA / "zoom.vtt").read_bytes(), "zoom.vtt", OPTS)
    assert turn_texts(doc) == [
        ("Interviewer", ["Good morning."]),
        ("Sam Lee", ["Morning! Ready when you are.\nHonestly, it was hard."]),
        ("Interviewer", ["Why was that?"]),
    ]
    assert doc.text.startswith("Interviewer: Good morning.\nSam Lee: Morning! Ready when")
    assert [(t.timestamp, t.timestamp_end) for t in doc.turns] == [
        (0.5, 2.0), (2.0, 5.0), (6.0, 7.25)]


def test_srt_fixture_tags_entities_and_unlabelled_cues():
    doc = read_srt((DATA / "captions.srt").read_bytes(), "captions.srt", OPTS)
    assert doc.format == "srt"
    assert turn_texts(doc) == [
        ("", ["[Music]"]),
        ("", ["Where were you?"]),
        ("Participant 3", ["At the café, I think. Say 2 < 3 & more.\nStill me."]),
        ("Moderator", ["Next question."]),
    ]
    assert [(t.timestamp, t.timestamp_end) for t in doc.turns] == [
        (1.0, 2.5), (2.5, 4.0), (4.0, 7.0), (7.0, 8.0)]


def test_vtt_tags_stripped_lone_angle_kept_and_numeric_entities():
    doc = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ana>a <ruby>b<rt>c</rt></ruby> x < y"
              " &#233;&#x4E2D; &bogus; &#0;</v>\n")
    assert turn_texts(doc) == [("Ana", ["a bc x < y é中 &bogus; &#0;"])]


def test_vtt_several_voices_in_one_cue_and_text_after_close():
    doc = vtt("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana>Hi</v> <v Ben>Hello\n"
              "there</v>\nmore from Ben\n\n00:00:03.000 --> 00:00:04.000\n<v Ben>Yes\n")
    assert turn_texts(doc) == [("Ana", ["Hi"]), ("Ben", ["Hello there more from Ben\nYes"])]


def test_unlabelled_cues_before_any_speaker_are_separate_turns():
    doc = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\none\n\n00:02.000 --> 00:03.000\ntwo\n\n"
              "00:03.000 --> 00:04.000\n<v Ana>three\n\n00:04.000 --> 00:05.000\nfour\n")
    assert turn_texts(doc) == [("", ["one"]), ("", ["two"]), ("Ana", ["three\nfour"])]
    assert [t.timestamp for t in doc.turns] == [1.0, 2.0, 3.0]


def test_prefix_labels_follow_plain_text_rules():
    # a one-off "Name:" is not a speaker when nobody else is labelled
    doc = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\nSo.\n\n"
              "00:02.000 --> 00:03.000\nMy Point: it matters\n")
    assert turn_texts(doc) == [("", ["So."]), ("", ["My Point: it matters"])]
    doc = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\nNote: check this\n\n"
              "00:02.000 --> 00:03.000\nNote: again\n")
    assert [t.speaker for t in doc.turns] == ["", ""]


def test_speaker_pattern_replaces_prefix_rules():
    opts = TranscriptOptions(speaker_pattern=r">> (?P<speaker>[A-Z]+) ")
    doc = srt("1\n00:00:01,000 --> 00:00:02,000\n>> ANA hello\n\n"
              "2\n00:00:02,000 --> 00:00:03,000\nInterviewer: not a label here\n", opts)
    assert turn_texts(doc) == [("ANA", ["hello\nInterviewer: not a label here"])]


def test_srt_without_blank_lines_and_crlf():
    doc = srt("1\r\n00:00:01,000 --> 00:00:02,000\r\nQ: Why?\r\n2\r\n"
              "00:00:02,000 --> 00:00:03,000\r\nA: Because.\r\n")
    assert turn_texts(doc) == [("Q", ["Why?"]), ("A", ["Because."])]


def test_hours_beyond_two_digits_and_comma_in_vtt():
    doc = vtt("WEBVTT\n\n100:00:01,5 --> 100:00:02.25\n<v A>x\n")
    assert (doc.turns[0].timestamp, doc.turns[0].timestamp_end) == (360001.5, 360002.25)


def test_empty_files_give_no_turns():
    assert vtt("WEBVTT\n").turns == ()
    assert srt("").text == ""


@pytest.mark.parametrize(
    ("reader", "text", "fragments"),
    [
        (read_srt, "1\n00:00:01,000 --> 00:00:0x,000\nHi\n", ["t.x", "line 2", "00:00:0x,000",
                                                              "expected"]),
        (read_srt, "1\n00:00:01,000 -> 00:00:02,000\nHi\n", ["t.x", "line 1", "timing"]),
        (read_srt, "1\n00:00:01,000 --> 00:00:02,000\nHi\n\nstray text\n",
         ["line 5", "text outside a cue", "blank line inside a cue"]),
        (read_vtt, "WEBVTT\n\n00:01.000 --> 00:75.000\nHi\n", ["line 3", "malformed"]),
        (read_vtt, "WEBVTT\n\nNOTE ok\n\n00:01.000 -->\nHi\n", ["line 5", "malformed"]),
        (read_vtt, "Just some text\n", ["not a WebVTT file", "WEBVTT"]),
    ],
)
def test_malformed_files_raise_format_error(reader, text, fragments):
    with pytest.raises(FormatError) as err:
        reader(text.encode("utf-8"), "t.x", OPTS)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_binary_content_is_refused():
    with pytest.raises(FormatError, match="binary"):
        read_srt(b"\x00\x01\x02" * 10, "t.srt", OPTS)


# --- property: random turns survive a round trip through VTT and SRT -----------------

_SPEAKERS = st.sampled_from(["Interviewer", "Participant 1", "Speaker 2", "Moderator",
                             "Participant 12", "Q", "A"])
_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n\r")
_LINE = st.text(st.one_of(_CHARS, st.sampled_from(["\t", " ", "&", "<", ">"])),
                min_size=1, max_size=30).filter(lambda s: s.strip() and "-->" not in s)
_CUE = st.lists(_LINE, min_size=1, max_size=3)
_TURNS = st.lists(st.tuples(_SPEAKERS, st.lists(_CUE, min_size=1, max_size=3)),
                  min_size=1, max_size=6)


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ts(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def _expected(turns):
    """Merge adjacent turns of one speaker; each cue's lines stripped and space-joined."""
    out: list[tuple[str, list[str]]] = []
    for speaker, cues in turns:
        lines = [" ".join(line.strip() for line in cue if line.strip()) for cue in cues]
        if out and out[-1][0] == speaker:
            out[-1][1].extend(lines)
        else:
            out.append((speaker, lines))
    return [(speaker, ["\n".join(lines)]) for speaker, lines in out]


@settings(max_examples=150, deadline=None)
@given(_TURNS)
def test_vtt_round_trip(turns):
    parts = ["WEBVTT", ""]
    n = 0
    for speaker, cues in turns:
        for cue in cues:
            parts += [f"cue-{n}", f"{_ts(2 * n, '.')} --> {_ts(2 * n + 1.5, '.')} line:0"]
            parts += [f"<v {speaker}>{_escape(cue[0])}"] + [_escape(x) for x in cue[1:]]
            parts.append("")
            n += 1
    doc = read_vtt("\r\n".join(parts).encode("utf-8"), "p.vtt", OPTS)
    assert_turn_spans(doc)
    got = [(t.speaker, [doc.text[s:e] for s, e in t.paragraphs]) for t in doc.turns]
    assert got == _expected(turns)
    first = 0
    for turn, (_, cues) in zip(doc.turns, _merged_cue_counts(turns), strict=True):
        assert turn.timestamp == pytest.approx(2 * first)
        assert turn.timestamp_end == pytest.approx(2 * (first + cues - 1) + 1.5)
        first += cues


def _merged_cue_counts(turns):
    out: list[list] = []
    for speaker, cues in turns:
        if out and out[-1][0] == speaker:
            out[-1][1] += len(cues)
        else:
            out.append([speaker, len(cues)])
    return out


@settings(max_examples=150, deadline=None)
@given(_TURNS)
def test_srt_round_trip(turns):
    # SRT has no voice tags: speakers are "Name: " prefixes, so payload lines must not
    # themselves start like a label (no colons or brackets in the generated text)
    turns = [(s, [[x.replace(":", ";").replace("[", "(").replace("{", "(") for x in cue]
                  for cue in cues]) for s, cues in turns]
    parts = []
    n = 0
    for speaker, cues in turns:
        for cue in cues:
            parts += [str(n + 1), f"{_ts(2 * n, ',')} --> {_ts(2 * n + 1.5, ',')}"]
            parts += [f"{speaker}: {_escape(cue[0])}"] + [_escape(x) for x in cue[1:]]
            parts.append("")
            n += 1
    doc = read_srt("\n".join(parts).encode("utf-8"), "p.srt", OPTS)
    assert_turn_spans(doc)
    got = [(t.speaker, [doc.text[s:e] for s, e in t.paragraphs]) for t in doc.turns]
    assert got == _expected(turns)
