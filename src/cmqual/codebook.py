"""Codebooks: the data model, loading from YAML, validation and composition.

A codebook is data, validated once at the edge (see ``read_codebook``). Codes form a tree;
a code's full reference is ``<codebook id>/<code path>``, e.g. ``scoping-study/power`` or
``scoping-study/power/line_management``.

The YAML schema (``codebooks/schema.json``) and the pattern language are documented with
worked examples in ``codebooks/README.md``. Several codebooks, or chosen codes of them,
are applied together as a :class:`Selection` (see :func:`select` and :func:`compose`);
``read_codebook("default")`` returns :data:`DEFAULT_SELECTION`.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import importlib.resources
import json
import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd
import yaml

from cmqual.errors import CmqualWarning, CodebookError, DecodeError, InputFileError
from cmqual.patterns import could_be_inside, parse_pattern

__all__ = [
    "DEFAULT_SELECTION",
    "Code",
    "Codebook",
    "Selection",
    "Source",
    "builtin_dirs",
    "codebook_hash",
    "codes_table",
    "compose",
    "from_dict",
    "get_code",
    "iter_codes",
    "list_codebooks",
    "read_codebook",
    "select",
    "to_dict",
    "write_codebook",
]

#: The five themes applied when no codebook is named (``read_codebook("default")``).
DEFAULT_SELECTION: tuple[str, ...] = (
    "scoping-study/resourcing",
    "scoping-study/assessment",
    "scoping-study/power",
    "scoping-study/formalisation",
    "equity-lens/deficit_language",
)

#: Environment variable naming a folder of codebooks searched before the built-ins.
CODEBOOKS_ENV = "CMQUAL_CODEBOOKS"
SPEAKER_SCOPES: tuple[str, ...] = ("all", "participants")

_SLUG = re.compile(r"^[a-z0-9_-]+$")
# libyaml's loader when PyYAML was built with it (same node marks, ~20x faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

CODEBOOK_FIELDS: tuple[str, ...] = ("id", "title", "version", "description", "sources", "codes")
SOURCE_FIELDS: tuple[str, ...] = ("id", "citation", "file")
CODE_FIELDS: tuple[str, ...] = (
    "id",
    "label",
    "definition",
    "include",
    "exclude",
    "examples",
    "near_misses",
    "patterns",
    "exclude_patterns",
    "speakers",
    "colour",
    "memo",
    "sources",
    "codes",
)
_CODE_TEXT = ("definition", "memo")
_CODE_LISTS = (
    "include",
    "exclude",
    "examples",
    "near_misses",
    "patterns",
    "exclude_patterns",
    "sources",
)


@dataclass(frozen=True)
class Source:
    """A document a codebook is grounded in.

    Attributes
    ----------
    id : str
        Short id used by codes' ``sources`` (e.g. ``seed-002``).
    citation : str
        Human-readable citation.
    file : str
        Optional file name of the source document.
    """

    id: str
    citation: str
    file: str = ""


@dataclass(frozen=True)
class Code:
    """One code (theme) of a codebook, with its children.

    ``path`` is the slash-joined ids from the top-level code down to this one
    (``power/line_management``); ``ref`` adds the codebook id in front.
    ``patterns`` and ``exclude_patterns`` hold pattern-language strings (see
    ``codebooks/README.md``); ``speakers`` is ``"all"`` or ``"participants"``.
    """

    id: str
    label: str
    path: str
    ref: str
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    speakers: str = "all"
    colour: str = ""
    memo: str = ""
    sources: tuple[str, ...] = ()
    codes: tuple[Code, ...] = field(default=())

    @property
    def depth(self) -> int:
        """1 for a top-level code, 2 for its children, and so on."""
        return self.path.count("/") + 1


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: metadata plus a tree of codes."""

    id: str
    title: str
    version: str
    description: str = ""
    sources: tuple[Source, ...] = ()
    codes: tuple[Code, ...] = ()

    def _repr_html_(self) -> str:
        name = html.escape(f"{self.id} {self.version}")
        head = f"<p><b>{html.escape(self.title)}</b> ({name})</p>"
        return head + codes_table(self).to_html(index=False)


