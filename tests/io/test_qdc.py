"""REFI-QDA codebook (.qdc) export/import, the Description convention and hardened parsing."""

from __future__ import annotations

import io
import socket
import uuid
import warnings
from importlib import resources

import pytest
from codebook_samples import DATA, HOSTILE, all_codes, build_codebook, sample_codebook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cmqual.codebook import Code, Codebook, Source
from cmqual.errors import CmqualWarning, CodebookError, ExchangeError, InputFileError
from cmqual.io.qdc import read_qdc, to_qdc_string, write_qdc
from cmqual.io.refi import GUID_NAMESPACE, code_guid, from_description, to_description
from cmqual.xmlsafe import MAX_XML_BYTES, parse_xml

NS = {"q": "urn:QDA-XML:codebook:1.0"}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    xsd = resources.files("cmqual") / "schemas" / "codebook.xsd"
    return etree.XMLSchema(etree.fromstring(xsd.read_bytes()))


def assert_valid(schema: etree.XMLSchema, xml: str | bytes) -> etree._Element:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log.last_error
    return doc


def reimport(codebook: Codebook) -> Codebook:
    return read_qdc(io.BytesIO(to_qdc_string(codebook).encode("utf-8")))


def read_foreign(name: str) -> Codebook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CmqualWarning)
        return read_qdc(DATA / name)


# -- export --------------------------------------------------------------------------------


def test_export_is_valid_refi_qda(schema):
    doc = assert_valid(schema, to_qdc_string(sample_codebook()))
    assert doc.tag == "{urn:QDA-XML:codebook:1.0}CodeBook"
    assert doc.find("q:Sets", NS) is None  # only written when non-empty; cmqual has none
    top = doc.findall("q:Codes/q:Code", NS)
    assert [c.get("name") for c in top] == ["Power & hierarchy", "Student voice", "Other"]
    assert [c.get("name") for c in top[0].findall("q:Code", NS)] == [
        "Line management / hierarchy",
        "Équité & diversité",
    ]
    assert top[0].get("color") == "#1F77B4" and top[0].get("isCodable") == "true"
    assert top[2].get("color") is None and top[2].find("q:Description", NS) is None


def test_guids_are_uuid5_of_codebook_id_and_path():
    cb = sample_codebook()
    doc = etree.fromstring(to_qdc_string(cb).encode())
    by_name = {c.get("name"): c.get("guid") for c in doc.iter("{*}Code")}
    expected = uuid.uuid5(GUID_NAMESPACE, "coaching-equity/power/line_management")
    assert by_name["Line management / hierarchy"] == str(expected).upper()
    assert str(GUID_NAMESPACE) == str(
        uuid.uuid5(uuid.NAMESPACE_URL, "urn:cmqual:refi-qda:code-guid")
    )
    code = cb.codes[0].codes[0]
    assert code_guid(cb, code) == str(expected).upper()


def test_export_is_deterministic(tmp_path):
    cb = sample_codebook()
    assert to_qdc_string(cb) == to_qdc_string(sample_codebook())
    a = write_qdc(cb, tmp_path / "a.qdc").read_bytes()
    b = write_qdc(cb, tmp_path / "b.qdc").read_bytes()
    assert a == b and a.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_description_reads_as_plain_text():
    doc = etree.fromstring(to_qdc_string(sample_codebook()).encode())
    text = doc.find("q:Codes/q:Code/q:Description", NS).text
    assert text.startswith("Talk about who holds power in a mentoring or coaching relationship")
    assert "\n\nInclude:\n- The mentor is also the mentee's line manager\n" in text
    assert "- A judgement that affects pay or progression,\n  written over two lines" in text
    assert "\n\nSpeakers: participants\n\n" in text
    assert "\n\nSources:\n- seed-002: Scoping study of coaching & mentoring" in text
    assert "Near misses:" not in text  # empty lists are left out


def test_codebook_metadata_travels_in_a_processing_instruction():
    text = to_qdc_string(sample_codebook())
    root = etree.fromstring(text.encode())
    pi = root.getprevious()
    assert isinstance(pi, etree._ProcessingInstruction) and pi.target == "cmqual-codebook"
    assert '"title": "Coaching & mentoring: an \\"equity\\" <lens\\u003e"' in pi.text
    assert "?>" not in pi.text


