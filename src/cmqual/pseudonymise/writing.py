"""Write a pseudonymised corpus, its key and review list: :func:`pseudonymise_corpus`."""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from cmqual._version import __version__
from cmqual.corpus import Corpus, IngestOptions
from cmqual.errors import CmqualWarning, ConfigError, InputFileError
from cmqual.ingest import read_corpus
from cmqual.io.folder import METADATA_FILE, SPEAKERS_FILE, read_string_table
from cmqual.io.tables import TABLE_EXTENSIONS, check_output_path, write_table, write_text
from cmqual.pseudonymise.core import pseudonymise
from cmqual.pseudonymise.names import Name, NamesLike, _coerce_names, _norm, _person_words
from cmqual.pseudonymise.result import PseudonymisationResult
from cmqual.pseudonymise.speakers import _is_role_label

__all__ = ["MARKER_FILE", "pseudonymise_corpus"]

MARKER_FILE = ".cmqual-pseudonymise.json"


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _prepare_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputFileError(f"output {str(out)!r} is a file; give a folder for the new corpus")
    if not out.exists():
        out.mkdir(parents=True)
        return
    present = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    if not present:
        return
    marker = out / MARKER_FILE
    if not overwrite or not marker.is_file():
        raise ConfigError(
            f"output folder {str(out)!r} is not empty; choose a new folder"
            + (" (overwrite only replaces a folder written by cmqual pseudonymise)"
               if overwrite else " or pass overwrite=True (--overwrite) to replace a "
               "pseudonymised corpus written before"))
    listed = set(json.loads(marker.read_text(encoding="utf-8")).get("files", []))
    foreign = [p for p in present if p not in listed and p != MARKER_FILE]
    if foreign:
        raise ConfigError(f"output folder {str(out)!r} holds files cmqual did not write "
                          f"({', '.join(foreign[:5])}); move them or choose a new folder")
    for rel in present:
        (out / rel).unlink()


def _readme(result: PseudonymisationResult) -> str:
    counts = "\n".join(f"- {t}: {n}" for t, n in result.counts().itertuples(index=False))
    return (
        "# Pseudonymised corpus\n\n"
        f"Written by cmqual {__version__} (`cmqual pseudonymise`, mode `{result.mode}`) from "
        f"{len(result.texts)} transcripts. Speaker labels, listed names, titled names, email "
        "addresses, phone numbers, URLs and UK postcodes were replaced; see the "
        "`cmqual.pseudonymise` documentation for the rules.\n\n"
        f"Replacements by type:\n\n{counts or '- none'}\n\n"
        "The key linking pseudonyms to real names is kept separately by the research team "
        "and is not part of this folder. Automatic pseudonymisation misses names it was "
        "not told about: read the transcripts before sharing them.\n"
    )


