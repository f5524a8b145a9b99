import re
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cmqual
from cmqual.cli import main
from cmqual.corpus import corpus_from_parsed
from cmqual.errors import CmqualWarning, ConfigError, FormatError
from cmqual.io import get_reader
from cmqual.io.base import TranscriptOptions
from cmqual.pseudonymise import (
    Name,
    OffsetMap,
    carry_codings,
    is_common_word,
    names_from_table,
    pseudonymise,
    pseudonymise_corpus,
    pseudonymise_in_memory,
    pseudonymise_texts,
    read_names,
)
from cmqual.tables import CODING_COLUMNS
from cmqual.text import word_spans
from conftest import DATA, SAMPLE, assert_offsets

FIXTURES = DATA / "pseudonymise"
CORPUS = FIXTURES / "corpus"
NAMES = FIXTURES / "names.csv"


def corpus_of(texts: dict[str, str]) -> cmqual.Corpus:
    """An in-memory corpus of ``{file name: text}`` (no files needed)."""
    parsed = {rel: get_reader("." + rel.rsplit(".", 1)[1])(t.encode(), rel, TranscriptOptions())
              for rel, t in texts.items()}
    return corpus_from_parsed("mem", parsed)


@pytest.fixture
def written(tmp_path):
    """The fixture corpus pseudonymised into tmp_path (key outside the new corpus)."""
    (tmp_path / "secret").mkdir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pseudonymise_corpus(CORPUS, tmp_path / "out", NAMES, file_names="keep",
                                     key=tmp_path / "secret" / "key.csv")
    return result, [str(w.message) for w in caught]


# -- names -------------------------------------------------------------------------------

def test_read_names_collects_every_problem_with_lines():
    with pytest.raises(FormatError) as err:
        read_names(FIXTURES / "bad_names.csv")
    text = str(err.value)
    assert "bad_names.csv has 4 problem(s)" in text
    assert "unknown column 'varients'" in text
    assert "line 3: name 'J' is empty or shorter than two characters" in text
    assert "line 4: type 'building!'" in text and "match 'always'" in text
    assert "line 5: 'Jane Smith' is already listed on line 2" in text


def test_names_table_needs_name_column_and_lists_columns():
    with pytest.raises(FormatError, match="needs a 'name' column; columns found: who"):
        names_from_table(pd.DataFrame({"who": ["x"]}))


def test_name_normalises_type_and_variants():
    n = Name("  Jane   Smith ", "Organization", variants="Janey; J. Smith;")
    assert (n.name, n.type, n.variants) == ("Jane Smith", "organisation", ("Janey", "J. Smith"))
    assert is_common_word("Hope") and is_common_word("bill") and not is_common_word("Gareth")


# -- what is replaced --------------------------------------------------------------------

def test_fixture_corpus_every_listed_form_is_replaced(written):
    written, _ = written
    text = written.texts["interview_01"]
    assert "Thanks for coming in, [P01]." in text          # speaker who is listed
    assert "Dr Anon" in text and "Patel" not in text        # explicit pseudonym, titled
    assert "[Person 1]. I hope that makes sense." in text   # Bill Hope; lower-case hope kept
    assert "[P01]'s office" in text and "[P01]’s friend" in text  # possessives kept
    assert "bill payments" in text                          # common word, lower case
    assert "[Person 3] runs" in text                        # Mrs Smith-Jones as a whole
    assert "email her at [Email 1] or" in text              # whole email, name inside
    assert "asks for [P01] by name" in text                 # "Jane\nSmith" across a line
    assert "Ask [P02] about it" in text                     # Hope the speaker, capitalised
    assert "[Organisation 1] is at [Postcode 2], see [URL 2]" in text
    assert "[Phone 3]" in text
    group = written.texts["group"]
    assert "# Focus group at [Organisation 1]" in group
    assert "**P02**: Sure. I work with [P01] and [Person 1]." in group  # Janey variant, Bill
    assert "Call me on [Phone 1] or [Phone 1]." in group  # the same number, two formats
    assert "[Person 2] visited" in group                 # Prof Lydia Grant-Wu, not listed
    assert "See [URL 1]." in group and "Reach me at [Phone 2] or [Phone 3]." in group
    for doc_text in written.texts.values():
        for real in ("Jane", "Smith", "Hope", "Bill", "Khan", "Northfield", "Sam Lee",
                     "Grant-Wu", "@", "07700", "7946", "SW1A", "M1 1AE"):
            assert real not in doc_text, real


