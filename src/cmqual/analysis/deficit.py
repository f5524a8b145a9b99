"""Deficit-language profile: how often people are framed by what they lack, and by whom.

:func:`deficit_profile` gives the rate of the deficit-language code per 1,000 words by
speaker role, overall and for each case. :func:`deficit_challenges` finds the passages
where a speaker names or pushes back against deficit framing.

The challenge heuristic is deliberately simple and transparent: a segment coded with the
deficit code (or one of its sub-codes) counts as a possible challenge when it also
contains one of the ``markers`` (whole words or phrases, case-insensitive, straight and
curly apostrophes alike), e.g. "deficit", "not the students' fault", "I'd push back",
"reframe", "strengths", "it's the system". It finds candidates for a person to read; it
cannot tell irony, reported speech or a marker used in another sense, and it misses
challenges phrased otherwise. Pass your own ``markers`` for other settings.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cmqual.analysis._scope import CorpusLike, Where, check_unit
from cmqual.analysis.frequencies import code_frequencies
from cmqual.analysis.retrieval import Term, retrieve
from cmqual.analysis.words import pattern_regex
from cmqual.errors import ConfigError

__all__ = ["CHALLENGE_MARKERS", "DEFICIT_CODE", "deficit_challenges", "deficit_profile"]

#: The code of deficit framing in cmqual's equity-lens codebook.
DEFICIT_CODE = "equity-lens/deficit_language"

#: Words and phrases that suggest a speaker is naming or challenging deficit framing.
CHALLENGE_MARKERS: tuple[str, ...] = (
    "deficit", "deficit model", "deficit thinking", "deficit framing", "not their fault",
    "not the students' fault", "not the student's fault", "not the children's fault",
    "not the kids' fault", "push back", "I'd push back", "challenge that", "reframe",
    "reframing", "strengths", "strengths-based", "strength-based", "asset-based",
    "it's the system", "the system is", "systemic", "structural", "easy to ignore",
    "I don't like the term", "I don't like the word", "so-called", "as if they need fixing",
    "what they bring",
)

_ALL = "(all)"


def deficit_profile(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    code: str = DEFICIT_CODE,
    by: str = "speaker_role",
    case: str | None = None,
    unit: str | None = None,
    rollup: bool = True,
    coders: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """Rate of deficit framing per 1,000 words by speaker role, overall and per case.

    Parameters
    ----------
    codings, corpus, case, unit, coders, where
        As for :func:`cmqual.analysis.code_frequencies`.
    code : str
        The deficit-language code (default ``equity-lens/deficit_language``).
    by : str
        Second grouping (default ``speaker_role``: interviewer, participant).
    rollup : bool
        Count the code's sub-codes for it (default True).

    Returns
    -------
    DataFrame
        Columns: ``case`` (``"(all)"`` for the overall rows, then each case), ``<by>``,
        ``hits``, ``segments``, ``words``, ``per_1000_words``. Overall rows come first,
        then cases in natural order; within them the ``by`` values in natural order.

    Examples
    --------
    >>> deficit_profile(codings, corpus)  # doctest: +SKIP
    """
    case_col = case or "doc_id"
    common = dict(codes=[code], rollup=rollup, unit=unit, coders=coders, where=where)
    overall = code_frequencies(codings, corpus, by=by, **common)
    per_case = code_frequencies(codings, corpus, by=[case_col, by], **common)
    cols = [by, "hits", "segments", "words", "per_1000_words"]
    overall = overall[cols].assign(case=_ALL)
    per_case = per_case[[case_col, *cols]].rename(columns={case_col: "case"})
    per_case = per_case[per_case["words"] > 0]
    out = pd.concat([overall[["case", *cols]], per_case], ignore_index=True)
    return out.astype({"case": "string"})


def deficit_challenges(
    codings: pd.DataFrame,
    corpus: CorpusLike,
    *,
    code: str = DEFICIT_CODE,
    markers: Sequence[str] = CHALLENGE_MARKERS,
    unit: str = "turn",
    coders: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    where: Where | None = None,
) -> pd.DataFrame:
    """Passages coded as deficit language in which a speaker may challenge the framing.

    See the module docstring for the heuristic and its limits.

    Parameters
    ----------
    codings, corpus, coders, roles, where
        As for :func:`cmqual.analysis.retrieve`.
    code : str
        The deficit-language code; its sub-codes count too.
    markers : list of str
        Challenge markers (default :data:`CHALLENGE_MARKERS`).
    unit : {"turn", "paragraph", "sentence"}
        Segments searched (default ``turn``: a challenge often follows the framing in the
        next sentence of the same turn).

    Returns
    -------
    DataFrame
        One row per segment with at least one marker, in document and text order.
        Columns: ``doc_id``, ``segment_id``, ``speaker``, ``speaker_role``, ``start``,
        ``end``, ``text``, ``markers`` (markers found, ``"; "``-joined in the order of
        ``markers``), ``marker_start``, ``marker_end`` (offsets of the first marker found
        in the text), ``citation``.

    Examples
    --------
    >>> deficit_challenges(codings, corpus, markers=["deficit", "push back"])  # doctest: +SKIP
    """
    check_unit(unit)
    if isinstance(markers, str) or not markers:
        raise ConfigError("markers: expected a non-empty list of words or phrases")
    hits = retrieve(codings, corpus, Term(code), unit=unit, coders=coders, roles=roles,
                    where=where)
    regexes = [(m, pattern_regex(m, "fixed", case_sensitive=False)) for m in markers]
    rows = []
    for r in hits.itertuples(index=False):
        found = []
        first = None
        for marker, rx in regexes:
            m = rx.search(r.text)
            if m:
                found.append(marker)
                if first is None or m.start() < first[0]:
                    first = (m.start(), m.end())
        if found:
            rows.append((r.doc_id, r.segment_id, r.speaker, r.speaker_role, r.start, r.end,
                         r.text, "; ".join(found), r.start + first[0], r.start + first[1],
                         r.citation))
    cols = {"doc_id": "string", "segment_id": "string", "speaker": "string",
            "speaker_role": "string", "start": "int64", "end": "int64", "text": "string",
            "markers": "string", "marker_start": "int64", "marker_end": "int64",
            "citation": "string"}
    return pd.DataFrame(rows, columns=list(cols)).astype(cols)
