"""Analysis: turn codings into evidence. Pure functions, DataFrames in and out.

Every function takes a codings table (:data:`cmqual.tables.CODING_COLUMNS`; at least
``doc_id``, ``start``, ``end``, ``code``) and the corpus it points into, and returns a new,
sorted DataFrame; nothing is changed in place. Codings are counted on *segments* of one
level (turns by default; see :func:`unit_table`).

Prevalence
    :func:`code_frequencies`, :func:`matrix_coding`, :func:`association_tests`
Co-occurrence
    :func:`cooccurrence`, :func:`presence_matrix`
Retrieval
    :func:`retrieve`, :func:`parse_query` (``"a AND NOT b"``), :class:`Term`
Words
    :func:`kwic`, :func:`word_frequencies`, :func:`collocations`, :data:`STOP_WORDS`
Quotes and saturation
    :func:`exemplar_quotes`, :func:`saturation`
Deficit framing
    :func:`deficit_profile`, :func:`deficit_challenges`

Examples
--------
>>> import cmqual
>>> from cmqual import analysis
>>> corpus = cmqual.read_corpus("corpora/sample")                      # doctest: +SKIP
>>> analysis.code_frequencies(codings, corpus, by="sector", depth=2)   # doctest: +SKIP
"""

from cmqual.analysis._scope import MISSING, CorpusLike, citation, format_timestamp, unit_table
from cmqual.analysis.cooccurrence import cooccurrence, presence_matrix
from cmqual.analysis.deficit import (
    CHALLENGE_MARKERS,
    DEFICIT_CODE,
    deficit_challenges,
    deficit_profile,
)
from cmqual.analysis.frequencies import association_tests, code_frequencies, matrix_coding
from cmqual.analysis.quotes import exemplar_quotes
from cmqual.analysis.retrieval import And, Not, Or, Query, Term, parse_query, retrieve
from cmqual.analysis.saturation import saturation
from cmqual.analysis.words import (
    CONTRACTIONS,
    STOP_WORDS,
    TRANSCRIPT_FILLERS,
    collocations,
    kwic,
    tokens,
    word_frequencies,
)

__all__ = [
    "CHALLENGE_MARKERS",
    "CONTRACTIONS",
    "DEFICIT_CODE",
    "MISSING",
    "STOP_WORDS",
    "TRANSCRIPT_FILLERS",
    "And",
    "CorpusLike",
    "Not",
    "Or",
    "Query",
    "Term",
    "association_tests",
    "citation",
    "code_frequencies",
    "collocations",
    "cooccurrence",
    "deficit_challenges",
    "deficit_profile",
    "exemplar_quotes",
    "format_timestamp",
    "kwic",
    "matrix_coding",
    "parse_query",
    "presence_matrix",
    "retrieve",
    "saturation",
    "tokens",
    "unit_table",
    "word_frequencies",
]