def test_same_value_same_pseudonym_across_documents(written):
    written, _ = written
    key = written.key.set_index("real")
    assert key.loc["Jane Smith", "label"] == "P01"
    assert key.loc["Jane Smith", "n_documents"] == 4
    assert "Hello, this is [P01]." in written.texts["call"]
    assert "[P01] is my mentor." in written.texts["labels"]
    assert key.loc["07700 900123", "n_documents"] == 2


def test_speaker_labels_roles_and_interviewer_from_speakers_csv(written):
    written, _ = written
    assert dict(written.speakers) == {"Jane Smith": "P01", "Hope": "P02", "Ahmed Khan": "P03",
                                      "Sam Lee": "Interviewer"}
    new = written.corpus
    spk = new.speakers.set_index(["doc_id", "speaker"])["speaker_role"]
    assert spk[("call", "Interviewer")] == "interviewer"
    assert spk[("labels", "Participant 2")] == "participant"  # role labels are kept
    assert written.maps["group"].speakers["Hope"] == "P02"


def test_rules_for_contact_details_and_false_friends():
    corpus = corpus_of({"a.txt": (
        "Ring 07700 900123, +44 7700 900123, 0044 7700 900123 or 020 7946 0018 today.\n"
        "In the US: 555-123-4567. Paris: +33 1 23 45 67 89.\n"
        "Not phones: 2019-2020, 10:30, 14.11.2023, 1,000,000 and 2023-11-14.\n"
        "Mail j_o.bloggs+x@uni.ac.uk or see http://x.org/a?b=1), www.test.co.uk.\n"
        "Post to B33 8TH or CR2 6XH, not to SW1A.\n")})
    text = pseudonymise_texts(corpus)[0]["a"]
    assert text.splitlines() == [
        "Ring [Phone 1], [Phone 1], [Phone 1] or [Phone 2] today.",
        "In the US: [Phone 3]. Paris: [Phone 4].",
        "Not phones: 2019-2020, 10:30, 14.11.2023, 1,000,000 and 2023-11-14.",
        "Mail [Email 1] or see [URL 1]), [URL 2].",
        "Post to [Postcode 1] or [Postcode 2], not to SW1A.",
    ]


def test_common_word_names_only_when_capitalised_unless_anycase():
    corpus = corpus_of({"a.txt": "I hope Hope will pay the bill, said Bill. HOPE agreed.\n"})
    texts, _ = pseudonymise_texts(corpus, [Name("Hope"), Name("Bill")])
    assert texts["a"] == ("I hope [Person 1] will pay the bill, said [Person 2]. "
                          "[Person 1] agreed.\n")
    texts, _ = pseudonymise_texts(corpus, [Name("Hope", match="anycase")])
    assert "hope" not in texts["a"].casefold()


def test_hyphenated_names_are_never_matched_in_part():
    text = "Smith-Jones met Jane-Marie and Mrs Smith, not Mrs Smith-Jones.\n"
    corpus = corpus_of({"a.txt": text})
    texts, _ = pseudonymise_texts(corpus, [Name("Jane Smith")])
    assert texts["a"] == ("Smith-Jones met Jane-Marie and [Person 1], not "
                          "[Person 2].\n")


def test_redact_mode_writes_markers_but_keeps_speakers_apart():
    corpus = corpus_of({"a.txt": "Interviewer: Hi Jane.\nJane: Hi. Email me: j@x.org.\n"
                                 "Interviewer: Thanks.\n"})
    result = pseudonymise(corpus, mode="redact")
    assert result.texts["a"] == ("Interviewer: Hi [redacted: person].\n"
                                 "P01: Hi. Email me: [redacted: email].\nInterviewer: Thanks.\n")
    assert set(result.key["pseudonym"]) >= {"[redacted: person]", "[redacted: email]"}