@dataclass(frozen=True)
class Selection:
    """Several codebooks, or chosen codes of them, applied together.

    Codes keep the references of the codebook they come from
    (``equity-lens/deficit_language``), so codings from a selection can be compared with
    codings from the single codebook.

    Attributes
    ----------
    id, title : str
        Name of the selection (``default`` for :data:`DEFAULT_SELECTION`).
    codebooks : tuple of Codebook
        The codebooks codes are taken from, each id once.
    refs : tuple of str
        What is selected, in order: a codebook id (all its codes) or a code reference
        (that code with its descendants).
    """

    id: str
    title: str
    codebooks: tuple[Codebook, ...]
    refs: tuple[str, ...]
    description: str = ""

    @property
    def codes(self) -> tuple[Code, ...]:
        """The selected codes (each with its descendants), in the order selected."""
        by_ref = {c.ref: c for cb in self.codebooks for c in iter_codes(cb)}
        chosen: list[str] = []
        for ref in self.refs:
            if "/" in ref:
                chosen.append(ref)
            else:
                cb = next(cb for cb in self.codebooks if cb.id == ref)
                chosen.extend(c.ref for c in cb.codes)
        keep = [r for r in chosen if not any(r.startswith(o + "/") for o in chosen)]
        return tuple(by_ref[r] for r in dict.fromkeys(keep))

    @property
    def version(self) -> str:
        """Versions of the codebooks, e.g. ``scoping-study 1.2; equity-lens 0.3``."""
        return "; ".join(f"{cb.id} {cb.version}" for cb in self.codebooks)

    @property
    def sources(self) -> tuple[Source, ...]:
        """Sources of all codebooks (identical entries once)."""
        return tuple(dict.fromkeys(s for cb in self.codebooks for s in cb.sources))

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.title)}</b> ({html.escape(self.version)})</p>"
        return head + codes_table(self).to_html(index=False)


# --- traversal and provenance -----------------------------------------------------------


def iter_codes(codebook: Codebook | Selection) -> Iterator[Code]:
    """Yield every code depth-first, parents before children, in codebook order.

    Examples
    --------
    >>> [c.ref for c in iter_codes(cb)]  # doctest: +SKIP
    ['scoping-study/power', 'scoping-study/power/line_management', ...]
    """
    stack = list(reversed(codebook.codes))
    while stack:
        code = stack.pop()
        yield code
        stack.extend(reversed(code.codes))


def get_code(codebook: Codebook | Selection, ref: str) -> Code:
    """Return the code with full reference ``ref`` (raises CodebookError naming near refs)."""
    refs = {c.ref: c for c in iter_codes(codebook)}
    if ref in refs:
        return refs[ref]
    raise CodebookError(f"no code {ref!r} in {codebook.id!r}{_did_you_mean(ref, refs)}")


def codes_table(codebook: Codebook | Selection) -> pd.DataFrame:
    """One row per code: ref, label, depth, speakers, n_patterns, n_exclude_patterns."""
    rows = [
        {
            "ref": c.ref,
            "label": c.label,
            "depth": c.depth,
            "speakers": c.speakers,
            "n_patterns": len(c.patterns),
            "n_exclude_patterns": len(c.exclude_patterns),
        }
        for c in iter_codes(codebook)
    ]
    columns = ["ref", "label", "depth", "speakers", "n_patterns", "n_exclude_patterns"]
    return pd.DataFrame(rows, columns=columns)


