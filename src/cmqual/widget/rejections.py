"""Rejected suggestions as the coding session looks them up.

A coder's rejections are kept in the project store's ``rejections`` table: written with
:meth:`cmqual.project.Project.reject` (one transaction, in the audit trail, undone by
:meth:`~cmqual.project.Project.undo`) and read with
:meth:`~cmqual.project.Project.rejections`, which leaves out rejections of an older
document text, so such a hit is suggested again. This module turns them into the set of
hits :class:`cmqual.widget.CodingSession` checks each suggestion against.
"""

from __future__ import annotations

from cmqual.project import Project

__all__ = ["Rejection", "read_rejections"]

#: A rejected hit: (doc_id, start, end, code).
Rejection = tuple[str, int, int, str]


def read_rejections(project: Project, coder: str) -> set[Rejection]:
    """``coder``'s rejected hits that still apply to the current document texts.

    Examples
    --------
    >>> read_rejections(project, "alice")                           # doctest: +SKIP
    {('p01', 72, 77, 'scoping-study/resourcing')}
    """
    table = project.rejections(coder)
    return {(str(d), int(s), int(e), str(c)) for d, s, e, c in zip(
        table["doc_id"], table["start"], table["end"], table["code"], strict=True)}
