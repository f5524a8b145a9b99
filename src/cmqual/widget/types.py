"""Value types of the coding session: codes, filters, progress and suggestions."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PALETTE", "CodeInfo", "Filters", "Progress", "Suggestion"]

#: Colours for codes whose codebook gives none (matplotlib's tab10, colour-blind aware).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


@dataclass(frozen=True)
class CodeInfo:
    """One code of the session's codebook tree.

    Attributes
    ----------
    number : int
        1-based position in the tree; codes 1-9 have keyboard shortcuts.
    ref, label, definition, colour : str
        Full code reference, label, definition and display colour (the codebook's, or one
        from :data:`PALETTE`).
    depth : int
        1 for a top-level code.
    """

    number: int
    ref: str
    label: str
    definition: str
    colour: str
    depth: int


@dataclass(frozen=True)
class Filters:
    """Which segments :meth:`CodingSession.next` and :meth:`~CodingSession.previous` visit.

    Attributes
    ----------
    doc : str or None
        Only this document (id or path).
    code : str or None
        Only segments where the coder used this code or one of its children, or where one
        of them is a pending suggestion.
    uncoded : bool
        Only segments the coder has not coded at all.
    suggested : bool
        Only segments with pending suggestions.
    speaker : str or None
        Only this speaker label.
    participants : bool
        Only participants' segments (segments without a speaker label count as
        participants', as in the auto-coder).
    """

    doc: str | None = None
    code: str | None = None
    uncoded: bool = False
    suggested: bool = False
    speaker: str | None = None
    participants: bool = False


@dataclass(frozen=True)
class Progress:
    """How far the coder has come.

    Attributes
    ----------
    coded : int
        Segments in scope the coder has coded (at least one coding overlaps them).
    total : int
        Segments in scope: those matching the document, speaker and participants filters.
    index : int
        1-based number of the current segment among all segments of the level.
    n_segments : int
        All segments of the level.
    """

    coded: int
    total: int
    index: int
    n_segments: int

    @property
    def fraction(self) -> float:
        """``coded / total`` (0.0 when nothing is in scope)."""
        return self.coded / self.total if self.total else 0.0

    def __str__(self) -> str:
        return (f"segment {self.index} of {self.n_segments} · coded {self.coded} of "
                f"{self.total} ({self.fraction:.0%})")


@dataclass(frozen=True)
class Suggestion:
    """The auto-coder's hits of one code in one segment, not yet accepted or rejected.

    Attributes
    ----------
    code, label : str
        Suggested code reference and its label.
    doc_id, segment_id : str
        Where.
    spans : tuple of (int, int)
        Document offsets of each pending hit.
    texts, patterns : tuple of str
        The words hit and the pattern that hit them, one per span.
    """

    code: str
    label: str
    doc_id: str
    segment_id: str
    spans: tuple[tuple[int, int], ...]
    texts: tuple[str, ...]
    patterns: tuple[str, ...]
