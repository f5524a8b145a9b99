"""Applying codebooks to corpora: codings tables, speakers, levels, workers, rollup."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import cmqual.coding as coding
from cmqual.codebook import from_dict
from cmqual.coding import apply_codebook, explain_segment, rollup
from cmqual.errors import ConfigError, CorpusError, FormatError
from cmqual.matcher import compile_codebook
from cmqual.tables import CODING_COLUMNS

CODEBOOK = from_dict(
    {
        "id": "t",
        "title": "Test",
        "version": "1",
        "codes": [
            {
                "id": "power",
                "label": "Power",
                "patterns": ["manager*"],
                "codes": [
                    {
                        "id": "line",
                        "label": "Line management",
                        "patterns": ["line manager*"],
                        "speakers": "participants",
                    }
                ],
            },
            {
                "id": "assessment",
                "label": "Assessment",
                "patterns": ["assess*"],
                "exclude_patterns": ["risk assessment"],
            },
            {"id": "mentoring", "label": "Mentoring", "patterns": ["mentor+"]},
        ],
    }
)

DOCS = {
    "p01": (
        "Interviewer: Did your line manager assess you?\n"
        "Sam: My line manager did. It was a risk assessment, then a real assessment.\n"
        "\n"
        "Mentoring helped.\n"
        "Interviewer: And your manager?\n"
    ),
    "notes": "Assessment first. A line manager’s mentor",
}


def segments_table(docs: dict[str, str]) -> pd.DataFrame:
    """Turn, paragraph and sentence segments with exact offsets (a tiny segmenter)."""
    rows = []
    for doc_id, text in docs.items():
        labels = list(re.finditer(r"^(Interviewer|Sam): ", text, re.M))
        bounds = [(m.group(1), m.end()) for m in labels] or [("", 0)]
        turns = []
        for i, (speaker, start) in enumerate(bounds):
            stop = labels[i + 1].start() if i + 1 < len(labels) else len(text)
            body = text[start:stop].rstrip()
            turns.append((speaker, start, start + len(body)))
        for speaker, start, end in turns:
            role = {"Interviewer": "interviewer", "Sam": "participant"}.get(speaker, "")
            pieces = {"turn": [(start, end)]}
            pieces["paragraph"] = [
                (start + p.start(), start + p.end())
                for p in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text[start:end])
            ]
            pieces["sentence"] = [
                (start + s.start(), start + s.end())
                for s in re.finditer(r"[^.?!\n]+[.?!]?", text[start:end])
                if s.group().strip()
            ]
            for level, spans in pieces.items():
                for a, b in spans:
                    while text[a] == " ":
                        a += 1
                    rows.append(
                        {
                            "doc_id": doc_id,
                            "doc": f"{doc_id}.txt",
                            "segment_id": f"{doc_id}-{level[0]}{a}-{b}",
                            "level": level,
                            "start": a,
                            "end": b,
                            "speaker": speaker,
                            "speaker_role": role,
                            "text": text[a:b],
                        }
                    )
    frame = pd.DataFrame(rows)
    return frame.astype({c: "string" for c in frame.columns if c not in ("start", "end")})


SEGMENTS = segments_table(DOCS)


def code_texts(codings: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(zip(codings["doc_id"], codings["code"], codings["text"], strict=True))


def test_codings_table_columns_offsets_and_provenance():
    codings = apply_codebook((SEGMENTS, DOCS), CODEBOOK, level="turn")
    assert list(codings.columns) == list(CODING_COLUMNS)
    assert codings.dtypes.astype(str).to_dict() == {
        c: ("string" if t == "string" else t) for c, t in CODING_COLUMNS.items()
    } or all(str(codings[c].dtype) in ("string", "str", t) for c, t in CODING_COLUMNS.items())
    for row in codings.itertuples(index=False):
        assert DOCS[row.doc_id][row.start : row.end] == row.text
    assert set(codings["coder"]) == {"cmqual-auto"}
    assert set(codings["codebook_hash"]) == {compile_codebook(CODEBOOK).codebook_hash}
    ordered = codings.sort_values(["doc_id", "start", "end", "code"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(codings, ordered)
    assert code_texts(codings) == [
        ("notes", "t/assessment", "Assessment"),
        ("notes", "t/power/line", "line manager’s"),
        ("notes", "t/mentoring", "mentor"),
        ("p01", "t/power/line", "line manager"),
        ("p01", "t/assessment", "assessment"),
        ("p01", "t/mentoring", "Mentoring"),
    ]


@pytest.mark.parametrize(
    ("speakers", "expected"),
    [
        # default: interviewer turns are not coded at all
        (
            "participants",
            {
                ("t/power/line", "line manager"),
                ("t/assessment", "assessment"),
                ("t/mentoring", "Mentoring"),
            },
        ),
        # all: interviewer turns are coded, except for participants-only codes, where the
        # parent code takes the hit
        (
            "all",
            {
                ("t/power", "manager"),
                ("t/assessment", "assess"),
                ("t/power/line", "line manager"),
                ("t/assessment", "assessment"),
                ("t/mentoring", "Mentoring"),
                ("t/power", "manager"),
            },
        ),
    ],
)
def test_speakers(speakers, expected):
    codings = apply_codebook((SEGMENTS, DOCS), CODEBOOK, level="turn", speakers=speakers)
    p01 = codings[codings["doc_id"] == "p01"]
    assert set(zip(p01["code"], p01["text"], strict=True)) == expected
    if speakers == "all":
        interviewer = p01[p01["speaker"] == "Interviewer"]
        assert "t/power/line" not in set(interviewer["code"])
        assert len(interviewer) == 3


@pytest.mark.parametrize("level", ["turn", "paragraph", "sentence"])
def test_every_level_gives_the_same_hits_here(level):
    codings = apply_codebook((SEGMENTS, DOCS), CODEBOOK, level=level, speakers="all")
    assert set(codings["level"]) == {level}
    turns = apply_codebook((SEGMENTS, DOCS), CODEBOOK, level="turn", speakers="all")
    assert code_texts(codings) == code_texts(turns)
    segments = SEGMENTS[SEGMENTS["level"] == level].set_index("segment_id")
    for row in codings.itertuples(index=False):
        seg = segments.loc[row.segment_id]
        assert seg["start"] <= row.start < row.end <= seg["end"]


def test_sentence_level_stops_phrases_at_sentence_ends():
    docs = {"d": "It was hard. To reach them we drove."}
    cb = from_dict(
        {
            "id": "x",
            "title": "X",
            "version": "1",
            "codes": [{"id": "a", "label": "A", "patterns": ["hard to reach", "re:hard.*drove"]}],
        }
    )
    segments = segments_table(docs)
    assert len(apply_codebook((segments, docs), cb, level="turn")) == 1  # the regex only
    assert apply_codebook((segments, docs), cb, level="sentence").empty


def test_inputs_without_text_column_or_with_object_columns_agree():
    expected = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all")
    no_text = SEGMENTS.drop(columns=["text"])
    pd.testing.assert_frame_equal(
        apply_codebook((no_text, DOCS), CODEBOOK, speakers="all"), expected
    )
    as_objects = SEGMENTS.astype(object)
    pd.testing.assert_frame_equal(apply_codebook(as_objects, CODEBOOK, speakers="all"), expected)
    old_names = SEGMENTS.rename(columns={"speaker_role": "role"})
    pd.testing.assert_frame_equal(apply_codebook(old_names, CODEBOOK, speakers="all"), expected)


def test_corpus_objects_and_codebook_ids(tmp_path, monkeypatch):
    class Corpus:
        segments = SEGMENTS
        texts = DOCS

    expected = apply_codebook((SEGMENTS, DOCS), CODEBOOK)
    pd.testing.assert_frame_equal(apply_codebook(Corpus(), CODEBOOK), expected)
    pd.testing.assert_frame_equal(apply_codebook(Corpus(), compile_codebook(CODEBOOK)), expected)


def test_real_corpus(make_corpus):
    import cmqual

    root = make_corpus({"a.txt": "Interviewer: Any mentors?\nSam: My line manager mentored me.\n"})
    corpus = cmqual.read_corpus(root)
    codings = apply_codebook(corpus, CODEBOOK, level="sentence")
    assert code_texts(codings) == [
        ("a", "t/power/line", "line manager"),
        ("a", "t/mentoring", "mentored"),
    ]
    assert codings["speaker"].tolist() == ["Sam", "Sam"]


def test_workers_and_batches_do_not_change_results(monkeypatch):
    expected = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all", workers=1)
    monkeypatch.setattr(coding, "CHUNK_SEGMENTS", 3)
    serial = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all", workers=1)
    parallel = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all", workers=2)
    pd.testing.assert_frame_equal(serial, expected)
    pd.testing.assert_frame_equal(parallel, expected)


def test_progress_bar_only_when_asked(capsys):
    apply_codebook((SEGMENTS, DOCS), CODEBOOK)
    assert capsys.readouterr().err == ""
    apply_codebook((SEGMENTS, DOCS), CODEBOOK, progress=True)
    assert "coding" in capsys.readouterr().err


def test_argument_errors_name_the_argument():
    with pytest.raises(ConfigError, match="level='word'"):
        apply_codebook((SEGMENTS, DOCS), CODEBOOK, level="word")
    with pytest.raises(ConfigError, match="speakers='me'"):
        apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="me")
    with pytest.raises(ConfigError, match="workers=0"):
        apply_codebook((SEGMENTS, DOCS), CODEBOOK, workers=0)
    turns = SEGMENTS[SEGMENTS["level"] == "turn"]
    with pytest.raises(ConfigError, match="no sentence segments; levels present: turn"):
        apply_codebook(turns, CODEBOOK, level="sentence")
    with pytest.raises(FormatError, match="missing column"):
        apply_codebook(SEGMENTS.drop(columns=["level"]), CODEBOOK)
    with pytest.raises(CorpusError, match="no 'text' column"):
        apply_codebook(SEGMENTS.drop(columns=["text"]), CODEBOOK)
    with pytest.raises(ConfigError, match="corpus must be"):
        apply_codebook("corpus", CODEBOOK)


def test_empty_results_have_the_columns():
    empty = apply_codebook(SEGMENTS.iloc[:0], CODEBOOK)
    assert list(empty.columns) == list(CODING_COLUMNS) and empty.empty
    nothing = apply_codebook(
        (SEGMENTS, DOCS),
        from_dict(
            {
                "id": "x",
                "title": "X",
                "version": "1",
                "codes": [{"id": "a", "label": "A", "patterns": ["zebra"]}],
            }
        ),
    )
    assert nothing.empty and list(nothing.columns) == list(CODING_COLUMNS)


def test_rollup_counts_hits_at_every_ancestor():
    codings = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all")
    rolled = rollup(codings)
    assert list(rolled.columns) == [
        "doc_id",
        "doc",
        "segment_id",
        "level",
        "speaker",
        "code",
        "depth",
        "hits",
    ]
    counts = rolled.groupby("code")["hits"].sum().to_dict()
    assert counts == {
        "t/assessment": 3,
        "t/mentoring": 2,
        "t/power": 4,  # two own hits and two line-management hits
        "t/power/line": 2,
    }
    top = rollup(codings, depth=1)
    assert set(top["depth"]) == {1} and top["hits"].sum() == 9
    assert not rolled.duplicated(["segment_id", "code"]).any()
    with pytest.raises(ConfigError, match="depth=0"):
        rollup(codings, depth=0)
    empty = rollup(codings.iloc[:0])
    assert empty.empty and "hits" in empty.columns


def test_explain_segment():
    sam = SEGMENTS[(SEGMENTS["speaker"] == "Sam") & (SEGMENTS["level"] == "turn")].iloc[0]
    ex = explain_segment((SEGMENTS, DOCS), CODEBOOK, "p01", sam["segment_id"])
    assert ex.codes == ("t/assessment", "t/mentoring", "t/power/line")
    report = str(ex)
    assert "'assessment' include 'assess*' -> t/assessment: excluded" in report
    assert "'manager' include 'manager*' -> t/power: ancestor" in report
    start = DOCS["p01"].index("risk")
    assert any(e.start == start + 5 for e in ex.events)  # offsets into the document

    interviewer = SEGMENTS[(SEGMENTS["speaker"] == "Interviewer") & (SEGMENTS["level"] == "turn")]
    first = interviewer.iloc[0]["segment_id"]
    ex = explain_segment((SEGMENTS, DOCS), CODEBOOK, "p01", first)
    assert ex.codes == () and {e.outcome for e in ex.events} == {"speaker"}
    ex = explain_segment((SEGMENTS, DOCS), CODEBOOK, "p01", first, speakers="all")
    assert ex.codes == ("t/assessment", "t/power")
    # without document texts the segment text is used, offsets unchanged
    alone = explain_segment(SEGMENTS, CODEBOOK, "p01", first, speakers="all")
    assert [(h.start, h.end) for h in alone.hits] == [(h.start, h.end) for h in ex.hits]
    with pytest.raises(ConfigError, match="no segment 'x' in document 'p01'; 'p01' has"):
        explain_segment((SEGMENTS, DOCS), CODEBOOK, "p01", "x")


@pytest.mark.slow
def test_large_batches_in_parallel_match_serial(monkeypatch):
    monkeypatch.setattr(coding, "CHUNK_SEGMENTS", 2_000)
    rng = np.random.default_rng(3)
    words = np.array(["the", "line", "manager", "assessed", "risk", "assessment", "mentors", "x"])
    texts = [" ".join(rng.choice(words, size=12)) for _ in range(10_000)]
    frame = pd.DataFrame(
        {
            "doc_id": [f"d{i // 100}" for i in range(len(texts))],
            "segment_id": [f"s{i}" for i in range(len(texts))],
            "level": "turn",
            "start": 0,
            "end": [len(t) for t in texts],
            "text": texts,
        }
    ).astype({"text": "string"})
    serial = apply_codebook(frame, CODEBOOK, workers=1)
    parallel = apply_codebook(frame, CODEBOOK, workers=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert len(serial) > 10_000


@pytest.mark.slow
def test_spawned_workers_match_serial(monkeypatch):
    """The path used off Linux (macOS, Windows: spawn): batches are shipped."""
    monkeypatch.setattr(coding, "CHUNK_SEGMENTS", 1)
    monkeypatch.setattr(coding, "fork_is_safe", lambda: False)
    expected = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all", workers=1)
    shipped = apply_codebook((SEGMENTS, DOCS), CODEBOOK, speakers="all", workers=2)
    pd.testing.assert_frame_equal(shipped, expected)
