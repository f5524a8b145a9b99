"""REFI-QDA project exchange (.qdpx): export, import from other tools, positions, round trips
and hardened reading."""

from __future__ import annotations

import io
import shutil
import tempfile
import uuid
import warnings
import zipfile
from importlib import resources
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cmqual.cli import main
from cmqual.codebook import codebook_hash, read_codebook
from cmqual.errors import (
    CmqualWarning,
    ConfigError,
    ExchangeError,
    InputFileError,
    ProjectError,
)
from cmqual.io.qdc import to_qdc_string
from cmqual.io.qdpx import OBJECT_GUID_NAMESPACE, export_qdpx, import_qdpx
from cmqual.io.qdpx_positions import CountedText, Span, choose_convention, map_spans
from cmqual.project import init_project, open_project

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "data" / "qdpx"
PROJECT_DATA = TESTS / "data" / "project"
SAMPLE = TESTS.parent / "corpora" / "sample"
NS = {"q": "urn:QDA-XML:project:1.0"}
P01_MONEY = (60, 85)  # "There is no money for it."
P01_POWER = (86, 149)  # "My mentor is also my line manager, so it feels like assessment."


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(resources.files("cmqual") / "schemas" / "Project-mrt2019.xsd"))


def zip_folder(folder: Path, out: Path) -> Path:
    """Zip a fixture folder into a .qdpx, bytes unchanged."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name not in ("README.md", ".gitattributes"):
                zf.write(path, path.relative_to(folder).as_posix())
    return out


def make_qdpx(path: Path, qde: str | bytes, files: dict[str, bytes] | None = None) -> Path:
    """A .qdpx holding ``qde`` as project.qde and ``files`` (name -> bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde if isinstance(qde, bytes) else qde.encode("utf-8"))
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return path


def qde_of(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read("project.qde"))


