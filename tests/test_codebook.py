"""Codebooks: reading and validating YAML, round trips, hashes, built-ins, selections."""

from __future__ import annotations

import ast
import io
import json
import re
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqual.codebook import (
    DEFAULT_SELECTION,
    Code,
    Codebook,
    Selection,
    builtin_dirs,
    codebook_hash,
    codes_table,
    compose,
    from_dict,
    get_code,
    iter_codes,
    list_codebooks,
    read_codebook,
    select,
    to_dict,
    write_codebook,
)
from cmqual.errors import CmqualWarning, CodebookError, DecodeError, InputFileError
from cmqual.matcher import compile_codebook

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "codebooks"


@pytest.fixture
def stand_ins(monkeypatch):
    """Point the built-in search at the tiny stand-ins of the default codebooks."""
    monkeypatch.setenv("CMQUAL_CODEBOOKS", str(DATA / "builtin"))


def test_read_demo_codebook():
    cb = read_codebook(DATA / "demo.yaml")
    assert isinstance(cb, Codebook)
    assert (cb.id, cb.title, cb.version) == ("demo", "Demo codebook", "1.10")  # not 1.1
    assert cb.sources[0].id == "s1" and cb.sources[0].file == "notes.txt"
    refs = [c.ref for c in iter_codes(cb)]
    assert refs == [
        "demo/access",
        "demo/assessment",
        "demo/assessment/formative",
        "demo/power",
        "demo/power/line_management",
        "demo/workload",
        "demo/places",
    ]
    access = get_code(cb, "demo/access")
    assert access.colour == "#1f77b4" and access.sources == ("s1",)
    assert access.patterns == ("hard to reach", r"re:\bNHS\s+trusts?\b")
    lm = get_code(cb, "demo/power/line_management")
    assert (lm.path, lm.speakers, lm.depth) == ("power/line_management", "participants", 2)
    table = codes_table(cb)
    assert list(table.columns) == [
        "ref",
        "label",
        "depth",
        "speakers",
        "n_patterns",
        "n_exclude_patterns",
    ]
    assert "<table" in cb._repr_html_()
    with pytest.raises(CodebookError, match="did you mean 'demo/power'"):
        get_code(cb, "demo/powr")


def test_read_from_a_stream():
    text = (DATA / "demo.yaml").read_text(encoding="utf-8")
    cb = read_codebook(io.StringIO(text))
    assert cb == read_codebook(DATA / "demo.yaml")


def test_every_problem_in_one_error():
    with pytest.raises(CodebookError) as info:
        read_codebook(DATA / "broken.yaml")
    err = info.value
    where = str(DATA / "broken.yaml")
    assert len(err.problems) == 10
    expected = [
        f"{where}:6:5: code broken/power: unknown field 'lable' (did you mean 'label'?)",
        f"{where}:5:5: code broken/power: missing required field 'label'",
        f"{where}:7:16: code broken/power: patterns[0] 're:(unclosed': invalid regular expression",
        f"{where}:7:32: code broken/power: patterns[1] '   ': empty pattern",
        f"{where}:11:15: code broken/power: speakers is 'everyone'",
        f"{where}:10:13: code broken/power: colour '#12345' is not #rrggbb",
        f"{where}:12:15: code broken/power: unknown source id 'nowhere'",
        f"{where}:13:16: code broken/power: patterns[0] 'workload NEAR/x stress': bad proximity",
        f"{where}:13:42: code broken/power: patterns[1] 'as*sess': misplaced '*'",
        f"{where}:8:9: codebook broken: duplicate code id 'power' among sibling codes "
        "(first at line 5)",
    ]
    for fragment, problem in zip(expected, err.problems, strict=True):
        assert problem.startswith(fragment), (fragment, problem)
    assert "10 problems found" in str(err) and str(err).count("\n  - ") == 10
    assert isinstance(err, ValueError)


