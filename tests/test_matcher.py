"""The single-pass matcher: a table of tricky cases, hit rules, explanations, engines.

Every test runs with each installed automaton engine (pyahocorasick, and Hyperscan with
each of its two automata: plain literals and the shape text); all must give identical
hits. A property test compares the automaton with a plain regular-expression reference of
the same pattern semantics on random texts.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import pytest
import regex  # installed with nltk; POSIX leftmost-longest matching
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqual.codebook import Code, Codebook, from_dict
from cmqual.errors import CmqualWarning, CodebookError, ConfigError
from cmqual.matcher import CompiledCodebook, Hit, available_engines, compile_codebook
from cmqual.patterns import Regex, Term, fold, fragments, is_word_char, parse_pattern

ENGINES = available_engines()
# Hyperscan runs one of two automata, chosen by how often the codebook's literals occur:
# plain literals (rare words) or the shape text (common words); test both on every case.
VARIANTS = [
    *(e for e in ENGINES if e != "hyperscan"),
    *(("hyperscan-plain", "hyperscan-shape") if "hyperscan" in ENGINES else ()),
]


def compiled(codebook: Codebook, variant: str) -> CompiledCodebook:
    """Compile ``codebook`` with an engine, forcing Hyperscan's automaton for a variant."""
    if not variant.startswith("hyperscan-"):
        return compile_codebook(codebook, engine=variant)
    from cmqual import _automaton

    saved = _automaton._SHAPE_DENSITY
    _automaton._SHAPE_DENSITY = float("inf") if variant == "hyperscan-plain" else float("-inf")
    try:
        cm = CompiledCodebook(codebook, "hyperscan")  # not the cached compile
    finally:
        _automaton._SHAPE_DENSITY = saved
    shape = type(cm._scanner._automaton).__name__ == "HyperscanEngine"
    assert shape == (variant == "hyperscan-shape")
    return cm


def book(spec: dict, cid: str = "t") -> Codebook:
    """A codebook from ``{code id: [patterns]}`` or ``{code id: {field: value}}``."""

    def codes(items: dict) -> list[dict]:
        out = []
        for code_id, value in items.items():
            data = {"patterns": value} if isinstance(value, list) else dict(value)
            if "codes" in data:
                data["codes"] = codes(data["codes"])
            out.append({"id": code_id, "label": code_id, **data})
        return out

    return from_dict({"id": cid, "title": "test", "version": "1", "codes": codes(spec)})


def found(spec: dict, text: str, engine: str, spans=None) -> list[tuple[str, str]]:
    cm = compiled(book(spec), engine)
    return [(h.code.split("/", 1)[1], h.text) for h in cm.find(text, spans)]


NFD_CAFE = unicodedata.normalize("NFD", "café")

