"""Tests of evidence reports (cmqual.report.build_report, Report, ``cmqual report``)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest

from cmqual.cli import main
from cmqual.codebook import codebook_hash, read_codebook
from cmqual.errors import ConfigError
from cmqual.ingest import read_corpus
from cmqual.report import Report, build_report, corpus_summary_markdown, write_corpus_summary
from cmqual.reporting import Bullets, Figure, Quote, Section, Table, Text
from test_analysis import CODINGS, CORPUS_DIR, DATA, load_corpus, make_codings

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def books():
    return [read_codebook(DATA / "bk.yaml"), read_codebook(DATA / "el.yaml")]


@pytest.fixture(scope="module")
def codings(corpus):
    return make_codings(corpus)


@pytest.fixture(scope="module")
def report(corpus, books, codings):
    return build_report(corpus, books, codings, saturation_order="interview_date",
                        deficit_code="el/deficit_language")


def test_report_has_the_expected_sections(report):
    ids = [s.id for s in report.sections]
    assert ids[:2] == ["summary", "methods"]
    for expected in ("prevalence", "by-sector", "by-speaker-role", "cooccurrence",
                     "saturation", "themes", "theme-bk-workload", "theme-bk-power",
                     "theme-el-deficit-language", "deficit-language", "limitations"):
        assert expected in ids
    assert "reliability" not in ids  # one coder
    assert ids[-1] == "limitations"
    assert repr(report).startswith("<Report 'Evidence report: corpus'")


def test_theme_section_content(report):
    section = report.section("theme-bk-workload")
    assert section.title == "Workload (`bk/workload`)"
    texts = [b.text for b in section.blocks if hasattr(b, "text") and not isinstance(b, Quote)]
    assert "**Definition.** Talk about how much work there is and the time it takes." in texts
    assert any("Coded in **3 of 4 cases (75%)**" in t for t in texts)
    tables = [b for b in section.blocks if hasattr(b, "header")]
    assert [t.caption for t in tables] == ["Sub-codes", "By group"]
    # segments are sentences, the codings' level: FE has five coded workload sentences
    assert ("sector", "FE", "2 / 2", "100%", "5", "68.5") in tables[1].rows
    assert any(isinstance(b, Figure) for b in section.blocks)
    with pytest.raises(KeyError, match="no section 'nope'"):
        report.section("nope")


def test_quotes_are_exact_and_cited(report, corpus):
    quotes = report.tables["quotes"]
    assert set(quotes["code"]) == {"bk/mentoring", "bk/power", "bk/workload",
                                   "el/deficit_language"}
    for r in quotes.itertuples():
        assert corpus.texts[r.doc_id][r.start:r.end] == r.quote
    blocks = [b for s in report.sections for b in s.blocks if isinstance(b, Quote)]
    shown = {b.text for b in blocks}
    assert set(quotes["quote"]) <= shown
    one = next(b for b in blocks if b.text == quotes["quote"].iloc[0])
    assert one.citation == quotes["citation"].iloc[0]
    assert re.fullmatch(r"chars \d+–\d+( · \w+)?", one.detail)


def test_provenance_records_inputs_versions_and_parameters(report, corpus, books, codings):
    prov = report.provenance
    assert prov["corpus"]["hash"] == corpus.hash
    assert prov["corpus"]["documents"] == 4 and prov["corpus"]["words"] == 125
    assert [b["hash"] for b in prov["codebooks"]] == [codebook_hash(b) for b in books]
    assert prov["codings"]["rows"] == len(CODINGS) and prov["codings"]["coders"] == {"ann": 14}
    assert prov["parameters"]["saturation_order"] == "interview_date"
    assert {"cmqual", "python", "pandas", "matplotlib", "python-docx"} <= set(prov["software"])
    parsed = json.loads(report.provenance_json())
    assert parsed["corpus"]["name"] == "corpus"
    methods = report.section("methods")
    facts = dict(next(b for b in methods.blocks if hasattr(b, "items")).items)
    assert facts["Corpus hash (SHA-256)"] == f"`{corpus.hash}`"


def test_reliability_section_with_two_coders(corpus, books, codings):
    two = pd.concat([codings, codings.iloc[:8].assign(coder="bob")], ignore_index=True)
    report = build_report(corpus, books, two, attributes=[], n_quotes=1)
    section = report.section("reliability")
    table = next(b for b in section.blocks if hasattr(b, "header"))
    assert table.header[:4] == ("Theme", "Segments", "Coded", "% agreement")
    assert table.rows[-1][0] == "(pooled)"
    assert table.rows[0][0] == "Workload"  # codebook order
    assert "reliability" in report.tables


def test_codings_outside_the_codebooks_are_counted_and_left_out(corpus, books, codings):
    extra = codings.iloc[[0]].assign(code="zz/other")
    report = build_report(corpus, books, pd.concat([codings, extra]), attributes=[],
                          n_quotes=0)
    assert report.provenance["codings"]["outside_codebooks"] == 1
    # without attributes a theme's figure shows it beside its sub-codes
    assert "theme-bk-workload" in {f.name for f in report.figures}
    summary = report.section("summary")
    assert any("1 codings use codes from no codebook" in i
               for b in summary.blocks if hasattr(b, "items") for i in b.items)


def test_empty_codings_still_make_a_report(corpus, books, codings):
    report = build_report(corpus, books, codings.iloc[0:0], attributes=["sector"])
    section = report.section("theme-bk-power")
    assert any(getattr(b, "text", "") == "Not coded in this corpus." for b in section.blocks)
    assert "Saturation: no codes were applied." in report.to_markdown()


def test_argument_errors_name_the_argument(corpus, books, codings):
    with pytest.raises(ConfigError, match="codebook: expected a Codebook or Selection"):
        build_report(corpus, ["bk"], codings)
    with pytest.raises(ConfigError, match="attributes: no attribute 'region'"):
        build_report(corpus, books, codings, attributes=["region"])
    with pytest.raises(ConfigError, match="coders: no codings by eve"):
        build_report(corpus, books, codings, coders=["eve"])
    with pytest.raises(ConfigError, match="n_quotes: expected a whole number"):
        build_report(corpus, books, codings, n_quotes=-1)


def test_html_is_self_contained(report):
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith(("data:image/svg+xml;base64,", "#")), url
    assert page.count("<img ") == len(report.figures)
    assert "Deficit language" in page and "&lt;" not in report.title
    fragment = report._repr_html_()
    assert fragment.startswith('<div class="cmqual-report"><style>')


def test_markdown_has_tables_quotes_and_figure_links(report):
    md = report.to_markdown()
    assert md.startswith("# Evidence report: corpus\n")
    assert "| Theme | Code | Cases |" in md
    assert "![Bar chart of the percentage of cases coded with each theme]" \
           "(figures/prevalence.png)" in md
    assert "\n> — " in md
    assert "deficit_language" in md and "deficit\\_language" not in md


def test_docx_is_editable_and_has_fixed_metadata(report):
    document = docx.Document(io.BytesIO(report.to_docx()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Summary" in headings and "Workload (bk/workload)" in headings
    props = document.core_properties
    assert props.author == "cmqual"
    assert props.created == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert len(document.inline_shapes) == len(report.figures)
    with zipfile.ZipFile(io.BytesIO(report.to_docx())) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_renderers_escape_text_and_keep_bold():
    hostile = "<script>alert(1)</script> a|b **bold** `code`"
    report = Report("T <1>", "sub", (Section("s", "S", (
        Text(hostile), Bullets(("x_y _z_",)),
        Table(("h|1", "n"), (("<b>", "2"),), caption="cap", align=("l", "r")),
        Quote("line one\nline <two>", "doc, P, para. 1", "chars 0–5"))),))
    page = report.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<strong>bold</strong>" in page and "<code>code</code>" in page
    assert '<td class="r">2</td>' in page and "<title>T &lt;1&gt;</title>" in page
    md = report.to_markdown()
    assert "a\\|b **bold** `code`" in md and "\\<script\\>" in md
    assert "- x_y \\_z\\_" in md
    assert "| h\\|1 | n |\n|---|---:|\n| \\<b\\> | 2 |" in md
    assert "> line one\n> line \\<two\\>\n>\n> — doc, P, para. 1 (chars 0–5)" in md
    document = docx.Document(io.BytesIO(report.to_docx()))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "<script>alert(1)</script> a|b bold code" in body


def test_write_is_byte_identical_for_the_same_inputs(corpus, books, codings, tmp_path):
    first = build_report(corpus, books, codings, n_quotes=2).write(tmp_path / "one")
    second = build_report(corpus, books, codings, n_quotes=2).write(tmp_path / "two")
    names = sorted(p.relative_to(tmp_path / "one").as_posix() for p in first)
    assert names == sorted(p.relative_to(tmp_path / "two").as_posix() for p in second)
    assert {"report.html", "report.md", "report.docx", "provenance.json",
            "figures/prevalence.png", "figures/prevalence.svg",
            "tables/theme_frequencies.csv", "tables/quotes.csv"} <= set(names)
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), \
            name


def test_write_refuses_a_file_as_folder(report, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(FileNotFoundError, match="is a file; give a folder"):
        report.write(target)


def test_corpus_summary_still_works(corpus, tmp_path):
    assert corpus_summary_markdown(corpus).startswith("# Corpus summary: corpus")
    assert len(write_corpus_summary(corpus, tmp_path)) == 4


def test_cli_report_from_a_codings_file(codings, tmp_path, capsys):
    path = tmp_path / "codings.csv"
    codings.to_csv(path, index=False)
    out = tmp_path / "report"
    code = main(["report", "--corpus", str(CORPUS_DIR), "--codebook", str(DATA / "bk.yaml"),
                 "--codebook", str(DATA / "el.yaml"), "--codings", str(path), "--out",
                 str(out), "--attribute", "sector", "--quotes", "1", "--title", "Toy"])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'report.html'}" in printed
    assert (out / "report.docx").is_file() and (out / "figures").is_dir()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["parameters"]["attributes"] == ["sector"]


def test_cli_report_from_a_project(corpus, tmp_path, capsys):
    from cmqual.project import init_project

    project = init_project(tmp_path / "proj", CORPUS_DIR,
                           [str(DATA / "bk.yaml"), str(DATA / "el.yaml")])
    with project:
        for doc_id, phrase, code, _ in CODINGS[:6]:
            start = corpus.texts[doc_id].index(phrase)
            project.code(doc_id, start, start + len(phrase), code, coder="ann")
    out = tmp_path / "report"
    assert main(["report", "--project", str(tmp_path / "proj"), "--out", str(out),
                 "--no-attributes"]) == 0
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["codings"]["coders"] == {"ann": 6}


def test_cli_errors_are_one_line(tmp_path, capsys):
    code = main(["report", "--corpus", str(CORPUS_DIR), "--out", str(tmp_path / "r")])
    assert code == 2
    assert "error: --codebook: give at least one codebook" in capsys.readouterr().err


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CMQUAL_REQUIRE_BROWSER"),
                    reason="needs Debian's chromium at /usr/bin/chromium "
                           "(apt-get install -y chromium); CI sets CMQUAL_REQUIRE_BROWSER=1")
def test_html_displays_in_headless_chromium(report, tmp_path):
    html_path = tmp_path / "report.html"
    html_path.write_text(report.to_html(), encoding="utf-8")
    shot = tmp_path / "screenshot.png"
    profile = tmp_path / "profile"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={shot}",
         "--window-size=1200,2000", html_path.as_uri()],
        check=True, capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 2000)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text and figures, not a blank page
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 200)
    assert dark > 2000  # the title and body text were drawn
    keep = os.environ.get("CMQUAL_SCREENSHOT_DIR")
    if keep:  # CI can keep the screenshot as an artefact for people to look at
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / "report.png")


# -- pseudonymised reports ---------------------------------------------------------------

PSEUDO = Path(__file__).resolve().parent / "data" / "report_pseudonymise"
PSEUDO_CORPUS = PSEUDO / "kestrelmoor_interviews"
PSEUDO_NAMES = PSEUDO / "names.csv"
#: (doc_id, exact phrase, code, coder); most phrases name someone listed in names.csv.
PSEUDO_CODINGS = [
    ("okafor_interview", "My mentor Priya Raghunathan gives me time every week", "bk/mentoring",
     "ann"),
    ("okafor_interview", "the workload is heavy", "bk/workload/time", "ann"),
    ("okafor_interview", "The head decides everything.", "bk/power", "ann"),
    ("okafor_interview", "Priya says Kestrelmoor never asks us.", "bk/power/voice", "ann"),
    ("wisniewski_trainee", "The workload is heavy and there is no time to plan.",
     "bk/workload/time", "ann"),
    ("wisniewski_trainee", "Mr Wiśniewski, my dad, says I should rest.", "bk/workload", "ann"),
    ("wisniewski_trainee", "Mentoring at Ashdown Academy helps.", "bk/mentoring", "ann"),
    ("wisniewski_trainee", "Some pupils are weak and lack motivation, Priya says, but I'd push "
     "back on that.", "el/deficit_language", "ann"),
    ("raghunathan_call", "At Kestrelmoor College the workload leaves me no time for Adaeze.",
     "bk/workload/time", "ann"),
    ("raghunathan_call", "How do you support trainees like Adaeze?", "bk/mentoring", "ann"),
    # Priya codes too: her coder name must not give her away
    ("okafor_interview", "The head decides everything.", "bk/power", "Priya"),
    ("raghunathan_call", "How do you support trainees like Adaeze?", "bk/mentoring", "Priya"),
]
GENERIC_WORDS = {"college", "academy"}


def listed_words() -> set[str]:
    """Every word of every name in names.csv (generic words such as College left out), and
    the ASCII spelling used in a file name."""
    names = pd.read_csv(PSEUDO_NAMES)["name"]
    words = {w for n in names for w in n.split() if w.casefold() not in GENERIC_WORDS}
    return words | {"wisniewski"}


def leaked(text: str) -> list[str]:
    folded = text.casefold()
    return sorted(w for w in listed_words() if w.casefold() in folded)


@pytest.fixture(scope="module")
def pseudo_corpus():
    return read_corpus(PSEUDO_CORPUS)


@pytest.fixture(scope="module")
def pseudo_codings(pseudo_corpus):
    seg = pseudo_corpus.segments_at("turn")
    rows = []
    for doc_id, phrase, code, coder in PSEUDO_CODINGS:
        start = pseudo_corpus.texts[doc_id].index(phrase)
        turn = seg[(seg["doc_id"] == doc_id) & (seg["start"] <= start) & (seg["end"] > start)]
        rows.append({"doc_id": doc_id, "doc": pseudo_corpus.document(doc_id).path,
                     "segment_id": "", "level": "sentence", "start": start,
                     "end": start + len(phrase), "text": phrase, "code": code, "pattern": "",
                     "speaker": turn["speaker"].iloc[0], "coder": coder, "codebook_hash": "h"})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def pseudo_report(pseudo_corpus, books, pseudo_codings):
    return build_report(pseudo_corpus, books, pseudo_codings, pseudonymise=PSEUDO_NAMES,
                        deficit_code="el/deficit_language",
                        saturation_order=["wisniewski_trainee", "okafor_interview",
                                          "raghunathan_call"],
                        parameters={"codings_source": "projects/kestrelmoor_codings.csv"})


def docx_text(data: bytes) -> str:
    """Paragraphs, table cells and core properties read with python-docx, and the raw XML of
    every part (so text split across runs and headers are both covered)."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows
              for cell in row.cells]
    props = document.core_properties
    parts += [props.title or "", props.subject or "", props.keywords or "",
              props.comments or "", props.author or ""]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts += [z.read(i).decode("utf-8", "replace") for i in z.infolist()
                  if i.filename.endswith((".xml", ".rels"))]
    return "\n".join(parts)