def test_write_is_atomic_and_keeps_old_file_on_error(tmp_path):
    out = tmp_path / "cb.qdc"
    write_qdc(sample_codebook(), out)
    before = out.read_bytes()
    bad = Codebook(id="x", title="X", version="1", codes=())
    with pytest.raises(ExchangeError, match="no codes"):
        write_qdc(bad, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.qdc"]
    with pytest.raises(InputFileError, match="does not exist"):
        write_qdc(sample_codebook(), tmp_path / "missing" / "cb.qdc")


def test_export_reports_every_problem_at_once():
    codes = (
        Code(id="a", label="A", path="a", ref="x/a", colour="blue"),
        Code(id="b", label="B\x01", path="b", ref="x/b"),
        Code(id="c", label="C", path="c", ref="x/c", definition="bad \x0b char", sources=("s: 1",)),
    )
    with pytest.raises(ExchangeError) as info:
        to_qdc_string(Codebook(id="x", title="X", version="1", codes=codes))
    message = str(info.value)
    assert "code x/a: colour 'blue' is not #rgb or #rrggbb" in message
    assert "code x/b label: character U+0001" in message
    assert "code x/c: source id 's: 1' contains ': '" in message


# -- round trips ----------------------------------------------------------------------------


def test_round_trip_is_lossless(tmp_path):
    cb = sample_codebook()
    assert reimport(cb) == cb
    path = write_qdc(cb, tmp_path / "cb.qdc")
    assert read_qdc(path) == cb
    with path.open("rb") as handle:
        assert read_qdc(handle) == cb


_LINES = st.sampled_from(
    [
        "",
        " ",
        "Include:",
        "Exclude:",
        "Examples:",
        "Near misses:",
        "Patterns:",
        "Exclude patterns:",
        "Sources:",
        "Memo:",
        "Speakers: ",
        "Speakers: all",
        "- item",
        "-",
        "  indented",
        "\\",
        "\\\\x",
        "\\Include:",
        "a: b",
        "[REFI-QDA: isCodable=false]",
        "plain words",
        "é 評価 🙂",
        "<&>\"'",
        "]]>",
        "\t",
        "x\r",
        "?>",
    ]
)
_TEXT = st.one_of(
    st.lists(_LINES, max_size=5).map("\n".join),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=12),
)
_ITEMS = st.lists(_TEXT, max_size=3).map(tuple)
# Valid pattern-language strings with characters the Description must carry safely.
_PATTERNS = st.lists(
    st.sampled_from(
        [
            "burnout",
            "hard to reach",
            "assess*",
            "mentor+",
            "line|middle manager*",
            "re:\\bNHS\\s+trusts?\\b",
            "workload NEAR/5 stress",
            "re:<a> & [b]",
        ]
    ),
    max_size=2,
).map(tuple)
_NONEMPTY = _TEXT.filter(lambda t: t != "")
_ID = st.from_regex(r"[a-z][a-z0-9_]{0,4}", fullmatch=True)


@st.composite
def code_specs(draw, depth: int = 0, patterns: st.SearchStrategy = _PATTERNS) -> dict:
    spec = {
        "id": draw(_ID),
        "label": draw(_TEXT.filter(lambda t: t.strip())),
        "definition": draw(_TEXT),
        "include": draw(_ITEMS),
        "exclude": draw(_ITEMS),
        "examples": draw(_ITEMS),
        "near_misses": draw(_ITEMS),
        "patterns": draw(patterns),
        "exclude_patterns": draw(patterns),
        "speakers": draw(st.sampled_from(["all", "participants"])),
        "colour": draw(st.sampled_from(["", "#aabbcc", "#A1B2C3"])),
        "memo": draw(_TEXT),
        "sources": tuple(draw(st.lists(st.sampled_from(["s1", "s-2"]), max_size=2))),
    }
    if depth < 2:
        spec["codes"] = draw(
            st.lists(code_specs(depth + 1, patterns), max_size=2, unique_by=lambda c: c["id"])
        )
    return spec


@st.composite
def codebooks(draw) -> Codebook:
    return build_codebook(
        {
            "id": draw(
                st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True).filter(
                    lambda i: i != "default"
                )
            ),
            "title": draw(_NONEMPTY),
            "version": draw(_NONEMPTY),
            "description": draw(_TEXT),
            "sources": [
                {"id": "s1", "citation": draw(_NONEMPTY), "file": draw(_TEXT)},
                {"id": "s-2", "citation": "Second: a study", "file": ""},
            ],
            "codes": draw(
                st.lists(code_specs(), min_size=1, max_size=3, unique_by=lambda c: c["id"])
            ),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(codebooks())
def test_round_trip_property(codebook):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CmqualWarning)  # e.g. exclude patterns that never apply
        assert reimport(codebook) == codebook