# (case id, codes, text, expected [(code path, hit text)] in text order)
CASES = [
    ("whole word only", {"a": ["care"]}, "career care caring", [("a", "care")]),
    (
        "upper and title case",
        {"a": ["nhs trust"]},
        "NHS Trust, nhs TRUST",
        [("a", "NHS Trust"), ("a", "nhs TRUST")],
    ),
    (
        "hyphenated phrase",
        {"a": ["hard to reach"]},
        "the hard-to-reach group",
        [("a", "hard-to-reach")],
    ),
    (
        "phrase over a line break",
        {"a": ["hard to reach"]},
        "hard to\nreach",
        [("a", "hard to\nreach")],
    ),
    (
        "phrase over dashes and commas",
        {"a": ["hard to reach"]},
        "hard – to, reach",
        [("a", "hard – to, reach")],
    ),
    ("phrase stops at a full stop", {"a": ["hard to reach"]}, "so hard. To reach", []),
    ("curly apostrophe in text", {"a": ["don't know"]}, "I don’t know", [("a", "don’t know")]),
    ("straight apostrophe in text", {"a": ["don’t know"]}, "I don't know", [("a", "don't know")]),
    ("apostrophe joins a word", {"a": ["don"]}, "don't, Don", [("a", "Don")]),
    (
        "possessive 's ends a word; + and * take it in",
        {"a": ["mentor"], "b": ["mentor+"], "c": ["mentor*"]},
        "a mentor's view",
        [("a", "mentor"), ("b", "mentor's"), ("c", "mentor's")],
    ),
    ("plural possessive", {"a": ["mentor+"]}, "the mentors' room", [("a", "mentors'")]),
    (
        "punctuation at boundaries",
        {"a": ["assessment"]},
        "(assessment), “assessment”. assessment!",
        [("a", "assessment"), ("a", "assessment"), ("a", "assessment")],
    ),
    ("hyphen splits words", {"a": ["assess*"]}, "self-assessment", [("a", "assessment")]),
    ("digits belong to words", {"a": ["covid"]}, "covid19 and covid-19", [("a", "covid")]),
    (
        "stem",
        {"a": ["assess*"]},
        "Assessed assessors reassess",
        [("a", "Assessed"), ("a", "assessors")],
    ),
    (
        "word forms",
        {"a": ["study+"]},
        "studies, studied, studying, student",
        [("a", "studies"), ("a", "studied"), ("a", "studying")],
    ),
    (
        "doubling forms",
        {"a": ["plan+"]},
        "planned planning plans planet",
        [("a", "planned"), ("a", "planning"), ("a", "plans")],
    ),
    (
        "alternatives",
        {"a": ["line|middle manager*"]},
        "middle managers and line manager",
        [("a", "middle managers"), ("a", "line manager")],
    ),
    (
        "short first word anchors later",
        {"a": ["in charge"]},
        "within charge; in  charge",
        [("a", "in  charge")],
    ),
    (
        "letters beyond ASCII",
        {"a": ["naïve", "łódź", "straße"]},
        "Naïve Łódź STRASSE straße",
        [("a", "Naïve"), ("a", "Łódź"), ("a", "straße")],
    ),
    ("NFD text, NFC pattern", {"a": ["café"]}, f"le {NFD_CAFE} noir", [("a", NFD_CAFE)]),
    ("NFC text, NFD pattern", {"a": [NFD_CAFE]}, "le café noir", [("a", "café")]),
    ("NFD accent is part of the word", {"a": ["cafe"]}, f"{NFD_CAFE} cafe", [("a", "cafe")]),
    ("stem over NFD", {"a": ["caf*"]}, f"{NFD_CAFE}s", [("a", f"{NFD_CAFE}s")]),
    (
        "length-changing lowercase before hit",
        {"a": ["assess*"]},
        "İİ İstanbul assessment",
        [("a", "assessment")],
    ),
    ("dotted capital I inside hit", {"a": ["istanbul"]}, "in İstanbul", [("a", "İstanbul")]),
    ("greek final sigma", {"a": ["οδος"]}, "ΟΔΟΣ", [("a", "ΟΔΟΣ")]),
    (
        "hit at very start and end",
        {"a": ["assess*"]},
        "Assessing is assess",
        [("a", "Assessing"), ("a", "assess")],
    ),
    (
        "raw regex, case-insensitive",
        {"a": [r"re:\bNHS\s+trusts?\b"]},
        "nhs  Trusts",
        [("a", "nhs  Trusts")],
    ),
    (
        "raw regex without literal prefix",
        {"a": [r"re:\d+ staff"]},
        "we had 12 staff",
        [("a", "12 staff")],
    ),
    (
        "overlap within a code: leftmost-longest",
        {"a": ["line manager*", "manager*"]},
        "my line managers; a manager",
        [("a", "line managers"), ("a", "manager")],
    ),
    (
        "leftmost wins over longer later",
        {"a": ["line manager", "manager support"]},
        "line manager support",
        [("a", "line manager")],
    ),
    (
        "identical spans from two patterns: first pattern",
        {"a": ["assess*", "assessment"]},
        "assessment",
        [("a", "assessment")],
    ),
    (
        "different codes overlap independently",
        {"a": ["manager*"], "b": ["line manager*"]},
        "line managers",
        [("b", "line managers"), ("a", "managers")],
    ),
    (
        "nested: the most specific code carries the hit",
        {"p": {"patterns": ["manager*"], "codes": {"c": ["line manager*"]}}},
        "line managers and managers",
        [("p/c", "line managers"), ("p", "managers")],
    ),
    (
        "exclusion contains the hit",
        {"a": {"patterns": ["assess*"], "exclude_patterns": ["risk assessment"]}},
        "a risk assessment, then assessment",
        [("a", "assessment")],
    ),
    (
        "exclusion is per code",
        {"a": {"patterns": ["assess*"], "exclude_patterns": ["risk assessment"]}, "b": ["assess*"]},
        "risk assessment",
        [("b", "assessment")],
    ),
    (
        "near, in order",
        {"a": ["workload NEAR/3 stress*"]},
        "Workload was the main stress.",
        [("a", "Workload was the main stress")],
    ),
    (
        "near, reversed",
        {"a": ["workload NEAR/3 stress*"]},
        "stressed by the workload",
        [("a", "stressed by the workload")],
    ),
    ("near, too far", {"a": ["workload NEAR/1 stress*"]}, "workload was the stress", []),
    (
        "near, adjacent is distance 0",
        {"a": ["workload NEAR/0 stress"]},
        "workload stress",
        [("a", "workload stress")],
    ),
    (
        "near with a phrase side",
        {"a": ["line manager NEAR/2 support*"]},
        "support from my line manager",
        [("a", "support from my line manager")],
    ),
    ("empty text", {"a": ["assess*"]}, "", []),
]


