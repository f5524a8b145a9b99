"""What a pseudonymisation found and made: :class:`PseudonymisationResult`."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cmqual.corpus import Corpus
from cmqual.errors import ConfigError

if TYPE_CHECKING:
    from cmqual.pseudonymise.names import _Registry
    from cmqual.pseudonymise.offsets import OffsetMap

__all__ = ["PseudonymisationResult"]


@dataclass(frozen=True, eq=False)
class PseudonymisationResult:
    """What :func:`pseudonymise` found and made (and, from :func:`pseudonymise_corpus`, wrote).

    Attributes
    ----------
    mode : str
        ``pseudonym`` or ``redact``.
    texts : Mapping[str, str]
        Original ``doc_id`` → pseudonymised text.
    maps : Mapping[str, OffsetMap]
        Original ``doc_id`` → :class:`OffsetMap`.
    paths : Mapping[str, str]
        Original ``doc_id`` → new file path inside the output folder (``doc01.txt``).
    speakers : Mapping[str, str]
        Real speaker label → new label (role labels are not listed).
    key : DataFrame
        Real value → pseudonym, with type, source, counts. **Secret.**
    review : DataFrame
        Candidates the rules left alone, with contexts. **Holds real names.**
    metadata, speaker_table : DataFrame or None
        The pseudonymised ``metadata.csv`` and ``speakers.csv``.
    problems : tuple of str
        Documents whose pseudonymised text does not re-read with the same turns.
    out_dir, key_path, review_path, files, corpus
        Set by :func:`pseudonymise_corpus`: where things were written and the new corpus
        (:func:`pseudonymise_in_memory` sets ``corpus`` only).
    """

    mode: str
    texts: Mapping[str, str]
    maps: Mapping[str, OffsetMap]
    paths: Mapping[str, str]
    speakers: Mapping[str, str]
    key: pd.DataFrame
    review: pd.DataFrame
    metadata: pd.DataFrame | None = None
    speaker_table: pd.DataFrame | None = None
    problems: tuple[str, ...] = ()
    out_dir: Path | None = None
    key_path: Path | None = None
    review_path: Path | None = None
    files: tuple[Path, ...] = ()
    corpus: Corpus | None = None
    # the names and pseudonyms behind the texts, for pseudonymise_text (holds real names)
    _registry: _Registry | None = field(default=None, repr=False)

    def pseudonymise_text(self, text: str) -> str:
        """Pseudonymise a string from outside the transcripts with the same names and rules.

        For a corpus or file name, a title or a parameter that is about to be shown beside
        pseudonymised quotes: listed names, speakers, identifying attribute values and
        everything the rules find are replaced by the pseudonyms the texts use (a value
        the texts do not contain gets the next number, which is not in the key). Words
        joined by underscores or hyphens, as in file and folder names
        (``northfield_college_notes``), are also read as separate words. The result is
        not changed.

        Parameters
        ----------
        text : str
            The string to pseudonymise.

        Returns
        -------
        str

        Raises
        ------
        ConfigError
            The result was not made by :func:`pseudonymise` (it has no names).

        Examples
        --------
        >>> result = pseudonymise(corpus, ["Northfield College"])     # doctest: +SKIP
        >>> result.pseudonymise_text("northfield_college_interviews")  # doctest: +SKIP
        '[Organisation 1] interviews'
        """
        # imported here: metadata -> offsets -> result would otherwise import in a circle
        from cmqual.pseudonymise.metadata import _pseudonymise_cell

        if self._registry is None:
            raise ConfigError("pseudonymise_text needs a result made by pseudonymise(); this "
                              "one carries no names")
        reg = copy.deepcopy(self._registry)  # numbering new values must not change self
        once = _pseudonymise_cell(str(text), reg)
        spaced = re.sub(r"[_-]+", " ", once)
        if spaced == once:
            return once
        again = _pseudonymise_cell(spaced, reg)
        return again if again != spaced else once

    def counts(self) -> pd.DataFrame:
        """Replacements in the transcripts per type (no real values)."""
        k = self.key[self.key["type"] != "document"]
        out = k.groupby("type", sort=True)["count"].sum().reset_index()
        return out.rename(columns={"count": "replacements"})

    def __repr__(self) -> str:
        counts = ", ".join(f"{t} {n}" for t, n in self.counts().itertuples(index=False) if n)
        where = f" written to {self.out_dir}" if self.out_dir else ""
        return (f"<PseudonymisationResult ({self.mode}): {len(self.texts)} documents{where}; "
                f"replaced {counts or 'nothing'}; {self.review['candidate'].nunique()} review "
                f"candidates; {len(self.problems)} problems>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(str(t))}</td><td>{n}</td></tr>"
                       for t, n in self.counts().itertuples(index=False))
        return (f"<div><strong>pseudonymised corpus</strong> ({html.escape(self.mode)}, "
                f"{len(self.texts)} documents)<table><tr><th>type</th><th>replacements</th>"
                f"</tr>{rows}</table><p>{self.review['candidate'].nunique()} candidates to "
                f"review; the key is secret and not shown.</p></div>")