def html_text(page: str) -> str:
    """The page and the SVG figures embedded in it as base64."""
    svgs = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)
    return "\n".join([page, *(base64.b64decode(s).decode("utf-8") for s in svgs)])


def written_text(out: Path) -> dict[str, str]:
    """Every text file of a written report (docx and html read as above)."""
    texts = {"report.html": html_text((out / "report.html").read_text(encoding="utf-8")),
             "report.md": (out / "report.md").read_text(encoding="utf-8"),
             "report.docx": docx_text((out / "report.docx").read_bytes()),
             "provenance.json": (out / "provenance.json").read_text(encoding="utf-8")}
    for path in sorted([*out.glob("tables/*.csv"), *out.glob("figures/*.svg")]):
        texts[path.relative_to(out).as_posix()] = path.read_text(encoding="utf-8")
    return texts


def test_the_fixture_report_names_people_unless_pseudonymised(pseudo_corpus, books,
                                                              pseudo_codings, tmp_path):
    # the control: without pseudonymise the checks below do find the names
    plain = build_report(pseudo_corpus, books, pseudo_codings, attributes=["school"],
                         n_quotes=2, reliability=False)
    plain.write(tmp_path)
    texts = written_text(tmp_path)
    for name in ("report.html", "report.md", "report.docx", "tables/quotes.csv",
                 "tables/saturation.csv", "figures/heatmap-school.svg"):
        assert leaked(texts[name]), name
    assert {"Kestrelmoor", "Priya", "Raghunathan"} <= set(leaked(texts["report.docx"]))


