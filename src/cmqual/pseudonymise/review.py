"""The review list: words the rules left alone that a person should check."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from cmqual.corpus import Corpus
from cmqual.io.base import split_lines
from cmqual.pseudonymise.names import (
    _APOS,
    COMMON_CAPITALISED,
    _stop_words,
    is_common_word,
)
from cmqual.pseudonymise.speakers import _GENERIC_LABEL_RE
from cmqual.text import word_spans

_IDENTIFIER_RE = re.compile(
    r"(?<![\w-])(?:(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{5,}|\d{6,})(?![\w-])"
)
_NOT_IDENTIFIER_RE = re.compile(
    r"^\d+(?:st|nd|rd|th|am|pm|s|k|m|km|mb|gb|kg|cm|mm|mins?|hrs?|yrs?|ish)$", re.IGNORECASE
)
_POSSESSIVE_RE = re.compile(r"['’]s$")

_OPENERS = "\"“‘'([{:*#>–—.!?\n"


def _review_tokens(corpus: Corpus, doc: str, sentence_starts: set[int]) -> list[tuple]:
    """``(start, end, word, mid_sentence)`` of every word (possessive ``'s`` dropped)."""
    text = corpus.texts[doc]
    starts = set(sentence_starts)
    for ls, le in split_lines(text):
        line = text[ls:le]
        starts.add(ls + len(line) - len(line.lstrip()))
    out = []
    for s, e in word_spans(text):
        w = _POSSESSIVE_RE.sub("", text[s:e])
        j = s - 1
        while j >= 0 and text[j] in " \t":
            j -= 1
        out.append((s, s + len(w), w, s not in starts and j >= 0 and text[j] not in _OPENERS))
    return out


def _review(corpus: Corpus, doc_ids: Sequence[str], claimed: Mapping[str, bytearray],
            max_contexts: int) -> pd.DataFrame:
    """Words the rules left alone that may identify someone (see the module docstring)."""
    seg = corpus.segments
    sentences = seg[seg["level"] == "sentence"]
    starts = {str(d): set(g["start"].tolist()) for d, g in sentences.groupby("doc_id")}
    tokens = {d: _review_tokens(corpus, d, starts.get(d, set())) for d in doc_ids}
    lower: Counter = Counter(w.translate(_APOS) for d in doc_ids for _, _, w, _ in tokens[d]
                             if w.islower())
    cap_mid: Counter = Counter(w for d in doc_ids for _, _, w, mid in tokens[d]
                               if mid and w[:1].isupper() and not w.isupper())

    def name_like(w: str) -> bool:
        return (len(w) > 1 and w[0].isupper() and not w.isupper()
                and not any(c.isdigit() for c in w) and not is_common_word(w)
                and not (w.endswith("s") and (is_common_word(w[:-1]) or w[:-1].isupper()))
                and not _GENERIC_LABEL_RE.match(w)
                and cap_mid[w] > lower[w.translate(_APOS).casefold()])

    def continues(w: str) -> bool:  # "Thornley Green", "Eastwold University"
        return (w[:1].isupper() and not w.isupper() and w.casefold() not in _stop_words()
                and w.casefold() not in COMMON_CAPITALISED)

    hits: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for doc in doc_ids:
        text, taken = corpus.texts[doc], claimed[doc]
        run: list[tuple[int, int]] = []
        toks = [*tokens[doc], (len(text), len(text), "", False)]
        for i, (s, e, w, mid) in enumerate(toks[:-1]):
            free = taken.find(1, s, e) < 0
            joins = bool(run) and text[run[-1][1]:s] == " " and continues(w)
            nxt = toks[i + 1]
            pair = (name_like(w) and text[e:nxt[0]] == " " and name_like(nxt[2])
                    and taken.find(1, nxt[0], nxt[1]) < 0)  # "Rosalind Blackwood" opening
            if free and (joins or ((mid or pair) and name_like(w))):
                if run and not joins:
                    run = _close_run(run, doc, text, hits)
                run.append((s, e))
                continue
            run = _close_run(run, doc, text, hits)
            if (free and mid and w.isupper() and w.isalpha() and 2 <= len(w) <= 6
                    and not is_common_word(w)):
                hits.setdefault(("acronym", w), []).append((doc, s, e))
        _close_run(run, doc, text, hits)
        for m in _IDENTIFIER_RE.finditer(text):
            if taken.find(1, *m.span()) < 0 and not _NOT_IDENTIFIER_RE.match(m.group()):
                hits.setdefault(("identifier", m.group()), []).append((doc, *m.span()))
    order = {"capitalised": 0, "acronym": 1, "identifier": 2}
    rows = []
    for (kind, cand), occ in sorted(hits.items(), key=lambda kv: (
            order[kv[0][0]], -len(kv[1]), kv[0][1])):
        for doc, s, e in occ[:max_contexts]:
            text = corpus.texts[doc]
            ctx = text[max(0, s - 40):s] + "**" + text[s:e] + "**" + text[e:e + 40]
            rows.append((cand, kind, len(occ), len({d for d, _, _ in occ}), doc, s, e,
                         " ".join(ctx.split())))
    cols = ["candidate", "kind", "count", "n_documents", "doc_id", "start", "end", "context"]
    return pd.DataFrame(rows, columns=cols).astype(
        {"count": "int64", "n_documents": "int64", "start": "int64", "end": "int64"})


def _close_run(run: list[tuple[int, int]], doc: str, text: str, hits: dict) -> list:
    if run:
        s, e = run[0][0], run[-1][1]
        hits.setdefault(("capitalised", text[s:e]), []).append((doc, s, e))
    return []