def test_line_that_would_read_as_a_bracket_label_is_indented(written):
    written, _ = written
    assert written.texts["labels"].splitlines()[2:4] == ["    [P01] is my mentor.",
                                                         "    [P01] is great too."]
    docs = written.corpus.documents.set_index("doc_id")
    assert docs.loc["labels", "n_turns"] == 4 and docs.loc["labels", "n_paragraphs"] == 6


def test_ambiguous_first_names_get_their_own_pseudonym():
    corpus = corpus_of({"a.txt": "Jane Smith and Jane Doe. Then Jane left.\n"})
    with pytest.warns(CmqualWarning, match="belong to several listed names"):
        texts, _ = pseudonymise_texts(corpus, ["Jane Smith", "Jane Doe"])
    assert texts["a"] == "[Person 1] and [Person 2]. Then [Person 3] left.\n"


def test_clashing_speaker_pseudonyms_are_an_error():
    corpus = corpus_of({"a.txt": "Ann: Hi.\nBea: Hi.\nAnn: Bye.\nBea: Bye.\n"})
    with pytest.raises(ConfigError, match="would both be labelled 'Anon'"):
        pseudonymise(corpus, [Name("Ann", pseudonym="Anon"), Name("Bea", pseudonym="Anon")])


# -- the written corpus ------------------------------------------------------------------

def test_output_rereads_with_same_turns_and_paragraphs(written):
    written, _ = written
    old = cmqual.read_corpus(CORPUS)
    new = written.corpus
    assert written.problems == ()
    assert_offsets(new)
    cols = ["n_turns", "n_paragraphs", "n_speakers"]
    pd.testing.assert_frame_equal(old.documents.set_index("doc_id")[cols],
                                  new.documents.set_index("doc_id")[cols])
    for doc, m in written.maps.items():
        assert new.texts[m.new_doc_id] == written.texts[doc]  # canonical text == what we wrote
        paras_old = old.segments_at("paragraph").query("doc_id == @doc")
        paras_new = new.segments_at("paragraph").query("doc_id == @m.new_doc_id")
        mapped = [m.to_new(s, e) for s, e in zip(paras_old.start, paras_old.end, strict=True)]
        assert mapped == list(zip(paras_new.start, paras_new.end, strict=True))


def test_tables_key_readme_and_warning(written, tmp_path):
    written, messages = written
    out = tmp_path / "out"
    meta = pd.read_csv(out / "metadata.csv", dtype=str, keep_default_na=False)
    assert meta.to_dict("list") == {
        "file": ["call.txt", "group.txt", "interview_01.txt", "labels.txt"],
        "participant": ["P01", "", "P01", ""],
        "institution": ["[Organisation 1]", "[Organisation 1]", "[Organisation 1]",
                        "[Organisation 2]"],
        "cohort": ["2023", "2024", "2023", "2024"],
        "email": ["", "", "[Email 1]", ""]}
    speakers = (out / "speakers.csv").read_text()
    assert speakers == "file,speaker,role,position\ncall.txt,Interviewer,interviewer,researcher\n"
    everything = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "Jane" not in everything and "Northfield" not in everything
    assert not list(out.rglob("*key*"))
    assert written.key_path == tmp_path / "secret" / "key.csv" and written.key_path.exists()
    key = pd.read_csv(written.key_path, keep_default_na=False)
    assert {"type", "real", "pseudonym", "label", "source", "count", "n_documents",
            "forms"} <= set(key.columns)
    assert key.query("type == 'document'")["pseudonym"].tolist() == [
        "call.txt", "group.txt", "interview_01.txt", "labels.txt"]
    assert any("keep them secret, never share them" in m for m in messages)
    assert "not part of this folder" in (out / "README.md").read_text()