@settings(max_examples=150, deadline=None)
@given(code_specs(depth=2, patterns=_ITEMS))
def test_description_convention_round_trips(spec):
    code = build_codebook({"id": "cb", "title": "", "version": "", "codes": [spec]}).codes[0]
    text = to_description(code, [Source("s1", "A: study")])
    parts = from_description(text)
    for name, value in parts.code_fields().items():
        expected = getattr(code, name)
        if name == "memo" and expected.endswith("[REFI-QDA: isCodable=false]"):
            continue  # exchange data: taken out of the memo on export (tested below)
        assert value == expected, name


def test_description_escapes_section_labels():
    code = Code(
        id="a",
        label="A",
        path="a",
        ref="cb/a",
        definition="Include:\n\\x\nSpeakers: me",
        memo="Memo:",
    )
    text = to_description(code)
    assert text == "\\Include:\n\\\\x\n\\Speakers: me\n\nMemo:\n\\Memo:"
    assert from_description(text).definition == code.definition


def test_free_text_description_becomes_definition():
    for text in [
        "Just words.",
        "Include: inline, not a section",
        "Note\nInclude:\n- x",
        "Include:\nprose, not bullets",
        "\\odd",
        "  padded  ",
    ]:
        assert from_description(text).definition == text


# -- foreign files --------------------------------------------------------------------------


def test_nvivo_flat_list_with_braced_guids(schema):
    cb = read_foreign("nvivo_flat.qdc")
    assert cb.id == "nvivo-flat" and cb.title == "nvivo_flat"
    assert "NVivo 14" in cb.description
    assert [c.id for c in cb.codes] == ["power", "equite_acces", "student_voice", "student_voice_2"]
    power, equite, voice, _ = cb.codes
    assert power.definition == (
        "Who decides what happens in the mentoring relationship.\n"
        "Use for line management and assessment."
    )
    assert power.ref == "nvivo-flat/power" and power.include == ()
    assert equite.label == "Équité & accès" and equite.colour == "#FF9900"
    assert voice.definition == "" and voice.colour == ""
    doc = assert_valid(schema, to_qdc_string(cb))
    guids = [c.get("guid") for c in doc.iter("{*}Code")]
    assert guids[:2] == [
        "{6F1D8C0E-2B7A-4E0C-9D51-3A8F0B6C2E11}",
        "{0B9E4A27-5C3D-4F86-A1E2-7D6C5B4A3F20}",
    ]


def test_atlasti_codes_with_sets_and_lookalike_names(schema):
    with pytest.warns(CmqualWarning, match="code sets are not imported.*Relationships"):
        cb = read_qdc(DATA / "atlasti_groups.qdc")
    assert [c.id for c in cb.codes] == [
        "equipe",
        "equipe_2",
        "mentoring_career_transition",
        "coaching_skills_listening",
    ]
    assert cb.codes[0].definition.startswith("Team dynamics.\nInclude: staff meetings")
    assert cb.codes[0].include == ()
    assert cb.codes[3].definition == 'Active listening <and> open questions & "buffer zones".'
    doc = assert_valid(schema, to_qdc_string(cb))
    assert doc.find("q:Codes/q:Code", NS).get("guid") == "1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294"


def test_qualcoder_nested_categories_keep_iscodable(schema):
    cb = read_foreign("qualcoder_nested.qdc")  # UTF-8 BOM, lower-case guids
    roles = cb.codes[0]
    assert roles.id == "roles" and [c.id for c in roles.codes] == [
        "mentor",
        "specialist_coach",
        "co_coaching",
    ]
    peer = roles.codes[2].codes[0]
    assert peer.ref == "qualcoder-nested/roles/co_coaching/peer_pairs"
    assert peer.definition == "Two teachers coaching each other."
    doc = assert_valid(schema, to_qdc_string(cb))
    flags = {c.get("name"): (c.get("isCodable"), c.get("guid")) for c in doc.iter("{*}Code")}
    assert flags["Roles"] == ("false", "9e1c4b2a-0f3d-4a5b-8c6d-7e8f9a0b1c2d")
    assert flags["Co-coaching"][0] == "false"
    assert flags["Peer pairs"] == ("true", "d4e5f6a7-b8c9-4d0e-9f2a-3b4c5d6e7f80")
    # The exchange data is not shown in the document text NVivo users read.
    assert "REFI-QDA" not in to_qdc_string(cb).split("?>", 2)[2]