def test_yaml_syntax_error_names_line_and_column():
    with pytest.raises(CodebookError) as info:
        read_codebook(DATA / "syntax-error.yaml")
    (problem,) = info.value.problems
    assert problem.startswith(f"{DATA / 'syntax-error.yaml'}:7:1: ")
    assert "expected ',' or ']'" in problem  # libyaml and pure-Python PyYAML word it alike
    assert "started at line 6, column 12" in problem


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        ("", "the codebook file is empty"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("id: x\ntitle: T\nversion: '1'\ncodes: []\n", "missing required field 'codes'"),
        ("id: x\ntitle: T\ncodes: [{id: a, label: A}]\n", "missing required field 'version'"),
        ("id: X Y\ntitle: T\nversion: '1'\ncodes: [{id: a, label: A}]\n", "must use only a-z"),
        ("id: default\ntitle: T\nversion: '1'\ncodes: [{id: a, label: A}]\n", "reserved"),
        (
            "id: x\ntitle: T\nversion: '1'\ncodes:\n  - id: a\n    label: A\n    colour: #fff000\n",
            "quote it",
        ),
        (
            "id: x\ntitle: T\nversion: '1'\ncodes: [{id: a, label: A, patterns: assess*}]\n",
            "patterns must be a list",
        ),
        (
            "id: x\ntitle: T\nversion: '1'\ncodes: [{id: a, label: A, patterns: [[a]]}]\n",
            "patterns[0] must be text",
        ),
        (
            "id: x\ntitle: T\nversion: '1'\nid: y\ncodes: [{id: a, label: A}]\n",
            "4:1: key 'id' appears twice in one mapping (first at line 1)",
        ),
        (
            "id: x\ntitle: T\nversion: '1'\nsources: [{id: s}, {id: s, citation: c}]\n"
            "codes: [{id: a, label: A}]\n",
            "missing required field 'citation'",
        ),
        (
            "id: x\ntitle: T\nversion: '1'\nsources: [{id: s, citation: c}, {id: s, citation: c}]\n"
            "codes: [{id: a, label: A}]\n",
            "duplicate source id 's'",
        ),
        (
            "id: x\ntitle: T\nversion: '1'\ncodes: [{id: a, label: A, codes: [{id: b}]}]\n",
            "code x/a/b: missing required field 'label'",
        ),
    ],
)
def test_validation_messages(tmp_path, yaml_text, fragment):
    path = tmp_path / "cb.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        read_codebook(path)
    assert fragment in str(info.value)


def test_exclusion_that_never_overlaps_warns():
    with pytest.warns(CmqualWarning, match="'risk management' can never overlap") as record:
        cb = read_codebook(DATA / "lonely-exclusion.yaml")
    assert len(record) == 1  # 'risk assess*' can overlap, so no warning for it
    assert "lonely-exclusion.yaml:8:24" in str(record[0].message)
    assert cb.codes[0].exclude_patterns == ("risk management", "risk assess*")


def test_exclusion_without_patterns_warns():
    data = {
        "id": "x",
        "title": "T",
        "version": "1",
        "codes": [{"id": "a", "label": "A", "exclude_patterns": ["risk"]}],
    }
    with pytest.warns(CmqualWarning, match="no patterns"):
        from_dict(data)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_codebook(tmp_path / "nope.yaml")
    with pytest.raises(InputFileError, match="is a folder"):
        read_codebook(tmp_path)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("id: x\ntitle: caf\xe9\n".encode("latin-1"))
    with pytest.raises(DecodeError, match="not UTF-8 text \\(byte 16\\)"):
        read_codebook(path)


# --- dict form, YAML round trip and hashes ------------------------------------------------


def test_dict_and_yaml_round_trip(tmp_path):
    cb = read_codebook(DATA / "demo.yaml")
    assert from_dict(to_dict(cb)) == cb
    out = write_codebook(cb, tmp_path / "copy.yaml")
    again = read_codebook(out)
    assert again == cb and codebook_hash(again) == codebook_hash(cb)
    assert [p.name for p in tmp_path.iterdir()] == ["copy.yaml"]  # no temporary file left
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# cmqual codebook")
    assert "speakers: all" not in text and "version: '1.10'" in text


def test_write_uses_block_style_for_multiline_text(tmp_path):
    code = Code(id="a", label="A", path="a", ref="x/a", definition="Line one.\nLine two.")
    cb = Codebook(id="x", title="T", version="1", codes=(code,))
    text = write_codebook(cb, tmp_path / "x.yaml").read_text(encoding="utf-8")
    assert "definition: |-\n      Line one.\n      Line two." in text
    assert read_codebook(tmp_path / "x.yaml") == cb


def test_write_refuses_a_selection(tmp_path, stand_ins):
    with pytest.raises(TypeError, match="selection"):
        write_codebook(read_codebook("default"), tmp_path / "x.yaml")  # type: ignore[arg-type]