@pytest.mark.parametrize("engine", VARIANTS)
@pytest.mark.parametrize(
    ("codes", "text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_tricky_cases(codes, text, expected, engine):
    assert found(codes, text, engine) == expected


@pytest.mark.parametrize("engine", VARIANTS)
def test_hits_are_exact_slices_of_the_original(engine):
    cm = compiled(book({"a": ["café", "assess*"]}), engine)
    text = f"İ {NFD_CAFE} — Assessment’s İİ café İcafé"
    hits = cm.find(text)
    assert [h.text for h in hits] == [NFD_CAFE, "Assessment’s", "café"]
    assert all(text[h.start : h.end] == h.text for h in hits)
    assert hits == sorted(hits, key=lambda h: (h.start, h.end, h.code))
    assert isinstance(hits[0], Hit) and hits[0].pattern == "café" and hits[0].code == "t/a"


@pytest.mark.parametrize("engine", VARIANTS)
def test_spans_limit_hits_and_near(engine):
    spec = {"a": ["line manager*", "manager*"], "b": ["workload NEAR/5 stress"]}
    text = "my line\nmanager has workload\nstress"
    # one span: the phrase and NEAR work across the line breaks
    assert found(spec, text, engine) == [
        ("a", "line\nmanager"),
        ("b", "workload\nstress"),
    ]
    # three spans: the phrase crosses a span edge, so the shorter hit of the code counts;
    # the two sides of NEAR are in different spans
    spans = [(0, 7), (8, 28), (29, 35)]
    assert found(spec, text, engine, spans) == [("a", "manager")]
    # hits outside every span are not reported
    assert found(spec, text, engine, [(8, 15)]) == [("a", "manager")]


def test_exclusion_only_suppresses_contained_hits():
    spec = {"a": {"patterns": ["risk assess*"], "exclude_patterns": ["assessment"]}}
    with pytest.warns(CmqualWarning, match="can never overlap"):
        cb = book(spec)
    assert [h.text for h in compile_codebook(cb).find("risk assessment")] == ["risk assessment"]


def test_bad_spans_are_refused():
    cm = compile_codebook(book({"a": ["x"]}))
    with pytest.raises(ConfigError, match="overlaps"):
        cm.find("abcdef", [(0, 4), (3, 6)])
    with pytest.raises(ConfigError, match="outside the text"):
        cm.find("abc", [(0, 9)])
    with pytest.raises(ConfigError, match="must be a str"):
        cm.find(b"bytes")


def test_engines_agree_on_a_long_text():
    if len(ENGINES) < 2:
        pytest.skip("only one engine installed")
    spec = {
        "p": {"patterns": ["manager*", "re:\\bceo\\b"], "codes": {"c": ["line|middle manager*"]}},
        "a": {"patterns": ["assess*", "exam+"], "exclude_patterns": ["risk assessment"]},
        "w": ["workload NEAR/3 stress*", "hard to reach", "in charge", "café"],
    }
    text = (
        "The CEO and line managers assessed risk assessment exams; hard-to-reach café "
        f"{NFD_CAFE} staff in charge felt workload stress. "
    ) * 50
    hits = [compile_codebook(book(spec), engine=e).find(text) for e in ENGINES]
    assert hits[0] == hits[1] and len(hits[0]) == 50 * 9


def test_explain_reports_every_match_and_outcome():
    spec = {
        "a": {"patterns": ["assess*", "assessment"], "exclude_patterns": ["risk assessment"]},
        "p": {"patterns": ["manager*"], "codes": {"c": ["line manager*"]}},
    }
    cm = compile_codebook(book(spec))
    ex = cm.explain("risk assessment; assessment by line managers")
    outcomes = {(e.text, e.pattern, e.outcome) for e in ex.events}
    assert ("assessment", "assess*", "excluded") in outcomes
    assert ("risk assessment", "risk assessment", "exclusion") in outcomes
    assert ("assessment", "assessment", "overlap") in outcomes
    assert ("managers", "manager*", "ancestor") in outcomes
    assert ("line managers", "line manager*", "coded") in outcomes
    assert ex.codes == ("t/a", "t/p/c")
    assert ex.rolled_up == ("t/a", "t/p", "t/p/c")
    report = str(ex)
    assert "excluded (inside 'risk assessment' (exclude pattern 'risk assessment'))" in report
    assert "same span as hit 'assessment' of pattern 'assess*'" in report
    html = ex._repr_html_()
    assert "<table" in html and "ancestor" in html
    assert list(ex.to_frame().columns) == [
        "start",
        "end",
        "text",
        "code",
        "pattern",
        "role",
        "outcome",
        "reason",
    ]


def test_explain_speaker_rules_and_spans():
    cm = compile_codebook(book({"a": {"patterns": ["mentor+"], "speakers": "participants"}}))
    text = "mentoring | mentors"
    ex = cm.explain(text, [(0, 9), (12, 19)], interviewer_spans=frozenset({0}))
    assert [(e.text, e.outcome) for e in ex.events] == [
        ("mentoring", "speaker"),
        ("mentors", "coded"),
    ]
    assert cm.speakers("t/a") == "participants"
    with pytest.raises(CodebookError, match="did you mean 't/a'"):
        cm.speakers("t/b")


def test_explain_with_no_match():
    ex = compile_codebook(book({"a": ["x"]})).explain("nothing here")
    assert ex.codes == () and "no pattern matched" in str(ex)


def test_compile_is_cached_and_picklable():
    import pickle

    cb = book({"a": ["assess*"]})
    cm = compile_codebook(cb)
    assert compile_codebook(book({"a": ["assess*"]})) is cm
    clone = pickle.loads(pickle.dumps(cm))
    assert isinstance(clone, CompiledCodebook)
    assert clone.find("assessing") == cm.find("assessing")
    assert "1 patterns" in repr(cm) or "1 pattern" in repr(cm)


def test_compile_accepts_paths_and_rejects_other_things(tmp_path):
    from cmqual.codebook import write_codebook

    path = write_codebook(book({"a": ["assess*"]}), tmp_path / "t.yaml")
    assert compile_codebook(str(path)).codes == ("t/a",)
    with pytest.raises(ConfigError, match="must be a Codebook"):
        compile_codebook(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="engine="):
        compile_codebook(book({"a": ["x"]}), engine="grep")


def test_hand_built_codebook_with_a_bad_pattern_fails_to_compile():
    code = Code(id="a", label="A", path="a", ref="t/a", patterns=("as*sess",))
    with pytest.raises(CodebookError, match="t/a"):
        compile_codebook(Codebook(id="t", title="T", version="1", codes=(code,)))


def test_patterns_table_shows_anchors():
    cm = compile_codebook(book({"a": ["mentor+", "in charge", r"re:\d+ staff", "x NEAR/2 y"]}))
    table = cm.patterns_table()
    anchors = dict(zip(table["pattern"], table["anchors"], strict=True))
    assert "mentoring" in anchors["mentor+"]
    assert anchors["in charge"] == "charge"
    # No literal prefix: its own re.finditer, over the segments where it may match.
    assert anchors[r"re:\d+ staff"].startswith("(own pass")
    assert set(table["role"]) == {"include", "near side"}


# --- property test: the automaton against a regular-expression reference ----------------

PROPERTY_SPEC = {
    "p": {"patterns": ["manager*", r"re:\bceo\b"], "codes": {"c": ["line|middle manager*"]}},
    "a": {"patterns": ["assess*", "exam+", "assessment"], "exclude_patterns": ["risk assess*"]},
    "w": ["hard to reach", "don't know", "café", "in charge", "mentor+", "naïve",
          "mentee|mentee's|mentees"],
    "v": ["mentor* to reach", "exam+ in charge|know", "x x", "line|in caf*"],
}
TOKENS = [
    "manager",
    "Managers",
    "manager's",
    "line",
    "Line",
    "middle",
    "ceo",
    "CEO",
    "assess",
    "Assessment",
    "reassess",
    "risk",
    "exam",
    "exams",
    "examining",
    "hard",
    "to",
    "reach",
    "don't",
    "don’t",
    "know",
    "café",
    NFD_CAFE,
    "cafe",
    "in",
    "charge",
    "within",
    "mentor",
    "mentors'",
    "mentoring",
    "naïve",
    "charge's",
    "mentee's",
    "mentees",
    "know’s",
    "reach'st",
    "İ",
    "x",
]
GLUE = [" ", " ", " ", "-", " – ", "\n", ", ", ". ", "'", "’", "(", ")", "“", "\u0301", "", "_"]


def reference_matches(cm: CompiledCodebook, low: str) -> list[tuple[int, int, int]]:
    """Raw matches by one plain regex per pattern tried at every position."""
    f = fragments()
    w = f["w"]
    # cmqual's right boundary: no word character next, nor an apostrophe joined to one,
    # except a possessive 's ("tracker's" holds the word "tracker").
    POSSESSIVE_RB = f"(?!{w})(?!'(?!s(?!{w})){w})"
    out = []
    for pid, text in enumerate(cm._pat_text):
        node = parse_pattern(text).node
        if isinstance(node, Regex):
            rx = node.compile()
        else:
            assert isinstance(node, Term)
            slots = []
            for i, slot in enumerate(node.slots):
                alts = []
                for alt in slot:
                    for lit in sorted(alt.literals(), key=len, reverse=True):
                        body = re.escape(lit)
                        if alt.kind == "stem":
                            body += f["tail"]
                        elif is_word_char(lit[-1]):
                            body += POSSESSIVE_RB
                        alts.append(body)
                slots.append(("" if i == 0 else f["gap"]) + "(?:" + "|".join(alts) + ")")
            # POSIX (leftmost-longest) matching: the longest alternative wins, as in
            # cmqual ("mentee|mentee's" on "mentee's" is the whole word), whatever their order
            rx = regex.compile(f["lb"] + "".join(slots), regex.POSIX)
        for p in range(len(low)):
            m = rx.match(low, p)
            if m and m.end() > p:
                out.append((p, m.end(), pid))
    return out


@functools.cache
def property_codebook(variant: str) -> CompiledCodebook:
    return compiled(book(PROPERTY_SPEC), variant)


@pytest.mark.parametrize("engine", VARIANTS)
@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(GLUE)), max_size=14))
def test_automaton_equals_regex_reference(engine, parts):
    text = "".join(a + b for a, b in parts)
    cm = property_codebook(engine)
    low = fold(text)
    expected = cm._resolve(low, reference_matches(cm, low), None, None)
    assert [(h.start, h.end, h.code, h.pattern) for h in cm.find(text)] == [
        (s, e, cm.codes[c], cm._pat_text[p]) for s, e, c, p, _ in expected
    ]