@pytest.mark.parametrize("name", ["nvivo_flat.qdc", "atlasti_groups.qdc", "qualcoder_nested.qdc"])
def test_foreign_import_is_stable_through_cmqual(name):
    cb = read_foreign(name)
    assert reimport(cb) == cb
    assert to_qdc_string(reimport(cb)) == to_qdc_string(cb)


def test_codebook_without_namespace_or_metadata():
    data = (
        '<CodeBook><Codes><Code guid="6F1D8C0E-2B7A-4E0C-9D51-3A8F0B6C2E11" name="Ça va" '
        'isCodable="true"><Description>Free text.</Description></Code></Codes></CodeBook>'
    )
    cb = read_qdc(io.BytesIO(data.encode("utf-8")))
    assert cb.id == "codebook" and cb.codes[0].id == "ca_va"
    assert cb.codes[0].definition == "Free text."


def test_lenient_attributes_warn():
    data = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code name="No guid" isCodable="yes" color="red"/>'
        b'<Code guid="not-a-guid" name="Bad guid"/>'
        b"</Codes></CodeBook>"
    )
    with pytest.warns(CmqualWarning) as record:
        cb = read_qdc(io.BytesIO(data))
    messages = " | ".join(str(w.message) for w in record)
    assert "has no guid" in messages and "'not-a-guid' is not a GUID" in messages
    assert "isCodable='yes'" in messages and "colour 'red'" in messages
    assert [c.id for c in cb.codes] == ["no_guid", "bad_guid"]
    assert cb.codes[0].colour == "" and cb.codes[0].memo == ""


def test_duplicate_guid_gets_a_new_one_on_export(schema):
    data = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="6F1D8C0E-2B7A-4E0C-9D51-3A8F0B6C2E11" name="A" isCodable="true"/>'
        b'<Code guid="6f1d8c0e-2b7a-4e0c-9d51-3a8f0b6c2e11" name="B" isCodable="true"/>'
        b"</Codes></CodeBook>"
    )
    with pytest.warns(CmqualWarning, match="also used on line 1"):
        cb = read_qdc(io.BytesIO(data))
    doc = assert_valid(schema, to_qdc_string(cb))
    guids = [c.get("guid") for c in doc.iter("{*}Code")]
    assert guids[0] == "6F1D8C0E-2B7A-4E0C-9D51-3A8F0B6C2E11" and guids[1] != guids[0]


def test_codes_without_names_are_all_reported():
    with pytest.raises(ExchangeError) as info:
        read_qdc(HOSTILE / "unnamed_codes.qdc")
    assert "unnamed_codes.qdc: cannot import this codebook" in str(info.value)
    assert info.value.problems == (
        "line 4: Code has no name; give it a name attribute",
        "line 6: Code has no name; give it a name attribute",
    )


def test_project_file_is_not_a_codebook():
    with pytest.raises(ExchangeError, match=r"root element is 'Project'.*import the .qdpx"):
        read_qdc(HOSTILE / "project_root.qdc")


def test_broken_metadata_is_reported(tmp_path):
    text = to_qdc_string(sample_codebook()).replace('"format_version": 1', '"format_version": 9')
    path = tmp_path / "cb.qdc"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExchangeError, match=r"cmqual metadata .* format_version; remove"):
        read_qdc(path)
    path.write_text(text.replace('"id": "coaching-equity",', ""), encoding="utf-8")
    with pytest.raises(ExchangeError, match="missing or unusable id"):
        read_qdc(path)


# -- hardened parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("billion_laughs.qdc", "line 2 has a DOCTYPE declaration"),
        ("xxe_local_file.qdc", "line 2 has a DOCTYPE declaration"),
        ("xxe_parameter_entity.qdc", "line 2 has a DOCTYPE declaration"),
        ("external_dtd.qdc", "line 2 has a DOCTYPE declaration"),
        ("not_wellformed.qdc", "not well-formed XML at line 5"),
        ("truncated.qdc", "not well-formed XML"),
        ("empty.qdc", "contains no XML element"),
    ],
)
def test_unsafe_or_broken_xml_is_refused(name, fragment):
    with pytest.raises(ExchangeError) as info:
        read_qdc(HOSTILE / name)
    message = str(info.value)
    assert message.startswith(str(HOSTILE / name) + ": ")
    assert fragment in message
    assert "root:" not in message  # nothing from /etc/passwd