def test_pseudonymised_report_shows_no_listed_name_anywhere(pseudo_report, tmp_path):
    pseudo_report.write(tmp_path)
    texts = written_text(tmp_path)
    assert {"report.html", "report.md", "report.docx", "tables/quotes.csv",
            "tables/frequencies_by_school.csv", "tables/deficit_challenges.csv"} <= set(texts)
    found = {name: leaked(text) for name, text in texts.items() if leaked(text)}
    assert found == {}
    assert leaked(pseudo_report.title + pseudo_report.subtitle + repr(pseudo_report)) == []
    # and it still quotes: exemplar quotes and deficit passages, pseudonymised
    quotes = pseudo_report.tables["quotes"]
    assert len(quotes) >= 5
    shown = [b for s in pseudo_report.sections for b in s.blocks if isinstance(b, Quote)]
    assert len(shown) > len(quotes)  # the deficit passage too
    assert any("[P02]" in b.text or "[Organisation 1]" in b.text for b in shown)
    assert "> My mentor [P02] gives me time every week" in texts["report.md"].replace("\\", "")
    assert "[Email 1]" in texts["tables/deficit_challenges.csv"]


def test_pseudonymised_report_cites_neutral_ids_speakers_and_attributes(pseudo_report):
    quotes = pseudo_report.tables["quotes"]
    assert set(quotes["doc_id"]) <= {"doc01", "doc02", "doc03"}
    assert set(quotes["speaker"]) <= {"Interviewer", "P01", "P02", "P03"}
    assert all(c.startswith(("doc01, ", "doc02, ", "doc03, ")) for c in quotes["citation"])
    school = pseudo_report.tables["frequencies_by_school"]["school"]
    assert set(school.astype(str)) == {"[Organisation 1]", "[Organisation 2]"}
    sat = pseudo_report.tables["saturation"]
    assert sat["doc_id"].tolist() == ["doc03", "doc01", "doc02"]  # the order given, mapped
    assert pseudo_report.title == "Evidence report: [Organisation 1] interviews"