def test_hash_depends_on_content_not_layout(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(
        "id: x\ntitle: T\nversion: '1'\ncodes:\n  - {id: a, label: A, patterns: [p]}\n",
        encoding="utf-8",
    )
    b.write_text(
        '# a comment\nversion: "1"\ncodes:\n  - patterns:\n      - p\n    label: A\n    id: a\n'
        "title: T\nid: x\n",
        encoding="utf-8",
    )
    assert codebook_hash(read_codebook(a)) == codebook_hash(read_codebook(b))
    c = tmp_path / "c.yaml"
    c.write_text(a.read_text(encoding="utf-8").replace("[p]", "[q]"), encoding="utf-8")
    assert codebook_hash(read_codebook(c)) != codebook_hash(read_codebook(a))
    assert len(codebook_hash(read_codebook(a))) == 64


def test_from_dict_accepts_numbers_for_version_and_names_problems_without_lines():
    cb = from_dict({"id": "x", "title": "T", "version": 2, "codes": [{"id": "a", "label": "A"}]})
    assert cb.version == "2"
    with pytest.raises(CodebookError) as info:
        from_dict(
            {
                "id": "x",
                "title": "T",
                "version": "1",
                "codes": [{"id": "a", "label": "A", "speakers": "me"}],
            },
            name="mine",
        )
    assert info.value.problems == (
        "mine: code x/a: speakers is 'me'; write 'all' or 'participants'",
    )


slugs = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
texts = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\x85\u2028\u2029"
    ),
    max_size=30,
)
words = st.from_regex(r"[a-z]{2,8}", fullmatch=True)


@st.composite
def code_dicts(draw, depth=0):
    data = {"id": draw(slugs), "label": draw(texts.filter(str.strip))}
    for key in ("definition", "memo"):
        if draw(st.booleans()):
            data[key] = draw(texts.filter(str.strip))
    for key in ("include", "exclude", "examples", "near_misses"):
        if draw(st.booleans()):
            data[key] = draw(st.lists(texts, min_size=1, max_size=2))
    if draw(st.booleans()):
        data["patterns"] = draw(
            st.lists(
                st.builds(lambda w, s: w + s, words, st.sampled_from(["", "*", "+"])),
                min_size=1,
                max_size=3,
            )
        )
    if draw(st.booleans()):
        data["speakers"] = "participants"
    if draw(st.booleans()):
        data["colour"] = draw(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
    if depth < 2 and draw(st.booleans()):
        children = draw(
            st.lists(code_dicts(depth + 1), min_size=1, max_size=2, unique_by=lambda c: c["id"])
        )
        data["codes"] = children
    return data


codebook_dicts = st.builds(
    lambda cid, title, version, codes: {
        "id": cid,
        "title": title,
        "version": version,
        "codes": codes,
    },
    slugs,
    texts.filter(str.strip),
    st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,2}", fullmatch=True),
    st.lists(code_dicts(), min_size=1, max_size=3, unique_by=lambda c: c["id"]),
)


@settings(max_examples=60, deadline=None)
@given(codebook_dicts)
def test_round_trips_are_exact(tmp_path_factory, data):
    cb = from_dict(data)
    assert from_dict(to_dict(cb)) == cb
    path = tmp_path_factory.mktemp("rt") / "cb.yaml"
    again = read_codebook(write_codebook(cb, path))
    assert again == cb
    assert codebook_hash(again) == codebook_hash(cb)


# --- built-ins and selections -------------------------------------------------------------


def test_builtin_ids_resolve_through_the_environment(stand_ins):
    assert builtin_dirs()[0] == DATA / "builtin"
    cb = read_codebook("equity-lens")
    assert cb.title == "Equity lens (test stand-in)"
    with pytest.raises(CodebookError, match=r"unknown codebook 'equity-lense' \(did you mean"):
        read_codebook("equity-lense")
    table = list_codebooks()
    assert list(table.columns) == ["id", "title", "version", "n_codes", "path"]
    stand_in = table.set_index("id").loc["scoping-study"]
    assert stand_in["n_codes"] == 6 and stand_in["path"].endswith("scoping-study.yaml")


def test_list_codebooks_warns_about_invalid_files(monkeypatch, tmp_path):
    (tmp_path / "bad.yaml").write_text("id: bad\n", encoding="utf-8")
    monkeypatch.setenv("CMQUAL_CODEBOOKS", str(tmp_path))
    with pytest.warns(CmqualWarning, match="bad.yaml is invalid"):
        table = list_codebooks()
    assert table.set_index("id").loc["bad", "title"] == ""