def import_quietly(path: Path, target: Path, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project = import_qdpx(path, target, **kwargs)
    return project, [str(w.message) for w in caught if issubclass(w.category, CmqualWarning)]


def assert_exact(project) -> None:
    """OFFSETS ARE SACRED: every coding's quote is its document's text at its offsets."""
    texts = project.corpus.texts
    codings = project.store.codings_frame()
    assert len(codings)
    for r in codings.itertuples(index=False):
        assert texts[r.doc_id][r.start : r.end] == r.text, (r.doc_id, r.start, r.end)


def coding_set(project) -> set[tuple]:
    frame = project.store.codings_frame()
    return {
        (r.doc_id, r.start, r.end, r.text, r.code, r.coder, r.origin, r.memo, r.created)
        for r in frame.itertuples(index=False)
    }


def memo_set(project) -> set[tuple]:
    frame = project.memos()
    return {
        (r.coder, r.target_kind, r.target, r.text, r.created) for r in frame.itertuples(index=False)
    }


@pytest.fixture
def project(tmp_path):
    shutil.copytree(PROJECT_DATA / "corpus", tmp_path / "corpus")
    shutil.copy(PROJECT_DATA / "codebook.yaml", tmp_path / "codebook.yaml")
    with init_project(tmp_path / "inquiry", tmp_path / "corpus", [tmp_path / "codebook.yaml"]) as p:
        p.code("p01", *P01_MONEY, "mini/resourcing", "ana", memo="funding gap")
        p.code("p01", *P01_MONEY, "mini/power", "ana")
        p.code("p01", *P01_MONEY, "mini/resourcing", "ben")
        p.code("p01", *P01_POWER, "mini/power/assessment", "ben")
        p.code("p02", 0, 20, "mini/observation", "ana", origin="suggestion-accepted")
        p.memo("The project memo.", coder="ana")
        p.memo("Power is about line management.", coder="ana", code="mini/power")
        p.memo("Check the date.", coder="ben", doc="p02")
        yield p


# -- export ------------------------------------------------------------------------------------
def test_export_is_valid_refi_qda_with_plain_text_sources(project, tmp_path, schema):
    out = export_qdpx(project, tmp_path / "inquiry.qdpx")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        schema.validate(io.BytesIO(zf.read("project.qde")))  # raises on any violation
        root = etree.fromstring(zf.read("project.qde"))
        assert names[0] == "project.qde" and len(names) == 3
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            doc = project.corpus.document(source.get("name"))
            path = source.get("plainTextPath")
            assert path == f"internal://{source.get('guid')}.txt"
            data = zf.read(f"sources/{source.get('guid')}.txt")
            assert data == doc.text.encode("utf-8")  # UTF-8, no BOM, the canonical text
    assert root.tag == "{urn:QDA-XML:project:1.0}Project"
    assert root.get("name") == "inquiry" and root.get("origin").startswith("cmqual ")
    assert [local.tag.split("}")[1] for local in root] == [
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "NoteRef",
    ]


def test_positions_are_code_points_into_the_source_text(project, tmp_path):
    out = export_qdpx(project, tmp_path / "inquiry.qdpx")
    root = qde_of(out)
    with zipfile.ZipFile(out) as zf:
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            text = zf.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
            for sel in source.iterfind("q:PlainTextSelection", NS):
                quote = text[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
                assert quote.startswith(sel.get("name").rstrip("…"))
    sel = root.find("q:Sources/q:TextSource/q:PlainTextSelection", NS)
    assert (sel.get("startPosition"), sel.get("endPosition")) == ("60", "85")
    assert sel.get("name") == "There is no money for it."


def test_users_codes_cases_and_selections(project, tmp_path):
    root = qde_of(export_qdpx(project, tmp_path / "inquiry.qdpx"))
    users = {u.get("name"): u.get("guid") for u in root.iterfind("q:Users/q:User", NS)}
    assert users == {
        name: str(uuid.uuid5(OBJECT_GUID_NAMESPACE, f"user\x1f{name}")).upper()
        for name in ("ana", "ben")
    }
    # The CodeBook has the .qdc export's guids, names and Descriptions.
    book = project.codebooks[0]
    qdc = etree.fromstring(to_qdc_string(book).encode())
    expected = [
        (c.get("guid"), c.get("name"), c.findtext("{*}Description")) for c in qdc.iter("{*}Code")
    ]
    got = [
        (c.get("guid"), c.get("name"), c.findtext("q:Description", namespaces=NS))
        for c in root.iter("{urn:QDA-XML:project:1.0}Code")
    ]
    assert got == expected
    variables = {
        v.get("name"): v.get("typeOfVariable") for v in root.iterfind("q:Variables/q:Variable", NS)
    }
    assert variables == {"sector": "Text", "cohort": "Integer"}
    case = root.find("q:Cases/q:Case", NS)
    assert case.get("name") == "p01"
    assert [
        v.findtext("q:IntegerValue", namespaces=NS) or v.findtext("q:TextValue", namespaces=NS)
        for v in case.iterfind("q:VariableValue", NS)
    ] == ["FE", "2023"]
    p01 = root.find("q:Sources/q:TextSource[@name='p01']", NS)
    assert case.find("q:SourceRef", NS).get("targetGUID") == p01.get("guid")
    # One selection per span and coder, one Coding per code, the coder as creatingUser.
    sels = p01.findall("q:PlainTextSelection", NS)
    spans = [(s.get("startPosition"), s.get("endPosition"), s.get("creatingUser")) for s in sels]
    assert spans == sorted(spans, key=lambda t: (int(t[0]), int(t[1]))) and len(spans) == 3
    ana = sels[0] if sels[0].get("creatingUser") == users["ana"] else sels[1]
    codings = ana.findall("q:Coding", NS)
    assert len(codings) == 2 and {c.get("creatingUser") for c in codings} == {users["ana"]}
    stored = project.store.codings_frame(coders=["ana"], doc_ids=["p01"])
    assert sorted(c.get("creationDateTime") for c in codings) == sorted(stored["created"])


def test_memos_are_notes_with_noterefs(project, tmp_path):
    root = qde_of(export_qdpx(project, tmp_path / "inquiry.qdpx"))
    notes = {
        n.get("guid"): n.findtext("q:PlainTextContent", namespaces=NS)
        for n in root.iterfind("q:Notes/q:Note", NS)
    }
    assert sorted(notes.values()) == [
        "Check the date.",
        "Power is about line management.",
        "The project memo.",
        "funding gap",
    ]

    def ref(xpath: str) -> str:
        return notes[root.find(xpath, NS).get("targetGUID")]

    assert ref("q:NoteRef") == "The project memo."
    assert ref(".//q:Code[@name='Power']/q:NoteRef") == "Power is about line management."
    assert ref("q:Sources/q:TextSource[@name='p02']/q:NoteRef") == "Check the date."
    assert ref(".//q:Coding/q:NoteRef") == "funding gap"


def test_rejected_suggestions_are_not_exported(project, tmp_path):
    before = export_qdpx(project, tmp_path / "before.qdpx").read_bytes()
    assert project.reject("p02", [(0, 20, "mini/power")], coder="carol") == 1
    assert project.reject("p01", [(*P01_POWER, "mini/power")], coder="ana") == 1
    after = export_qdpx(project, tmp_path / "after.qdpx")
    assert after.read_bytes() == before  # no user, note or selection for a rejection
    users = {u.get("name") for u in qde_of(after).iterfind("q:Users/q:User", NS)}
    assert users == {"ana", "ben"}


def test_export_is_deterministic(project, tmp_path):
    a = export_qdpx(project, tmp_path / "a.qdpx").read_bytes()
    project.close()
    with open_project(project.root) as again:
        b = export_qdpx(again, tmp_path / "b.qdpx").read_bytes()
    c = export_qdpx(project.root, tmp_path / "c.qdpx").read_bytes()  # a folder works too
    assert a == b == c
    with zipfile.ZipFile(io.BytesIO(a)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert zf.namelist()[1:] == sorted(zf.namelist()[1:])


def test_export_leaves_out_stale_codings_and_can_leave_out_automatic_ones(project, tmp_path):
    project.store.import_codings(
        [
            {
                "doc_id": "p02",
                "doc_sha256": project.corpus.document("p02").sha256,
                "start_offset": 0,
                "end_offset": 5,
                "text": project.corpus.texts["p02"][:5],
                "code": "mini/power",
                "coder": "cmqual-auto",
                "origin": "auto",
            }
        ]
    )
    root = qde_of(export_qdpx(project, tmp_path / "all.qdpx"))
    assert len(root.findall(".//q:Coding", NS)) == 6
    root = qde_of(export_qdpx(project, tmp_path / "human.qdpx", include_auto=False))
    assert len(root.findall(".//q:Coding", NS)) == 5
    (project.corpus_path / "p01.txt").write_text("Interviewer: changed.\nAsha: Changed.\n")
    project.reload()
    with pytest.warns(CmqualWarning, match="4 stale coding"):
        root = qde_of(export_qdpx(project, tmp_path / "stale.qdpx"))
    assert len(root.findall(".//q:Coding", NS)) == 2


def test_export_lists_text_xml_cannot_carry(project, tmp_path):
    project.memo("bad \x0b tab", coder="ana", doc="p01")
    project.memo("also \x01 bad", coder="ben")
    with pytest.raises(ExchangeError) as info:
        export_qdpx(project, tmp_path / "x.qdpx")
    message = str(info.value)
    assert "Memo on p01 by ana: character U+000B" in message
    assert "Project memo by ben: character U+0001" in message
    assert not (tmp_path / "x.qdpx").exists()
    with pytest.raises(ConfigError, match=r"\.qdpx"):
        export_qdpx(project, tmp_path / "x.zip")


# -- round trips -------------------------------------------------------------------------------
def test_round_trip_keeps_everything_and_the_bytes(project, tmp_path):
    first = export_qdpx(project, tmp_path / "first.qdpx")
    (tmp_path / "elsewhere").mkdir()
    back, messages = import_quietly(first, tmp_path / "elsewhere" / "inquiry")
    assert messages == []
    with back:
        assert coding_set(back) == coding_set(project)
        assert memo_set(back) == memo_set(project)
        assert_exact(back)
        assert [codebook_hash(b) for b in back.codebooks] == [
            codebook_hash(b) for b in project.codebooks
        ]
        assert dict(back.corpus.attribute_types) == dict(project.corpus.attribute_types)
        cols = ["doc_id", "sector", "cohort"]
        assert back.corpus.documents[cols].equals(project.corpus.documents[cols])
        second = export_qdpx(back, tmp_path / "second.qdpx")
    assert second.read_bytes() == first.read_bytes()  # same project name, same bytes
    assert sorted(p.name for p in (tmp_path / "elsewhere" / "inquiry").iterdir()) == [
        "codebooks",
        "corpus",
        "project.yaml",
        "store.sqlite",
    ]


def test_round_trip_of_the_sample_corpus_with_every_format(tmp_path, schema):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CmqualWarning)
        p = init_project(tmp_path / "sample", SAMPLE, ["scoping-study"])
        for i, doc in enumerate(p.corpus):  # one coding per document, past every newline
            n = len(doc.text)
            p.code(doc.id, n // 2, n // 2 + 40, "scoping-study/power", f"coder{i % 3}")
        out = export_qdpx(p, tmp_path / "sample.qdpx")
        schema.validate(io.BytesIO(zipfile.ZipFile(out).read("project.qde")))
        back = import_qdpx(out, tmp_path / "back" / "sample")
    with back, p:
        assert coding_set(back) == coding_set(p)
        assert_exact(back)
        assert dict(back.corpus.attribute_types) == dict(p.corpus.attribute_types)
        cols = ["doc_id", "interview_date", "cohort", "sector"]
        assert back.corpus.documents[cols].equals(p.corpus.documents[cols])


def test_codes_outside_the_codebooks_keep_their_references(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Ana: Free text about Power & money.\n", encoding="utf-8")
    with init_project(tmp_path / "free", corpus) as p:  # no codebooks: any reference
        p.code("a", 21, 26, "Power & Control", "ana")
        p.code("a", 29, 34, "themes/Money Talk/sub", "ben", memo="m")
        p.memo("about money", coder="ben", code="themes/Money Talk/sub")
        out = export_qdpx(p, tmp_path / "free.qdpx")
        root = qde_of(out)
        names = {c.get("name") for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
        assert names == {"Power & Control", "themes/Money Talk/sub"}
        back, _ = import_quietly(out, tmp_path / "back" / "free")
        with back:
            assert coding_set(back) == coding_set(p) and memo_set(back) == memo_set(p)
            assert back.config.codebooks == ()


_ALPHABET = st.sampled_from([*"abcdé zZ.,;:!?'\"\t\n\n", "😀", "中", "\u00a0", "ß", "ﬁ"])


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    texts=st.lists(st.text(_ALPHABET, min_size=1, max_size=80), min_size=1, max_size=3),
)
def test_round_trip_quotes_are_exact_for_any_text(data, texts):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        (corpus / "sub").mkdir(parents=True)
        for i, text in enumerate(texts):
            name = f"sub/d{i}.txt" if i == 2 else f"d{i}.txt"
            (corpus / name).write_text("x" + text, encoding="utf-8", newline="")
        shutil.copy(PROJECT_DATA / "codebook.yaml", root / "codebook.yaml")
        with init_project(root / "proj", corpus, [root / "codebook.yaml"]) as p:
            docs = list(p.corpus)
            for _ in range(data.draw(st.integers(1, 6))):
                doc = data.draw(st.sampled_from(docs))
                start = data.draw(st.integers(0, len(doc.text) - 1))
                end = data.draw(st.integers(start + 1, len(doc.text)))
                p.code(
                    doc.id,
                    start,
                    end,
                    data.draw(
                        st.sampled_from(["mini/power", "mini/resourcing", "mini/power/assessment"])
                    ),
                    data.draw(st.sampled_from(["ana", "ben", "Zoë"])),
                    memo=data.draw(st.text(_ALPHABET, max_size=20)),
                )
            first = export_qdpx(p, root / "first.qdpx")
            back = import_qdpx(first, root / "back" / "proj")
            with back:
                assert_exact(back)
                assert coding_set(back) == coding_set(p)
                second = export_qdpx(back, root / "second.qdpx")
            assert second.read_bytes() == first.read_bytes()


# -- import from other tools -------------------------------------------------------------------
EXPECTED = {
    "nvivo": {
        ("Interview Anna", "there was no time for it.", "themes/resourcing", "Hana Kowalski"),
        ("Interview Anna", "My mentor was also my line manager.", "themes/power", "Hana Kowalski"),
        ("Interview Anna", "My mentor was also my line manager.", "themes/power", "Ben Okafor"),
        (
            "Interview Anna",
            "It felt like being assessed, not supported.",
            "themes/power/assessment",
            "Ben Okafor",
        ),
        ("Interview Anna", "Café chats helped more.", "themes/informal_support", "Hana Kowalski"),
        (
            "Interview Bo",
            "Give mentors remission. Two hours a week would do.",
            "themes/resourcing",
            "Ben Okafor",
        ),
        ("Interview Bo", "nobody mentors their own staff.", "themes/power", "Hana Kowalski"),
    },
    "atlasti": {
        ("Focus group 1", "Time. Protected time every week.", "resourcing", "Dana Reyes"),
        ("Focus group 1", "Protected time", "resourcing", "Eli Novak"),
        ("Focus group 1", "a mentor who is not your boss.", "boundaries", "Dana Reyes"),
        ("Focus group 1", "Otherwise it becomes assessment.", "assessment", "Dana Reyes"),
    },
    "maxqda": {
        ("Interview 3", "Nobody had time to observe me.", "workload/time_for_observation", "Lena"),
        ("Interview 3", "she was my head of department", "relationship/line_management", "Lena"),
        ("Interview 3", "so I held back.", "relationship", "Lena"),
    },
    "qualcoder": {
        ("Reflective journal", "I observed my mentor teach.", "support/observation", "colin"),
        ("Reflective journal", "We had no time to meet", "support/time", "colin"),
        ("Reflective journal", "She said I was doing well 🙂", "wellbeing", "colin"),
        ("Reflective journal", "which helped.", "wellbeing", "colin"),
        ("Mentor meeting.mp3", "the feedback was kind.", "wellbeing", "colin"),
    },
}


@pytest.fixture
def imported(tmp_path):
    def run(tool: str, **kwargs):
        out = zip_folder(FIXTURES / tool, tmp_path / f"{tool}.qdpx")
        return import_quietly(out, tmp_path / f"{tool}-project", **kwargs)

    return run


@pytest.mark.parametrize("tool", sorted(EXPECTED))
def test_import_from_each_tool_gives_exact_quotes(imported, tool, schema):
    project, _ = imported(tool)
    with project:
        assert_exact(project)
        got = {
            (r.doc_id, r.text, r.code.split("/", 1)[1], r.coder)
            for r in project.store.codings_frame().itertuples(index=False)
        }
        assert got == EXPECTED[tool]
        # The corpus is plain text with LF line breaks, readable again by cmqual.
        for doc in project.corpus:
            assert "\r" not in doc.text and not doc.text.startswith("\ufeff")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CmqualWarning)
            out = export_qdpx(project, project.root.parent / f"{tool}-again.qdpx")
        schema.validate(io.BytesIO(zipfile.ZipFile(out).read("project.qde")))
        again, _ = import_quietly(out, project.root.parent / f"{tool}-again")
        with again:  # cmqual's own export of it comes back the same
            assert coding_set(again) == coding_set(project)
            assert memo_set(again) == memo_set(project)


def test_nvivo_positions_count_crlf_as_two_and_cases_give_attributes(imported):
    project, messages = imported("nvivo")
    with project:
        assert not any("position" in m for m in messages)  # the standard reading
        row = project.store.codings_frame(coders=["Ben Okafor"], doc_ids=["Interview Anna"])
        # startPosition 174 in the file; three CRLF pairs before it: 171 in the canonical text.
        assert (171, 214) in set(zip(row["start"], row["end"], strict=True))
        assert row.loc[row["start"] == 171, "memo"].item() == "Ask about the appraisal cycle."
        assert row["created"].tolist()[0] == "2023-04-02T14:00:00.000000Z"
        docs = project.corpus.documents.set_index("doc_id")
        assert docs.loc["Interview Anna", "Age group"] == "30-39"  # via the case's coding
        assert str(docs.loc["Interview Bo", "Interview date"].date()) == "2023-03-21"
        assert docs.loc["Interview Anna", "case"] == "Anna"
        assert project.corpus.attribute_types["Interview date"] == "date"
        refs = set(project.codes()["ref"])
        assert "mentoring-study/anna" not in refs  # the case node is not a code
        assert "mentoring-study/themes" in refs  # the category, kept as a parent code
        memos = {
            (m.target_kind, m.target, m.text.strip())
            for m in project.memos().itertuples(index=False)
        }
        assert (
            "document",
            "Interview Anna",
            "Anna was late; interview started at 10:20.\nCheck the consent form.",
        ) in memos
        assert (
            "project",
            "",
            "Mentoring study, wave 1 (Hana and Ben coding independently).",
        ) in memos
    assert (project.root / "corpus" / "Interview Anna.txt").read_bytes().count(b"\r") == 0


def test_atlasti_positions_count_crlf_as_one_and_are_detected(imported):
    project, messages = imported("atlasti")
    with project:
        text = "\n".join(messages)
        assert "source 'Focus group 1.docx': positions read as 'lf'" in text
        assert "4 of 4 selection names match the text" in text
        assert "Sets are not imported" in text
        assert "<QuotationStyle> in <PlainTextSelection> (line 30)" in text
        memo = project.store.codings_frame(codes=["new-teachers-fg/assessment"])["memo"]
        assert memo.tolist() == ["Links to the appraisal cycle."]
        memos = project.memos().set_index("target_kind")
        assert memos.loc["code", "text"] == "Use for time and cover, not for pay."
        assert memos.loc["code", "coder"] == "Eli Novak"
        assert memos.loc["project", "text"] == (
            "Research question\n\nWhat makes mentoring work for new teachers in FE?"
        )
        assert (
            project.codes().set_index("ref").loc["new-teachers-fg/resourcing", "colour"]
            == "#FF0000"
        )  # #F00 widened


def test_the_positions_option_overrides_detection(imported, tmp_path):
    project, messages = imported("atlasti", positions="stored")
    with project:
        assert not any("positions read as" in m for m in messages)
        texts = set(project.store.codings_frame()["text"])
        assert "Time. Protected time every week." not in texts  # shifted, as asked
        assert_exact(project)
    with pytest.raises(ConfigError, match="positions must be one of"):
        import_qdpx(FIXTURES, tmp_path / "x", positions="guess")


def test_maxqda_bom_crlf_unnamed_case_and_passage_memo(imported):
    project, messages = imported("maxqda")
    with project:
        assert any(
            "positions read as 'lf'" in m and "selection ends fall on word boundaries" in m
            for m in messages
        )
        types = dict(project.corpus.attribute_types)
        assert types == {
            "Age": "integer",
            "Consent": "boolean",
            "Score": "float",
            "Interview date": "date",
            "Sector": "category",
        }
        doc = project.corpus.document("Interview 3")
        assert (doc.attributes["Age"], doc.attributes["Consent"], doc.attributes["Score"]) == (
            29,
            True,
            3.5,
        )
        assert doc.text.startswith("I: Tell me")  # no BOM
        memo = project.memos(kind="document")
        assert memo["text"].tolist() == ["On “Brilliant” [106:115]:\nPositive start."]
        assert doc.text[106:115] == "Brilliant"


def test_qualcoder_emoji_inline_text_transcripts_and_journal(imported):
    project, messages = imported("qualcoder")
    with project:
        assert any("time-based codings of audio and video are not imported" in m for m in messages)
        assert not any("positions read as" in m for m in messages)  # code points, as stored
        assert sorted(project.corpus.doc_ids) == [
            "Mentor meeting.mp3",
            "Reflective journal",
            "Short note",
        ]
        assert project.corpus.texts["Short note"] == "Nothing coded here yet."
        docs = project.corpus.documents.set_index("doc_id")
        assert docs.loc["Reflective journal", "Cohort"] == 2023
        assert docs.loc["Short note", "Role"] == "mentor"
        observed = project.store.codings_frame(codes=["journal-study/support/observation"])
        assert observed["memo"].tolist() == ["First observation."]
        assert observed["created"].tolist() == ["2024-01-11T10:00:00.000000Z"]  # selection's
        journal = project.memos(kind="project")["text"].tolist()
        assert journal == [
            "Journal: next steps\n\nKeep asking about protected time.\nNext: compare FE and HE.\n"
        ]
        category = read_codebook(project.root / "codebooks" / "journal-study.yaml").codes[0]
        assert category.id == "support" and "isCodable=false" in category.memo


def test_cases_reach_documents_through_selections_and_sources(tmp_path):
    var, case_code = "{11111111-0000-4000-8000-000000000001}", str(uuid.uuid4())
    code, sel = "22222222-0000-4000-8000-000000000002", str(uuid.uuid4())

    def text_source(name: str, selection: str = "") -> str:
        return (
            f'<TextSource guid="{uuid.uuid4()}" name="{name}"><PlainTextContent>'
            f"Words of {name}.</PlainTextContent>{selection}</TextSource>"
        )

    coded = (
        f'<PlainTextSelection guid="{sel}" startPosition="0" endPosition="5">'
        f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code}"/></Coding>'
        "</PlainTextSelection>"
    )
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="cases">
  <CodeBook><Codes><Code guid="{code}" name="Words" isCodable="true"/></Codes></CodeBook>
  <Variables><Variable guid="{var}" name="Site" typeOfVariable="Text"/>
    <Variable guid="{uuid.uuid4()}" name="Unused" typeOfVariable="Integer"/></Variables>
  <Cases>
    <Case guid="{uuid.uuid4()}" name="North site"><VariableValue>
      <VariableRef targetGUID="{var.strip("{}").lower()}"/><TextValue>north</TextValue>
      </VariableValue><SelectionRef targetGUID="{{{sel.upper()}}}"/></Case>
    <Case guid="{case_code}" name="Coded case"><CodeRef targetGUID="{code}"/></Case>
    <Case guid="{uuid.uuid4()}" name="Nowhere"><VariableValue>
      <VariableRef targetGUID="{var}"/><TextValue>lost</TextValue></VariableValue></Case>
  </Cases>
  <Sources>{text_source("one", coded)}{text_source("two")}</Sources></Project>"""
    project, messages = import_quietly(make_qdpx(tmp_path / "c.qdpx", qde), tmp_path / "p")
    with project:
        docs = project.corpus.documents.set_index("doc_id")
        assert docs.loc["one", "Site"] == "north" and docs.loc["one", "case"] == "North site"
        assert docs.loc["two", ["Site", "case"]].isna().all()
        assert "Unused" not in docs.columns
    text = "\n".join(messages)
    assert "cases linked to no imported text keep no attribute values: 'Nowhere'" in text
    assert "case membership given by codes is not imported" in text


# -- positions -------------------------------------------------------------------------------
def test_counted_text_maps_crlf_and_surrogates():
    crlf = CountedText("ab\r\ncd\re")
    assert [crlf.to_canonical(i, utf16=False) for i in range(8)] == [
        (0, True),
        (1, True),
        (2, True),
        (2, False),
        (3, True),
        (4, True),
        (5, True),
        (6, True),
    ]
    assert crlf.to_canonical(9, utf16=False) is None
    astral = CountedText("a😀b")
    assert [astral.to_canonical(i, utf16=True) for i in range(5)] == [
        (0, True),
        (1, True),
        (1, False),
        (2, True),
        (3, True),
    ]
    assert astral.to_canonical(5, utf16=True) is None


@pytest.mark.parametrize(
    ("raw", "spans", "expected"),
    [
        # NVivo, QualCoder: characters as stored, CRLF = 2.
        ("A: one\r\nB: two three\r\n", [Span(11, 14, "two")], "stored"),
        # ATLAS.ti, MAXQDA: a CRLF counts one.
        ("A: one\r\nB: two three\r\n", [Span(10, 13, "two")], "lf"),
        # Inline PlainTextContent, whose CR the XML parser removed; positions counted CRLF = 2.
        ("A: one\nB: two\nC: three\n", [Span(19, 24, "three")], "crlf"),
        # .NET or Java strings: UTF-16 code units, the emoji counts two.
        ("😀😀 ok then fine", [Span(8, 12, "then")], "stored-utf16"),
        # No line breaks or astral characters: every reading agrees, nothing to choose.
        ("plain words only", [Span(6, 11, "")], "stored"),
    ],
)
def test_the_convention_is_chosen_where_selections_make_sense(raw, spans, expected):
    convention, why = choose_convention(raw, spans)
    assert convention == expected
    assert bool(why) == (expected != "stored")
    ((s, e, exact),) = map_spans(raw, spans, convention)
    canonical = raw.replace("\r\n", "\n")
    assert exact
    assert canonical[s:e] == spans[0].name or not spans[0].name


def test_undecidable_positions_are_read_the_standard_way_with_a_warning():
    # Stored, the spans are "z" and "w"; counting CRLF as one, they are two spaces. Without
    # names both readings sit on word boundaries: a tie, which goes to the REFI-QDA rule.
    convention, why = choose_convention("x y\r\nz w v", [Span(5, 6, ""), Span(7, 8, "")])
    assert convention == "stored" and "could not tell" in why


def test_inline_text_positions_with_and_without_carriage_returns(tmp_path):
    code = "AAAAAAAA-0000-4000-8000-000000000001"

    def source(name: str, content: str, start: int, end: int) -> str:
        return f"""<TextSource guid="{uuid.uuid4()}" name="{name}">
    <PlainTextContent>{content}</PlainTextContent>
    <PlainTextSelection guid="{uuid.uuid4()}" name="three" startPosition="{start}"
      endPosition="{end}"><Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{code}"/>
      </Coding></PlainTextSelection></TextSource>"""

    kept = source("Kept", "A: one&#13;\nB: two&#13;\nC: three&#13;\n", 19, 24)
    lost = source("Lost", "A: one\r\nB: two\r\nC: three\r\n", 19, 24)
    qde = f"""<Project xmlns="urn:QDA-XML:project:1.0" name="inline">
  <CodeBook><Codes><Code guid="{{{code}}}" name="Fit" isCodable="true"/></Codes></CodeBook>
  <Sources>{kept}{lost}</Sources></Project>"""
    project, messages = import_quietly(make_qdpx(tmp_path / "in.qdpx", qde), tmp_path / "p")
    with project:
        rows = project.store.codings_frame().set_index("doc_id")
        # &#13; keeps the CR: read as stored (CRLF = 2) onto the LF-only canonical text.
        assert (rows.loc["Kept", "text"], rows.loc["Kept", "start"]) == ("three", 17)
        # A literal CR is turned into LF by the XML parser (XML 1.0, 2.11): still counted 2.
        assert (rows.loc["Lost", "text"], rows.loc["Lost", "start"]) == ("three", 17)
        assert set(rows["coder"]) == {"unknown"}
        assert project.corpus.texts["Kept"] == "A: one\nB: two\nC: three\n"
    assert [m for m in messages if "positions read as" in m] == [
        "in.qdpx: position conventions: source 'Lost': positions read as 'crlf' (line breaks "
        "counted as two characters): that way 2 of 2 selection ends fall on word boundaries "
        "and 1 of 1 selection names match the text, against 0 and 0 the standard way; pass "
        "positions='stored' to override"
    ]


# -- hostile and broken files --------------------------------------------------------------
def test_not_a_zip_or_a_corrupt_one(tmp_path):
    (tmp_path / "text.qdpx").write_text("not a zip")
    with pytest.raises(ExchangeError, match="cannot be opened as zip"):
        import_qdpx(tmp_path / "text.qdpx", tmp_path / "p")
    good = export_qdpx_sample(tmp_path)
    (tmp_path / "cut.qdpx").write_bytes(good.read_bytes()[:200])
    with pytest.raises(ExchangeError, match="cannot be opened as zip"):
        import_qdpx(tmp_path / "cut.qdpx", tmp_path / "p")
    data = bytearray(good.read_bytes())
    offset = data.index(b"project.qde") + len("project.qde") + 40  # inside its deflated data
    data[offset] ^= 0xFF
    (tmp_path / "flipped.qdpx").write_bytes(bytes(data))
    with pytest.raises(ExchangeError, match="corrupt"):
        import_qdpx(tmp_path / "flipped.qdpx", tmp_path / "p")
    with pytest.raises(InputFileError, match="no such file"):
        import_qdpx(tmp_path / "missing.qdpx", tmp_path / "p")
    assert not (tmp_path / "p").exists()


def export_qdpx_sample(tmp_path: Path) -> Path:
    return zip_folder(FIXTURES / "maxqda", tmp_path / "good.qdpx")


def test_missing_project_qde(tmp_path):
    path = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("sources/a.txt", "text")
        zf.writestr("notes.xml", "<x/>")
    with pytest.raises(ExchangeError, match=r"no project\.qde in the archive \(found notes"):
        import_qdpx(path, tmp_path / "p")


@pytest.mark.parametrize(
    "entry",
    [
        "../evil.txt",
        "/etc/evil.txt",
        "C:/evil.txt",
        "sources\\..\\..\\evil.txt",
        "sources/../../evil.txt",
    ],
)
def test_path_traversal_entries_are_refused(tmp_path, entry):
    path = make_qdpx(
        tmp_path / "slip.qdpx",
        (FIXTURES / "maxqda" / "project.qde").read_bytes(),
        {entry: b"owned"},
    )
    with pytest.raises(ExchangeError, match="path traversal"):
        import_qdpx(path, tmp_path / "p")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "p").exists()


def test_duplicate_entries_are_refused(tmp_path):
    path = make_qdpx(tmp_path / "dup.qdpx", "<Project/>")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("project.qde", "<Project name='other'/>")
    with pytest.raises(ExchangeError, match="same name"):
        import_qdpx(path, tmp_path / "p")


def test_internal_paths_cannot_leave_the_sources_folder(tmp_path):
    qde = (
        (FIXTURES / "maxqda" / "project.qde")
        .read_text(encoding="utf-8")
        .replace("internal://a81f0c3e-5b2d-4c7a-9e61-0f2b3c4d5e6a.txt", "internal://../project.qde")
    )
    path = make_qdpx(tmp_path / "up.qdpx", qde)
    with pytest.raises(ExchangeError, match="no text source cmqual can import"):
        import_qdpx(path, tmp_path / "p")


def test_zip_bombs_are_refused(tmp_path):
    source = "sources/a81f0c3e-5b2d-4c7a-9e61-0f2b3c4d5e6a.txt"
    path = make_qdpx(
        tmp_path / "bomb.qdpx",
        (FIXTURES / "maxqda" / "project.qde").read_bytes(),
        {source: b"a" * 30_000_000},
    )
    assert path.stat().st_size < 100_000  # 30 MB squeezed 1000 times
    with pytest.raises(ExchangeError, match="possible zip bomb"):
        import_qdpx(path, tmp_path / "p")


def test_oversized_members_are_refused(tmp_path, monkeypatch):
    import cmqual.io._qdpx_reader as reader

    monkeypatch.setattr(reader, "MAX_TEXT_BYTES", 100)
    path = zip_folder(FIXTURES / "maxqda", tmp_path / "big.qdpx")
    with pytest.raises(ExchangeError, match=r"is 0\.0 MB \(more than 0 MB\)"):
        import_qdpx(path, tmp_path / "p")


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE Project SYSTEM "http://127.0.0.1:9/evil.dtd">',
    ],
)
def test_dtds_and_entities_are_refused(tmp_path, prolog):
    qde = f'<?xml version="1.0"?>{prolog}<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>'
    with pytest.raises(ExchangeError, match="DOCTYPE"):
        import_qdpx(make_qdpx(tmp_path / "xxe.qdpx", qde), tmp_path / "p")


def test_wrong_root_or_broken_xml(tmp_path):
    book = '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>'
    with pytest.raises(ExchangeError, match=r"root element 'CodeBook'.*read_qdc"):
        import_qdpx(make_qdpx(tmp_path / "book.qdpx", book), tmp_path / "p")
    with pytest.raises(ExchangeError, match="not well-formed XML at line 1"):
        import_qdpx(make_qdpx(tmp_path / "cut.qdpx", "<Project><Users>"), tmp_path / "p")


def test_target_must_be_new_and_failures_leave_nothing(tmp_path, imported):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    path = zip_folder(FIXTURES / "qualcoder", tmp_path / "qc.qdpx")
    with pytest.raises(ProjectError, match="not an empty folder"):
        import_qdpx(path, tmp_path / "full")
    (tmp_path / "empty").mkdir()
    with pytest.warns(CmqualWarning):
        import_qdpx(path, tmp_path / "empty").close()  # an empty folder is fine
    bad = make_qdpx(tmp_path / "bad.qdpx", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
    with pytest.raises(ExchangeError, match="no text source"):
        import_qdpx(bad, tmp_path / "new")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert not (tmp_path / "new").exists() and leftovers == []


def test_messy_but_readable_files_import_with_warnings(tmp_path):
    guid = "{0F0F0F0F-1111-4222-8333-444444444444}"
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project name="messy"><!-- no namespace at all -->
  <Users><User guid="{guid}" name="Sam"/><User guid="{guid.lower()[1:-1]}x" name="Sam"/></Users>
  <CodeBook><Codes><Code guid="{{ABCDEF00-1111-4222-8333-444444444444}}" name="Only code"
    isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{uuid.uuid4()}" name="../../etc/README" plainTextPath="internal://a.txt">
      <PlainTextSelection guid="{uuid.uuid4()}" startPosition="0" endPosition="4"
        creatingUser="{guid.lower()[1:-1]}">
        <Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="abcdef00-1111-4222-8333-444444444444"/>
        </Coding>
        <Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{uuid.uuid4()}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{uuid.uuid4()}" startPosition="3" endPosition="999">
        <Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="abcdef00-1111-4222-8333-444444444444"/>
        </Coding>
      </PlainTextSelection>
      <Bogus/>
    </TextSource>
    <PictureSource guid="{uuid.uuid4()}" name="photo" path="internal://p.png"/>
    <TextSource guid="{uuid.uuid4()}" name="far" plainTextPath="absolute://C:/secret.txt"/>
  </Sources>
</Project>"""
    path = make_qdpx(tmp_path / "messy.qdpx", qde, {"Sources/a.txt": b"Word one two.\r\n"})
    project, messages = import_quietly(path, tmp_path / "p")
    text = "\n".join(messages)
    with project:
        row = project.store.codings_frame().iloc[0]
        assert (row.doc_id, row.text, row.coder, row.code) == (
            "etc/doc-README",
            "Word",
            "Sam",
            "messy/only_code",
        )
        assert len(project.store.codings_frame()) == 1
    for fragment in [
        "codes that are not in the CodeBook were skipped",
        "selections outside their text or empty were skipped",
        "<Bogus> in <TextSource>",
        "picture sources are not imported",
        "outside the .qdpx (absolute:// or relative://) are not read",
        "users with the same name were told apart: Sam (2)",
    ]:
        assert fragment in text, fragment


# -- command line ----------------------------------------------------------------------------
def test_cli_export_and_import(project, tmp_path, capsys):
    project.close()
    out = tmp_path / "cli.qdpx"
    assert main(["project", "export-qdpx", str(project.root), str(out)]) == 0
    assert "wrote 2 documents and 5 codings by 2 coder(s)" in capsys.readouterr().out
    assert main(["project", "import-qdpx", str(out), str(tmp_path / "back")]) == 0
    assert "2 documents, 5 codings by ana, ben, 1 codebook(s)" in capsys.readouterr().out
    atlas = zip_folder(FIXTURES / "atlasti", tmp_path / "atlas.qdpx")
    assert (
        main(["project", "import-qdpx", str(atlas), str(tmp_path / "a"), "--positions", "lf"]) == 0
    )
    assert "positions read as" not in capsys.readouterr().err  # as told, no guessing
    (tmp_path / "bad.qdpx").write_bytes(b"PK\x03\x04 broken")
    assert main(["project", "import-qdpx", str(tmp_path / "bad.qdpx"), str(tmp_path / "b")]) == 2
    assert "cannot be opened as zip" in capsys.readouterr().err