def test_review_lists_unlisted_names_and_identifiers(written):
    written, _ = written
    review = written.review
    cands = review.drop_duplicates("candidate").set_index("candidate")
    assert cands.loc["Rosalind Blackwood", "kind"] == "capitalised"
    assert cands.loc["Rosalind Blackwood", "count"] == 2
    assert cands.loc["S1234567", "kind"] == "identifier"
    row = review[review.candidate == "S1234567"].iloc[0]
    original = cmqual.read_corpus(CORPUS).texts[row.doc_id]
    assert original[row.start:row.end] == "S1234567" and "**S1234567**" in row.context
    assert written.review_path.exists() and written.review_path.parent.name == "secret"


def test_numbered_file_names_are_the_default(tmp_path):
    with pytest.warns(CmqualWarning):
        result = pseudonymise_corpus(CORPUS, tmp_path / "o", NAMES)
    assert dict(result.paths) == {"call": "doc01.txt", "group": "doc02.txt",
                                  "interview_01": "doc03.txt", "labels": "doc04.txt"}
    assert result.key_path == tmp_path / "o-key.csv"
    assert result.review_path == tmp_path / "o-review.csv"
    assert result.corpus.doc_ids == ["doc01", "doc02", "doc03", "doc04"]


def test_key_never_inside_a_corpus_and_output_must_be_fresh(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"refusing to write the key .* inside the "
                                          r"pseudonymised corpus"):
        pseudonymise_corpus(CORPUS, out, key=out / "key.csv")
    with pytest.raises(ConfigError, match=r"refusing to write the key .* inside the corpus"):
        pseudonymise_corpus(CORPUS, out, key=CORPUS / "key.csv")
    with pytest.raises(ConfigError, match="refusing to write the review list"):
        pseudonymise_corpus(CORPUS, out, review=out / "sub" / "r.csv")
    with pytest.raises(ConfigError, match="must be separate folders"):
        pseudonymise_corpus(CORPUS, CORPUS / "pseudo")
    assert not out.exists()
    with pytest.warns(CmqualWarning):
        pseudonymise_corpus(CORPUS, out)
    with pytest.raises(ConfigError, match="is not empty; choose a new folder or pass "
                                          "overwrite=True"):
        pseudonymise_corpus(CORPUS, out)
    with pytest.warns(CmqualWarning):
        again = pseudonymise_corpus(CORPUS, out, overwrite=True)
    assert len(again.files) == 7  # 4 texts, 2 tables, README (the marker is hidden)
    (out / "mine.txt").write_text("not ours")
    with pytest.raises(ConfigError, match="holds files cmqual did not write"):
        pseudonymise_corpus(CORPUS, out, overwrite=True)


def test_drop_columns(tmp_path):
    with pytest.warns(CmqualWarning):
        result = pseudonymise_corpus(CORPUS, tmp_path / "o", drop_columns=["email", "position"])
    assert "email" not in result.metadata.columns
    assert list(result.speaker_table.columns) == ["file", "speaker", "role"]
    with pytest.raises(ConfigError, match=r"no column 'nope'.*columns: cohort, email"):
        pseudonymise_corpus(CORPUS, tmp_path / "p", drop_columns=["nope"])


def test_two_runs_give_identical_files(tmp_path):
    for name in ("a", "b"):
        with pytest.warns(CmqualWarning):
            pseudonymise_corpus(CORPUS, tmp_path / name, NAMES)
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name
    for f in ("key", "review"):
        assert ((tmp_path / f"a-{f}.csv").read_bytes()
                == (tmp_path / f"b-{f}.csv").read_bytes())


def test_sample_corpus_rereads_alike_and_hides_speakers(tmp_path):
    with pytest.warns(CmqualWarning):
        result = pseudonymise_corpus(SAMPLE, tmp_path / "sample", key=tmp_path / "k.csv")
    assert result.problems == ()
    old = cmqual.read_corpus(SAMPLE).documents.set_index("doc_id")[["n_turns", "n_paragraphs"]]
    new = result.corpus.documents.set_index("doc_id")[["n_turns", "n_paragraphs"]]
    renamed = {p[:-4]: d for d, p in result.paths.items()}
    assert new.rename(index=renamed).to_dict("index") == old.to_dict("index")
    named = [s for s in result.speakers]
    assert {"Gareth", "Tendai Moyo", "Helen Price", "Ruth Bailey"} <= set(named)
    for text in result.texts.values():
        for real in named:
            assert not re.search(rf"\b{re.escape(real)}\b", text), real
        assert "Eastwold University" not in text and "Northfield" not in text


