"""Markdown rendering of a :class:`~cmqual.reporting.model.Report` (GitHub-flavoured).

Figures are linked as PNG files in a folder next to the Markdown file (``figures/`` by
default), which :meth:`Report.write` creates.
"""

from __future__ import annotations

import re

from cmqual.reporting.model import Bullets, Figure, KeyValues, Quote, Report, Table, Text

__all__ = ["escape", "render_markdown"]

_SPECIAL = re.compile(r"([\\`*\[\]<>|#])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MARKUP = re.compile(r"(\*\*.+?\*\*|`[^`]+`)")


def escape(text: str) -> str:
    """Escape Markdown syntax in plain text (intra-word underscores are left alone).

    Examples
    --------
    >>> escape("a|b *c* deficit_language _x_")
    'a\\\\|b \\\\*c\\\\* deficit_language \\\\_x\\\\_'
    """
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _inline(text: str) -> str:
    """Escape text but keep the report's own ``**bold**`` and ```code``` markup."""
    parts = _MARKUP.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part if part.startswith("`") else f"**{escape(part[2:-2])}**")
        else:
            out.append(escape(part))
    return "".join(out)


def _cell(text: str) -> str:
    return _inline(text).replace("\n", " ")


def _table(header, rows, align) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _block(block, figure_dir: str) -> list[str]:
    if isinstance(block, Text):
        text = _inline(block.text)
        return [f"*{text}*" if block.style == "note" else text]
    if isinstance(block, Bullets):
        return [f"- {_inline(i)}" for i in block.items]
    if isinstance(block, KeyValues):
        lines = [f"**{escape(block.caption)}**", ""] if block.caption else []
        return lines + _table(("item", "value"), block.items, ("l", "l"))
    if isinstance(block, Table):
        lines = [f"**{escape(block.caption)}**", ""] if block.caption else []
        return lines + _table(block.header, block.rows, block.alignment())
    if isinstance(block, Figure):
        return [f"![{escape(block.alt)}]({figure_dir}/{block.name}.png)", "",
                f"*{_inline(block.caption)}*"]
    if isinstance(block, Quote):
        body = [f"> {escape(line)}" if line.strip() else ">"
                for line in block.text.splitlines()]
        cite = f"> — {escape(block.citation)}"
        if block.detail:
            cite += f" ({escape(block.detail)})"
        return [*body, ">", cite]
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_markdown(report: Report, figure_dir: str = "figures") -> str:
    """The report as Markdown text."""
    lines = [f"# {_inline(report.title)}", "", f"*{_inline(report.subtitle)}*", ""]
    for section in report.sections:
        lines += ["#" * min(section.level + 1, 4) + " " + _inline(section.title), ""]
        for block in section.blocks:
            lines += _block(block, figure_dir)
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
