"""The pattern language: parsing, word forms, folding, regex prefixes, overlap analysis."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmqual.errors import CodebookError
from cmqual.patterns import (
    Near,
    Regex,
    Term,
    could_be_inside,
    fold,
    parse_pattern,
    regex_prefixes,
    spellings,
    word_forms,
)


def test_words_phrases_and_alternatives():
    node = parse_pattern("line|middle manager*").node
    assert isinstance(node, Term)
    assert [[(a.text, a.kind) for a in slot] for slot in node.slots] == [
        [("line", "literal"), ("middle", "literal")],
        [("manager", "stem")],
    ]
    assert str(node) == "line|middle manager*"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("hard to reach", ["hard", "to", "reach"]),
        ("hard-to-reach", ["hard", "to", "reach"]),
        ("self–assessment", ["self", "assessment"]),
        ("and/or", ["and", "or"]),
        ("don't know", ["don't", "know"]),
        ("  padded  ", ["padded"]),
    ],
)
def test_phrases_split_on_gaps_but_keep_apostrophes(pattern, words):
    node = parse_pattern(pattern).node
    assert [slot[0].text for slot in node.slots] == words


def test_suffixes_and_regex_and_near():
    assert parse_pattern("mentor+").node.slots[0][0].kind == "forms"
    assert parse_pattern("assess*").node.slots[0][0].kind == "stem"
    rx = parse_pattern(r"re:\bNHS\b").node
    assert isinstance(rx, Regex) and rx.source == r"\bNHS\b"
    near = parse_pattern("workload near/5 re:stress(ed)?").node
    assert isinstance(near, Near) and near.distance == 5
    assert isinstance(near.left, Term) and isinstance(near.right, Regex)
    assert parse_pattern(" assess* ").text == " assess* "  # kept as written


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("", "empty pattern"),
        ("  -- ", "no words"),
        ("re:", "empty regular expression"),
        ("re:(oops", "invalid regular expression"),
        ("re:a*", "can match empty text"),
        ("as*sess", "misplaced '*'"),
        ("c++", "misplaced"),
        ("*", "no letters before"),
        ("line||manager", "empty alternative"),
        ("|manager", "empty alternative"),
        ("care2+", "letters only"),
        ("workload NEAR/ stress", "bad proximity syntax"),
        ("workload NEAR/x stress", "whole number"),
        ("NEAR/3 stress", "a pattern on each side"),
        ("a NEAR/2 b NEAR/3 c", "only one NEAR"),
        ("a NEAR/999 b", "over NEAR/100"),
        ("nhs re:trusts?", "'re:' must start"),
    ],
)
def test_bad_patterns_name_the_problem(pattern, fragment):
    with pytest.raises(CodebookError, match=None) as info:
        parse_pattern(pattern)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("mentor", {"mentor", "mentors", "mentored", "mentoring", "mentor's", "mentors'"}),
        ("study", {"study", "studies", "studied", "studying", "study's"}),
        ("plan", {"plans", "planned", "planning"}),
        ("manage", {"manages", "managed", "managing"}),
        ("agree", {"agreed", "agreeing"}),
        ("die", {"died", "dying"}),
        ("box", {"boxes", "boxed", "boxing"}),
        ("travel", {"travelled", "traveled", "travelling"}),
        ("knife", {"knives"}),
        ("potato", {"potatoes"}),
        ("panic", {"panicked"}),
        ("play", {"plays", "played", "playing"}),
    ],
)
def test_word_forms(word, expected):
    forms = word_forms(word)
    assert forms[0] == word
    assert expected <= set(forms)


def test_word_forms_do_not_invent_forms_for_vowel_y_or_w():
    assert "playied" not in word_forms("play")
    assert "showwed" not in word_forms("show")


@given(st.text())
def test_fold_keeps_length(text):
    assert len(fold(text)) == len(text)


def test_fold_examples():
    assert fold("Don\u2019t ASSESS") == "don't assess"
    assert fold("\u0130stanbul") == "istanbul"  # 'İ' lowercases to two code points
    assert fold("ΟΔΟΣ") == "οδοσ"  # final sigma compared as sigma


def test_spellings_are_nfc_and_nfd():
    nfc, nfd = spellings("Café")
    assert nfc == "café" and nfd == unicodedata.normalize("NFD", "café")
    assert spellings("plain") == ("plain",)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"\bNHS\s+trusts?\b", (("nhs",), True)),
        (r"\bs\.\s?\d{2,3}\b", (("s.",), True)),
        (r"(?:nhs|national health) trusts?", (("national health trust", "nhs trust"), False)),
        (r"[Nn]HS", (("nhs",), False)),
        (r"(?x) foo  bar", (("foobar",), False)),
        (r"\d+ staff", ((), False)),
        (r"a|bcd", ((), False)),
        (r"x+yz", ((), False)),
        (r"(?<=care )home", (("home",), False)),  # lookarounds are zero-width: anchor after
    ],
)
def test_regex_prefixes(source, expected):
    assert regex_prefixes(source) == expected


@pytest.mark.parametrize(
    ("pattern", "exclusion", "expected"),
    [
        ("assess*", "risk assessment", True),
        ("assess*", "risk assess*", True),
        ("assessment", "risk assess*", True),
        ("assess*", "risk management", False),
        ("mentor+", "peer mentoring", True),
        ("line manager", "senior line manager", True),
        ("line manager", "line management", False),
        ("hard to reach", "hard", False),
        ("re:assess", "risk assessment", None),
        ("assess*", "risk NEAR/2 assess*", None),
    ],
)
def test_could_be_inside(pattern, exclusion, expected):
    assert could_be_inside(parse_pattern(pattern), parse_pattern(exclusion)) is expected