def pseudonymise_corpus(corpus: Corpus | str | Path, out_dir: str | Path, names: NamesLike = None,
                        mode: str = "pseudonym", *, key: str | Path | None = None,
                        review: str | Path | None = None, file_names: str = "numbered",
                        drop_columns: Sequence[str] = (), options: IngestOptions | None = None,
                        overwrite: bool = False) -> PseudonymisationResult:
    """Write a pseudonymised copy of a corpus, its key and a review list.

    Parameters
    ----------
    corpus : Corpus or path
        The corpus (or its folder, read with ``options``).
    out_dir : path
        Folder for the new corpus; created, or empty (see ``overwrite``).
    names, mode, file_names, drop_columns, options
        See :func:`pseudonymise`.
    key : path, optional
        Where the key goes (``.csv``, ``.xlsx`` or ``.parquet``); default
        ``<out_dir>-key.csv`` beside the output folder. Never inside the new or the
        original corpus folder.
    review : path, optional
        Where the review list goes; default ``<out_dir name>-review.csv`` in the key's
        folder.
    overwrite : bool
        Replace a corpus this function wrote into ``out_dir`` before.

    Returns
    -------
    PseudonymisationResult
        With ``out_dir``, ``key_path``, ``review_path``, ``files`` and the re-read
        ``corpus`` set.

    Raises
    ------
    ConfigError
        The key or review list would go inside a corpus folder, the output folder is not
        empty, or speaker labels would clash.

    Warns
    -----
    CmqualWarning
        Always, naming the key file: keep it secret. Also for documents that do not
        re-read with the same turns.

    Examples
    --------
    >>> r = pseudonymise_corpus("corpora/sample", "outputs/sample_pseudo",
    ...                         names="names.csv", key="secret/key.csv")  # doctest: +SKIP
    >>> r.corpus                                                          # doctest: +SKIP
    <Corpus 'sample_pseudo': 15 documents, 401 turns, ...>
    """
    options = options or IngestOptions()
    if not isinstance(corpus, Corpus):
        corpus = read_corpus(corpus, options)
    out = Path(out_dir)
    key_path = Path(key) if key is not None else out.parent / f"{out.name}-key.csv"
    review_path = (Path(review) if review is not None
                   else key_path.parent / f"{out.name}-review.csv")
    root = corpus.root
    if root is not None and (_inside(out, root) or _inside(root, out)):
        raise ConfigError(f"output folder {str(out)!r} and corpus folder {str(root)!r} must "
                          "be separate folders, neither inside the other")
    for what, path in (("key", key_path), ("review list", review_path)):
        if _inside(path, out):
            raise ConfigError(
                f"refusing to write the {what} {str(path)!r} inside the pseudonymised corpus "
                f"{str(out)!r}: it links pseudonyms to real names; give a path outside it "
                "(e.g. --key secret/key.csv)")
        if root is not None and _inside(path, root):
            raise ConfigError(f"refusing to write the {what} {str(path)!r} inside the corpus "
                              f"folder {str(root)!r}; give a path outside it")
        check_output_path(path, TABLE_EXTENSIONS)
    if key_path.resolve() == review_path.resolve():
        raise ConfigError("the key and the review list need different files")
    listed = _coerce_names(names)
    meta = spk = None
    if root is not None and (root / METADATA_FILE).is_file():
        meta = read_string_table(root / METADATA_FILE)
    if root is not None and (root / SPEAKERS_FILE).is_file():
        spk = read_string_table(root / SPEAKERS_FILE)
    if file_names == "keep":
        _warn_named_files(corpus, listed, options)
    result = pseudonymise(corpus, listed, mode=mode, file_names=file_names, options=options,
                          metadata=meta, speakers=spk, drop_columns=drop_columns)
    _prepare_out_dir(out, overwrite)
    write_table(result.key, key_path)
    os.chmod(key_path, 0o600)  # the key re-identifies participants: owner-only
    write_table(result.review, review_path)
    os.chmod(review_path, 0o600)  # the review list quotes real names in context
    written: list[Path] = []
    for doc, rel in result.paths.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_text(target, result.texts[doc]))
    if result.metadata is not None:
        written.append(write_table(result.metadata, out / METADATA_FILE))
    if result.speaker_table is not None:
        written.append(write_table(result.speaker_table, out / SPEAKERS_FILE))
    written.append(write_text(out / "README.md", _readme(result)))
    files = sorted(p.relative_to(out).as_posix() for p in written)
    write_text(out / MARKER_FILE, json.dumps({"files": files}, indent=1, sort_keys=True) + "\n")
    new_corpus = read_corpus(out, options)
    problems = list(result.problems) + _compare(corpus, new_corpus, result)
    for p in dict.fromkeys(problems):
        warnings.warn(p, CmqualWarning, stacklevel=2)
    warnings.warn(
        f"the key {key_path} and review list {review_path} link pseudonyms to real names: "
        "keep them secret, never share them or put them in the corpus", CmqualWarning,
        stacklevel=2)
    return replace(result, problems=tuple(dict.fromkeys(problems)), out_dir=out,
                   key_path=key_path, review_path=review_path,
                   files=tuple(out / f for f in files), corpus=new_corpus)


def _compare(old: Corpus, new: Corpus, result: PseudonymisationResult) -> list[str]:
    a = old.documents.set_index("doc_id")[["n_turns", "n_paragraphs"]]
    b = new.documents.set_index("doc_id")[["n_turns", "n_paragraphs"]]
    out = []
    for doc, rel in result.paths.items():
        new_id = rel[:-4]
        if new_id not in b.index or tuple(a.loc[doc]) != tuple(b.loc[new_id]):
            out.append(f"{rel}: does not re-read with the same number of turns and "
                       "paragraphs as the original")
    return out


def _warn_named_files(corpus: Corpus, listed: Sequence[Name], options: IngestOptions) -> None:
    names = [n.name for n in listed] + [s for s in set(corpus.speakers["speaker"])
                                        if not _is_role_label(s, options)]
    words = {_norm(w) for n in names for w in _person_words(n) if len(w) > 2}
    hits = [d.path for d in corpus
            if words & set(re.split(r"[^0-9a-z]+", d.path.casefold()))]
    if hits:
        warnings.warn(f"file_names='keep': {len(hits)} file name(s) contain listed names "
                      f"(e.g. {hits[0]}); use file_names='numbered'", CmqualWarning,
                      stacklevel=3)