@pytest.mark.skipif("hyperscan" not in ENGINES, reason="hyperscan not installed")
def test_compiled_databases_are_cached_and_a_bad_cache_is_ignored(tmp_path, monkeypatch):
    from cmqual import _hyperscan

    spec = {"a": ["mentor+", "line manager*", "time NEAR/3 release"], "b": [r"re:\d+ hours"]}
    text = "Her line managers gave 2 hours; no release of time. The mentor's view."

    def hits():
        return [(h.start, h.end, h.code) for h in CompiledCodebook(book(spec), "hyperscan")
                .find(text)]

    monkeypatch.setenv(_hyperscan.CACHE_ENV, str(tmp_path / "cache"))
    first = hits()
    files = sorted((tmp_path / "cache").glob("*.hsdb"))
    assert first and files
    stamps = [f.stat().st_mtime_ns for f in files]
    assert hits() == first  # loaded, not rewritten
    assert [f.stat().st_mtime_ns for f in files] == stamps
    for f in files:
        f.write_bytes(b"not a database")
    assert hits() == first  # unreadable entries are compiled again and replaced
    assert all(f.read_bytes() != b"not a database" for f in files)
    monkeypatch.setenv(_hyperscan.CACHE_ENV, "off")
    assert _hyperscan.cache_dir() is None
    assert hits() == first
