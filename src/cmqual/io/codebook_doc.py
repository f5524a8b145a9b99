"""Codebooks as readable documents: the methods appendix, in Markdown or self-contained HTML.

The document opens with the codebook's title, id, version, description and an outline of
the codes, lists the sources the codebook is grounded in, then gives one table per code
(numbered ``1``, ``1.1``, ``1.1.2`` ... in codebook order) with its reference, definition,
include and exclude criteria, examples, near misses, patterns, exclude patterns, speakers
(when not all), colour and source citations. Empty fields show a dash so that every table
has the same rows. Memos are left out: they are the analysts' working notes, not part of
the published codebook.

All text is escaped: Markdown characters are backslash-escaped (``|`` never breaks a
table, ``<`` never becomes HTML), and HTML is escaped with :func:`html.escape`. The HTML
file needs nothing else (styles are inline, no scripts, no web fonts) and prints well; code
colours appear as swatches. Outputs contain no dates, so the same codebook always gives the
same document.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from cmqual._version import __version__
from cmqual.codebook import Code, Codebook, Source
from cmqual.errors import ConfigError
from cmqual.io.refi import RGB_RE
from cmqual.io.tables import write_text

__all__ = ["to_html", "to_markdown", "write_codebook_document"]

_DASH = "—"
# (field, row label); lists are shown as bullet lists, patterns as code.
_TEXT_ROWS = (("definition", "Definition"),)
_LIST_ROWS = (
    ("include", "Include"),
    ("exclude", "Exclude"),
    ("examples", "Examples"),
    ("near_misses", "Near misses"),
)
_PATTERN_ROWS = (("patterns", "Patterns"), ("exclude_patterns", "Exclude patterns"))


def _numbered(codes: Sequence[Code], prefix: str = "") -> Iterator[tuple[str, int, Code]]:
    """Yield ``(number, depth, code)`` in document order: ``1``, ``1.1``, ``2`` ..."""
    for index, code in enumerate(codes, start=1):
        number = f"{prefix}{index}"
        yield number, number.count("."), code
        yield from _numbered(code.codes, f"{number}.")


def _citations(codebook: Codebook, code: Code) -> list[tuple[str, str]]:
    known = {s.id: s.citation for s in codebook.sources}
    return [(source_id, known.get(source_id, "")) for source_id in code.sources]


def _count(codes: Sequence[Code]) -> int:
    return sum(1 + _count(code.codes) for code in codes)


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>|~#])")
# "&" only needs escaping where it would start a character reference such as "&copy;".
_MD_ENTITY_RE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_LINE_START_RE = re.compile(r"^([>+=-]|\d+(?=[.)]))")


def _md(text: str) -> str:
    """Escape inline Markdown; line breaks become ``<br>`` (works in tables too)."""
    escaped = _MD_SPECIAL_RE.sub(r"\\\1", _MD_ENTITY_RE.sub("&amp;", text))
    return "<br>".join(escaped.split("\n"))


def _md_block(text: str) -> str:
    """Escape paragraphs; a paragraph's first character must not start a list, quote..."""
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    return "\n\n".join(
        _MD_LINE_START_RE.sub(_escape_line_start, _md(p.strip())) for p in paragraphs
    )


def _escape_line_start(match: re.Match[str]) -> str:
    mark = match.group()
    return f"{mark}\\" if mark[0].isdigit() else f"\\{mark}"


def _md_code(text: str) -> str:
    """A code span that survives any backticks in ``text`` and sits safely in a table."""
    text = text.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _md_list(items: Sequence[str], render: Callable[[str], str] = _md) -> str:
    return "<br>".join(f"• {render(item)}" for item in items) if items else _DASH


