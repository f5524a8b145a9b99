"""The codebook as a methods appendix: Markdown and self-contained HTML."""

from __future__ import annotations

import re

import lxml.html
import pytest
from codebook_samples import all_codes, sample_codebook

from cmqual.codebook import Code, Codebook
from cmqual.errors import ConfigError
from cmqual.io.codebook_doc import to_html, to_markdown, write_codebook_document

ROW_LABELS = [
    "Reference",
    "Definition",
    "Include",
    "Exclude",
    "Examples",
    "Near misses",
    "Patterns",
    "Exclude patterns",
]


def hostile_codebook() -> Codebook:
    code = Code(
        id="x",
        label="<script>alert(1)</script> | pipe",
        path="x",
        ref="cb/x",
        colour="red;background:url(http://evil)",
        definition="# not a heading\n- not a list",
        patterns=("a|b", "`tick`"),
        memo="secret memo",
    )
    return Codebook(id="cb", title="<b>T</b>", version="1", codes=(code,))


# -- Markdown -------------------------------------------------------------------------------


def test_markdown_has_one_table_per_code_in_numbered_order():
    cb = sample_codebook()
    md = to_markdown(cb)
    headings = re.findall(r"^### (.*)$", md, flags=re.M)
    assert headings == [
        "1 Power & hierarchy",
        "1.1 Line management / hierarchy",
        "1.1.1 Gatekeeping ‘judgement’ 評価 تقييم 🙂",
        "1.2 Équité & diversité",
        "2 Student voice",
        "3 Other",
    ]
    assert md.count("| Field | Content |") == len(all_codes(cb.codes))
    for label in [*ROW_LABELS, "Sources"]:
        assert md.count(f"| **{label}** |") == len(all_codes(cb.codes))
    assert md.startswith(
        '# Coaching & mentoring: an "equity" \\<lens\\>\n\n'
        "Codebook `coaching-equity` · version 2.1 · 6 codes\n"
    )


def test_markdown_code_table_content():
    md = to_markdown(sample_codebook())
    power = md.split("### 1 Power & hierarchy\n")[1].split("### ")[0]
    assert (
        "| **Include** | • The mentor is also the mentee's line manager<br>• A judgement "
        "that affects pay or progression,<br>written over two lines<br>• - an item that "
        "starts with a dash |"
    ) in power
    assert "| **Near misses** | — |" in power
    assert "| **Patterns** | • `line manag*`<br>• `re:\\bgatekeep(er\\|ing)\\b` |" in power
    assert "| **Speakers** | participants only |" in power
    assert (
        "| **Sources** | seed-002: Scoping study of coaching & mentoring in the Lifelong "
        "Learning Sector (LLUK, 2008) ?\\> \\<end\\><br>seed-003: National Framework"
    ) in power
    assert "Memo" not in md and "backslash" not in power


def test_markdown_escapes_what_would_break_it():
    md = to_markdown(hostile_codebook())
    assert "### 1 \\<script\\>alert(1)\\</script\\> \\| pipe" in md
    assert "| **Definition** | \\# not a heading<br>- not a list |" in md
    assert "| **Patterns** | • `a\\|b`<br>• `` `tick` `` |" in md
    assert "secret memo" not in md
    for line in md.splitlines():
        if line.startswith("| **"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 3, line  # exactly two cells


# -- HTML -----------------------------------------------------------------------------------


def test_html_is_self_contained_and_structured():
    cb = sample_codebook()
    page = to_html(cb)
    doc = lxml.html.document_fromstring(page)
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    assert doc.xpath("//script|//link|//img|//iframe|//@src") == []
    assert all(h.startswith("#") for h in doc.xpath("//@href"))
    tables = doc.xpath("//table[@class='code']")
    assert len(tables) == len(all_codes(cb.codes))
    assert [t.getparent().get("id") for t in tables] == [
        "code-1",
        "code-1-1",
        "code-1-1-1",
        "code-1-2",
        "code-2",
        "code-3",
    ]
    rows = [th.text_content() for th in tables[0].xpath(".//th")]
    assert rows == [*ROW_LABELS, "Speakers", "Colour", "Sources"]
    assert doc.findtext(".//title") == 'Coaching & mentoring: an "equity" <lens>'


def test_html_escapes_and_shows_colour_swatches():
    page = to_html(sample_codebook())
    doc = lxml.html.document_fromstring(page)
    swatches = [s.get("style") for s in doc.xpath("//main//span[@class='swatch']")]
    assert swatches == ["background-color:#1F77B4"] * 2 + ["background-color:#aabbcc"] * 2
    include = doc.xpath("//section[@id='code-1']//tr[th='Include']//li")
    assert [li.text_content() for li in include] == [
        "The mentor is also the mentee's line manager",
        "A judgement that affects pay or progression,written over two lines",
        "- an item that starts with a dash",
    ]
    examples = doc.xpath("//section[@id='code-1']//tr[th='Examples']//li")
    assert examples[1].text_content() == "She said: 'it's ]]> not & fine'"


def test_html_neutralises_hostile_text():
    page = to_html(hostile_codebook())
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "evil" not in page.split("<main")[0]  # the bad colour never reaches a style
    assert 'class="swatch"' not in page
    assert "<title>&lt;b&gt;T&lt;/b&gt;</title>" in page
    assert "secret memo" not in page


# -- files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "render"),
    [(".md", to_markdown), (".html", to_html), (".HTM", to_html), (".markdown", to_markdown)],
)
def test_write_document(tmp_path, suffix, render):
    cb = sample_codebook()
    first = write_codebook_document(cb, tmp_path / f"appendix{suffix}").read_bytes()
    second = write_codebook_document(cb, tmp_path / f"again{suffix}").read_bytes()
    assert first == second == render(cb).encode("utf-8")


def test_unknown_document_format(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown document format '.docx'; use .md"):
        write_codebook_document(sample_codebook(), tmp_path / "appendix.docx")
