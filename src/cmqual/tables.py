"""Column names and dtypes of every table that flows between cmqual's stages.

This is the one place the columns are named. Each table is a pandas DataFrame; the
functions here create empty tables and check a table has what a stage needs.

Segments table (``Corpus.segments``, ``cmqual ingest --out``)
    ========== ========= =====================================================================
    column     dtype     meaning
    ========== ========= =====================================================================
    doc_id     string    document id: path inside the corpus, POSIX slashes, no extension
    doc        string    file path relative to the corpus folder (with extension)
    segment_id string    stable id derived from doc_id, level, start and end
    level      string    ``turn``, ``paragraph`` or ``sentence``
    start      int64     0-based code-point offset into the document's canonical text
    end        int64     end-exclusive offset; ``text == document.text[start:end]``
    speaker    string    speaker label as written ("" when the document has no labels)
    speaker_role string  ``interviewer``, ``participant`` or "" (no speaker)
    timestamp  float64   start time in seconds when the source gives one, else NaN
    timestamp_end float64 end time in seconds when known (VTT/SRT cues, CSV), else NaN
    turn       int64     0-based index of the speaker turn the segment lies in
    paragraph  int64     0-based index of the paragraph in the document (1-based in citations)
    text       string    the exact words: ``document.text[start:end]``
    n_words    int64     number of word tokens (letters/digits, inner hyphens/apostrophes)
    ========== ========= =====================================================================

Documents table (``Corpus.documents``)
    doc_id, doc, format, encoding, sha256, n_chars, n_words, n_turns, n_paragraphs,
    n_sentences, n_speakers, speakers (``; ``-joined, in order of first appearance),
    followed by the attribute columns from ``metadata.csv`` (typed).

Speakers table (``Corpus.speakers``)
    doc_id, speaker, speaker_role, n_turns, n_words, then columns from ``speakers.csv``.

Codings table (``cmqual.apply_codebook``, project store)
    doc_id, doc, segment_id, level, start, end, text, code, pattern, speaker, coder,
    codebook_hash.
"""

from __future__ import annotations

import pandas as pd

from cmqual.errors import FormatError

SEGMENT_COLUMNS: dict[str, str] = {
    "doc_id": "string",
    "doc": "string",
    "segment_id": "string",
    "level": "string",
    "start": "int64",
    "end": "int64",
    "speaker": "string",
    "speaker_role": "string",
    "timestamp": "float64",
    "timestamp_end": "float64",
    "turn": "int64",
    "paragraph": "int64",
    "text": "string",
    "n_words": "int64",
}

DOCUMENT_COLUMNS: dict[str, str] = {
    "doc_id": "string",
    "doc": "string",
    "format": "string",
    "encoding": "string",
    "sha256": "string",
    "n_chars": "int64",
    "n_words": "int64",
    "n_turns": "int64",
    "n_paragraphs": "int64",
    "n_sentences": "int64",
    "n_speakers": "int64",
    "speakers": "string",
}

SPEAKER_COLUMNS: dict[str, str] = {
    "doc_id": "string",
    "speaker": "string",
    "speaker_role": "string",
    "n_turns": "int64",
    "n_words": "int64",
}

CODING_COLUMNS: dict[str, str] = {
    "doc_id": "string",
    "doc": "string",
    "segment_id": "string",
    "level": "string",
    "start": "int64",
    "end": "int64",
    "text": "string",
    "code": "string",
    "pattern": "string",
    "speaker": "string",
    "coder": "string",
    "codebook_hash": "string",
}

LEVELS: tuple[str, ...] = ("turn", "paragraph", "sentence")
ROLES: tuple[str, ...] = ("interviewer", "participant")


def empty_table(columns: dict[str, str]) -> pd.DataFrame:
    """Return an empty DataFrame with ``columns`` and their dtypes."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in columns.items()})


def with_dtypes(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Return ``frame`` with the named columns first, cast to their documented dtypes.

    Extra columns are kept after the documented ones, in their existing order.
    """
    require_columns(frame, columns, "table")
    out = frame.astype({name: dtype for name, dtype in columns.items()})
    extra = [c for c in out.columns if c not in columns]
    return out[list(columns) + extra]


def require_columns(frame: pd.DataFrame, columns, what: str) -> None:
    """Raise :class:`FormatError` naming the missing columns and listing those present."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FormatError(
            f"{what} is missing column(s) {', '.join(missing)}; "
            f"columns present: {', '.join(map(str, frame.columns)) or '(none)'}"
        )
