"""cmqual: qualitative analysis of transcripts in JupyterLab, reproducibly.

The public API is what ``__all__`` lists; everything else may change.
"""

from cmqual._version import __version__
from cmqual.corpus import Corpus, Document, IngestOptions, Segment, read_corpus
from cmqual.errors import CmqualError, CmqualWarning
from cmqual.io.base import TranscriptOptions

__all__ = [
    "CmqualError",
    "CmqualWarning",
    "Corpus",
    "Document",
    "IngestOptions",
    "Segment",
    "TranscriptOptions",
    "__version__",
    "read_corpus",
]
