"""cmqual: qualitative analysis of transcripts in JupyterLab, reproducibly.

The public API is what ``__all__`` lists; everything else may change.
"""

from cmqual._version import __version__
from cmqual.batch import run_batch, verify_batch
from cmqual.corpus import Corpus, Document, IngestOptions, Segment, read_corpus
from cmqual.errors import CmqualError, CmqualWarning
from cmqual.io.base import TranscriptOptions
from cmqual.project import Project, init_project, open_project
from cmqual.pseudonymise import OffsetMap, carry_codings, pseudonymise_corpus, pseudonymise_texts
from cmqual.report import Report, build_report
from cmqual.widget import CodingSession

__all__ = [
    "CmqualError",
    "CmqualWarning",
    "CodingSession",
    "Corpus",
    "Document",
    "IngestOptions",
    "OffsetMap",
    "Project",
    "Report",
    "Segment",
    "TranscriptOptions",
    "__version__",
    "build_report",
    "carry_codings",
    "init_project",
    "open_project",
    "pseudonymise_corpus",
    "pseudonymise_texts",
    "read_corpus",
    "run_batch",
    "verify_batch",
]
