"""Layouts of a pseudonymised file: edits in place, or turns rebuilt as ``Label: text``.

Both give ``(start, end, replacement)`` edits for :meth:`OffsetMap.from_edits`;
``_verify`` checks the result re-reads with the same turns and paragraphs.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cmqual.corpus import Corpus, IngestOptions
from cmqual.io import get_reader
from cmqual.io.base import is_name
from cmqual.pseudonymise.names import _Registry
from cmqual.pseudonymise.rules import _Claim

_BRACKETED_RE = re.compile(r"^\[([^\]\n]{1,60})\]$")


def _apply(old: str, edits: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    parts, starts, pos, n = [], [], 0, 0
    for s, e, new in edits:
        parts.append(old[pos:s])
        n += s - pos
        starts.append(n)
        parts.append(new)
        n += len(new)
        pos = e
    parts.append(old[pos:])
    return "".join(parts), starts


def _indent_hazards(old: str, edits: list[tuple[int, int, str, bool]]) -> list[tuple]:
    """Indent lines a bracketed replacement would turn into ``[Name] text`` labels.

    A ``[Name]`` label counts only when it starts two or more lines (see
    :mod:`cmqual.io.base`), so lines are indented only when the same replacement starts
    two or more of them; four spaces put the bracket beyond the three the rule allows.
    """
    plain = [(s, e, r) for s, e, r, _ in edits]
    new, starts = _apply(old, plain)
    hazards: dict[int, str] = {}
    for i, ((_, _, r, is_match), ns) in enumerate(zip(edits, starts, strict=True)):
        m = _BRACKETED_RE.match(r) if is_match else None
        if m and is_name(m.group(1)):
            prefix = new[new.rfind("\n", 0, ns) + 1:ns]
            if (len(prefix) <= 3 and not prefix.strip(" \t")
                    and re.match(r"[ \t]+\S", new[ns + len(r):ns + len(r) + 200])):
                hazards[i] = " " * (4 - len(prefix))
    counts = Counter(edits[i][2] for i in hazards)
    out: list[tuple[int, int, str]] = []
    for i, (s, e, r, _) in enumerate(edits):
        if i in hazards and counts[r] > 1:
            out.append((s, s, hazards[i]))
        out.append((s, e, r))
    return out


def _inplace_edits(text: str, claims: Sequence[_Claim], reg: _Registry) -> list[tuple]:
    edits = []
    for c in claims:
        if c.entity is None:
            continue
        if c.kind == "label":
            edits.append((c.start, c.end, c.entity.label, False))
        else:
            edits.append((c.start, c.end, reg.text_for(c.entity), True))
    return _indent_hazards(text, edits)


def _rebuilt_edits(text: str, turns: Sequence[_Turn], claims: Sequence[_Claim],
                   reg: _Registry, labels: Mapping[str, str]) -> list[tuple]:
    matches = [c for c in claims if c.kind == "match"]
    starts = [c.start for c in matches]
    edits: list[tuple[int, int, str, bool]] = []
    prev = 0
    first = True
    for turn in turns:
        for k, (ps, pe) in enumerate(turn.paragraphs):
            gap = "" if first else "\n"
            if k == 0 and turn.speaker:
                gap += f"{labels.get(turn.speaker, turn.speaker)}: "
            if gap or ps > prev:
                edits.append((prev, ps, gap, False))
            first = False
            pos = ps
            i = bisect.bisect_left(starts, ps)
            while i < len(matches) and matches[i].start < pe:
                c = matches[i]
                edits += [(j, j + 1, " ", False) for j in range(pos, c.start) if text[j] == "\n"]
                edits.append((c.start, c.end, reg.text_for(c.entity), True))
                pos = c.end
                i += 1
            edits += [(j, j + 1, " ", False) for j in range(pos, pe) if text[j] == "\n"]
            prev = pe
    edits.append((prev, len(text), "\n", False))
    return _indent_hazards(text, edits)


@dataclass(frozen=True)
class _Turn:
    speaker: str
    role: str
    paragraphs: tuple[tuple[int, int], ...]


def _structure(corpus: Corpus) -> dict[str, list[_Turn]]:
    seg = corpus.segments
    paras = seg[seg["level"] == "paragraph"].sort_values(["doc_id", "start"])
    out: dict[str, list[_Turn]] = {d: [] for d in corpus.doc_ids}
    for doc_id, group in paras.groupby("doc_id", sort=False):
        turns: dict[int, list] = {}
        for r in group.itertuples(index=False):
            entry = turns.setdefault(int(r.turn), [str(r.speaker), str(r.speaker_role), []])
            entry[2].append((int(r.start), int(r.end)))
        out[str(doc_id)] = [_Turn(s, role, tuple(p)) for s, role, p in turns.values()]
    return out


def _verify(text: str, name: str, expected: list, options: IngestOptions) -> str | None:
    parsed = get_reader(".txt")(text.encode("utf-8"), name, options.transcript)
    got = [(t.speaker, tuple(t.paragraphs)) for t in parsed.turns if t.paragraphs]
    if got == expected:
        return None
    n_got = sum(len(p) for _, p in got)
    n_exp = sum(len(p) for _, p in expected)
    return (f"{name}: re-reads as {len(got)} turns and {n_got} paragraphs instead of "
            f"{len(expected)} and {n_exp}; check the file (a custom speaker pattern may not "
            "match the new labels)")
