"""Projects: a corpus, its codebooks and everything coded against them, in one folder.

A project folder holds two files::

    projects/inquiry/
      project.yaml    which corpus and codebooks (written atomically; edit by hand if needed)
      store.sqlite    codings, memos, rejected suggestions, positions and the audit
                      trail (see cmqual.store)

``project.yaml`` names the corpus folder (relative to the project folder, or absolute) and
the codebooks (built-in ids such as ``scoping-study``, or paths), e.g.::

    cmqual_project: 1
    corpus: ../../corpora/sample
    codebooks:
    - scoping-study
    - equity-lens

Optional ``corpus_options`` (``speaker_pattern``, ``paragraphs``, ``interviewer_labels``,
``attribute_types``) are passed to :func:`cmqual.read_corpus`.

:class:`Project` is the API notebooks and the coding widget use. Writes are validated here
(the document exists, the offsets fit its text, the code is in the project's codebooks)
and stored by :class:`cmqual.store.Store`, one transaction per call. Each coding keeps the
SHA-256 of the text its offsets refer to, so a coding whose transcript has changed since is
*stale*: reported (``stale`` column, :meth:`Project.stale_codings`, a warning), never
silently moved.
"""

from __future__ import annotations

import bisect
import difflib
import html
import operator
import os
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import yaml

from cmqual.codebook import Code, Codebook, Selection, codebook_hash, iter_codes, read_codebook
from cmqual.corpus import Corpus, Document
from cmqual.errors import CmqualError, CmqualWarning, ProjectError
from cmqual.ingest import read_corpus
from cmqual.io.tables import atomic_path
from cmqual.store import (
    AUTO_ORIGINS,
    MEMO_COLUMNS,
    ORIGINS,
    REJECTION_COLUMNS,
    Position,
    Store,
    UndoResult,
)
from cmqual.tables import CODING_COLUMNS, LEVELS, require_columns

if TYPE_CHECKING:
    from cmqual.suggest import Suggestions

__all__ = [
    "AUTO_CODER",
    "CONFIG_NAME",
    "PROJECT_CODING_COLUMNS",
    "STORE_NAME",
    "ImportResult",
    "Project",
    "ProjectConfig",
    "init_project",
    "open_project",
    "read_config",
    "write_config",
]

CONFIG_NAME = "project.yaml"
STORE_NAME = "store.sqlite"
#: Version of the ``project.yaml`` layout this cmqual reads and writes.
CONFIG_VERSION = 1
#: Coder name under which automatic codings are stored.
AUTO_CODER = "cmqual-auto"
#: Columns of :meth:`Project.codings`: the auto-coder's table, then the store's own.
PROJECT_CODING_COLUMNS: dict[str, str] = {
    **CODING_COLUMNS,
    "coding_id": "int64",
    "origin": "string",
    "memo": "string",
    "created": "string",
    "modified": "string",
    "stale": "bool",
}
_HUMAN_ORIGINS = tuple(o for o in ORIGINS if o not in AUTO_ORIGINS)
_CORPUS_OPTIONS = ("attribute_types", "interviewer_labels", "paragraphs", "speaker_pattern")


# -- configuration ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectConfig:
    """The content of ``project.yaml``.

    Attributes
    ----------
    corpus : str
        Corpus folder, relative to the project folder or absolute.
    codebooks : tuple of str
        Built-in codebook ids or codebook paths (relative to the project folder or absolute).
    corpus_options : Mapping
        Keyword arguments for :func:`cmqual.read_corpus`.
    """

    corpus: str
    codebooks: tuple[str, ...] = ()
    corpus_options: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codebooks", tuple(str(c) for c in self.codebooks))
        object.__setattr__(self, "corpus_options",
                           MappingProxyType(dict(self.corpus_options)))


