"""Evidence reports: build once, render to HTML, Markdown and Word.

:func:`build_report` turns a corpus, codebooks and codings into a :class:`Report` (pure;
no files), which renders itself with :meth:`Report.to_html`, :meth:`Report.to_markdown`,
:meth:`Report.to_docx` and writes every format with :meth:`Report.write`.
"""

from cmqual.reporting.build import build_report
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

__all__ = [
    "Bullets",
    "Figure",
    "KeyValues",
    "Quote",
    "Report",
    "Section",
    "Table",
    "Text",
    "build_report",
]
