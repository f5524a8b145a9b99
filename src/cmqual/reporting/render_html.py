"""HTML rendering of a :class:`~cmqual.reporting.model.Report`.

The page is self-contained: styles are inline in one ``<style>`` element scoped to
``.cmqual-report`` (so the notebook view does not restyle the notebook), figures are SVG
embedded as ``data:`` URIs (each in its own document, so ids in two figures never clash),
and there are no scripts, fonts or links to fetch.
"""

from __future__ import annotations

import base64
import html
import re

from cmqual.reporting.model import (
    Bullets,
    Figure,
    KeyValues,
    Quote,
    Report,
    Section,
    Table,
    Text,
)

__all__ = ["render_fragment", "render_html"]

CSS = """
.cmqual-report { font-family: Georgia, 'Times New Roman', serif; color: #1d1d1f;
  line-height: 1.55; max-width: 60rem; margin: 0 auto; padding: 1.5rem 2rem 4rem;
  background: #ffffff; }
.cmqual-report h1, .cmqual-report h2, .cmqual-report h3, .cmqual-report h4,
.cmqual-report nav, .cmqual-report table, .cmqual-report figcaption,
.cmqual-report .subtitle, .cmqual-report .cite, .cmqual-report .note {
  font-family: 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif; }
.cmqual-report h1 { font-size: 2rem; margin: 0 0 .25rem; line-height: 1.2; }
.cmqual-report .subtitle { color: #555; margin: 0 0 1.5rem; }
.cmqual-report h2 { font-size: 1.45rem; border-bottom: 2px solid #e3e3e8;
  padding-bottom: .25rem; margin-top: 2.5rem; }
.cmqual-report h3 { font-size: 1.2rem; margin-top: 2rem; }
.cmqual-report h4 { font-size: 1rem; margin-top: 1.4rem; }
.cmqual-report p.lead { font-size: 1.1rem; }
.cmqual-report p.note, .cmqual-report .note { color: #555; font-size: .9rem; }
.cmqual-report nav { background: #f6f6f8; border-radius: 6px; padding: .75rem 1.25rem;
  font-size: .92rem; }
.cmqual-report nav ol { margin: .25rem 0; padding-left: 1.25rem; }
.cmqual-report nav a { color: #1a5fb4; text-decoration: none; }
.cmqual-report table { border-collapse: collapse; margin: .75rem 0 1.25rem;
  font-size: .86rem; width: auto; max-width: 100%; }
.cmqual-report caption { caption-side: top; text-align: left; font-weight: bold;
  padding-bottom: .3rem; }
.cmqual-report th, .cmqual-report td { border-bottom: 1px solid #e3e3e8;
  padding: .3rem .6rem; vertical-align: top; }
.cmqual-report th { background: #f6f6f8; text-align: left; }
.cmqual-report td.r, .cmqual-report th.r { text-align: right; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
.cmqual-report table.kv th { width: 14rem; background: none; font-weight: 600; }
.cmqual-report code { font-size: .85em; }
.cmqual-report td code { overflow-wrap: anywhere; }
.cmqual-report figure { margin: 1rem 0 1.5rem; }
.cmqual-report figure img { max-width: 100%; height: auto; display: block; }
.cmqual-report figcaption { font-size: .85rem; color: #555; margin-top: .3rem; }
.cmqual-report blockquote { margin: .9rem 0; padding: .5rem 1rem; border-left: 4px solid
  #c9c9d3; background: #fafafb; }
.cmqual-report blockquote p { margin: 0 0 .3rem; white-space: pre-line; }
.cmqual-report .cite { font-size: .85rem; color: #444; }
.cmqual-report .cite small { color: #777; }
""".strip()


def _inline(text: str) -> str:
    """Escape text, then turn ``**bold**`` into ``<strong>`` and ``\\`x\\``` into code."""
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def _block(block) -> str:
    if isinstance(block, Text):
        cls = f' class="{block.style}"' if block.style != "body" else ""
        return f"<p{cls}>{_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, KeyValues):
        cap = f"<caption>{_inline(block.caption)}</caption>" if block.caption else ""
        rows = "".join(f"<tr><th>{_inline(k)}</th><td>{_inline(v)}</td></tr>"
                       for k, v in block.items)
        return f'<table class="kv">{cap}<tbody>{rows}</tbody></table>'
    if isinstance(block, Table):
        align = block.alignment()
        cap = f"<caption>{_inline(block.caption)}</caption>" if block.caption else ""
        head = "".join(f'<th class="{a}">{_inline(h)}</th>'
                       for h, a in zip(block.header, align, strict=True))
        body = "".join("<tr>" + "".join(f'<td class="{a}">{_inline(c)}</td>'
                                        for c, a in zip(row, align, strict=True)) + "</tr>"
                       for row in block.rows)
        return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Figure):
        data = base64.b64encode(block.svg).decode("ascii")
        return (f'<figure id="fig-{html.escape(block.name)}"><img alt="'
                f'{html.escape(block.alt)}" src="data:image/svg+xml;base64,{data}">'
                f"<figcaption>{_inline(block.caption)}</figcaption></figure>")
    if isinstance(block, Quote):
        detail = f" <small>{html.escape(block.detail)}</small>" if block.detail else ""
        return (f"<blockquote><p>{html.escape(block.text)}</p>"
                f'<div class="cite">— {html.escape(block.citation)}{detail}</div>'
                "</blockquote>")
    raise TypeError(f"unknown report block {type(block).__name__}")


def _section(section: Section) -> str:
    level = min(section.level + 1, 4)
    parts = [f'<section id="{html.escape(section.id)}">'
             f"<h{level}>{_inline(section.title)}</h{level}>"]
    parts += [_block(b) for b in section.blocks]
    parts.append("</section>")
    return "\n".join(parts)


def _toc(report: Report) -> str:
    items = []
    open_sub = False
    for s in report.sections:
        link = f'<a href="#{html.escape(s.id)}">{_inline(s.title)}</a>'
        if s.level == 1:
            if open_sub:
                items.append("</ol></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f"<li>{link}")
        elif s.level == 2:
            if not open_sub:
                items.append("<ol>")
                open_sub = True
            items.append(f"<li>{link}</li>")
    items.append("</ol></li>" if open_sub else "</li>")
    return "<nav><strong>Contents</strong><ol>" + "".join(items) + "</ol></nav>"


def render_fragment(report: Report) -> str:
    """The report as a ``<div>`` with its own scoped styles (for notebooks)."""
    body = "\n".join(_section(s) for s in report.sections)
    return (f'<div class="cmqual-report"><style>{CSS}</style>\n'
            f"<header><h1>{_inline(report.title)}</h1>"
            f'<p class="subtitle">{_inline(report.subtitle)}</p></header>\n'
            f"{_toc(report)}\n{body}\n</div>")


def render_html(report: Report) -> str:
    """The report as a complete HTML5 page."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="generator" content="cmqual">\n'
            f"<title>{html.escape(report.title)}</title>\n</head>\n"
            f'<body style="margin:0;background:#ffffff">\n{render_fragment(report)}\n'
            "</body>\n</html>\n")