def test_pseudonymised_quotes_are_exact_text_of_the_pseudonymised_corpus(pseudo_report,
                                                                         pseudo_corpus):
    from cmqual.pseudonymise import pseudonymise_in_memory

    shared = pseudonymise_in_memory(pseudo_corpus, PSEUDO_NAMES).corpus
    for r in pseudo_report.tables["quotes"].itertuples():
        assert shared.texts[r.doc_id][r.start:r.end] == r.quote


def test_pseudonymised_report_provenance_says_so_without_the_key(pseudo_report, pseudo_corpus):
    prov = pseudo_report.provenance
    pseudo = prov["pseudonymisation"]
    assert pseudo["mode"] == "pseudonym" and pseudo["key_included"] is False
    assert pseudo["names_listed"] == 5 and pseudo["replacements_total"] > 10
    assert prov["corpus"]["hash"] == pseudo_corpus.hash  # the original corpus, by its hash
    assert pseudo["pseudonymised_corpus_hash"] != pseudo_corpus.hash
    assert prov["codings"]["coders"] == {"[P02]": 2, "ann": 10}
    assert prov["parameters"]["codings_source"] == "projects/[Organisation 1] codings.csv"
    methods = pseudo_report.section("methods")
    notes = [b.text for b in methods.blocks if isinstance(b, Text)]
    assert any(t.startswith("**This report is pseudonymised.**") for t in notes)
    facts = dict(next(b for b in methods.blocks if hasattr(b, "items")).items)
    assert facts["Pseudonymised"].startswith("yes (pseudonym): ")
    assert "key not included" in facts["Pseudonymised"]
    assert "Pseudonymisation is automatic" in pseudo_report.to_markdown()


