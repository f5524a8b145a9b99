"""Pseudonymise a corpus in memory: :func:`pseudonymise` and :func:`pseudonymise_texts`.

Reads and writes no files; :func:`cmqual.pseudonymise.pseudonymise_corpus` writes.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import pandas as pd

from cmqual.corpus import Corpus, IngestOptions
from cmqual.errors import CmqualWarning, ConfigError
from cmqual.io.folder import METADATA_FILE, SPEAKERS_FILE
from cmqual.pseudonymise.layouts import (
    _inplace_edits,
    _rebuilt_edits,
    _structure,
    _verify,
)
from cmqual.pseudonymise.metadata import _doc_lookup, _key_column, _table_entities, _table_out
from cmqual.pseudonymise.names import (
    Name,
    NamesLike,
    _check_choice,
    _coerce_names,
    _Registry,
)
from cmqual.pseudonymise.offsets import OffsetMap
from cmqual.pseudonymise.result import PseudonymisationResult
from cmqual.pseudonymise.review import _review
from cmqual.pseudonymise.rules import _Claim, _find_claims
from cmqual.pseudonymise.speakers import _assign_speakers, _label_spans

__all__ = ["FILE_NAMES", "MODES", "pseudonymise", "pseudonymise_texts"]

MODES: tuple[str, ...] = ("pseudonym", "redact")
FILE_NAMES: tuple[str, ...] = ("numbered", "keep")


def _new_paths(corpus: Corpus, doc_ids: Sequence[str], file_names: str) -> dict[str, str]:
    if file_names == "keep":
        return {d: f"{d}.txt" for d in doc_ids}
    width = max(2, len(str(len(doc_ids))))
    return {d: f"doc{i:0{width}d}.txt" for i, d in enumerate(doc_ids, 1)}


def pseudonymise(corpus: Corpus, names: NamesLike = None, *, mode: str = "pseudonym",
                 file_names: str = "numbered", options: IngestOptions | None = None,
                 metadata: pd.DataFrame | None = None, speakers: pd.DataFrame | None = None,
                 drop_columns: Sequence[str] = (), max_contexts: int = 5
                 ) -> PseudonymisationResult:
    """Pseudonymise a corpus in memory (pure: reads and writes no files).

    Parameters
    ----------
    corpus : Corpus
        The corpus to pseudonymise.
    names : path, DataFrame, iterable of Name or str, optional
        The names to replace (see :func:`read_names`); speakers, titled names, emails,
        phone numbers, URLs and postcodes are found without it.
    mode : {"pseudonym", "redact"}
        Numbered pseudonyms (``[Person 1]``) or markers (``[redacted: person]``).
    file_names : {"numbered", "keep"}
        New file names ``doc01.txt`` ... or the old paths with ``.txt``.
    options : IngestOptions, optional
        The options the corpus was read with (used to check the new texts re-read alike).
    metadata, speakers : DataFrame, optional
        ``metadata.csv`` / ``speakers.csv`` as read by
        :func:`cmqual.io.folder.read_string_table`, to pseudonymise alongside.
    drop_columns : sequence of str
        Columns to leave out of those tables.
    max_contexts : int
        Contexts listed per review candidate.

    Returns
    -------
    PseudonymisationResult

    Examples
    --------
    >>> result = pseudonymise(read_corpus("corpora/sample"), ["Kieran"])  # doctest: +SKIP
    >>> result.maps["fe_mentor_northfield_college"].quote(0, 60)           # doctest: +SKIP
    'Interviewer: Thanks for making the time, [P01]. I know it'
    """
    _check_choice(mode, MODES, "mode")
    _check_choice(file_names, FILE_NAMES, "file_names")
    if not isinstance(max_contexts, int) or max_contexts < 1:
        raise ConfigError(f"max_contexts must be a whole number of at least 1, not "
                          f"{max_contexts!r}")
    options = options or IngestOptions()
    listed = _coerce_names(names)
    drop = list(drop_columns)
    present = set() if metadata is None else set(metadata.columns)
    present |= set() if speakers is None else set(speakers.columns)
    unknown = [c for c in drop if c not in present]
    if unknown:
        raise ConfigError(f"drop_columns: no column {', '.join(map(repr, unknown))} in "
                          f"metadata.csv or speakers.csv; columns: "
                          f"{', '.join(sorted(map(str, present))) or '(none)'}")
    doc_ids = sorted(corpus.doc_ids)
    paths = _new_paths(corpus, doc_ids, file_names)
    structure = _structure(corpus)
    docs = {d.id: d for d in corpus}

    reg = _Registry(mode)
    for n in listed:
        reg.add_name(n, "names")
    # identifying attribute columns, from the tables given and from the corpus itself (so
    # quoting through pseudonymise_texts also hides institutions named in metadata.csv)
    _table_entities(reg, metadata, set(drop))
    _table_entities(reg, corpus.documents[list(corpus.attribute_types)], set())
    _table_entities(reg, speakers, set(drop) | {"speaker", "Speaker"})
    _table_entities(reg, corpus.speakers.drop(columns=["doc_id", "speaker", "speaker_role"]),
                    set())
    doc_of = _doc_lookup(corpus)
    extra: dict[str, list[tuple[str, str]]] = {}
    if speakers is not None and "speaker" in speakers.columns:
        key = _key_column(speakers, required=False)
        roles = speakers["role"] if "role" in speakers.columns else [""] * len(speakers)
        pseudo = speakers["pseudonym"] if "pseudonym" in speakers.columns else None
        for i, (spk, role) in enumerate(zip(speakers["speaker"], roles, strict=True)):
            doc = doc_of.get(str(speakers[key].iloc[i]).strip()) if key else None
            for d in [doc] if doc else doc_ids[:1]:
                extra.setdefault(d, []).append((str(spk).strip(), str(role).strip().lower()))
            if pseudo is not None and str(pseudo.iloc[i]).strip():
                reg.add_name(Name(str(spk), "person", str(pseudo.iloc[i])), "speakers.csv")
    label_spans, inplace_ok = {}, {}
    for doc in doc_ids:
        label_spans[doc], inplace_ok[doc] = _label_spans(docs[doc].text, structure[doc],
                                                         docs[doc].format, options)
        for _, _, spk in label_spans[doc]:
            if all(t.speaker != spk for t in structure[doc]):
                extra.setdefault(doc, []).append((spk, "participant"))
    ents = _assign_speakers(reg, structure, doc_ids, extra, listed, options)
    labels = {spk: ent.label for spk, ent in ents.items()}
    reg.compile()
    if reg.ambiguous:
        warnings.warn(
            f"{len(reg.ambiguous)} first name(s) or surname(s) belong to several listed "
            "names and get pseudonyms of their own; list them as variants of one name to "
            "choose", CmqualWarning, stacklevel=2)
    claims: dict[str, list[_Claim]] = {}
    for doc in doc_ids:
        spans = [(s, e, ents.get(spk)) for s, e, spk in label_spans[doc]]
        paras = [p for t in structure[doc] for p in t.paragraphs]
        claims[doc] = _find_claims(docs[doc].text, reg, spans, paras)

    maps: dict[str, OffsetMap] = {}
    problems: list[str] = []
    for doc in doc_ids:
        text = docs[doc].text
        doc_labels = {t.speaker: labels.get(t.speaker, t.speaker) for t in structure[doc]
                      if t.speaker}
        for c in claims[doc]:
            if c.entity is not None:
                if c.kind == "match":
                    reg.text_for(c.entity)
                c.entity.count += 1
                c.entity.docs.add(doc)
                c.entity.forms.add(c.form)
        fields = {"new_doc_id": paths[doc][:-4], "path": docs[doc].path,
                  "new_path": paths[doc], "speakers": MappingProxyType(doc_labels)}
        expected_for = [(doc_labels.get(t.speaker, ""), t.paragraphs) for t in structure[doc]]
        found = None
        layouts = (["inplace"] if inplace_ok[doc] else []) + ["rebuilt"]
        for layout in layouts:
            edits = (_inplace_edits(text, claims[doc], reg) if layout == "inplace" else
                     _rebuilt_edits(text, structure[doc], claims[doc], reg, doc_labels))
            m = OffsetMap.from_edits(doc, text, edits, **fields)
            expected = [(s, tuple(m.to_new(*p) for p in ps)) for s, ps in expected_for]
            problem = _verify(m.new_text, paths[doc], expected, options)
            if found is None or problem is None:
                found = (m, problem)
            if problem is None:
                break
        maps[doc], problem = found
        if problem:
            problems.append(problem)

    meta_out = spk_out = None
    if metadata is not None:
        meta_out = _table_out(metadata, METADATA_FILE, reg, doc_of, paths, labels, drop)
    if speakers is not None:
        spk_out = _table_out(speakers, SPEAKERS_FILE, reg, doc_of, paths, labels, drop)
    taken = {}
    for doc in doc_ids:
        t = bytearray(len(docs[doc].text))
        for c in claims[doc]:
            t[c.start:c.end] = b"\x01" * (c.end - c.start)
        taken[doc] = t
    review = _review(corpus, doc_ids, taken, max_contexts)
    key = _key_frame(reg, docs, paths, doc_ids)
    texts = {d: maps[d].new_text for d in doc_ids}
    return PseudonymisationResult(
        mode, MappingProxyType(texts), MappingProxyType(maps), MappingProxyType(paths),
        MappingProxyType(labels), key, review, meta_out, spk_out, tuple(problems),
        _registry=reg)


def _natural(text: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", text))


def _key_frame(reg: _Registry, docs: Mapping, paths: Mapping[str, str],
               doc_ids: Sequence[str]) -> pd.DataFrame:
    rows = []
    for ent in reg.entities.values():
        if not ent.count and ent.source in ("rule", "title", "ambiguous"):
            continue  # found by a rule but overlapped by an earlier one: never used
        rows.append((ent.type, ent.real, ent.text, ent.label, ent.source, ent.count,
                     len(ent.docs), "; ".join(sorted(ent.forms))))
    rows.sort(key=lambda r: (r[0], not (r[2] or r[3]), _natural(r[3] or r[2]), r[1]))
    rows += [("document", docs[d].path, paths[d], "", "file", 1, 1, "") for d in doc_ids]
    cols = ["type", "real", "pseudonym", "label", "source", "count", "n_documents", "forms"]
    return pd.DataFrame(rows, columns=cols).astype(
        {"count": "int64", "n_documents": "int64"})


def pseudonymise_texts(corpus: Corpus, names: NamesLike = None, mode: str = "pseudonym", *,
                       options: IngestOptions | None = None
                       ) -> tuple[dict[str, str], dict[str, OffsetMap]]:
    """Pseudonymised texts and offset maps, keyed by the original ``doc_id``.

    The entry point for report writers that must quote only pseudonymised text: quote a
    segment ``(doc_id, start, end)`` of the original corpus as
    ``maps[doc_id].quote(start, end)`` and name its speaker ``maps[doc_id].speakers``.

    Examples
    --------
    >>> texts, maps = pseudonymise_texts(corpus, "names.csv")      # doctest: +SKIP
    >>> maps["p01"].quote(120, 180)                                 # doctest: +SKIP
    'I told [Person 2] about it'
    """
    result = pseudonymise(corpus, names, mode=mode, options=options)
    return dict(result.texts), dict(result.maps)
