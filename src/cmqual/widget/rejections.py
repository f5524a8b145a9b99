"""Rejected suggestions: kept in the project store through the public memo API.

The store has no table for rejections yet, so a coder's rejections are the document memos
of a pseudo-coder, ``"<coder> (rejected suggestions)"``: one memo per document, one JSON
object per rejected hit (start, end, code, text and the SHA-256 of the document text the
offsets refer to). A rejection whose document has changed since no longer applies, so
the hit is suggested again. Writing goes through :meth:`Project.memo`, so it is one
transaction, on disk when the call returns, and in the audit trail.

This module is the only place that knows the layout; a store table would replace it
without changing :class:`cmqual.widget.CodingSession`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from cmqual.project import Project

__all__ = ["REJECTIONS_SUFFIX", "add_rejections", "read_rejections", "rejections_coder"]

#: Appended to a coder's name to make the pseudo-coder whose memos hold the rejections.
REJECTIONS_SUFFIX = " (rejected suggestions)"
_HEADER = "cmqual rejected suggestions, one JSON object per line"

#: A rejected hit: (doc_id, start, end, code).
Rejection = tuple[str, int, int, str]


def rejections_coder(coder: str) -> str:
    """The pseudo-coder whose document memos hold ``coder``'s rejections."""
    return coder + REJECTIONS_SUFFIX


def read_rejections(project: Project, coder: str) -> set[Rejection]:
    """``coder``'s rejected hits that still apply to the current document texts.

    Examples
    --------
    >>> read_rejections(project, "alice")                           # doctest: +SKIP
    {('p01', 72, 77, 'scoping-study/resourcing')}
    """
    memos = project.memos(coder=rejections_coder(coder), kind="document")
    shas = {d.id: d.sha256 for d in project.corpus}
    found: set[Rejection] = set()
    for doc_id, text in zip(memos["target"], memos["text"], strict=True):
        for entry in _entries(str(text)):
            if shas.get(str(doc_id)) == entry.get("sha256"):
                found.add((str(doc_id), int(entry["start"]), int(entry["end"]),
                           str(entry["code"])))
    return found


def add_rejections(project: Project, coder: str, doc_id: str,
                   hits: Iterable[tuple[int, int, str, str]]) -> None:
    """Record ``coder``'s rejection of ``hits`` (start, end, code, text) in ``doc_id``.

    Examples
    --------
    >>> add_rejections(project, "alice", "p01",
    ...                [(72, 77, "scoping-study/resourcing", "money")])  # doctest: +SKIP
    """
    owner = rejections_coder(coder)
    memos = project.memos(coder=owner, kind="document")
    old = memos.loc[memos["target"] == doc_id, "text"]
    sha = project.corpus.document(doc_id).sha256
    lines = {_dumps(e) for e in _entries(str(old.iloc[0]) if len(old) else "")}
    lines |= {_dumps({"start": int(s), "end": int(e), "code": code, "text": text,
                      "sha256": sha}) for s, e, code, text in hits}
    project.memo("\n".join([_HEADER, *sorted(lines)]), coder=owner, doc=doc_id)


def _dumps(entry: Mapping[str, Any]) -> str:
    return json.dumps(dict(entry), sort_keys=True, ensure_ascii=False)


def _entries(text: str) -> list[Mapping[str, Any]]:
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and {"start", "end", "code"} <= set(entry):
            entries.append(entry)
    return entries
