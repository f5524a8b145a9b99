"""cmqual: qualitative analysis of transcripts in JupyterLab, reproducibly.

The public API is what ``__all__`` lists; everything else may change.
"""

from cmqual._version import __version__
from cmqual.batch import run_batch, verify_batch
from cmqual.codebook import (
    DEFAULT_SELECTION,
    Codebook,
    Selection,
    compose,
    list_codebooks,
    read_codebook,
    select,
)
from cmqual.coding import apply_codebook, explain_segment, rollup
from cmqual.corpus import Corpus, Document, IngestOptions, Segment
from cmqual.errors import CmqualError, CmqualWarning
from cmqual.ingest import read_corpus
from cmqual.io.base import TranscriptOptions
from cmqual.io.qdpx import export_qdpx, import_qdpx
from cmqual.project import Project, init_project, open_project
from cmqual.pseudonymise import OffsetMap, carry_codings, pseudonymise_corpus, pseudonymise_texts
from cmqual.report import Report, build_report
from cmqual.widget import CodingSession

__all__ = [
    "DEFAULT_SELECTION",
    "CmqualError",
    "CmqualWarning",
    "Codebook",
    "CodingSession",
    "Corpus",
    "Document",
    "IngestOptions",
    "OffsetMap",
    "Project",
    "Report",
    "Segment",
    "Selection",
    "TranscriptOptions",
    "__version__",
    "apply_codebook",
    "build_report",
    "carry_codings",
    "compose",
    "explain_segment",
    "export_qdpx",
    "import_qdpx",
    "init_project",
    "list_codebooks",
    "open_project",
    "pseudonymise_corpus",
    "pseudonymise_texts",
    "read_codebook",
    "read_corpus",
    "rollup",
    "run_batch",
    "select",
    "verify_batch",
]