def test_pseudonymise_argument_is_checked(pseudo_corpus, books, pseudo_codings):
    with pytest.raises(ConfigError, match=r"pseudonymise: expected True, a names\.csv path"):
        build_report(pseudo_corpus, books, pseudo_codings, pseudonymise=3)
    with pytest.raises(ConfigError, match="codings name 1 document"):
        build_report(pseudo_corpus, books, pseudo_codings.assign(doc_id="nope"),
                     pseudonymise=True)


def test_pseudonymise_true_replaces_speakers_without_a_names_list(pseudo_corpus, books,
                                                                  pseudo_codings):
    report = build_report(pseudo_corpus, books, pseudo_codings, pseudonymise=True,
                          attributes=[], reliability=False)
    quotes = report.tables["quotes"]
    assert set(quotes["doc_id"]) <= {"doc01", "doc02", "doc03"}
    assert set(quotes["speaker"]) <= {"Interviewer", "P01", "P02", "P03"}
    # named speakers and the identifying metadata columns (participant, school) are
    # replaced wherever they are mentioned, so this corpus needs no names list
    assert leaked(report.to_markdown()) == []


def test_cli_report_pseudonymise(pseudo_codings, tmp_path, capsys):
    path = tmp_path / "kestrelmoor_codings.csv"
    pseudo_codings.to_csv(path, index=False)
    out = tmp_path / "report"
    code = main(["report", "--corpus", str(PSEUDO_CORPUS), "--codebook", str(DATA / "bk.yaml"),
                 "--codings", str(path), "--out", str(out), "--quotes", "2",
                 "--pseudonymise", str(PSEUDO_NAMES)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "pseudonymised: " in printed and leaked(printed) == []
    found = {name: leaked(text) for name, text in written_text(out).items() if leaked(text)}
    assert found == {}
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["pseudonymisation"]["key_included"] is False
    assert len(pd.read_csv(out / "tables" / "quotes.csv")) >= 3
