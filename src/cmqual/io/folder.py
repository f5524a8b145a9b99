"""Reading a corpus folder from disk: transcript files, ``metadata.csv``, ``speakers.csv``.

Which files are transcripts
---------------------------
Every file below the folder (recursively, in sorted order) whose extension has a reader
(:data:`cmqual.io.SUPPORTED_EXTENSIONS`), except: ``metadata.csv``, ``speakers.csv``,
``README.*`` / ``LICENSE*`` files, and anything whose name (or any folder on its path)
starts with ``.`` or ``_`` — prefix a file with ``_`` to keep it in the folder without
ingesting it. A file with another extension is an error that lists the supported ones.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cmqual.errors import CorpusError, InputFileError, MetadataError
from cmqual.io import SUPPORTED_EXTENSIONS
from cmqual.io.encoding import decode_bytes

__all__ = ["CorpusFiles", "list_corpus_files", "read_bytes", "read_string_table"]

METADATA_FILE = "metadata.csv"
SPEAKERS_FILE = "speakers.csv"
MAX_FILE_BYTES = 200 * 1024 * 1024
_NOT_TRANSCRIPTS = {METADATA_FILE, SPEAKERS_FILE}


@dataclass(frozen=True)
class CorpusFiles:
    """The transcript files of a corpus folder (paths relative to ``root``)."""

    root: Path
    files: tuple[str, ...]
    metadata: Path | None
    speakers: Path | None


def _skipped(rel: Path) -> bool:
    if any(part.startswith((".", "_")) for part in rel.parts):
        return True
    name = rel.name.lower()
    return (len(rel.parts) == 1 and name in _NOT_TRANSCRIPTS) or name.startswith(
        ("readme", "license", "licence")
    )


def list_corpus_files(path: str | Path) -> CorpusFiles:
    """List a corpus folder's transcripts; raise a clear error for unusable folders."""
    root = Path(path)
    if not root.exists():
        raise InputFileError(
            f"corpus folder {str(root)!r} does not exist; give the folder holding the "
            "transcripts (e.g. corpora/sample)"
        )
    if not root.is_dir():
        raise InputFileError(
            f"{str(root)!r} is a file, not a folder; put transcripts in a folder and give "
            "the folder"
        )
    files: list[str] = []
    problems: list[str] = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or _skipped(rel):
            continue
        if p.suffix.lower() not in SUPPORTED_EXTENSIONS:
            problems.append(
                f"{rel.as_posix()}: unsupported extension {p.suffix or '(none)'!r}; supported: "
                f"{', '.join(SUPPORTED_EXTENSIONS)} (rename it with a leading _ to skip it)"
            )
            continue
        files.append(rel.as_posix())
    if problems:
        raise CorpusError(f"cannot read corpus {root}", problems)
    if not files:
        raise CorpusError(
            f"corpus folder {str(root)!r} has no transcripts; add files with one of the "
            f"extensions {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    meta = root / METADATA_FILE
    spk = root / SPEAKERS_FILE
    return CorpusFiles(root, tuple(files), meta if meta.is_file() else None,
                       spk if spk.is_file() else None)


def read_bytes(root: Path, rel: str) -> bytes:
    """Read one file's bytes with the size limit and empty-file check."""
    path = root / rel
    size = path.stat().st_size
    if size == 0:
        raise CorpusError(f"{rel}: the file is empty; remove it or add the transcript text")
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"{rel}: {size / 1e6:.0f} MB is larger than the {MAX_FILE_BYTES / 1e6:.0f} MB "
            "limit for one transcript; split it into several files"
        )
    return path.read_bytes()


def read_string_table(path: Path) -> pd.DataFrame:
    """Read a small CSV (metadata, speakers) as strings, keeping blanks as ''."""
    decoded = decode_bytes(path.read_bytes(), path.name)
    text = decoded.text
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise MetadataError(f"{path.name}: cannot be read as CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise MetadataError(f"{path.name}: column(s) {', '.join(dupes)} appear more than once")
    return frame