def test_default_selection(stand_ins):
    sel = read_codebook("default")
    assert isinstance(sel, Selection)
    assert sel.id == "default" and sel.refs == DEFAULT_SELECTION
    assert [c.ref for c in sel.codes] == list(DEFAULT_SELECTION)
    assert [c.ref for c in iter_codes(sel)] == [
        "scoping-study/resourcing",
        "scoping-study/assessment",
        "scoping-study/power",
        "scoping-study/power/line_management",
        "scoping-study/formalisation",
        "equity-lens/deficit_language",
    ]
    assert sel.version == "scoping-study 0.1; equity-lens 0.2"
    assert codebook_hash(sel) == codebook_hash(read_codebook("default"))
    assert from_dict(to_dict(sel)) == sel
    hits = compile_codebook(sel).find("Hard to reach? Line managers; the weather.")
    assert [(h.code, h.text) for h in hits] == [
        ("equity-lens/deficit_language", "Hard to reach"),
        ("scoping-study/power/line_management", "Line managers"),
    ]
    assert "<table" in sel._repr_html_()


def test_select_and_compose(stand_ins):
    demo = read_codebook(DATA / "demo.yaml")
    sel = select("demo/power/line_management", "equity-lens", codebooks=[demo], id="mine")
    assert [c.ref for c in sel.codes] == [
        "demo/power/line_management",
        "equity-lens/deficit_language",
    ]
    assert select("demo/power", "demo/power/line_management", codebooks=[demo]).codes == (
        get_code(demo, "demo/power"),
    )
    both = compose(demo, read_codebook("equity-lens"))
    assert both.id == "demo+equity-lens" and len(both.codes) == len(demo.codes) + 1
    nested = compose(sel, demo)
    assert nested.refs == ("demo/power/line_management", "equity-lens", "demo")
    with pytest.raises(CodebookError) as info:
        select("demo/powr", "nowhere/x", codebooks=[demo])
    assert "unknown codebook 'nowhere'" in str(info.value)
    with pytest.raises(CodebookError, match="did you mean 'demo/power'"):
        select("demo/powr", codebooks=[demo])
    with pytest.raises(CodebookError, match="nothing selected"):
        select(codebooks=[demo])
    with pytest.raises(TypeError):
        compose("demo")  # type: ignore[arg-type]


def test_builtin_codebooks_of_the_repository_are_valid():
    folder = ROOT / "codebooks"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        pytest.skip("no built-in codebooks yet")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CmqualWarning)
        for path in files:
            cb = read_codebook(path)
            assert cb.id == path.stem
            compile_codebook(cb)


def test_schema_accepts_the_fixtures_and_rejects_mistakes():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "codebooks" / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for path in [DATA / "demo.yaml", *sorted((ROOT / "codebooks").glob("*.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(data)), path
    broken = yaml.safe_load((DATA / "broken.yaml").read_text(encoding="utf-8"))
    messages = " ".join(e.message for e in validator.iter_errors(broken))
    assert "'lable' was unexpected" in messages and "'everyone' is not one of" in messages


# --- the documentation's examples ---------------------------------------------------------

README = ROOT / "codebooks" / "README.md"


def _cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [c.strip().replace("\\|", "|") for c in cells]


def _unquote(cell: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"`([^`]*)`", cell)]


def test_readme_worked_examples():
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- examples:start -->")[1].split("<!-- examples:end -->")[0]
    rows = [_cells(line) for line in table.strip().splitlines()[2:]]
    assert len(rows) >= 15
    for pattern_cell, text_cell, hits_cell in rows:
        (pattern,) = _unquote(pattern_cell)
        (sample,) = _unquote(text_cell)
        cb = from_dict(
            {
                "id": "x",
                "title": "X",
                "version": "1",
                "codes": [{"id": "a", "label": "A", "patterns": [pattern]}],
            }
        )
        hits = [h.text for h in compile_codebook(cb).find(sample)]
        assert hits == _unquote(hits_cell), (pattern, sample)


def test_readme_first_codebook_and_explanation(tmp_path):
    text = README.read_text(encoding="utf-8")
    first = text.split("## A first codebook")[1].split("```yaml\n")[1].split("```")[0]
    path = tmp_path / "workplace.yaml"
    path.write_text(first, encoding="utf-8")
    cb = read_codebook(path)
    assert [c.ref for c in iter_codes(cb)] == [
        "workplace/power",
        "workplace/power/line_management",
        "workplace/assessment",
    ]
    shown = text.split(">>> print(cm.explain(")[1]
    sample = ast.literal_eval(shown.split("))\n")[0])
    expected = shown.split("))\n", 1)[1].split("```")[0].rstrip("\n")
    assert str(compile_codebook(cb).explain(sample)) == expected
