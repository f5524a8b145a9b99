import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqual.text import count_words, sentence_spans


def sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    "abbrev",
    ["Dr.", "Mr.", "Mrs.", "Ms.", "Prof.", "e.g.", "i.e.", "etc.", "vs.", "St."],
)
def test_no_split_after_abbreviations(abbrev):
    text = f"We talked to {abbrev} Smith about it. Then we left."
    assert sentences(text) == [f"We talked to {abbrev} Smith about it.", "Then we left."]


def test_no_split_after_number_abbreviation_but_split_after_no():
    assert sentences("See item No. 3 in the list. It was fine.") == [
        "See item No. 3 in the list.", "It was fine."]
    assert sentences("I said no. Then she laughed.") == ["I said no.", "Then she laughed."]


def test_no_split_inside_annotations():
    text = "He said [inaudible 00:12:03] and then [crosstalk? unclear] left. Fine."
    assert sentences(text) == [
        "He said [inaudible 00:12:03] and then [crosstalk? unclear] left.", "Fine."]


def test_splits_questions_and_exclamations():
    assert sentences("Did it help? Yes! It really did. Okay.") == [
        "Did it help?", "Yes!", "It really did.", "Okay."]


def test_offsets_are_absolute_and_trimmed():
    text = "xx  First one. Second one.  yy"
    spans = sentence_spans(text, 2, 28)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one."]


def test_blank_range_has_no_sentences():
    assert sentence_spans("   \n  ") == []


def test_count_words_keeps_inner_hyphens_and_apostrophes():
    assert count_words("It's a hard-to-reach group, isn’t it?") == 6
    assert count_words("café naïve 2023 — ok") == 4


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_sentence_spans_cover_every_non_space_character(text):
    spans = sentence_spans(text)
    covered = set()
    last = -1
    for s, e in spans:
        assert s >= last and e > s
        assert text[s:e] == text[s:e].strip()
        covered.update(range(s, e))
        last = e
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


PUNKT_ALPHABET = st.sampled_from(
    [*list("aAbBzZ  ..?!,;:()[]{}\"'’“”«»-\n\t0123456789"), "Dr", "Mr", "e.g", "etc", "No",
     "St", "I", "\u00a0", "\x1c", "\x85", "\u2028", "--", "...", "é", "Ł"]
)


@settings(max_examples=400)
@given(st.lists(PUNKT_ALPHABET, max_size=80).map("".join))
def test_cached_punkt_decisions_equal_plain_punkt(text):
    """cmqual's Punkt (memoised decisions, one-loop span_tokenize) equals NLTK's."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    from cmqual.text import ABBREVIATIONS, _tokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    plain = PunktSentenceTokenizer(params)
    assert list(_tokenizer("builtin").span_tokenize(text)) == list(plain.span_tokenize(text))


@settings(max_examples=400)
@given(st.lists(st.sampled_from(
    [*list("aZ09_ .,:;-'\"()!?\n\t"), "e.g", "U.K", "10:30", "1,000", "3.5", "don't",
     "x-y", "a.b.c", "A.", "_x", "x_"]), max_size=40).map("".join))
def test_ascii_word_rule_equals_the_general_one(text):
    from cmqual.text import _WORD_ASCII_RE, _WORD_RE

    assert [m.span() for m in _WORD_ASCII_RE.finditer(text)] == [
        m.span() for m in _WORD_RE.finditer(text)]
