"""Reports that quote only pseudonymised text: the inputs of ``build_report(pseudonymise=...)``.

The report is built on a pseudonymised copy of the corpus made in memory by
:func:`cmqual.pseudonymise.pseudonymise_in_memory` (neutral document ids ``doc01`` ...,
new speaker labels, pseudonymised attributes), with the codings carried onto it by
:func:`cmqual.pseudonymise.carry_codings`. Every quote, snippet, citation, document id,
speaker and attribute value in the report is therefore taken from the pseudonymised texts.
Strings that come from elsewhere but may name someone (the corpus name, the title, coder
names, recorded parameters) go through
:meth:`~cmqual.pseudonymise.PseudonymisationResult.pseudonymise_text`. The key and the
real names never reach the report; its provenance records that it was pseudonymised, how
many values were replaced, and the hashes of the original and the pseudonymised corpus.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from cmqual.analysis._scope import CorpusLike
from cmqual.corpus import Corpus
from cmqual.errors import ConfigError
from cmqual.pseudonymise import NamesLike, carry_codings, pseudonymise_in_memory

__all__ = ["PseudonymisedInputs", "names_option", "pseudonymise_inputs"]

#: What ``build_report(pseudonymise=...)`` accepts besides a names list: on / off.
PseudonymiseLike = bool | NamesLike


@dataclass(frozen=True, eq=False)
class PseudonymisedInputs:
    """The report's inputs with everything that may identify someone pseudonymised.

    Attributes
    ----------
    corpus : Corpus
        The pseudonymised corpus (ids ``doc01`` ...).
    codings : DataFrame
        The codings carried onto it (offsets, text, ids, speakers; coders pseudonymised).
    saturation_order : str, list of str or None
        The saturation order with original document ids replaced by the new ids.
    coders : tuple of str or None
        The coders to use, pseudonymised like the codings' coder column.
    title : str or None
        The title, pseudonymised.
    parameters : dict
        Extra provenance facts, string values pseudonymised.
    provenance : dict
        What the provenance records about the pseudonymisation (no real values).
    """

    corpus: Corpus
    codings: pd.DataFrame
    saturation_order: str | list[str] | None
    coders: tuple[str, ...] | None
    title: str | None
    parameters: dict[str, object]
    provenance: dict[str, object]


def names_option(value: object) -> tuple[bool, NamesLike]:
    """Read ``build_report``'s ``pseudonymise`` argument: ``(on, names)``.

    ``False`` or ``None``: off. ``True``: on, without a names list (speakers, titled names,
    emails, phone numbers, URLs and postcodes are still replaced). A path, a names table or
    names: on, with those names.

    Examples
    --------
    >>> names_option(True), names_option(None)
    ((True, None), (False, None))
    >>> names_option("names.csv")
    (True, 'names.csv')
    """
    if value is None or value is False:
        return False, None
    if value is True:
        return True, None
    if isinstance(value, str | Path | pd.DataFrame) or (
            isinstance(value, Iterable) and not isinstance(value, bytes | Mapping)):
        return True, cast(NamesLike, value)
    raise ConfigError(f"pseudonymise: expected True, a names.csv path, a names table or a list "
                      f"of names; got {type(value).__name__}")


def _scrubber(pseudonymise_text: Callable[[str], str]) -> Callable[[object], object]:
    cache: dict[str, str] = {}

    def scrub(value: object) -> object:
        if isinstance(value, str):
            if value not in cache:
                cache[value] = pseudonymise_text(value)
            return cache[value]
        if isinstance(value, list | tuple):
            return type(value)(scrub(v) for v in value)
        if isinstance(value, Mapping):
            return {scrub(k): scrub(v) for k, v in value.items()}
        if isinstance(value, Path):
            return scrub(str(value))
        return value

    return scrub


def pseudonymise_inputs(corpus: CorpusLike, codings: pd.DataFrame, names: NamesLike, *,
                        saturation_order: str | Sequence[str] | None,
                        coders: Sequence[str] | None, title: str | None,
                        parameters: Mapping[str, object]) -> PseudonymisedInputs:
    """Pseudonymise the corpus and carry everything the report shows onto it.

    Parameters
    ----------
    corpus : Corpus
        The original corpus the codings point into.
    codings : DataFrame
        Codings of the original corpus (``doc_id``, ``start``, ``end`` ...).
    names : path, DataFrame, iterable of Name or str, or None
        The names to replace (see :func:`cmqual.pseudonymise.read_names`).
    saturation_order, coders, title, parameters
        As given to :func:`cmqual.reporting.build_report`.

    Returns
    -------
    PseudonymisedInputs

    Raises
    ------
    ConfigError
        ``corpus`` is not a :class:`~cmqual.corpus.Corpus`, or the codings name documents
        the corpus does not have.

    Examples
    --------
    >>> inputs = pseudonymise_inputs(corpus, codings, "names.csv", saturation_order=None,
    ...                              coders=None, title=None, parameters={})  # doctest: +SKIP
    >>> inputs.corpus.doc_ids[:2]                                           # doctest: +SKIP
    ['doc01', 'doc02']
    """
    if not isinstance(corpus, Corpus):
        raise ConfigError("pseudonymise: needs a cmqual Corpus (cmqual.read_corpus), not "
                          f"{type(corpus).__name__}")
    result = pseudonymise_in_memory(corpus, names)
    new_corpus = cast(Corpus, result.corpus)  # always set by pseudonymise_in_memory
    scrub = _scrubber(result.pseudonymise_text)
    carried = carry_codings(codings, result)
    if "coder" in carried.columns:
        # coders are the research team, but an interviewer who codes is also a speaker
        carried["coder"] = pd.Series([scrub(c) for c in carried["coder"].tolist()],
                                     index=carried.index, dtype=carried["coder"].dtype)
    new_ids = {doc: m.new_doc_id for doc, m in result.maps.items()}
    order: str | list[str] | None
    if saturation_order is None or isinstance(saturation_order, str):
        order = saturation_order
    else:
        order = [new_ids.get(str(d), str(d)) for d in saturation_order]
    counts = {str(t): int(n) for t, n in result.counts().itertuples(index=False)}
    provenance: dict[str, object] = {
        "mode": result.mode,
        "names_listed": int((result.key["source"] == "names").sum()),
        "replacements": counts,
        "replacements_total": sum(counts.values()),
        "pseudonymised_corpus_hash": new_corpus.hash,
        "problems": len(result.problems),
        "key_included": False,
    }
    return PseudonymisedInputs(
        corpus=new_corpus, codings=carried, saturation_order=order,
        coders=None if coders is None else tuple(str(scrub(str(c))) for c in coders),
        title=None if title is None else str(scrub(title)),
        parameters={str(k): scrub(v) for k, v in parameters.items()},
        provenance=provenance,
    )
