"""The report as data: sections of blocks, rendered to HTML, Markdown and Word.

A :class:`Report` is built once (:func:`cmqual.reporting.build_report`) and holds only
ready-to-render content: text, pre-formatted tables, figures already rendered to PNG and
SVG bytes, quotes with citations. Rendering is then a pure function of the report, so the
three formats always say the same thing and the same report always gives the same bytes.

Inline markup in text blocks is limited to ``**bold**``; everything else is literal text
(escaped for HTML and Markdown).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

__all__ = [
    "Bullets",
    "Figure",
    "KeyValues",
    "Quote",
    "Report",
    "Section",
    "Table",
    "Text",
]


@dataclass(frozen=True)
class Text:
    """A paragraph. ``style`` is ``body``, ``lead`` (larger, for summaries) or ``note``."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class KeyValues:
    """Two-column facts (provenance, parameters)."""

    items: tuple[tuple[str, str], ...]
    caption: str = ""


@dataclass(frozen=True)
class Table:
    """A table of pre-formatted cells; ``align`` is ``l`` or ``r`` per column."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    align: tuple[str, ...] = ()

    def alignment(self) -> tuple[str, ...]:
        return self.align or ("l",) * len(self.header)


@dataclass(frozen=True, eq=False)
class Figure:
    """A rendered figure: PNG for Word and Markdown, SVG for HTML."""

    name: str
    caption: str
    alt: str
    png: bytes
    svg: bytes


@dataclass(frozen=True)
class Quote:
    """A quotation with its citation and where exactly it is (``detail``)."""

    text: str
    citation: str
    detail: str = ""


Block = Text | Bullets | KeyValues | Table | Figure | Quote


@dataclass(frozen=True)
class Section:
    """A heading (``level`` 1–3) and its blocks."""

    id: str
    title: str
    blocks: tuple[Block, ...] = ()
    level: int = 1


@dataclass(frozen=True, eq=False)
class Report:
    """An evidence report: render it with :meth:`to_html`, :meth:`to_markdown`,
    :meth:`to_docx` or write all formats with :meth:`write`.

    Attributes
    ----------
    title : str
        Report title.
    subtitle : str
        Line under the title (corpus and codebooks).
    sections : tuple of Section
        In reading order.
    tables : Mapping[str, DataFrame]
        The analysis tables behind the report, written as CSV by :meth:`write`.
    provenance : Mapping[str, object]
        Inputs, versions and parameters (JSON-serialisable), written as
        ``provenance.json``.

    Examples
    --------
    >>> r = Report("Title", "corpus x", (Section("s", "Summary", (Text("**3** themes"),)),))
    >>> r.to_markdown().splitlines()[4:7]
    ['## Summary', '', '**3** themes']
    >>> "<strong>3</strong>" in r.to_html()
    True
    """

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    provenance: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", MappingProxyType(dict(self.tables)))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure of the report, in order."""
        return tuple(b for s in self.sections for b in s.blocks if isinstance(b, Figure))

    def section(self, section_id: str) -> Section:
        """The section with id ``section_id``."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"no section {section_id!r}; sections: "
                       f"{', '.join(s.id for s in self.sections)}")

    def to_html(self) -> str:
        """A complete, self-contained HTML page (no network, scripts or external files)."""
        from cmqual.reporting.render_html import render_html

        return render_html(self)

    def _repr_html_(self) -> str:
        from cmqual.reporting.render_html import render_fragment

        return render_fragment(self)

    def to_markdown(self, figure_dir: str = "figures") -> str:
        """Markdown text; figures are linked as ``<figure_dir>/<name>.png``."""
        from cmqual.reporting.render_markdown import render_markdown

        return render_markdown(self, figure_dir)

    def to_docx(self) -> bytes:
        """A Word document (``.docx`` bytes) with fixed metadata, ready to edit."""
        from cmqual.reporting.render_docx import render_docx

        return render_docx(self)

    def provenance_json(self) -> str:
        """The provenance as JSON with sorted keys."""
        return json.dumps(dict(self.provenance), indent=2, sort_keys=True,
                          ensure_ascii=False, default=str) + "\n"

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``report.html``, ``report.md``, ``report.docx``, ``figures/``, ``tables/``
        and ``provenance.json`` to ``out_dir`` (created if needed).

        Every file is written atomically and is byte-identical for the same report.

        Returns
        -------
        list of Path
            The files written, sorted.
        """
        from cmqual.reporting.write import write_report

        return write_report(self, out_dir)

    def __repr__(self) -> str:
        return (f"<Report {self.title!r}: {len(self.sections)} sections, "
                f"{len(self.figures)} figures, {len(self.tables)} tables>")
