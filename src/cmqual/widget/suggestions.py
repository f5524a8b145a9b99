"""Where a coding session's suggestions come from, and which of them are still pending.

Suggestions are auto-coder hits (:func:`cmqual.coding.apply_codebook`) and stored machine
codings, among them the suggestions learned from the coder's own coding
(:mod:`cmqual.suggest`; those learned from another coder are not shown). A hit is
*pending* for a coder until they have a coding of its code in the hit's segment or have
rejected that hit (see :mod:`cmqual.widget.rejections`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal, NamedTuple

import pandas as pd

from cmqual.project import Project
from cmqual.store import AUTO_ORIGINS
from cmqual.widget.rejections import Rejection

__all__ = ["Hit", "SuggestionSource", "group_pending", "suggestion_table"]

SuggestionSource = Literal["auto", "stored", "run"]
SOURCES: tuple[str, ...] = ("auto", "stored", "run")


class Hit(NamedTuple):
    """One auto-coder hit: document offsets, code, the words hit and the pattern."""

    doc_id: str
    start: int
    end: int
    code: str
    text: str
    pattern: str


def suggestion_table(project: Project, source: SuggestionSource | pd.DataFrame | None, *,
                     level: str = "turn", speakers: str = "participants",
                     coder: str | None = None) -> pd.DataFrame:
    """The auto-coder hits to suggest: doc_id, start, end, code and pattern.

    Parameters
    ----------
    project : Project
    source : {"auto", "stored", "run"}, DataFrame or None
        ``"stored"``: the project's machine codings (origins ``auto`` and ``suggestion``)
        whose document text is unchanged; ``"run"``: :func:`cmqual.coding.apply_codebook`
        with each of the project's codebooks, now (nothing is stored); ``"auto"``: stored
        ones when there are any, else run; a codings table is returned as given; ``None``
        gives an empty table.
    level, speakers
        Passed to :func:`cmqual.coding.apply_codebook` when it runs.
    coder : str, optional
        The coder the suggestions are for: stored suggestions learned from another
        coder's codings (coder ``cmqual-suggest:<other>``) are left out.

    Examples
    --------
    >>> suggestion_table(project, "run", level="paragraph")         # doctest: +SKIP
    """
    columns = ["doc_id", "start", "end", "code", "pattern"]
    if isinstance(source, pd.DataFrame):
        table = source
    elif source is None:
        table = pd.DataFrame(columns=columns)
    else:
        table = pd.DataFrame(columns=columns)
        if source in ("auto", "stored"):
            stored = project.store.codings_frame(origins=list(AUTO_ORIGINS))
            shas = {d.id: d.sha256 for d in project.corpus}
            fresh = [shas.get(d) == s for d, s in zip(stored["doc_id"], stored["doc_sha256"],
                                                      strict=True)]
            table = stored[fresh] if len(stored) else stored
            if coder is not None and len(table):
                from cmqual.suggest._storage import SUGGEST_CODER, suggester

                who = table["coder"].astype(str)
                others = who.str.startswith(SUGGEST_CODER + ":") & (who != suggester(coder))
                table = table[~others.to_numpy()]
        if source == "run" or (source == "auto" and table.empty):
            from cmqual.coding import apply_codebook

            parts = [apply_codebook(project.corpus, book, level=level, speakers=speakers)
                     for book in project.codebooks]
            if parts:
                table = pd.concat(parts, ignore_index=True)
    if "pattern" not in table.columns:
        table = table.assign(pattern="")
    return table[columns]


def group_pending(hits: Sequence[Hit], used: Collection[str],
                  rejected: Collection[Rejection]) -> dict[str, list[Hit]]:
    """The pending hits of one segment, grouped per code in text order.

    ``used`` are the codes the coder already has in the segment (a hit of them is dealt
    with); ``rejected`` the coder's rejected hits.

    Examples
    --------
    >>> h = Hit("p01", 5, 10, "cb/money", "money", "money")
    >>> group_pending([h], used=set(), rejected=set())
    {'cb/money': [Hit(doc_id='p01', start=5, end=10, code='cb/money', text='money', \
pattern='money')]}
    >>> group_pending([h], used={"cb/money"}, rejected=set())
    {}
    """
    groups: dict[str, list[Hit]] = {}
    for h in sorted(hits, key=lambda h: (h.start, h.end, h.code)):
        if h.code in used or (h.doc_id, h.start, h.end, h.code) in rejected:
            continue
        groups.setdefault(h.code, []).append(h)
    return groups