def read_config(path: str | Path) -> ProjectConfig:
    """Read and check a ``project.yaml``.

    Raises
    ------
    ProjectError
        The file is missing, is not YAML, lacks ``corpus``, has unknown keys, or was written
        by a newer cmqual.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(
            f"{path.parent}: is not a cmqual project (no {CONFIG_NAME}); create one with "
            "`cmqual project init`"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{path}: cannot be read as YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: must be a mapping with at least a 'corpus' key")
    version = data.get("cmqual_project", CONFIG_VERSION)
    if not isinstance(version, int) or version > CONFIG_VERSION:
        raise ProjectError(
            f"{path}: cmqual_project is {version!r}, written by a newer cmqual; this one "
            f"reads version {CONFIG_VERSION}; upgrade cmqual (pip install --upgrade cmqual)"
        )
    problems = []
    unknown = sorted(set(data) - {"cmqual_project", "corpus", "codebooks", "corpus_options"})
    if unknown:
        problems.append(f"unknown key(s) {', '.join(map(str, unknown))}; allowed: corpus, "
                        "codebooks, corpus_options")
    corpus = data.get("corpus")
    if not isinstance(corpus, str) or not corpus.strip():
        problems.append("'corpus' must name the corpus folder")
    codebooks = data.get("codebooks") or []
    if isinstance(codebooks, str):
        codebooks = [codebooks]
    if not isinstance(codebooks, list) or not all(isinstance(c, str) for c in codebooks):
        problems.append("'codebooks' must be a list of codebook ids or paths")
    options = data.get("corpus_options") or {}
    if not isinstance(options, dict):
        problems.append("'corpus_options' must be a mapping")
    else:
        bad = sorted(set(options) - set(_CORPUS_OPTIONS))
        if bad:
            problems.append(f"unknown corpus option(s) {', '.join(map(str, bad))}; allowed: "
                            f"{', '.join(_CORPUS_OPTIONS)}")
    if problems:
        raise ProjectError(f"{path} has {len(problems)} problem(s)", problems)
    return ProjectConfig(str(corpus), tuple(codebooks), options)


def write_config(config: ProjectConfig, path: str | Path) -> Path:
    """Write ``project.yaml`` atomically (a reader sees the old file or the new one)."""
    data: dict[str, object] = {"cmqual_project": CONFIG_VERSION, "corpus": config.corpus,
                               "codebooks": list(config.codebooks)}
    if config.corpus_options:
        data["corpus_options"] = _plain(config.corpus_options)
    text = ("# cmqual project: the corpus and codebooks coded in this folder.\n"
            f"# Codings, memos and the audit trail are in {STORE_NAME}.\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())  # on disk before it replaces the old file
    return path


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# -- opening ---------------------------------------------------------------------------------
def init_project(path: str | Path, corpus: str | Path, codebooks: Sequence[str | Path] = (),
                 *, corpus_options: Mapping[str, object] | None = None) -> Project:
    """Create a project folder and return it opened.

    Parameters
    ----------
    path : str or Path
        The project folder (created with its parents when missing).
    corpus : str or Path
        The corpus folder. A relative path is taken from the current folder and stored
        relative to the project folder, so the two can move together.
    codebooks : sequence of str or Path
        Built-in codebook ids (``"scoping-study"``) or codebook files.
    corpus_options : mapping, optional
        Keyword arguments for :func:`cmqual.read_corpus` (``speaker_pattern``...).

    Returns
    -------
    Project

    Raises
    ------
    ProjectError
        The folder already holds a project, or the corpus folder does not exist.

    Examples
    --------
    >>> project = init_project("projects/inquiry", "corpora/sample",
    ...                        ["scoping-study"])               # doctest: +SKIP
    """
    root = Path(path)
    if (root / CONFIG_NAME).exists():
        raise ProjectError(f"{root}: is already a cmqual project; open it with open_project")
    corpus_path = Path(corpus)
    if not corpus_path.is_dir():
        raise ProjectError(f"corpus folder {str(corpus_path)!r} does not exist")
    config = ProjectConfig(_relative_to(corpus_path, root),
                           tuple(_codebook_entry(c, root) for c in codebooks),
                           corpus_options or {})
    for spec in config.codebooks:  # a wrong codebook fails before anything is written
        _load_codebook(spec, root)
    root.mkdir(parents=True, exist_ok=True)
    project = Project(root, config, Store(root / STORE_NAME, create=True))
    write_config(config, root / CONFIG_NAME)
    return project


def open_project(path: str | Path) -> Project:
    """Open an existing project folder (or its ``project.yaml``).

    Raises
    ------
    ProjectError
        No project there, or its store was written by a newer cmqual.

    Examples
    --------
    >>> project = open_project("projects/inquiry")                 # doctest: +SKIP
    >>> cid = project.code("p01", 120, 164, "scoping-study/power", coder="ana")  # doctest: +SKIP
    >>> project.codings(coder="ana")                               # doctest: +SKIP
    """
    root = Path(path)
    if root.name == CONFIG_NAME and root.is_file():
        root = root.parent
    config = read_config(root / CONFIG_NAME)
    if not (root / STORE_NAME).exists():
        warnings.warn(f"{root}: has no {STORE_NAME} yet (or it was removed); starting an empty "
                      "one", CmqualWarning, stacklevel=2)
    return Project(root, config, Store(root / STORE_NAME, create=True))


def _relative_to(target: Path, root: Path) -> str:
    if target.is_absolute():
        return target.as_posix()
    return Path(os.path.relpath(target.resolve(), root.resolve())).as_posix()


def _codebook_entry(spec: str | Path, root: Path) -> str:
    """Store an existing file as a path relative to the project; anything else as an id."""
    if Path(spec).is_file():
        return _relative_to(Path(spec), root)
    return str(spec)


# -- codebooks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _CodeInfo:
    code: Code
    codebook: str
    codebook_hash: str


def _load_codebook(spec: str, root: Path) -> tuple[Codebook | Selection, str, list[Code]]:
    """Read one codebook entry of ``project.yaml``: (codebook, its hash, all its codes).

    A file path is taken relative to the project folder; anything else is a built-in id.
    """
    source = spec
    if Path(spec).suffix.lower() in (".yaml", ".yml") or "/" in spec or "\\" in spec:
        # normpath, not resolve: the project folder may not exist yet (init_project)
        source = os.path.normpath(spec if Path(spec).is_absolute() else root / spec)
    book = read_codebook(source)
    return book, codebook_hash(book), list(iter_codes(book))


# -- locating codings in segments --------------------------------------------------------------
class _Spans:
    """Finds the segment containing a span and the speaker turns it overlaps.

    Segments of one level never overlap, so per document and level they are sorted by
    start and found by bisection.
    """

    def __init__(self, corpus: Corpus) -> None:
        segs = corpus.segments
        self._ids = segs["segment_id"].astype(str).tolist()
        self._speakers = segs["speaker"].astype(str).tolist()
        self._times = segs["timestamp"].astype(float).tolist()
        self._segs = segs
        self._levels: dict[str, dict[str, tuple[list[int], list[int], list[int]]]] = {}

    def _index(self, level: str) -> dict[str, tuple[list[int], list[int], list[int]]]:
        if level not in self._levels:
            segs = self._segs
            positions = np.flatnonzero((segs["level"] == level).to_numpy())
            sub = pd.DataFrame({"doc_id": segs["doc_id"].to_numpy()[positions],
                                "start": segs["start"].to_numpy()[positions],
                                "end": segs["end"].to_numpy()[positions],
                                "pos": positions})
            sub = sub.sort_values(["doc_id", "start"], kind="mergesort")
            self._levels[level] = {
                str(doc_id): (g["start"].tolist(), g["end"].tolist(), g["pos"].tolist())
                for doc_id, g in sub.groupby("doc_id", sort=False)}
        return self._levels[level]

    def segment_id(self, doc_id: str, level: str, start: int, end: int) -> str:
        """Id of the segment at ``level`` holding all of [start, end), or ""."""
        entry = self._index(level).get(doc_id) if level in LEVELS else None
        if not entry:
            return ""
        i = bisect.bisect_right(entry[0], start) - 1
        return self._ids[entry[2][i]] if i >= 0 and entry[1][i] >= end else ""

    def turns(self, doc_id: str, start: int, end: int) -> tuple[str, float]:
        """Speakers of the turns [start, end) overlaps ("; "-joined) and the first one's
        timestamp (NaN when none)."""
        entry = self._index("turn").get(doc_id)
        hits: list[int] = []
        if entry:
            i = max(bisect.bisect_right(entry[0], start) - 1, 0)
            while i < len(entry[0]) and entry[0][i] < end:
                if entry[1][i] > start:
                    hits.append(entry[2][i])
                i += 1
        speakers = dict.fromkeys(self._speakers[h] for h in hits if self._speakers[h])
        return "; ".join(speakers), (self._times[hits[0]] if hits else float("nan"))


# -- the project -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    """What :meth:`Project.import_quotes` did."""

    added: int
    unchanged: int
    memos_updated: int


class Project:
    """An open project: corpus, codebooks and the store of codings.

    Create one with :func:`open_project` or :func:`init_project`. Every write is one
    transaction that is on disk when the call returns; several processes can write to the
    same project at once.

    Attributes
    ----------
    root : Path
        The project folder.
    config : ProjectConfig
        What ``project.yaml`` says.
    store : Store
        The SQLite store.

    Examples
    --------
    >>> project = open_project("projects/inquiry")            # doctest: +SKIP
    >>> cid = project.code("fe_mentor_northfield_college", 120, 164,
    ...                    "scoping-study/resourcing", coder="ana")   # doctest: +SKIP
    >>> project.undo("ana")                                    # doctest: +SKIP
    """

    def __init__(self, root: Path, config: ProjectConfig, store: Store) -> None:
        self.root = Path(root)
        self.config = config
        self.store = store
        self._corpus: Corpus | None = None
        self._spans: _Spans | None = None
        self._codebooks: tuple[Codebook | Selection, ...] | None = None
        self._codes: dict[str, _CodeInfo] = {}
        self._hashes: tuple[str, ...] = ()

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reload(self) -> None:
        """Forget the cached corpus and codebooks (after editing transcripts or codebooks)."""
        self._corpus = None
        self._spans = None
        self._codebooks = None
        self._codes = {}

    @property
    def name(self) -> str:
        """The project folder's name."""
        return self.root.resolve().name

    @property
    def corpus_path(self) -> Path:
        """The corpus folder, resolved against the project folder."""
        p = Path(self.config.corpus)
        return p if p.is_absolute() else self.root / p

    @property
    def corpus(self) -> Corpus:
        """The project's corpus, read on first use and then cached."""
        if self._corpus is None:
            self._corpus = read_corpus(self.corpus_path, **dict(self.config.corpus_options))
            self._spans = None
        return self._corpus

    @property
    def codebooks(self) -> tuple[Codebook | Selection, ...]:
        """The project's codebooks, read on first use and then cached."""
        if self._codebooks is None:
            books, hashes, codes = [], [], {}
            for spec in self.config.codebooks:
                book, digest, all_codes = _load_codebook(spec, self.root)
                books.append(book)
                hashes.append(digest)
                for code in all_codes:
                    codes[code.ref] = _CodeInfo(code, code.ref.split("/", 1)[0], digest)
            self._codebooks, self._hashes, self._codes = tuple(books), tuple(hashes), codes
        return self._codebooks

    def codes(self) -> pd.DataFrame:
        """Every code of the project's codebooks: ref, codebook, path, label, colour, depth.

        Empty when the project has no codebooks (then any code reference is accepted).
        """
        self.codebooks  # noqa: B018 - loads self._codes
        rows = [(ref, i.codebook, i.code.path, i.code.label, i.code.colour,
                 i.code.path.count("/") + 1) for ref, i in self._codes.items()]
        return pd.DataFrame(rows, columns=["ref", "codebook", "path", "label", "colour",
                                           "depth"]).astype(
            {"ref": "string", "codebook": "string", "path": "string", "label": "string",
             "colour": "string", "depth": "int64"})

    def _span_index(self) -> _Spans:
        corpus = self.corpus
        if self._spans is None:
            self._spans = _Spans(corpus)
        return self._spans

    # -- validation helpers ---------------------------------------------------------------
    def _document(self, doc: str, problems: list[str]) -> Document | None:
        try:
            return self.corpus.document(str(doc))
        except KeyError:
            ids = self.corpus.doc_ids
            close = difflib.get_close_matches(str(doc), ids, n=3)
            hint = (f"did you mean {', '.join(close)}?" if close
                    else f"ids look like {', '.join(ids[:3])}")
            problems.append(f"no document {doc!r} in the corpus; {hint}")
            return None

    def _check_code(self, code: str, problems: list[str]) -> None:
        if not isinstance(code, str) or not code.strip():
            problems.append(f"code must be a non-empty code reference, not {code!r}")
            return
        self.codebooks  # noqa: B018 - loads self._codes
        if self._codes and code not in self._codes:
            close = difflib.get_close_matches(code, list(self._codes), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else (
                f"codes look like {', '.join(list(self._codes)[:3])}")
            books = ", ".join(b.id for b in self.codebooks)
            problems.append(f"code {code!r} is not in the project's codebooks ({books}); "
                            f"{hint}")

    @staticmethod
    def _check_coder(coder: object, problems: list[str]) -> None:
        if not isinstance(coder, str) or not coder.strip():
            problems.append(f"coder must be a non-empty name, not {coder!r}")

    @staticmethod
    def _check_origin(origin: object, problems: list[str]) -> None:
        if origin not in ORIGINS:
            problems.append(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")

    @staticmethod
    def _check_offsets(doc: Document | None, start: object, end: object,
                       problems: list[str]) -> tuple[int, int]:
        try:
            if isinstance(start, bool) or isinstance(end, bool):
                raise TypeError
            s, e = operator.index(start), operator.index(end)
        except TypeError:
            problems.append(f"start and end must be whole numbers, not {start!r} and {end!r}")
            return -1, -1
        if s < 0:
            problems.append(f"start {s} is negative")
        if e <= s:
            problems.append(f"start {s} must be before end {e}")
        if doc is not None and e > len(doc.text):
            problems.append(f"end {e} is past the end of {doc.id} ({len(doc.text)} characters)")
        return s, e

    def _codebook_hash(self, code: str) -> str:
        self.codebooks  # noqa: B018 - loads self._codes
        info = self._codes.get(code)
        return info.codebook_hash if info else ""

    # -- coding ---------------------------------------------------------------------------
    def code(self, doc: str, start: int, end: int, code: str, coder: str,
             memo: str | None = None, origin: str = "human") -> int:
        """Code ``document.text[start:end]`` with ``code`` and return the coding id.

        Parameters
        ----------
        doc : str
            Document id (or its corpus-relative path).
        start, end : int
            0-based, end-exclusive code-point offsets into the document's text.
        code : str
            Full code reference, e.g. ``"scoping-study/power"``.
        coder : str
            Who is coding.
        memo : str, optional
            A note on this coding.
        origin : {"human", "suggestion-accepted", "suggestion", "auto"}
            How the coding was made.

        Returns
        -------
        int
            The coding id. Coding the same span with the same code twice returns the first
            coding's id (and sets its memo when one is given).

        Raises
        ------
        ProjectError
            Listing every problem: unknown document or code, offsets outside the text or
            not ``start < end``, empty coder, unknown origin.

        Examples
        --------
        >>> cid = project.code("p01", 0, 42, "scoping-study/power", coder="ana",
        ...                    memo="line manager as mentor")   # doctest: +SKIP
        """
        problems: list[str] = []
        document = self._document(doc, problems)
        s, e = self._check_offsets(document, start, end, problems)
        self._check_code(code, problems)
        self._check_coder(coder, problems)
        self._check_origin(origin, problems)
        if problems:
            raise ProjectError(f"cannot code {doc!r} [{start}:{end}] as {code!r}", problems)
        assert document is not None
        values = {"doc_id": document.id, "doc_sha256": document.sha256, "start_offset": s,
                  "end_offset": e, "text": document.text[s:e], "code": code, "coder": coder,
                  "origin": origin, "memo": memo or "",
                  "codebook_hash": self._codebook_hash(code)}
        cid, created = self.store.add_coding(values, actor=coder)
        if not created and memo is not None:
            self.store.set_coding_memo(cid, memo, actor=coder)
        return cid

    def uncode(self, coding_id: int | Iterable[int] | None = None, *, doc: str | None = None,
               start: int | None = None, end: int | None = None, code: str | None = None,
               coder: str | None = None, by: str | None = None) -> int:
        """Remove codings, by id or by span; return how many were removed.

        Parameters
        ----------
        coding_id : int or iterable of int, optional
            The coding(s) to remove.
        doc, start, end, code, coder : optional
            Instead of an id: remove ``coder``'s coding of that span with that code (all
            five are needed).
        by : str, optional
            Who removes them (whose undo takes it back); defaults to ``coder`` or, for
            removal by id, to the coder of the first coding.

        Examples
        --------
        >>> project.uncode(cid)                                      # doctest: +SKIP
        1
        >>> project.uncode(doc="p01", start=0, end=42, code="scoping-study/power",
        ...                coder="ana")                              # doctest: +SKIP
        1
        """
        if coding_id is not None:
            ids = ([operator.index(coding_id)] if not isinstance(coding_id, Iterable)
                   else [operator.index(i) for i in coding_id])
            rows = [self.store.coding(i) for i in ids]
            missing = [str(i) for i, r in zip(ids, rows, strict=True) if r is None]
            if missing:
                raise ProjectError(f"no coding with id {', '.join(missing)}")
            if not ids:
                return 0
            actor = by or str(rows[0]["coder"])  # type: ignore[index]
        else:
            given = {"doc": doc, "start": start, "end": end, "code": code, "coder": coder}
            lacking = [k for k, v in given.items() if v is None]
            if lacking:
                raise ProjectError(f"uncode needs a coding id, or doc, start, end, code and "
                                   f"coder; missing {', '.join(lacking)}")
            doc_id = self._doc_id(str(doc))
            ids = self.store.find_coding_ids(doc_id=doc_id, start=start, end=end, code=code,
                                             coder=coder)
            if not ids:
                raise ProjectError(f"{coder!r} has no coding of {doc_id!r} [{start}:{end}] as "
                                   f"{code!r}")
            actor = by or str(coder)
        return self.store.remove_codings(ids, actor=actor)

    def _doc_id(self, doc: str) -> str:
        """The doc_id of ``doc`` (an id or path); unknown ones are returned as given, since
        codings of documents that have left the corpus can still be addressed."""
        try:
            return self.corpus.document(doc).id
        except KeyError:
            return doc

    def add_auto_codings(self, codings: pd.DataFrame, *, coder: str = AUTO_CODER,
                         origin: str = "auto", codebook_hash: str | None = None) -> int:
        """Store an auto-coder result, replacing earlier results of the same codebook.

        Parameters
        ----------
        codings : DataFrame
            The auto-coder's codings table (:data:`cmqual.tables.CODING_COLUMNS`; needs
            doc_id, start, end, text, code and codebook_hash; level and pattern are kept).
        coder : str
            Name to store them under (default ``"cmqual-auto"``).
        origin : {"auto", "suggestion"}
            ``suggestion`` for machine suggestions a person should review.
        codebook_hash : str, optional
            Also replace the codings stored for this codebook hash: needed when the new
            result is empty, so earlier codings of that codebook are still removed.

        Returns
        -------
        int
            Number of codings stored.

        Raises
        ------
        ProjectError
            Listing every row that names an unknown document or code, has offsets outside
            its document, or whose text is not the document's text at its offsets (it was
            made on another version of the corpus).

        Examples
        --------
        >>> project.add_auto_codings(apply_codebook(project.corpus, book))  # doctest: +SKIP
        """
        require_columns(codings, ["doc_id", "start", "end", "text", "code", "codebook_hash"],
                        "auto codings table")
        problems: list[str] = []
        self._check_coder(coder, problems)
        if origin not in AUTO_ORIGINS:
            problems.append(f"origin must be one of {', '.join(AUTO_ORIGINS)}, not {origin!r}")
        rows = []
        get = {c: (codings[c].tolist() if c in codings.columns else [""] * len(codings))
               for c in ("doc_id", "start", "end", "text", "code", "codebook_hash", "level",
                         "pattern")}
        for i in range(len(codings)):
            row_problems: list[str] = []
            doc = self._document(str(get["doc_id"][i]), row_problems)
            s, e = self._check_offsets(doc, get["start"][i], get["end"][i], row_problems)
            code = str(get["code"][i])
            self._check_code(code, row_problems)
            if doc is not None and not row_problems and doc.text[s:e] != get["text"][i]:
                row_problems.append(f"text {_short(get['text'][i])!r} is not the document's "
                                    f"text at [{s}:{e}] ({_short(doc.text[s:e])!r}); was it "
                                    "made on another version of the corpus?")
            problems += [f"row {i}: {p}" for p in row_problems]
            if not row_problems and doc is not None:
                rows.append({"doc_id": doc.id, "doc_sha256": doc.sha256, "start_offset": s,
                             "end_offset": e, "text": doc.text[s:e], "code": code,
                             "level": _str(get["level"][i]), "pattern": _str(get["pattern"][i]),
                             "codebook_hash": _str(get["codebook_hash"][i])})
        if problems:
            raise ProjectError(f"cannot store {len(codings)} auto codings", problems)
        hashes = {r["codebook_hash"] for r in rows}
        if codebook_hash is not None:
            hashes.add(codebook_hash)
        _, added = self.store.replace_auto_codings(rows, coder=coder, origin=origin,
                                                   codebook_hashes=hashes)
        return added

    # -- learned suggestions --------------------------------------------------------------
    def suggest(self, coder: str, codes: str | Sequence[str] | None = None,
                **options: object) -> Suggestions:
        """Learn codes from ``coder``'s codings and propose them for segments not yet coded.

        A shortcut for :func:`cmqual.suggest.suggest`, which documents the options
        (``level``, ``threshold``, ``min_positives``, ``speakers``, ``patterns``, ``store``,
        ``random_state``). Suggestions are stored apart from human codings (origin
        ``suggestion``); the coding widget shows them.

        Examples
        --------
        >>> project.suggest("alice", threshold=0.6).models           # doctest: +SKIP
        """
        from cmqual.suggest import suggest

        return suggest(self, coder, codes, **options)  # type: ignore[arg-type]

    # -- reading codings ------------------------------------------------------------------
    def codings(self, coder: str | Collection[str] | None = None,
                origin: str | Collection[str] | None = None, include_auto: bool = True, *,
                doc: str | None = None, code: str | None = None,
                level: str = "turn") -> pd.DataFrame:
        """The stored codings as a table, sorted by document and position.

        Parameters
        ----------
        coder, origin : str or collection of str, optional
            Keep only these coders / origins.
        include_auto : bool
            False drops machine-made codings (origins ``auto`` and ``suggestion``).
        doc, code : str, optional
            Keep only one document (id or path) / one code reference.
        level : {"turn", "paragraph", "sentence"}
            Level whose containing segment fills ``segment_id`` for human codings (auto
            codings keep the level they were made at).

        Returns
        -------
        DataFrame
            Columns :data:`PROJECT_CODING_COLUMNS`: the auto-coder's table (doc_id, doc,
            segment_id, level, start, end, text, code, pattern, speaker, coder,
            codebook_hash) plus coding_id, origin, memo, created, modified, stale.
            ``segment_id`` is "" when no segment of the level holds the whole coding;
            ``speaker`` joins the speakers of every turn the coding overlaps with "; ".
            ``text`` is the quote as stored at coding time. A *stale* coding's document has
            changed (or gone) since: its offsets refer to the old text, so its segment and
            speaker are left blank; a :class:`CmqualWarning` says how many there are.

        Examples
        --------
        >>> project.codings(coder="ana", include_auto=False)      # doctest: +SKIP
        """
        if level not in LEVELS:
            raise ProjectError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        origins = _as_list(origin)
        if not include_auto:
            origins = [o for o in (origins or ORIGINS) if o not in AUTO_ORIGINS]
        raw = self.store.codings_frame(
            coders=_as_list(coder), origins=origins,
            doc_ids=None if doc is None else [self._doc_id(doc)],
            codes=None if code is None else [code])
        table = self._enrich(raw, level)
        n_stale = int(table["stale"].sum())
        if n_stale:
            warnings.warn(
                f"{n_stale} coding(s) refer to an older version of their document's text; "
                "they are marked stale (see project.stale_codings())",
                CmqualWarning, stacklevel=2)
        return table

    def _enrich(self, raw: pd.DataFrame, level: str, *,
                with_turns: bool = False) -> pd.DataFrame:
        corpus = self.corpus
        spans = self._span_index()
        docs: dict[str, Document | None] = {}
        out: dict[str, list] = {k: [] for k in ("doc", "segment_id", "level", "speaker",
                                                "stale", "timestamp")}
        nan = float("nan")
        for r in raw.itertuples(index=False):
            if r.doc_id not in docs:
                docs[r.doc_id] = corpus.document(r.doc_id) if r.doc_id in corpus else None
            d = docs[r.doc_id]
            stale = d is None or d.sha256 != r.doc_sha256
            lvl = r.level or level
            out["doc"].append(d.path if d is not None else "")
            out["level"].append(lvl)
            out["stale"].append(stale)
            if stale:
                out["segment_id"].append("")
                out["speaker"].append("")
                out["timestamp"].append(nan)
                continue
            out["segment_id"].append(spans.segment_id(r.doc_id, lvl, r.start, r.end))
            speaker, timestamp = spans.turns(r.doc_id, r.start, r.end)
            out["speaker"].append(speaker)
            out["timestamp"].append(timestamp)
        table = raw.copy()
        for key, values in out.items():
            table[key] = pd.Series(values, index=raw.index, dtype=object)
        columns = list(PROJECT_CODING_COLUMNS) + (["timestamp"] if with_turns else [])
        dtypes = {**PROJECT_CODING_COLUMNS, "timestamp": "float64"}
        table = table[columns].astype({c: dtypes[c] for c in columns})
        table = table.sort_values(["doc_id", "start", "end", "code", "coder", "origin",
                                   "coding_id"], kind="mergesort")
        return table.reset_index(drop=True)

    def stale_codings(self) -> pd.DataFrame:
        """Codings whose document text has changed or which left the corpus.

        Returns
        -------
        DataFrame
            The :meth:`codings` columns plus ``reason`` (``"document text changed"`` or
            ``"document not in corpus"``) and ``text_now`` (the current text at the old
            offsets, "" when there is none), so a person can decide what to do: re-code and
            :meth:`uncode` the old one. cmqual never moves them itself.
        """
        versions = self.store.doc_versions()
        stale_docs = [d for d, sha, _ in versions if d not in self.corpus
                      or self.corpus.document(d).sha256 != sha]
        raw = self.store.codings_frame(doc_ids=sorted(set(stale_docs)))
        table = self._enrich(raw, "turn")
        table = table[table["stale"]].reset_index(drop=True)
        reasons, now = [], []
        for r in table.itertuples(index=False):
            if r.doc_id in self.corpus:
                reasons.append("document text changed")
                now.append(self.corpus.texts[r.doc_id][r.start:r.end])
            else:
                reasons.append("document not in corpus")
                now.append("")
        table["reason"] = pd.Series(reasons, dtype="string")
        table["text_now"] = pd.Series(now, dtype="string")
        return table

    def n_stale(self) -> int:
        """Number of stale codings (cheap: compares document hashes only)."""
        return sum(n for d, sha, n in self.store.doc_versions()
                   if d not in self.corpus or self.corpus.document(d).sha256 != sha)

    def coders(self) -> list[str]:
        """Everyone who has coded, written a memo, rejected a suggestion or saved a
        position, sorted."""
        return self.store.coders()

    def documents(self) -> pd.DataFrame:
        """The corpus's documents table plus ``n_codings`` (human-made) and ``n_auto``."""
        docs = self.corpus.documents.copy()
        counts = self.store.codings_frame()[["doc_id", "origin"]]
        auto = counts["origin"].isin(AUTO_ORIGINS)
        human = counts[~auto].groupby("doc_id").size()
        machine = counts[auto].groupby("doc_id").size()
        docs["n_codings"] = docs["doc_id"].map(human).fillna(0).astype("int64")
        docs["n_auto"] = docs["doc_id"].map(machine).fillna(0).astype("int64")
        return docs

    # -- memos ----------------------------------------------------------------------------
    def memo(self, text: str, *, coder: str, code: str | None = None,
             doc: str | None = None, coding: int | None = None) -> None:
        """Write a memo on the project, a code, a document or one coding.

        One memo per coder and target: writing again replaces it, ``text=""`` deletes it.
        Give at most one of ``code``, ``doc`` and ``coding``; none means the project.

        Examples
        --------
        >>> project.memo("Resourcing talk clusters in FE.", coder="ana",
        ...              code="scoping-study/resourcing")          # doctest: +SKIP
        >>> project.memo("Check the date in line 4.", coder="ana", doc="p01")  # doctest: +SKIP
        """
        problems: list[str] = []
        self._check_coder(coder, problems)
        if not isinstance(text, str):
            problems.append(f"memo text must be a string, not {type(text).__name__}")
        targets = [k for k, v in (("code", code), ("doc", doc), ("coding", coding))
                   if v is not None]
        if len(targets) > 1:
            problems.append(f"give one memo target, not {' and '.join(targets)}")
        if problems:
            raise ProjectError("cannot write the memo", problems)
        if coding is not None:
            if self.store.coding(coding) is None:
                raise ProjectError(f"no coding with id {coding}")
            self.store.set_coding_memo(coding, text, actor=coder)
        elif code is not None:
            self._check_code(code, problems)
            if problems:
                raise ProjectError("cannot write the memo", problems)
            self.store.set_memo("code", code, coder, text)
        elif doc is not None:
            document = self._document(doc, problems)
            if document is None:
                raise ProjectError("cannot write the memo", problems)
            self.store.set_memo("document", document.id, coder, text)
        else:
            self.store.set_memo("project", "", coder, text)

    def memos(self, coder: str | None = None, kind: str | None = None) -> pd.DataFrame:
        """Memos on the project, codes and documents (coding memos are in :meth:`codings`).

        Columns: memo_id, coder, target_kind (project, code, document), target, text,
        created, modified.
        """
        frame = self.store.memos_frame(coders=_as_list(coder), target_kinds=_as_list(kind))
        return frame.astype(MEMO_COLUMNS)

    # -- rejected suggestions -------------------------------------------------------------
    def reject(self, doc: str, hits: Iterable[tuple[int, int, str]], *, coder: str) -> int:
        """Record that ``coder`` rejects suggestion hits in a document, so they are not
        suggested to them again.

        Parameters
        ----------
        doc : str
            Document id (or its corpus-relative path).
        hits : iterable of (int, int, str)
            The rejected hits as ``(start, end, code)``: 0-based, end-exclusive code-point
            offsets into the document's text and the code suggested there. The quote is
            taken from the text, with the text's SHA-256.
        coder : str
            Who rejects them.

        Returns
        -------
        int
            Rejections added, all in one transaction that ``undo(coder)`` takes back. A hit
            the coder has already rejected in this version of the text is not added again.

        Raises
        ------
        ProjectError
            Listing every problem: unknown document or code, offsets outside the text or
            not ``start < end``, a hit that is not ``(start, end, code)``, empty coder.

        Examples
        --------
        >>> project.reject("p01", [(72, 77, "scoping-study/resourcing")],
        ...                coder="ana")                               # doctest: +SKIP
        1
        >>> project.undo("ana").action.kind                          # doctest: +SKIP
        'reject'
        """
        problems: list[str] = []
        self._check_coder(coder, problems)
        document = self._document(doc, problems)
        rows = []
        for i, hit in enumerate(hits):
            if isinstance(hit, str) or not isinstance(hit, Sequence) or len(hit) != 3:
                problems.append(f"hit {i}: must be (start, end, code), not {hit!r}")
                continue
            start, end, code = hit
            hit_problems: list[str] = []
            s, e = self._check_offsets(document, start, end, hit_problems)
            self._check_code(code, hit_problems)
            problems += [f"hit {i}: {p}" for p in hit_problems]
            if document is not None and not hit_problems:
                rows.append({"doc_id": document.id, "doc_sha256": document.sha256,
                             "start_offset": s, "end_offset": e, "code": code,
                             "text": document.text[s:e]})
        if problems:
            raise ProjectError(f"cannot record the rejection of suggestions in {doc!r}",
                               problems)
        return self.store.add_rejections(rows, coder=coder) if rows else 0

    def rejections(self, coder: str | Collection[str] | None = None) -> pd.DataFrame:
        """The suggestion hits coders have rejected that still apply.

        A rejection applies to the text it was made on: once a document's text changes (or
        the document leaves the corpus), its earlier rejections are left out, so the hits
        are suggested again. The store keeps them
        (:meth:`cmqual.store.Store.rejections_frame`).

        Parameters
        ----------
        coder : str or collection of str, optional
            Keep only these coders' rejections.

        Returns
        -------
        DataFrame
            Columns :data:`cmqual.store.REJECTION_COLUMNS`: rejection_id, coder, doc_id,
            doc_sha256, start, end, code, text (the quote), created (UTC ISO 8601); sorted
            by document, position, code and coder.

        Examples
        --------
        >>> project.rejections("ana")[["doc_id", "start", "end", "code"]]  # doctest: +SKIP
        """
        raw = self.store.rejections_frame(coders=_as_list(coder))
        current = {d.id: d.sha256 for d in self.corpus}
        applies = np.asarray([current.get(d) == sha for d, sha in
                              zip(raw["doc_id"], raw["doc_sha256"], strict=True)], dtype=bool)
        table = raw[applies].sort_values(["doc_id", "start", "end", "code", "coder"],
                                         kind="mergesort")
        return table.reset_index(drop=True).astype(REJECTION_COLUMNS)

    # -- undo and the audit trail ---------------------------------------------------------
    def undo(self, coder: str) -> UndoResult | None:
        """Undo ``coder``'s most recent action (code, uncode, memo, reject, recode, merge,
        rename, import); other coders' actions are never touched.

        Returns ``None`` when the coder has nothing left to undo. Rows someone changed
        after the action are left as they are, with a :class:`CmqualWarning`.

        Examples
        --------
        >>> project.undo("ana").action.kind                          # doctest: +SKIP
        'code'
        """
        result = self.store.undo(coder)
        if result is not None and result.skipped:
            warnings.warn(
                f"undo of {coder}'s {result.action.kind} left {len(result.skipped)} row(s) "
                f"alone: {'; '.join(result.skipped)}", CmqualWarning, stacklevel=2)
        return result

    def actions(self, coder: str | None = None) -> pd.DataFrame:
        """The audit trail, oldest first: action_id, coder, kind, detail (JSON), created,
        undoable, undone_by."""
        return self.store.actions_frame(coder)

    # -- reorganising codes ---------------------------------------------------------------
    def _moves(self, mapping: Mapping[str, str], *, coders: Collection[str] | None = None,
               coding_ids: Collection[int] | None = None) -> dict[int, str]:
        raw = self.store.codings_frame(codes=sorted(mapping), coders=coders,
                                       origins=_HUMAN_ORIGINS,
                                       coding_ids=coding_ids)
        return {int(i): mapping[c] for i, c in zip(raw["coding_id"], raw["code"], strict=True)}

    def _check_sources(self, sources: Iterable[str], used: Collection[str],
                       problems: list[str]) -> None:
        self.codebooks  # noqa: B018 - loads self._codes
        code_memos = set(self.store.memos_frame(target_kinds=["code"])["target"])
        for s in sources:
            if s not in used and s not in code_memos and s not in self._codes:
                problems.append(f"no coding or memo uses code {s!r}, and it is not in the "
                                "project's codebooks")

    def recode(self, from_code: str, to_code: str, *, coder: str,
               coding_ids: Collection[int] | None = None, all_coders: bool = False) -> int:
        """Move codings from one code to another; return how many moved.

        By default only ``coder``'s own codings move (coders' codings stay independent for
        reliability); ``all_coders=True`` moves everyone's, ``coding_ids`` only those.
        Automatic codings never move: re-run the auto-coder instead. Undo with
        ``undo(coder)``.

        Examples
        --------
        >>> project.recode("scoping-study/power", "scoping-study/assessment",
        ...                coder="ana")                              # doctest: +SKIP
        3
        """
        problems: list[str] = []
        self._check_code(to_code, problems)
        self._check_coder(coder, problems)
        if problems:
            raise ProjectError(f"cannot recode {from_code!r} as {to_code!r}", problems)
        moves = self._moves({from_code: to_code}, coders=None if all_coders else [coder],
                            coding_ids=coding_ids)
        if coding_ids is not None:
            wrong = sorted(set(map(int, coding_ids)) - set(moves))
            if wrong:
                raise ProjectError(
                    f"cannot recode: coding(s) {', '.join(map(str, wrong))} are not "
                    f"{'' if all_coders else coder + chr(39) + 's '}human codings of "
                    f"{from_code!r}")
        if not moves:
            who = "anyone" if all_coders else repr(coder)
            raise ProjectError(f"{who} has no codings of {from_code!r} to recode")
        return self.store.move_codings(moves, actor=coder, kind="recode",
                                       detail={"from": from_code, "to": to_code})

    def merge_codes(self, codes: Iterable[str], into: str, *, coder: str) -> int:
        """Merge codes into one: every coder's codings and code memos move to ``into``.

        A coding that would duplicate one its coder already has on ``into`` is dropped and
        its memo appended to the other's. Return the number of codings affected; undo with
        ``undo(coder)``.

        Examples
        --------
        >>> project.merge_codes(["cb/money", "cb/funding"], "cb/resourcing",
        ...                     coder="lead")                        # doctest: +SKIP
        """
        sources = list(dict.fromkeys(codes))
        problems: list[str] = []
        self._check_code(into, problems)
        self._check_coder(coder, problems)
        if into in sources:
            problems.append(f"cannot merge {into!r} into itself")
        if not sources:
            problems.append("give at least one code to merge")
        mapping = {s: into for s in sources if s != into}
        moves = self._moves(mapping)
        self._check_sources(mapping, set(self.store.codings_frame(
            codes=sorted(mapping))["code"]), problems)
        if problems:
            raise ProjectError(f"cannot merge {', '.join(map(repr, sources))} into {into!r}",
                               problems)
        return self.store.move_codings(moves, actor=coder, kind="merge",
                                       detail={"codes": sources, "into": into},
                                       memo_moves=mapping)

    def rename_code(self, old: str, new: str, *, coder: str) -> int:
        """Rename a code reference in every coding and code memo, children included.

        Use it after renaming or moving a code in a codebook: ``cb/power`` → ``cb/control``
        also moves ``cb/power/line_management`` to ``cb/control/line_management``. The new
        references must exist in the project's codebooks (when it has any). Return the
        number of codings renamed; undo with ``undo(coder)``.
        """
        problems: list[str] = []
        self._check_coder(coder, problems)
        if old == new:
            problems.append("old and new names are the same")
        raw = self.store.codings_frame()
        memo_targets = set(self.store.memos_frame(target_kinds=["code"])["target"])
        used = (set(raw["code"]) | memo_targets)
        mapping = {c: new + c[len(old):] for c in sorted(used)
                   if c == old or c.startswith(old + "/")}
        for target in sorted(set(mapping.values()) | {new}):
            self._check_code(target, problems)
        self._check_sources([old], used, problems)
        if problems:
            raise ProjectError(f"cannot rename {old!r} to {new!r}", problems)
        moves = self._moves(mapping)
        return self.store.move_codings(moves, actor=coder, kind="rename",
                                       detail={"from": old, "to": new}, memo_moves=mapping)

    # -- positions ------------------------------------------------------------------------
    def set_position(self, coder: str, segment_id: str | None = None, *,
                     doc: str | None = None, start: int | None = None) -> None:
        """Save where ``coder`` is, so the next session resumes there.

        Give a segment id, or a document (and optionally an offset).

        Examples
        --------
        >>> project.set_position("ana", "3f9c0e1d2b4a5c6d")          # doctest: +SKIP
        >>> project.position("ana").segment_id                       # doctest: +SKIP
        '3f9c0e1d2b4a5c6d'
        """
        problems: list[str] = []
        self._check_coder(coder, problems)
        if segment_id is not None:
            try:
                seg = self.corpus.segment(segment_id)
            except KeyError as exc:
                problems.append(str(exc).strip("\"'"))
            else:
                doc, start = seg.doc_id, seg.start
        elif doc is None:
            problems.append("give a segment_id or a doc")
        document = self._document(doc, problems) if doc is not None and not problems else None
        if document is not None and start is not None and not 0 <= start <= len(document.text):
            problems.append(f"start {start} is outside {document.id} "
                            f"(0-{len(document.text)})")
        if problems or document is None:
            raise ProjectError(f"cannot save the position of {coder!r}", problems)
        self.store.set_position(coder, document.id, segment_id or "", start)

    def position(self, coder: str) -> Position | None:
        """Where ``coder`` was last (see :meth:`set_position`), or ``None``.

        If the document has changed since, the segment id no longer exists in the corpus;
        resume from ``doc_id`` and ``start`` then.
        """
        return self.store.position(coder)

    # -- quotes table ---------------------------------------------------------------------
    def quotes(self, *, include_auto: bool = True, include_times: bool = False) -> pd.DataFrame:
        """The codings as the one-row-per-quote table (see :mod:`cmqual.io.quotes`)."""
        from cmqual.io.quotes import quotes_table

        raw = self.store.codings_frame(
            origins=None if include_auto else list(_HUMAN_ORIGINS))
        table = self._enrich(raw, "turn", with_turns=True)
        self.codebooks  # noqa: B018 - loads self._codes
        labels = {ref: info.code.label for ref, info in self._codes.items()}
        return quotes_table(table, self.corpus.documents, code_labels=labels,
                            include_times=include_times)

    def export_quotes(self, path: str | Path, *, include_auto: bool = True,
                      include_times: bool = False) -> Path:
        """Write :meth:`quotes` to ``.csv`` or ``.xlsx`` (atomically, rows sorted).

        Examples
        --------
        >>> project.export_quotes("outputs/quotes.xlsx")             # doctest: +SKIP
        """
        from cmqual.io.quotes import write_quotes

        n = self.n_stale()
        if n:
            warnings.warn(f"{n} stale coding(s) exported; their 'stale' column is TRUE",
                          CmqualWarning, stacklevel=2)
        return write_quotes(self.quotes(include_auto=include_auto,
                                        include_times=include_times), path)

    def import_quotes(self, source: str | Path | pd.DataFrame) -> ImportResult:
        """Add the codings of a one-row-per-quote table (CSV or XLSX), all or nothing.

        Rows already in the store (same document, offsets, code and coder) are left alone,
        except that an edited ``memo`` cell updates the memo; so an exported table, edited
        and re-imported, adds exactly the new rows.

        Raises
        ------
        ProjectError
            Listing every problem at once, each with row number and column: unknown
            document or code, bad or out-of-range offsets, a quote that differs from the
            text at its offsets or that cannot be found exactly once, a bad origin.
            Nothing is written then.

        Examples
        --------
        >>> project.import_quotes("from_colleague.xlsx")             # doctest: +SKIP
        ImportResult(added=12, unchanged=40, memos_updated=1)
        """
        from cmqual.io.quotes import normalise_header, read_quotes, resolve_quotes

        table = source if isinstance(source, pd.DataFrame) else read_quotes(source)
        corpus = self.corpus
        lookup = {d.id: d.id for d in corpus}
        lookup.update({d.path: d.id for d in corpus})
        raw = self.store.codings_frame()
        known = {(r.doc_id, r.start, r.end, r.code, r.coder): (r.coding_id, r.text, r.memo)
                 for r in raw.itertuples(index=False)}
        self.codebooks  # noqa: B018 - loads self._codes
        rows = resolve_quotes(table, texts=corpus.texts, documents=lookup,
                              codes=set(self._codes) or None,
                              known={k: v[1] for k, v in known.items()})
        new, memo_updates, unchanged = [], {}, 0
        has_memo = "memo" in {normalise_header(c) for c in table.columns}
        for row in rows:
            key = (row.doc_id, row.start, row.end, row.code, row.coder)
            if key in known:
                unchanged += 1
                cid, _, memo = known[key]
                if has_memo and row.memo != memo:
                    memo_updates[cid] = row.memo
                continue
            doc = corpus.document(row.doc_id)
            new.append({"doc_id": doc.id, "doc_sha256": doc.sha256, "start_offset": row.start,
                        "end_offset": row.end, "text": doc.text[row.start:row.end],
                        "code": row.code, "coder": row.coder, "origin": row.origin,
                        "memo": row.memo, "codebook_hash": self._codebook_hash(row.code)})
        added, updated = self.store.import_codings(new, memo_updates)
        return ImportResult(added, unchanged, updated)

    # -- summaries ------------------------------------------------------------------------
    def status(self) -> pd.DataFrame:
        """A summary (measure, value): corpus, codebooks, codings per coder and origin,
        memos and stale codings. Warns when there are stale codings.

        Examples
        --------
        >>> print(project.status().to_string(index=False))          # doctest: +SKIP
        """
        counts = self.store.counts()
        human = [(c, n) for o, c, n in counts if o not in AUTO_ORIGINS]
        per_coder: dict[str, int] = {}
        for c, n in human:
            per_coder[c] = per_coder.get(c, 0) + n
        rows: list[tuple[str, object]] = [
            ("project", self.name),
            ("corpus", f"{self.config.corpus} ({len(self.corpus)} documents)"),
            ("codebooks", ", ".join(
                f"{b.id} ({_digest(h)})" for b, h in zip(self.codebooks, self._hashes,
                                                         strict=True))
             or "(none: any code reference is accepted)"),
            ("codings", sum(per_coder.values())),
        ]
        rows += [(f"  by {c}", n) for c, n in sorted(per_coder.items())]
        for origin in AUTO_ORIGINS:
            n = sum(n for o, _, n in counts if o == origin)
            rows.append((f"{origin} codings", n))
        if self._codes:
            used = self.store.codings_frame(origins=list(_HUMAN_ORIGINS))["code"]
            unknown = int((~used.isin(list(self._codes))).sum())
            rows.append(("codings of codes not in the codebooks", unknown))
        rows.append(("memos", len(self.store.memos_frame())))
        n_stale = self.n_stale()
        rows.append(("stale codings", n_stale))
        rows.append(("store schema", self.store.schema_version))
        if n_stale:
            warnings.warn(
                f"{n_stale} coding(s) refer to an older version of their document's text; "
                "review them with project.stale_codings()", CmqualWarning, stacklevel=2)
        return pd.DataFrame([(m, str(v)) for m, v in rows],
                            columns=["measure", "value"]).astype("string")

    def __repr__(self) -> str:
        return f"<Project {self.name!r} at {str(self.root)!r}: corpus {self.config.corpus!r}>"

    def _repr_html_(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CmqualWarning)
            try:
                status = self.status()
            except CmqualError as exc:
                return f"<pre>{html.escape(repr(self))}\n{html.escape(str(exc))}</pre>"
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(m)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for m, v in status.itertuples(index=False))
        return (f"<div><strong>cmqual project {html.escape(self.name)}</strong>"
                f"<table>{body}</table></div>")


# -- small helpers -------------------------------------------------------------------------
def _as_list(value: str | Collection[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _str(value: object) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _short(text: str, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _digest(value: str) -> str:
    return value[:12] if value else "no hash"