def codebook_hash(codebook: Codebook | Selection) -> str:
    """Return the sha256 (hex) of the canonical JSON form of ``codebook``.

    The canonical form is :func:`to_dict` serialised with sorted keys, no insignificant
    whitespace and UTF-8, so the hash depends on content only: not on YAML layout,
    comments or key order. It travels with codings as provenance.
    """
    text = json.dumps(to_dict(codebook), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- dict form ---------------------------------------------------------------------------


def to_dict(codebook: Codebook | Selection) -> dict[str, Any]:
    """Return the canonical dict form (what the YAML holds; empty fields left out).

    ``from_dict(to_dict(cb)) == cb`` for every valid codebook or selection.
    """
    if isinstance(codebook, Selection):
        out: dict[str, Any] = {"id": codebook.id, "title": codebook.title}
        if codebook.description:
            out["description"] = codebook.description
        out["refs"] = list(codebook.refs)
        out["codebooks"] = [to_dict(cb) for cb in codebook.codebooks]
        return out
    out = {"id": codebook.id, "title": codebook.title, "version": codebook.version}
    if codebook.description:
        out["description"] = codebook.description
    if codebook.sources:
        out["sources"] = [
            {"id": s.id, "citation": s.citation, **({"file": s.file} if s.file else {})}
            for s in codebook.sources
        ]
    out["codes"] = [_code_to_dict(c) for c in codebook.codes]
    return out


def _code_to_dict(code: Code) -> dict[str, Any]:
    out: dict[str, Any] = {"id": code.id, "label": code.label}
    for name in CODE_FIELDS[2:-1]:
        value = getattr(code, name)
        if name == "speakers" and value == "all":
            continue
        if value:
            out[name] = list(value) if isinstance(value, tuple) else value
    if code.codes:
        out["codes"] = [_code_to_dict(c) for c in code.codes]
    return out


def from_dict(data: dict[str, Any], name: str = "<dict>") -> Codebook | Selection:
    """Build and validate a codebook (or selection) from its dict form.

    Every problem is collected into one :class:`CodebookError`; problems name the code
    reference and field (there are no line numbers for a dict).
    """
    if isinstance(data, dict) and "refs" in data and "codebooks" in data:
        return _selection_from_dict(data, name)
    return _load(data, name, {}, {})


def _selection_from_dict(data: dict[str, Any], name: str) -> Selection:
    codebooks = []
    for i, item in enumerate(data["codebooks"]):
        cb = _load(item, f"{name} codebooks[{i}]", {}, {})
        codebooks.append(cb)
    refs = data["refs"]
    return _make_selection(
        refs,
        codebooks,
        str(data.get("id", "selection")),
        str(data.get("title", "")),
        str(data.get("description", "")),
    )


# --- reading -----------------------------------------------------------------------------


def builtin_dirs() -> list[Path]:
    """Folders searched for built-in codebook ids, in order.

    1. the folder(s) named by ``$CMQUAL_CODEBOOKS`` (``os.pathsep``-separated);
    2. ``cmqual/_builtin_codebooks`` inside the installed package (the wheel ships the
       repository's ``codebooks/`` there);
    3. ``codebooks/`` of the source checkout (editable installs).
    """
    dirs: list[Path] = []
    env = os.environ.get(CODEBOOKS_ENV, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    try:
        packaged = importlib.resources.files("cmqual") / "_builtin_codebooks"
        if isinstance(packaged, Path):
            dirs.append(packaged)
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual installs
        pass
    dirs.append(Path(__file__).resolve().parents[2] / "codebooks")
    return [d for d in dirs if d.is_dir()]


def _builtin_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in builtin_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def list_codebooks() -> pd.DataFrame:
    """Return the built-in codebooks: id, title, version, n_codes, path (sorted by id).

    A file that fails validation is listed with empty title and a
    :class:`~cmqual.errors.CmqualWarning` naming its first problem.
    """
    rows = []
    for cid, path in sorted(_builtin_files().items()):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CmqualWarning)
                cb = read_codebook(path)
            row = {"title": cb.title, "version": cb.version, "n_codes": len(list(iter_codes(cb)))}
        except CodebookError as exc:
            first = exc.problems[0] if exc.problems else exc.summary
            warnings.warn(f"built-in codebook {path} is invalid: {first}", CmqualWarning, 2)
            row = {"title": "", "version": "", "n_codes": None}
        rows.append({"id": cid, **row, "path": str(path)})
    frame = pd.DataFrame(rows, columns=["id", "title", "version", "n_codes", "path"])
    return frame.astype(
        {
            "id": "string",
            "title": "string",
            "version": "string",
            "n_codes": "Int64",
            "path": "string",
        }
    )


def read_codebook(source: str | os.PathLike[str] | IO[str]) -> Codebook | Selection:
    """Read and validate a codebook from a YAML file, a text stream or a built-in id.

    Parameters
    ----------
    source : str, path or text stream
        A path to a ``.yaml`` file, an open text file, the id of a built-in codebook
        (searched as described in :func:`builtin_dirs`), or ``"default"`` for the
        :class:`Selection` of :data:`DEFAULT_SELECTION`.

    Returns
    -------
    Codebook or Selection

    Raises
    ------
    CodebookError
        Listing every problem, one per line, each naming ``file:line:column`` and the
        code and field concerned; or for an unknown id, listing the built-in ids.
    InputFileError
        If a path is given that does not exist.
    DecodeError
        If the file is not UTF-8 text.

    Warns
    -----
    CmqualWarning
        For exclusion patterns that can never overlap any of their code's patterns.

    Examples
    --------
    >>> cb = read_codebook("codebooks/scoping-study.yaml")  # doctest: +SKIP
    >>> cb = read_codebook("scoping-study")  # doctest: +SKIP
    """
    if hasattr(source, "read"):
        text = source.read()  # type: ignore[union-attr]
        name = str(getattr(source, "name", "<stream>"))
    else:
        if str(source) == "default":
            return select(*DEFAULT_SELECTION, id="default", title="Default selection")
        path = _resolve(source)
        name = str(path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{name}: not UTF-8 text (byte {exc.start}); save the codebook as UTF-8"
            ) from None
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    data, locs, keylocs = _parse_yaml(text, name)
    return _load(data, name, locs, keylocs)


def _resolve(source: str | os.PathLike[str]) -> Path:
    text = os.fspath(source)
    path = Path(text)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in text or os.sep in text
    if path.is_file():
        return path
    if path.exists():
        raise InputFileError(f"{text} is a folder; give a codebook .yaml file or a built-in id")
    if looks_like_path:
        raise InputFileError(f"codebook file {text} does not exist")
    files = _builtin_files()
    if text in files:
        return files[text]
    ids = [*sorted(files), "default"]
    raise CodebookError(
        f"unknown codebook {text!r}{_did_you_mean(text, ids)}; built-in codebooks: {', '.join(ids)}"
    )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


Location = tuple[int, int]


def _parse_yaml(text: str, name: str) -> tuple[Any, dict[tuple, Location], dict[tuple, Location]]:
    """Compose YAML into plain data, recording ``(line, column)`` of every node and key.

    Scalars are kept as the text written (``version: 1.10`` stays ``"1.10"``); every
    field of the schema is a string or a list of strings.
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        what = exc.problem or "invalid YAML"
        context = ""
        if exc.context:
            started = exc.context_mark
            at = (
                f" started at line {started.line + 1}, column {started.column + 1}"
                if started
                else ""
            )
            context = f" ({exc.context}{at})"
        raise CodebookError(f"{name}: not valid YAML", [f"{where}: {what}{context}"]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without marks
        raise CodebookError(f"{name}: not valid YAML", [f"{name}: {exc}"]) from None
    locs: dict[tuple, Location] = {}
    keylocs: dict[tuple, Location] = {}
    dupes: list[str] = []
    if node is None:
        raise CodebookError(f"{name}: the codebook file is empty")

    def plain(n: yaml.Node, path: tuple) -> Any:
        locs[path] = (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
                where = (k.start_mark.line + 1, k.start_mark.column + 1)
                if key in out:
                    first = keylocs[(*path, key)]
                    dupes.append(
                        f"{name}:{where[0]}:{where[1]}: key {key!r} appears twice in one "
                        f"mapping (first at line {first[0]})"
                    )
                    continue
                keylocs[(*path, key)] = where
                out[key] = plain(v, (*path, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [plain(item, (*path, i)) for i, item in enumerate(n.value)]
        if n.tag == "tag:yaml.org,2002:null":
            return None
        return n.value

    data = plain(node, ())
    if dupes:
        raise CodebookError(f"{name}: {len(dupes)} problem(s) found in the codebook", dupes)
    return data, locs, keylocs


# --- validation --------------------------------------------------------------------------


class _Checker:
    """Collects problems and warnings, each naming where it is."""

    def __init__(self, name: str, locs: dict[tuple, Location], keylocs: dict[tuple, Location]):
        self.name = name
        self.locs = locs
        self.keylocs = keylocs
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def where(self, path: tuple, key: bool = False) -> str:
        table = self.keylocs if key else self.locs
        probe = path
        while probe:
            if probe in table:
                line, col = table[probe]
                return f"{self.name}:{line}:{col}"
            probe = probe[:-1]
            table = self.locs
        if () in self.locs:
            line, col = self.locs[()]
            return f"{self.name}:{line}:{col}"
        return self.name

    def problem(self, path: tuple, subject: str, message: str, key: bool = False) -> None:
        self.problems.append(f"{self.where(path, key)}: {subject}{message}")

    def warn(self, path: tuple, subject: str, message: str) -> None:
        self.warnings.append(f"{self.where(path)}: {subject}{message}")

    def unknown_fields(self, data: dict, allowed: tuple[str, ...], path: tuple, subject: str):
        for key in data:
            if key not in allowed:
                hint = _did_you_mean(str(key), allowed)
                self.problem(
                    (*path, key),
                    subject,
                    f"unknown field {key!r}{hint}; allowed fields: {', '.join(allowed)}",
                    key=True,
                )

    def text(self, data: dict, key: str, path: tuple, subject: str, required: bool = False) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                where = (*path, key) if key in data else path
                self.problem(where, subject, f"missing required field {key!r}")
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "version":
            return str(value)
        if not isinstance(value, str):
            self.problem((*path, key), subject, f"{key} must be text, not a {_kind(value)}")
            return ""
        return value

    def strings(self, data: dict, key: str, path: tuple, subject: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(
                (*path, key),
                subject,
                f"{key} must be a list (one '- item' per line), not a single {_kind(value)}",
            )
            return ()
        out = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            elif item is None:
                self.problem((*path, key, i), subject, f"{key}[{i}] is empty")
            else:
                self.problem(
                    (*path, key, i), subject, f"{key}[{i}] must be text, not a {_kind(item)}"
                )
        return tuple(out)


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "text"}.get(type(value), type(value).__name__)


def _load(data: Any, name: str, locs: dict, keylocs: dict) -> Codebook:
    check = _Checker(name, locs, keylocs)
    codebook = _check_codebook(data, check)
    for message in check.warnings:
        warnings.warn(message, CmqualWarning, stacklevel=3)
    if check.problems:
        n = len(check.problems)
        raise CodebookError(
            f"{name}: {n} problem{'s' if n > 1 else ''} found in the codebook; fix "
            f"{'them' if n > 1 else 'it'} and load again",
            check.problems,
        )
    assert codebook is not None
    return codebook


def _check_codebook(data: Any, check: _Checker) -> Codebook | None:
    if not isinstance(data, dict):
        check.problem((), "", "the top level must be a mapping with id, title, version and codes")
        return None
    check.unknown_fields(data, CODEBOOK_FIELDS, (), "")
    cid = check.text(data, "id", (), "", required=True)
    if cid and not _SLUG.match(cid):
        check.problem(("id",), "", f"id {cid!r} must use only a-z, 0-9, '_' and '-'")
    if cid == "default":
        check.problem(("id",), "", "id 'default' is reserved for the default selection")
    title = check.text(data, "title", (), "", required=True)
    version = check.text(data, "version", (), "", required=True)
    description = check.text(data, "description", (), "")
    sources = _check_sources(data.get("sources"), check)
    codes_data = data.get("codes")
    source_ids = {s.id for s in sources}
    if codes_data is None or codes_data == []:
        where = ("codes",) if "codes" in data else ()
        check.problem(where, "", "missing required field 'codes' (a list of codes)")
        codes: tuple[Code, ...] = ()
    else:
        codes = _check_codes(codes_data, ("codes",), cid or "?", "", source_ids, check)
    return Codebook(cid, title, version, description, sources, codes)


def _check_sources(value: Any, check: _Checker) -> tuple[Source, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.problem(("sources",), "", "sources must be a list of {id, citation, file}")
        return ()
    out: list[Source] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        path = ("sources", i)
        subject = f"sources[{i}]: "
        if not isinstance(item, dict):
            check.problem(path, subject, "each source must be a mapping with id and citation")
            continue
        check.unknown_fields(item, SOURCE_FIELDS, path, subject)
        sid = check.text(item, "id", path, subject, required=True)
        citation = check.text(item, "citation", path, subject, required=True)
        file = check.text(item, "file", path, subject)
        if sid in seen:
            check.problem((*path, "id"), subject, f"duplicate source id {sid!r}")
        seen[sid] = i
        out.append(Source(sid, citation, file))
    return tuple(out)


def _check_codes(
    value: Any, path: tuple, cid: str, parent: str, source_ids: set[str], check: _Checker
) -> tuple[Code, ...]:
    owner = f"code {cid}/{parent}" if parent else f"codebook {cid}"
    if not isinstance(value, list):
        check.problem(path, f"{owner}: ", "codes must be a list of codes")
        return ()
    out: list[Code] = []
    seen: dict[str, tuple] = {}
    for i, item in enumerate(value):
        code = _check_code(item, (*path, i), cid, parent, source_ids, check)
        if code is None:
            continue
        if code.id in seen:
            first = check.locs.get(seen[code.id] + ("id",))
            line = f" (first at line {first[0]})" if first else ""
            check.problem(
                (*path, i, "id"),
                f"{owner}: ",
                f"duplicate code id {code.id!r} among sibling codes{line}",
            )
            continue
        seen[code.id] = (*path, i)
        out.append(code)
    return tuple(out)


def _check_code(
    data: Any, path: tuple, cid: str, parent: str, source_ids: set[str], check: _Checker
) -> Code | None:
    if not isinstance(data, dict):
        check.problem(path, "", "each code must be a mapping with at least id and label")
        return None
    raw_id = data.get("id")
    code_id = raw_id if isinstance(raw_id, str) else ""
    code_path = f"{parent}/{code_id}" if parent else code_id
    ref = f"{cid}/{code_path}"
    anonymous = f"{cid}/{parent + '/' if parent else ''}codes[{path[-1]}]"
    subject = f"code {ref if code_id else anonymous}: "
    check.unknown_fields(data, CODE_FIELDS, path, subject)
    code_id = check.text(data, "id", path, subject, required=True)
    if code_id and not _SLUG.match(code_id):
        check.problem((*path, "id"), subject, f"id {code_id!r} must use only a-z, 0-9, '_' and '-'")
    label = check.text(data, "label", path, subject, required=True)
    texts = {k: check.text(data, k, path, subject) for k in _CODE_TEXT}
    lists = {k: check.strings(data, k, path, subject) for k in _CODE_LISTS}
    speakers = "all"
    if "speakers" in data:
        speakers = check.text(data, "speakers", path, subject) or "all"
        if speakers not in SPEAKER_SCOPES:
            check.problem(
                (*path, "speakers"),
                subject,
                f"speakers is {speakers!r}; write 'all' or 'participants'",
            )
    colour = ""
    if "colour" in data:
        if data["colour"] is None:
            check.problem(
                (*path, "colour"),
                subject,
                'colour is empty; quote it (colour: "#1f77b4"): in YAML an unquoted # '
                "starts a comment",
            )
        else:
            colour = check.text(data, "colour", path, subject)
            if colour and not _COLOUR.match(colour):
                check.problem(
                    (*path, "colour"), subject, f'colour {colour!r} is not #rrggbb, e.g. "#1f77b4"'
                )
    for i, sid in enumerate(lists["sources"]):
        if sid not in source_ids:
            known = ", ".join(sorted(source_ids)) or "(the codebook lists no sources)"
            check.problem(
                (*path, "sources", i),
                subject,
                f"unknown source id {sid!r}{_did_you_mean(sid, source_ids)}; sources: {known}",
            )
    parsed = {}
    for key in ("patterns", "exclude_patterns"):
        parsed[key] = []
        for i, text in enumerate(lists[key]):
            try:
                parsed[key].append(parse_pattern(text))
            except CodebookError as exc:
                check.problem((*path, key, i), subject, f"{key}[{i}] {text!r}: {exc.summary}")
    if parsed["exclude_patterns"] and not parsed["patterns"] and not lists["patterns"]:
        check.warn(path, subject, "has exclude_patterns but no patterns; they do nothing")
    elif parsed["patterns"]:
        for i, x in enumerate(parsed["exclude_patterns"]):
            if all(could_be_inside(p, x) is False for p in parsed["patterns"]):
                check.warn(
                    (*path, "exclude_patterns", i),
                    subject,
                    f"exclude_patterns[{i}] {x.text!r} can never overlap any of the code's "
                    "patterns, so it never excludes anything",
                )
    children: tuple[Code, ...] = ()
    if data.get("codes") is not None:
        children = _check_codes(data["codes"], (*path, "codes"), cid, code_path, source_ids, check)
    return Code(
        id=code_id,
        label=label,
        path=code_path,
        ref=ref,
        definition=texts["definition"],
        include=lists["include"],
        exclude=lists["exclude"],
        examples=lists["examples"],
        near_misses=lists["near_misses"],
        patterns=lists["patterns"],
        exclude_patterns=lists["exclude_patterns"],
        speakers=speakers,
        colour=colour,
        memo=texts["memo"],
        sources=lists["sources"],
        codes=children,
    )


# --- selections --------------------------------------------------------------------------


def select(
    *refs: str,
    codebooks: Iterable[Codebook] = (),
    id: str = "selection",
    title: str = "",
    description: str = "",
) -> Selection:
    """Select codebooks and/or codes to apply together.

    Parameters
    ----------
    *refs : str
        Each a codebook id (all its codes) or a code reference ``<codebook id>/<path>``
        (that code with its descendants).
    codebooks : iterable of Codebook, optional
        Codebooks to resolve ids against before the built-ins.
    id, title, description : str
        Name of the selection.

    Raises
    ------
    CodebookError
        Listing every reference that does not exist, with the nearest existing one.

    Examples
    --------
    >>> sel = select("scoping-study/power", "equity-lens")  # doctest: +SKIP
    >>> read_codebook("default").refs == DEFAULT_SELECTION  # doctest: +SKIP
    True
    """
    given = {cb.id: cb for cb in codebooks}
    needed = list(dict.fromkeys(r.split("/", 1)[0] for r in refs))
    loaded: list[Codebook] = []
    problems: list[str] = []
    for cid in needed:
        if cid in given:
            loaded.append(given[cid])
            continue
        try:
            cb = read_codebook(cid)
        except CodebookError as exc:
            problems.append(exc.summary)
            continue
        if isinstance(cb, Selection):  # pragma: no cover - "default" cannot be a codebook id
            problems.append(f"{cid!r} is a selection, not a codebook")
            continue
        loaded.append(cb)
    if problems:
        raise CodebookError(f"cannot make selection {id!r}", problems)
    return _make_selection(list(refs), loaded, id, title or id, description)


def compose(
    *parts: Codebook | Selection, id: str | None = None, title: str | None = None
) -> Selection:
    """Combine whole codebooks and selections into one :class:`Selection`.

    Examples
    --------
    >>> a, b = read_codebook("scoping-study"), read_codebook("equity-lens")  # doctest: +SKIP
    >>> both = compose(a, b)  # doctest: +SKIP
    >>> [cb.id for cb in both.codebooks]  # doctest: +SKIP
    ['scoping-study', 'equity-lens']
    """
    codebooks: list[Codebook] = []
    refs: list[str] = []
    for part in parts:
        if isinstance(part, Selection):
            codebooks.extend(part.codebooks)
            refs.extend(part.refs)
        elif isinstance(part, Codebook):
            codebooks.append(part)
            refs.append(part.id)
        else:
            raise TypeError(
                f"compose takes Codebook or Selection objects, not {type(part).__name__}"
            )
    name = id or "+".join(dict.fromkeys(r.split("/", 1)[0] for r in refs))
    return _make_selection(refs, codebooks, name, title or name, "")


def _make_selection(
    refs: list[str], codebooks: list[Codebook], sid: str, title: str, description: str
) -> Selection:
    unique: dict[str, Codebook] = {}
    problems: list[str] = []
    for cb in codebooks:
        if cb.id in unique and unique[cb.id] != cb:
            problems.append(f"two different codebooks have id {cb.id!r}")
        unique.setdefault(cb.id, cb)
    if not refs:
        problems.append("nothing selected; give codebook ids or code references")
    known = {c.ref for cb in unique.values() for c in iter_codes(cb)} | set(unique)
    for ref in refs:
        if ref not in known:
            problems.append(f"unknown code reference {ref!r}{_did_you_mean(ref, known)}")
    if problems:
        raise CodebookError(f"cannot make selection {sid!r}", problems)
    used = list(dict.fromkeys(r.split("/", 1)[0] for r in refs))
    return Selection(
        id=sid,
        title=title,
        codebooks=tuple(unique[c] for c in used),
        refs=tuple(dict.fromkeys(refs)),
        description=description,
    )


# --- writing -----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if (
        "\n" in value
        and not value[:1].isspace()
        and not any(c in value for c in "\t\r\x85\u2028\u2029")
        and value == value.rstrip(" ")
    ):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def write_codebook(codebook: Codebook, path: str | os.PathLike[str]) -> Path:
    """Write ``codebook`` as YAML, atomically (temporary file, then ``os.replace``).

    The file holds :func:`to_dict` (empty fields left out), so ``read_codebook`` of it
    returns an equal codebook with the same :func:`codebook_hash`.

    Returns
    -------
    Path
        The path written.
    """
    if not isinstance(codebook, Codebook):
        raise TypeError(
            "write_codebook writes a Codebook; write a selection's codebooks one by one"
        )
    target = Path(path)
    body = yaml.dump(
        to_dict(codebook),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    text = "# cmqual codebook; schema and pattern language: codebooks/README.md\n" + body
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