def test_cli_writes_corpus_and_warns_about_the_key(tmp_path, capsys):
    out, key = tmp_path / "shared", tmp_path / "key.xlsx"
    assert main(["pseudonymise", str(CORPUS), "--out", str(out), "--names", str(NAMES),
                 "--key", str(key)]) == 0
    captured = capsys.readouterr()
    assert "wrote 4 pseudonymised documents" in captured.out
    assert f"key (secret): {key}" in captured.out
    assert "keep them secret" in captured.err and key.exists()
    code = main(["pseudonymise", str(CORPUS), "--out", str(tmp_path / "x"),
                 "--key", str(tmp_path / "x" / "key.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "error: refusing to write the key" in err and "Traceback" not in err


# -- offsets -----------------------------------------------------------------------------

def test_offset_map_expands_over_replacements_and_insertions():
    m = OffsetMap.from_edits("d", "Hi Jane Smith, bye", [(3, 13, "[P01]"), (18, 18, "!")])
    assert m.new_text == "Hi [P01], bye!"
    assert m.to_new(0, 3) == (0, 3)
    assert m.to_new(5, 10) == (3, 8)    # inside the name: the whole replacement
    assert m.to_new(0, 18) == (0, 13)   # the insertion after the end is not included
    assert m.to_new(4, 4) == (3, 3)
    assert m.to_old(4, 6) == (3, 13)
    assert m.to_old(13, 14) == (18, 18)  # inserted text has no original
    assert m.quote(0, 13) == "Hi [P01]"
    assert m.replacements()["old"].tolist() == ["Jane Smith", ""]
    with pytest.raises(ConfigError, match="outside document 'd'"):
        m.to_new(3, 99)


edit_lists = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6),
                                st.text("[]xyz ", max_size=7)), max_size=6)


@given(old=st.text("abc \n", min_size=0, max_size=40), raw=edit_lists,
       spans=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=10))
def test_offset_map_properties(old, raw, spans):
    edits, pos = [], 0
    for start, length, new in sorted(raw):
        start = max(start, pos)
        if start > len(old):
            break
        end = min(start + length, len(old))
        edits.append((start, end, new))
        pos = end
    m = OffsetMap.from_edits("d", old, edits)
    deletes = any(e > s and not new for s, e, new in edits)
    for a, b in spans:
        s, e = sorted((min(a, len(old)), min(b, len(old))))
        ns, ne = m.to_new(s, e)
        assert 0 <= ns <= ne <= len(m.new_text)
        os_, oe = m.to_old(ns, ne)
        if e > s and ne > ns and not deletes:
            assert os_ <= s and oe >= e  # carrying back covers at least the span
        if not any((es < e and s < ee) or (es == ee and s < es < e) for es, ee, _ in edits):
            assert m.new_text[ns:ne] == old[s:e]  # untouched text maps exactly


def _masked_words(text: str, forms: list[str]) -> list[str]:
    for form in sorted(forms, key=len, reverse=True):
        rx = r"\s+".join(re.escape(w) for w in form.split())
        text = re.sub(rf"(?<!\w){rx}(?!\w)", " MASK ", text)
    words = [text[s:e] for s, e in word_spans(text)]
    return [w for i, w in enumerate(words) if not (w == "MASK" and i and words[i - 1] == "MASK")]


