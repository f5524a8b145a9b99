"""A pseudonymised :class:`~cmqual.corpus.Corpus` built in memory: :func:`pseudonymise_in_memory`.

For analyses and reports that must show only pseudonymised text without writing a new
corpus folder: the new corpus is what :func:`cmqual.read_corpus` would read from the
folder :func:`cmqual.pseudonymise.pseudonymise_corpus` writes (``doc01`` ... ids, new
speaker labels, pseudonymised attributes), and :func:`carry_codings` carries codings onto
it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd

from cmqual.attributes import coerce_column, infer_type
from cmqual.corpus import Corpus, IngestOptions, corpus_from_parsed
from cmqual.errors import CmqualWarning, ConfigError
from cmqual.io import get_reader
from cmqual.pseudonymise.core import pseudonymise
from cmqual.pseudonymise.names import NamesLike
from cmqual.pseudonymise.result import PseudonymisationResult
from cmqual.pseudonymise.writing import _compare
from cmqual.tables import SPEAKER_COLUMNS

__all__ = ["pseudonymise_in_memory"]

# The key column of the attribute tables handed to pseudonymise(): no attribute may use it.
_KEY = "doc_id"


def _as_text(value: object) -> str:
    """An attribute value as ``metadata.csv`` would hold it ("" when missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _string_table(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [_as_text(v) for v in frame[c].tolist()] for c in columns},
                        index=frame.index, dtype="object")


def _metadata_table(corpus: Corpus) -> pd.DataFrame | None:
    """The corpus's document attributes as a string table keyed by ``doc_id``."""
    cols = [c for c in corpus.attribute_types if c in corpus.documents.columns]
    if not cols:
        return None
    table = _string_table(corpus.documents, cols)
    table.insert(0, _KEY, corpus.documents["doc_id"].astype(str).tolist())
    return table.reset_index(drop=True)


def _speaker_table(corpus: Corpus) -> pd.DataFrame | None:
    """The corpus's speaker attributes (beyond the built-in columns) as a string table."""
    extra = [c for c in corpus.speakers.columns if c not in SPEAKER_COLUMNS]
    if not extra:
        return None
    table = _string_table(corpus.speakers, extra)
    table.insert(0, "speaker", corpus.speakers["speaker"].astype(str).tolist())
    table.insert(0, _KEY, corpus.speakers["doc_id"].astype(str).tolist())
    return table.reset_index(drop=True)


