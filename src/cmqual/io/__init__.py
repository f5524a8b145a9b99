"""Readers for external formats, behind one registry keyed by file extension.

Every transcript reader has the signature ``reader(data: bytes, name: str,
options: TranscriptOptions) -> ParsedDocument`` (see :mod:`cmqual.io.base`): it takes the
file's bytes (so it never touches the file system itself) and the name used in messages.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from cmqual.io.base import ParsedDocument, TranscriptOptions

__all__ = ["READERS", "SUPPORTED_EXTENSIONS", "get_reader"]

#: extension -> (module, function) of its reader; imported on first use.
READERS: dict[str, tuple[str, str]] = {
    ".txt": ("cmqual.io.plaintext", "read_plaintext"),
    ".text": ("cmqual.io.plaintext", "read_plaintext"),
    ".md": ("cmqual.io.plaintext", "read_markdown"),
    ".docx": ("cmqual.io.docx", "read_docx"),
    ".vtt": ("cmqual.io.subtitles", "read_vtt"),
    ".srt": ("cmqual.io.subtitles", "read_srt"),
    ".csv": ("cmqual.io.tabular", "read_csv_transcript"),
    ".tsv": ("cmqual.io.tabular", "read_csv_transcript"),
    ".xlsx": ("cmqual.io.tabular", "read_xlsx_transcript"),
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(READERS))

Reader = Callable[[bytes, str, TranscriptOptions], ParsedDocument]


def get_reader(extension: str) -> Reader:
    """Return the reader for ``extension`` (``".txt"``...), or raise KeyError."""
    module, func = READERS[extension.lower()]
    return getattr(import_module(module), func)