def test_carried_codings_cover_the_same_words(written):
    written, _ = written
    old = cmqual.read_corpus(CORPUS)
    seg = old.segments
    codings = seg.assign(code="c", pattern="", coder="me", codebook_hash="h")[
        list(CODING_COLUMNS)].astype(CODING_COLUMNS)
    extra = []
    for doc in old.doc_ids:  # spans starting and ending anywhere, inside names too
        n = len(old.texts[doc])
        extra += [(doc, s, min(n, s + w)) for s in range(0, n, 7) for w in (5, 23)]
    rows = pd.DataFrame(extra, columns=["doc_id", "start", "end"]).assign(
        doc="", segment_id="", level="span", text="", code="x", pattern="", speaker="",
        coder="me", codebook_hash="h")
    codings = pd.concat([codings, rows[list(CODING_COLUMNS)].astype(CODING_COLUMNS)],
                        ignore_index=True)
    carried = carry_codings(codings, written)
    key = written.key[written.key.type != "document"]
    real = [f for forms in key["forms"] for f in forms.split("; ") if f] + ["Interviewer"]
    fake = [p for p in [*key["pseudonym"], *key["label"]] if p] + ["Interviewer"]
    new_texts = written.corpus.texts
    for before, after in zip(codings.itertuples(), carried.itertuples(), strict=True):
        m = written.maps[before.doc_id]
        assert after.doc_id == m.new_doc_id and after.doc == m.new_path
        assert after.text == new_texts[after.doc_id][after.start:after.end]
        s, e = m.to_old(after.start, after.end)  # the original span, grown over names
        assert s <= before.start and e >= before.end
        assert (_masked_words(old.texts[before.doc_id][s:e], real)
                == _masked_words(after.text, fake)), (before.doc_id, before.start)
    segs = carried[carried.level == "paragraph"]
    new_para = written.corpus.segments_at("paragraph")
    assert set(segs.segment_id) <= set(new_para.segment_id)  # recomputed ids match
    assert set(carried.speaker) <= {"P01", "P02", "P03", "Interviewer", "Participant 2", ""}
    back = carry_codings(carried, written, direction="to_old")
    same = codings.level.isin(["turn", "paragraph"])
    pd.testing.assert_frame_equal(back[same].reset_index(drop=True),
                                  codings[same].reset_index(drop=True))


def test_carry_codings_names_unknown_documents():
    m = OffsetMap.from_edits("a", "x", [])
    with pytest.raises(ConfigError, match=r"1 document.*: b; mapping has a"):
        carry_codings(pd.DataFrame({"doc_id": ["b"], "start": [0], "end": [1]}), {"a": m})
    with pytest.raises(FormatError, match=r"missing column.*end"):
        carry_codings(pd.DataFrame({"doc_id": ["a"], "start": [0]}), {"a": m})


# -- property: no listed name survives ---------------------------------------------------

syllable = st.sampled_from(["ka", "lo", "mi", "ver", "du", "zan", "pel", "ro", "tis", "nu"])
proper = st.lists(syllable, min_size=2, max_size=4).map(lambda p: "".join(p).capitalize())
FILLER = ["we", "talked", "about", "the", "course", "and", "then", "left", "today", "with"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(st.tuples(proper, proper, proper), min_size=1, max_size=4),
       picks=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 6), st.integers(0, 3),
                                st.sampled_from(FILLER)), min_size=1, max_size=25))
def test_no_listed_name_survives_in_any_case_or_form(people, picks):
    words = [w for p in people for w in p]
    people = [p for p in people if all(words.count(w) == 1 and not is_common_word(w)
                                       for w in p)]  # one person per word: no ambiguity
    if not people:
        return
    pieces = []
    for who, form, case, filler in picks:
        first, sur, nick = people[who % len(people)]
        name = [f"{first} {sur}", first, f"Dr {sur}", f"{first}'s", f"{first}\n{sur}",
                f"Mrs. {first} {sur}’s", f"{nick}"][form]
        name = [name, name.upper(), name.lower(), name.title()][case]
        pieces.append(f"{filler} {name} {filler}.")
    text = "Interviewer: Hello.\nP: " + "\n".join(pieces) + "\n"
    corpus = corpus_of({"a.txt": text})
    names = [Name(f"{f} {s}", variants=n) for f, s, n in people]
    new = pseudonymise_texts(corpus, names)[0]["a"]
    assert new.count("\n") >= text.count("\n")  # no line (paragraph) was joined to another
    for person in people:
        for word in person:
            assert not re.search(rf"(?<!\w){word}(?!\w)", new, re.IGNORECASE), (word, new)