def _attributes(corpus: Corpus, result: PseudonymisationResult,
                new_ids: Mapping[str, str]) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Typed attributes of the new documents: unchanged columns keep their values and
    type; a column the rules changed holds the pseudonymised strings."""
    table = result.metadata
    if table is None:
        return None, {}
    by_path = {m.new_path: m.new_doc_id for m in result.maps.values()}
    old = corpus.documents.set_index("doc_id")
    old_ids = {new: doc for doc, new in new_ids.items()}
    index = pd.Index([by_path[p] for p in table[_KEY]], name="doc_id")
    out: dict[str, pd.Series] = {}
    types: dict[str, str] = {}
    for col in (c for c in table.columns if c != _KEY):
        values = [str(v) for v in table[col].tolist()]
        before = old.loc[[old_ids[d] for d in index], col]
        kind = corpus.attribute_types[col]
        if values == [_as_text(v) for v in before.tolist()]:
            out[col] = pd.Series(before.to_numpy(), index=index, dtype=before.dtype)
        else:
            series, bad = coerce_column(values, kind)
            if bad:  # a pseudonym where a number or date was: keep the strings
                kind = infer_type(values)
                series, _ = coerce_column(values, kind)
            out[col] = pd.Series(series.to_numpy(), index=index, dtype=series.dtype)
        types[col] = kind
    return pd.DataFrame(out, index=index), types


def _speaker_attributes(corpus: Corpus, result: PseudonymisationResult) -> pd.DataFrame:
    """Roles (kept as the original corpus had them) and pseudonymised speaker attributes,
    keyed by new ``doc_id`` and new speaker label."""
    roles = {(result.maps[str(r.doc_id)].new_doc_id,
              result.maps[str(r.doc_id)].speakers.get(str(r.speaker), str(r.speaker))):
             str(r.speaker_role) for r in corpus.speakers.itertuples(index=False)}
    table = result.speaker_table
    if table is None:
        rows = [(doc, spk, role) for (doc, spk), role in roles.items()]
        return pd.DataFrame(rows, columns=["doc_id", "speaker", "role"], dtype="object")
    by_path = {m.new_path: m.new_doc_id for m in result.maps.values()}
    out = table.copy()
    for col in out.columns:  # blank cells are missing values, as when speakers.csv is read
        out[col] = [None if v == "" else v for v in out[col].tolist()]
    out[_KEY] = [by_path[p] for p in table[_KEY]]
    out["role"] = [roles.get((d, s), "") for d, s in zip(out[_KEY], out["speaker"],
                                                            strict=True)]
    return out


def pseudonymise_in_memory(corpus: Corpus, names: NamesLike = None, mode: str = "pseudonym", *,
                           options: IngestOptions | None = None,
                           drop_columns: Sequence[str] = ()) -> PseudonymisationResult:
    """Pseudonymise a corpus and build the pseudonymised corpus in memory (writes no files).

    The texts, speaker labels, key and review list are those of :func:`pseudonymise`; the
    corpus's own document and speaker attributes are pseudonymised as
    :func:`pseudonymise_corpus` pseudonymises ``metadata.csv`` and ``speakers.csv``
    (identifying columns get the pseudonyms the texts use, every other value passes
    through the rules; unchanged columns keep their type). Documents get the neutral ids
    ``doc01``, ``doc02`` ... (their files would be ``doc01.txt`` ...), speakers keep their
    roles, and the corpus name is passed through
    :meth:`PseudonymisationResult.pseudonymise_text`.

    Parameters
    ----------
    corpus : Corpus
        The corpus to pseudonymise.
    names, mode, options
        See :func:`pseudonymise`; ``options`` also reads the new texts.
    drop_columns : sequence of str
        Document or speaker attributes to leave out of the new corpus.

    Returns
    -------
    PseudonymisationResult
        With ``corpus`` set to the new corpus; ``maps`` carry offsets onto it
        (:func:`carry_codings`).

    Warns
    -----
    CmqualWarning
        For documents whose pseudonymised text does not re-read with the same turns.

    Examples
    --------
    >>> result = pseudonymise_in_memory(corpus, "names.csv")         # doctest: +SKIP
    >>> shared = result.corpus                                       # doctest: +SKIP
    >>> carried = carry_codings(codings, result)                     # doctest: +SKIP
    """
    if not isinstance(corpus, Corpus):
        raise ConfigError(f"corpus: expected a cmqual Corpus (cmqual.read_corpus); got "
                          f"{type(corpus).__name__}")
    options = options or IngestOptions()
    result = pseudonymise(corpus, names, mode=mode, options=options,
                          metadata=_metadata_table(corpus), speakers=_speaker_table(corpus),
                          drop_columns=drop_columns)
    new_ids = {doc: m.new_doc_id for doc, m in result.maps.items()}
    read = get_reader(".txt")
    parsed = {m.new_path: read(m.new_text.encode("utf-8"), m.new_path, options.transcript)
              for m in result.maps.values()}
    attributes, types = _attributes(corpus, result, new_ids)
    name = result.pseudonymise_text(corpus.name)
    new = corpus_from_parsed(name, parsed, options, attributes=attributes,
                             attribute_types=types,
                             speaker_attributes=_speaker_attributes(corpus, result))
    problems = tuple(dict.fromkeys([*result.problems, *_compare(corpus, new, result)]))
    for p in problems:
        warnings.warn(p, CmqualWarning, stacklevel=2)
    return replace(result, problems=problems, corpus=new)