def test_no_network_access_for_external_dtd(tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    for doctype in (
        f'<!DOCTYPE CodeBook SYSTEM "http://127.0.0.1:{port}/x.dtd">',
        f'<!DOCTYPE CodeBook [<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e">]>',
    ):
        path = tmp_path / "remote.qdc"
        path.write_text(f'<?xml version="1.0"?>\n{doctype}\n<CodeBook><Codes/></CodeBook>')
        with pytest.raises(ExchangeError, match="DOCTYPE"):
            read_qdc(path)
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_size_limit(tmp_path):
    path = tmp_path / "huge.qdc"
    with path.open("wb") as handle:
        handle.truncate(MAX_XML_BYTES + 1)  # sparse: nothing is really written
    with pytest.raises(ExchangeError, match=r"huge.qdc: is 50.0 MB; cmqual refuses exchange files"):
        read_qdc(path)
    with pytest.raises(ExchangeError, match="<stream>: is larger than that"):
        parse_xml(io.BytesIO(b"<a>" + b" " * 100 + b"</a>"), max_bytes=50)


def test_parse_xml_guards():
    deep = b"<a>" * 300 + b"</a>" * 300
    with pytest.raises(ExchangeError, match=r"deep.xml: not well-formed XML.*[Dd]epth"):
        parse_xml(deep, name="deep.xml")
    with pytest.raises(ExchangeError, match="binary mode"):
        parse_xml(io.StringIO("<a/>"))
    with pytest.raises(InputFileError, match="no such file"):
        read_qdc("does/not/exist.qdc")
    assert parse_xml("<a>é</a>".encode("utf-16")).text == "é"


def test_all_sample_codes_have_distinct_guids():
    cb = sample_codebook()
    guids = {code_guid(cb, c) for c in all_codes(cb.codes)}
    assert len(guids) == len(all_codes(cb.codes))


def test_export_that_lost_its_metadata_still_imports(tmp_path):
    # What a round trip through NVivo leaves: codes and descriptions, no cmqual metadata.
    text = to_qdc_string(sample_codebook())
    stripped = text[: text.index("<?cmqual-codebook")] + text[text.index("<CodeBook") :]
    path = tmp_path / "Coaching equity (from NVivo).qdc"
    path.write_text(stripped, encoding="utf-8")
    cb = read_qdc(path)
    assert cb.id == "coaching-equity-from-nvivo" and cb.version == "1"
    assert [c.id for c in cb.codes] == ["power_hierarchy", "student_voice", "other"]
    original = sample_codebook().codes[0]
    power = cb.codes[0]
    assert (power.definition, power.include, power.patterns, power.memo) == (
        original.definition,
        original.include,
        original.patterns,
        # the file's guid is kept: the codebook id (from the file name) no longer derives it
        original.memo + "\n[REFI-QDA: guid=129A54A3-5A73-50A8-9DED-4FD3158AF3BC]",
    )
    assert [(s.id, s.citation[:22]) for s in cb.sources] == [
        ("seed-002", "Scoping study of coach"),
        ("seed-003", "National Framework for"),
    ]


@pytest.mark.parametrize("name", ["nvivo_flat.qdc", "atlasti_groups.qdc", "qualcoder_nested.qdc"])
def test_schema_accepts_the_foreign_fixtures(schema, name):
    # The fixtures imitate real exports, so the schema must accept them (checked with both
    # validators the project uses: lxml at run time, xmlschema in the test extras).
    xmlschema = pytest.importorskip("xmlschema")
    assert_valid(schema, (DATA / name).read_bytes())
    xsd = resources.files("cmqual") / "schemas" / "codebook.xsd"
    with resources.as_file(xsd) as xsd_path:
        assert xmlschema.XMLSchema(str(xsd_path)).is_valid(str(DATA / name))


def test_imported_codes_are_validated_like_a_yaml_codebook():
    data = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="6F1D8C0E-2B7A-4E0C-9D51-3A8F0B6C2E11" name="Short colour" isCodable="true" '
        b'color="#AbC"/>'
        b'<Code guid="0B9E4A27-5C3D-4F86-A1E2-7D6C5B4A3F20" name="Broken" isCodable="true">'
        b"<Description>Patterns:\n- re:(unclosed</Description></Code>"
        b"</Codes></CodeBook>"
    )
    with pytest.raises(CodebookError) as info:
        read_qdc(io.BytesIO(data))
    assert "code codebook/broken: patterns[0] 're:(unclosed'" in str(info.value)
    fixed = data.replace(b"re:(unclosed", b"re:(closed)")
    assert read_qdc(io.BytesIO(fixed)).codes[0].colour == "#AAbbCC"


def test_codebook_without_codes_is_refused():
    with pytest.raises(ExchangeError, match=r"<stream>: has no codes \(Codes, line 1"):
        read_qdc(io.BytesIO(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>'))