def to_markdown(codebook: Codebook) -> str:
    """Return the codebook as a Markdown methods appendix (GitHub/Pandoc tables).

    Parameters
    ----------
    codebook : Codebook
        The codebook.

    Returns
    -------
    str
        Markdown text ending in a newline.

    Examples
    --------
    >>> c = Code(id="power", label="Power | control", path="power", ref="cb/power",
    ...          definition="Who *holds* power.", include=("line manager",))
    >>> md = to_markdown(Codebook(id="cb", title="Coaching codebook", version="1", codes=(c,)))
    >>> print(md.split("### ")[1])
    1 Power \\| control
    <BLANKLINE>
    | Field | Content |
    | --- | --- |
    | **Reference** | `cb/power` |
    | **Definition** | Who \\*holds\\* power. |
    | **Include** | • line manager |
    | **Exclude** | — |
    | **Examples** | — |
    | **Near misses** | — |
    | **Patterns** | — |
    | **Exclude patterns** | — |
    | **Sources** | — |
    <BLANKLINE>
    """
    n_codes = _count(codebook.codes)
    out = [f"# {_md(codebook.title)}", ""]
    meta = [f"Codebook {_md_code(codebook.id)}"]
    if codebook.version:
        meta.append(f"version {_md(codebook.version)}")
    meta.append(f"{n_codes} code{'s' if n_codes != 1 else ''}")
    out += [" · ".join(meta), ""]
    if codebook.description.strip():
        out += [_md_block(codebook.description), ""]
    if codebook.sources:
        out += ["## Sources", "", "| Id | Citation | File |", "| --- | --- | --- |"]
        out += [
            f"| {_md(s.id)} | {_md(s.citation) or _DASH} | {_md(s.file) or _DASH} |"
            for s in codebook.sources
        ]
        out.append("")
    out += ["## Codes", ""]
    out += [
        f"{'  ' * depth}- {number} {_md(code.label)}"
        for number, depth, code in _numbered(codebook.codes)
    ]
    out.append("")
    for number, _, code in _numbered(codebook.codes):
        out += [f"### {number} {_md(code.label)}", "", "| Field | Content |", "| --- | --- |"]
        for label, value in _code_rows_md(codebook, code):
            out.append(f"| **{label}** | {value} |")
        out.append("")
    return "\n".join(out)