def test_keep_file_names_warns_when_names_are_in_them(make_corpus, tmp_path):
    root = make_corpus({"interview_gareth.txt": "Interviewer: Hi.\nGareth: Hello.\n"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pseudonymise_corpus(root, tmp_path / "o", file_names="keep")
    assert any(re.search(r"1 file name.*contain listed names", str(w.message))
               for w in caught)
    with pytest.raises(ConfigError, match="max_contexts must be"):
        pseudonymise(cmqual.read_corpus(root), max_contexts=0)


# -- in memory ---------------------------------------------------------------------------

def test_in_memory_corpus_is_the_written_corpus_read_back(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written = pseudonymise_corpus(CORPUS, tmp_path / "out", NAMES,
                                      key=tmp_path / "key.csv")
    result = pseudonymise_in_memory(cmqual.read_corpus(CORPUS), NAMES)
    new, read_back = result.corpus, written.corpus
    assert new.root is None and new.doc_ids == ["doc01", "doc02", "doc03", "doc04"]
    assert dict(new.texts) == dict(read_back.texts)
    pd.testing.assert_frame_equal(new.segments, read_back.segments)
    pd.testing.assert_frame_equal(new.documents, read_back.documents)
    pd.testing.assert_frame_equal(new.speakers, read_back.speakers)  # roles, attributes
    assert dict(new.attribute_types) == dict(read_back.attribute_types)
    assert new.hash == read_back.hash
    docs = new.documents.set_index("doc_id")
    assert docs.loc["doc03", "participant"] == "P01"
    assert docs.loc["doc03", "institution"] == "[Organisation 1]"
    assert docs.loc["doc03", "cohort"] == 2023  # unchanged columns keep their type
    tables = new.documents.to_csv() + new.speakers.to_csv() + "".join(new.texts.values())
    for real in ("Jane", "Smith", "Northfield", "Eastbrook", "Sam Lee", "interview_01"):
        assert real not in tables, real


def test_in_memory_carries_codings_and_drops_columns():
    corpus = cmqual.read_corpus(CORPUS)
    result = pseudonymise_in_memory(corpus, NAMES, drop_columns=["email", "position"])
    assert "email" not in result.corpus.documents.columns
    assert "position" not in result.corpus.speakers.columns
    turns = corpus.segments_at("turn")
    codings = turns.assign(code="c", pattern="", coder="me", codebook_hash="h")[
        list(CODING_COLUMNS)].astype(CODING_COLUMNS)
    carried = carry_codings(codings, result)
    new_turns = result.corpus.segments_at("turn")
    assert sorted(carried.segment_id) == sorted(new_turns.segment_id)
    for r in carried.itertuples():
        assert result.corpus.texts[r.doc_id][r.start:r.end] == r.text
    with pytest.raises(ConfigError, match="corpus: expected a cmqual Corpus"):
        pseudonymise_in_memory(corpus.documents)


def test_pseudonymise_text_uses_the_same_pseudonyms_and_changes_nothing():
    corpus = cmqual.read_corpus(CORPUS)
    result = pseudonymise(corpus, NAMES)
    key = result.key.copy()
    assert result.pseudonymise_text("northfield_college_interviews") == \
        "[Organisation 1] interviews"
    assert result.pseudonymise_text("Jane-Smith notes") == "[P01] notes"
    assert result.pseudonymise_text("Dr Patel") == "Dr Anon"
    assert result.pseudonymise_text("Write to x@y.org") == result.pseudonymise_text(
        "Write to x@y.org")  # numbered afresh each time: the result is not changed
    assert result.pseudonymise_text("Codebook v2") == "Codebook v2"
    pd.testing.assert_frame_equal(result.key, key)
    _, maps = pseudonymise_texts(corpus, NAMES)
    assert maps["call"].new_doc_id == "doc01"
