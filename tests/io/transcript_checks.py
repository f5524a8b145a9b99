"""Checks every transcript reader's result must pass (imported by the reader tests)."""

from __future__ import annotations

from cmqual.io.base import ParsedDocument


def assert_turn_spans(doc: ParsedDocument) -> None:
    """Spans are non-empty, trimmed, increasing, non-overlapping, and hold no label."""
    text = doc.text
    prev_end = 0
    for turn in doc.turns:
        assert turn.paragraphs, turn
        first = turn.paragraphs[0][0]
        if turn.speaker:
            # the label is written before the words, after the previous turn
            assert " ".join(turn.speaker.split()) in " ".join(text[prev_end:first].split()), (
                turn, text[prev_end:first])
        for start, end in turn.paragraphs:
            assert prev_end <= start < end <= len(text), (turn, prev_end)
            span = text[start:end]
            assert span == span.strip(), (turn, span)
            if turn.speaker:
                assert not span.startswith(turn.speaker + ":"), (turn, span)
            prev_end = end


def turn_texts(doc: ParsedDocument) -> list[tuple[str, list[str]]]:
    """``(speaker, [paragraph text...])`` of every turn, after checking the spans."""
    assert_turn_spans(doc)
    return [(t.speaker, [doc.text[s:e] for s, e in t.paragraphs]) for t in doc.turns]