def _code_rows_md(codebook: Codebook, code: Code) -> list[tuple[str, str]]:
    rows = [("Reference", _md_code(code.ref or code.path))]
    rows += [(label, _md(getattr(code, name)) or _DASH) for name, label in _TEXT_ROWS]
    rows += [(label, _md_list(getattr(code, name))) for name, label in _LIST_ROWS]
    rows += [(label, _md_list(getattr(code, name), _md_code)) for name, label in _PATTERN_ROWS]
    if code.speakers != "all":
        rows.append(("Speakers", f"{_md(code.speakers)} only"))
    if code.colour:
        rows.append(("Colour", _md_code(code.colour)))
    citations = [
        f"{_md(sid)}: {_md(cit)}" if cit else _md(sid) for sid, cit in _citations(codebook, code)
    ]
    rows.append(("Sources", "<br>".join(citations) if citations else _DASH))
    return rows


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
body { font-family: Georgia, "Times New Roman", serif; line-height: 1.45; color: #1a1a1a;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1, h2, h3 { font-family: "Helvetica Neue", Arial, sans-serif; line-height: 1.2; }
h3 { margin-top: 2rem; }
.meta { color: #555; }
code { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: 0.9em;
       background: #f3f3f3; padding: 0 0.2em; border-radius: 2px; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: 0.35rem 0.55rem; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
table.code th[scope=row] { width: 11rem; }
td ul { margin: 0; padding-left: 1.1rem; }
td p { margin: 0 0 0.4rem; } td p:last-child { margin-bottom: 0; }
.empty { color: #888; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border: 1px solid #444;
          vertical-align: baseline; margin-right: 0.4em; border-radius: 2px;
          -webkit-print-color-adjust: exact; print-color-adjust: exact; }
nav ol { list-style: none; padding-left: 1.2rem; } nav > ol { padding-left: 0; }
section.code { break-inside: avoid; page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_prose(text: str) -> str:
    if not text.strip():
        return f'<span class="empty">{_DASH}</span>'
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    return "".join(
        f"<p>{'<br>'.join(_h(line) for line in p.split(chr(10)))}</p>" for p in paragraphs
    )


def _html_list(items: Sequence[str], code: bool = False) -> str:
    if not items:
        return f'<span class="empty">{_DASH}</span>'
    wrap = "<code>{}</code>" if code else "{}"
    lis = "".join(
        "<li>" + wrap.format("<br>".join(_h(line) for line in item.split("\n"))) + "</li>"
        for item in items
    )
    return f"<ul>{lis}</ul>"


def _swatch(colour: str) -> str:
    # Only a well-formed colour reaches the style attribute: nothing else can inject CSS.
    if not RGB_RE.fullmatch(colour):
        return ""
    return f'<span class="swatch" style="background-color:{colour}" title="{colour}"></span>'


def to_html(codebook: Codebook) -> str:
    """Return the codebook as a self-contained HTML methods appendix.

    Parameters
    ----------
    codebook : Codebook
        The codebook.

    Returns
    -------
    str
        A complete HTML5 document (UTF-8, inline styles, no scripts) ending in a newline.

    Examples
    --------
    >>> c = Code(id="power", label="Power <b>", path="power", ref="cb/power", colour="#1f77b4")
    >>> page = to_html(Codebook(id="cb", title="Coaching & mentoring", version="1", codes=(c,)))
    >>> "<title>Coaching &amp; mentoring</title>" in page, "Power &lt;b&gt;" in page
    (True, True)
    >>> '<span class="swatch" style="background-color:#1f77b4"' in page
    True
    """
    n_codes = _count(codebook.codes)
    meta = [f"Codebook <code>{_h(codebook.id)}</code>"]
    if codebook.version:
        meta.append(f"version {_h(codebook.version)}")
    meta.append(f"{n_codes} code{'s' if n_codes != 1 else ''}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta name="generator" content="cmqual {_h(__version__)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(codebook.title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_h(codebook.title)}</h1>",
        f'<p class="meta">{" · ".join(meta)}</p>',
    ]
    if codebook.description.strip():
        out.append(f'<div class="description">{_html_prose(codebook.description)}</div>')
    out += [
        "</header>",
        '<nav aria-label="Codes">',
        "<h2>Codes</h2>",
        _html_outline(codebook.codes),
        "</nav>",
    ]
    if codebook.sources:
        out += _html_sources(codebook.sources)
    out.append('<main id="codes">')
    for number, _, code in _numbered(codebook.codes):
        out += _html_code(codebook, number, code)
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _anchor(number: str) -> str:
    return "code-" + number.replace(".", "-")


def _html_outline(codes: Sequence[Code], prefix: str = "") -> str:
    items = []
    for index, code in enumerate(codes, start=1):
        number = f"{prefix}{index}"
        sub = _html_outline(code.codes, f"{number}.") if code.codes else ""
        items.append(
            f'<li><a href="#{_anchor(number)}">{_swatch(code.colour)}{number} '
            f"{_h(code.label)}</a>{sub}</li>"
        )
    return f"<ol>{''.join(items)}</ol>"


def _html_sources(sources: Sequence[Source]) -> list[str]:
    rows = "".join(
        f"<tr><td><code>{_h(s.id)}</code></td><td>{_h(s.citation)}</td>"
        f"<td>{_h(s.file) if s.file else _DASH}</td></tr>"
        for s in sources
    )
    return [
        '<section id="sources">',
        "<h2>Sources</h2>",
        "<table><thead><tr><th>Id</th><th>Citation</th><th>File</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>",
        "</section>",
    ]


def _html_code(codebook: Codebook, number: str, code: Code) -> list[str]:
    rows = [("Reference", f"<code>{_h(code.ref or code.path)}</code>")]
    rows += [(label, _html_prose(getattr(code, name))) for name, label in _TEXT_ROWS]
    rows += [(label, _html_list(getattr(code, name))) for name, label in _LIST_ROWS]
    rows += [(label, _html_list(getattr(code, name), code=True)) for name, label in _PATTERN_ROWS]
    if code.speakers != "all":
        rows.append(("Speakers", f"{_h(code.speakers)} only"))
    if code.colour:
        rows.append(("Colour", f"{_swatch(code.colour)}<code>{_h(code.colour)}</code>"))
    citations = [
        f"<code>{_h(sid)}</code>: {_h(cit)}" if cit else f"<code>{_h(sid)}</code>"
        for sid, cit in _citations(codebook, code)
    ]
    rows.append(
        (
            "Sources",
            "<ul>" + "".join(f"<li>{c}</li>" for c in citations) + "</ul>"
            if citations
            else f'<span class="empty">{_DASH}</span>',
        )
    )
    body = "".join(
        f'<tr><th scope="row">{label}</th><td>{value}</td></tr>' for label, value in rows
    )
    return [
        f'<section class="code" id="{_anchor(number)}">',
        f"<h3>{_swatch(code.colour)}{number} {_h(code.label)}</h3>",
        f'<table class="code"><tbody>{body}</tbody></table>',
        "</section>",
    ]


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

_RENDERERS = {".md": to_markdown, ".markdown": to_markdown, ".html": to_html, ".htm": to_html}


def write_codebook_document(codebook: Codebook, path: str | os.PathLike[str]) -> Path:
    """Write the codebook appendix as Markdown (``.md``) or HTML (``.html``), atomically.

    Parameters
    ----------
    codebook : Codebook
        The codebook.
    path : path-like
        Destination; the extension picks the format (``.md``, ``.markdown``, ``.html``,
        ``.htm``). UTF-8, ``\\n`` line ends.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ConfigError
        Any other extension.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> c = Code(id="power", label="Power", path="power", ref="cb/power")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "appendix.md"
    >>> write_codebook_document(Codebook(id="cb", title="CB", version="1", codes=(c,)), out).name
    'appendix.md'
    """
    suffix = Path(path).suffix.lower()
    render = _RENDERERS.get(suffix)
    if render is None:
        raise ConfigError(
            f"{path}: unknown document format {suffix or '(no extension)'!r}; "
            f"use {', '.join(_RENDERERS)}"
        )
    return write_text(path, render(codebook))
