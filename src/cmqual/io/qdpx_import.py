r"""Reading a REFI-QDA project file (``.qdpx``) into a new cmqual project folder.

Use :func:`cmqual.io.qdpx.import_qdpx`; the format, the position conventions and the safety
checks are described in :mod:`cmqual.io.qdpx`. :func:`read_qdpx` opens the archive safely
(:mod:`cmqual.io.qdpx_archive`), walks ``project.qde`` (:mod:`cmqual.io._qdpx_reader`), maps
every selection onto the canonical text (:mod:`cmqual.io.qdpx_positions`) and builds the
corpus, codebooks, codings and memos in a temporary folder next to the target. It checks
that every document reads back with exactly the text its codings were mapped onto, and only
then moves the folder into place, so a failed import leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lxml import etree

from cmqual.attributes import infer_type
from cmqual.codebook import codebook_hash, write_codebook
from cmqual.errors import CmqualWarning, ConfigError, ExchangeError, FormatError, ProjectError
from cmqual.io._qdpx_reader import (
    VALUE_TAGS,
    Notices,
    RawCoding,
    Reader,
    Unit,
    children,
    element_text,
    read_codebooks,
    read_metadata,
)
from cmqual.io.encoding import decode_bytes, normalise_newlines
from cmqual.io.qdpx import MAX_QDE_BYTES, POSITION_CONVENTIONS, guid_key
from cmqual.io.qdpx_archive import QdpxArchive
from cmqual.io.qdpx_positions import Span, choose_convention, map_spans
from cmqual.tables import DOCUMENT_COLUMNS, SEGMENT_COLUMNS
from cmqual.xmlsafe import local_name, parse_xml

if TYPE_CHECKING:
    from cmqual.project import Project

__all__ = ["UNKNOWN_CODER", "read_qdpx"]

#: Coder of codings and memos whose file names no user at all.
UNKNOWN_CODER = "unknown"
_RESERVED = {c.lower() for c in (*DOCUMENT_COLUMNS, *SEGMENT_COLUMNS)} | {
    "file",
    "filename",
    "file_name",
    "document",
    "path",
    "case",
}
_DOC_SUFFIXES = {".txt", ".text", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".htm", ".html"}
_WINDOWS_NAMES = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


def read_qdpx(
    path: str | os.PathLike[str], project_dir: str | os.PathLike[str], *, positions: str = "auto"
) -> Project:
    """Create a project from ``path``; see :func:`cmqual.io.qdpx.import_qdpx`."""
    from cmqual.project import open_project

    if positions not in POSITION_CONVENTIONS:
        raise ConfigError(
            f"positions must be one of {', '.join(POSITION_CONVENTIONS)}, not {positions!r}"
        )
    target = Path(project_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectError(
            f"{target}: already exists and is not an empty folder; give a new "
            "folder for the imported project"
        )
    with QdpxArchive(path) as archive:
        notices = Notices(Path(path).name)
        root = parse_xml(
            archive.read(archive.qde, MAX_QDE_BYTES),
            name=f"{archive.label}: {archive.qde}",
            max_bytes=MAX_QDE_BYTES,
        )
        if local_name(root) != "Project":
            hint = (
                " (a REFI-QDA codebook: read it with cmqual.io.qdc.read_qdc)"
                if local_name(root) == "CodeBook"
                else ""
            )
            raise ExchangeError(
                f"{archive.label}: {archive.qde} has the root element "
                f"{local_name(root)!r}; a REFI-QDA project has Project{hint}"
            )
        reader = Reader(root, archive, notices)
    metadata = read_metadata(root, archive.label)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    work.chmod(0o755)  # mkdtemp makes it private; a project folder is an ordinary one
    try:
        units = _build(work, reader, metadata, root, Path(path), positions, notices)
        with open_project(work) as check:
            _verify(check, units)
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    notices.emit()
    return open_project(target)


@dataclass
class _Context:
    """What turning selections into codings and memos needs."""

    reader: Reader
    notices: Notices
    refs: dict[str, str]
    hashes: dict[str, str]
    auto: dict[str, dict]
    case_keys: set[str]
    members: dict[str, set[int]] = field(default_factory=dict)

    def user(self, *keys: str) -> str:
        """The name of the first known user key (the project's creator, else "unknown")."""
        key = next((k for k in (*keys, self.reader.project_user) if k), "")
        if not key:
            return UNKNOWN_CODER
        users = self.reader.users
        if key not in users:
            self.notices.add("users that are not in <Users> are named by their guid", key)
            users[key] = f"user-{key[:8]}"
        return users[key]

    def _notes_of(self, keys: Sequence[str]) -> list:
        notes = self.reader.notes
        return [notes[k] for k in keys if k in notes and notes[k].text]

    def notes(self, keys: Sequence[str]) -> list[str]:
        """The texts of the notes ``keys`` name (missing and empty ones left out)."""
        return [n.text for n in self._notes_of(keys)]

    def coding(
        self,
        coding: RawCoding,
        unit: Unit,
        index: int,
        start: int,
        end: int,
        owner: str,
        memo: Sequence[str],
        created: str = "",
    ) -> dict[str, object] | None:
        """The store row of one Coding over ``unit.text[start:end]`` (None if skipped).

        ``owner`` and ``created`` are the selection's user and time, used when the Coding
        has none.
        """
        if coding.code in self.case_keys:  # NVivo codes case membership this way
            self.members.setdefault(coding.code, set()).add(index)
            return None
        ref = self.refs.get(coding.code)
        if ref is None:
            self.notices.add(
                "codings of codes that are not in the CodeBook were skipped",
                f"{unit.name!r} line {coding.line} (code {coding.code or 'missing'})",
            )
            return None
        info = self.auto.get(coding.guid, {})
        return {
            "doc_id": unit.doc_id,
            "doc_sha256": unit.sha256,
            "start_offset": start,
            "end_offset": end,
            "text": unit.text[start:end],
            "code": ref,
            "coder": self.user(coding.user, owner, unit.user),
            "origin": str(info.get("origin", "human")),
            "memo": "\n\n".join([*memo, *self.notes(coding.notes)]),
            "level": str(info.get("level", "")),
            "pattern": str(info.get("pattern", "")),
            "codebook_hash": self.hashes.get(ref.split("/", 1)[0], ""),
            "created": coding.created or created,
            # A memo's Note carries when the coding last changed (see qdpx_export).
            "modified": max(
                [coding.created or created] + [n.modified for n in self._notes_of(coding.notes)]
            ),
        }


def _build(
    work: Path,
    reader: Reader,
    metadata: dict | None,
    root: etree._Element,
    path: Path,
    positions: str,
    notices: Notices,
) -> list[Unit]:
    """Write the project folder into ``work``; return the imported texts."""
    from cmqual.project import CONFIG_NAME, STORE_NAME, ProjectConfig, write_config
    from cmqual.store import ORIGINS, Store

    for where, lines in reader.unknown.items():
        notices.add(
            "elements that REFI-QDA 1.0 does not define were ignored",
            f"{where} (line {', '.join(map(str, sorted(set(lines))[:3]))})",
        )
    case_keys = {c.guid for c in reader.cases}
    books, refs = read_codebooks(
        reader,
        metadata,
        _file_stem(root.get("name") or path.stem),
        root.get("origin") or "",
        case_keys,
        notices,
    )
    auto = {
        guid_key(k): v
        for k, v in (metadata or {}).get("codings", {}).items()
        if isinstance(v, dict)
    }
    ctx = _Context(reader, notices, refs, {b.id: codebook_hash(b) for b in books}, auto, case_keys)
    units = [u for u in reader.units if _usable(u, notices)]
    if not units:
        raise ExchangeError(
            f"{path.name}: has no text source cmqual can import (it reads "
            "text sources, PDF text representations and transcripts)"
        )
    _name_documents(units)
    # A file cmqual wrote counts positions on the canonical text, exactly.
    forced = "stored" if metadata is not None and positions == "auto" else positions
    codings: list[dict[str, object]] = []
    memos: list[dict[str, str]] = []
    selection_docs: dict[str, int] = {}
    for index, unit in enumerate(units):
        spans = [s.span for s in unit.selections]
        convention = forced
        if forced == "auto":
            convention, why = choose_convention(unit.raw, spans)
            if why:
                notices.add("position conventions", f"source {unit.name!r}: {why}")
        for sel, m in zip(unit.selections, map_spans(unit.raw, spans, convention), strict=True):
            selection_docs[sel.guid] = index
            where = f"{unit.name!r} line {sel.line} [{sel.span.start}:{sel.span.end}]"
            if m is None or m[1] <= m[0]:
                notices.add("selections outside their text or empty were skipped", where)
                continue
            if not m[2]:
                notices.add(
                    "selections splitting a line break or a character were rounded "
                    "to whole characters",
                    where,
                )
            memo = [*sel.memo, *ctx.notes(sel.notes)]
            if not sel.codings and memo:  # an annotation: keep it as a document memo
                memos.append(
                    _memo(
                        ctx.user(sel.user, unit.user),
                        "document",
                        unit.doc_id,
                        _quote_memo(unit.text, m, memo),
                        sel.created,
                    )
                )
            for coding in sel.codings:
                row = ctx.coding(coding, unit, index, m[0], m[1], sel.user, memo, sel.created)
                codings += [row] if row else []
        for coding in unit.whole:
            row = ctx.coding(coding, unit, index, 0, len(unit.text), "", [])
            codings += [row] if row else []
        for key in unit.notes:
            note = reader.notes.get(key)
            if note is None or not note.text:
                continue
            text = note.text
            if note.selection is not None:  # an annotation of part of the text
                m = map_spans(unit.raw, [Span(*note.selection, "")], convention)[0]
                if m is not None and m[1] > m[0]:
                    text = _quote_memo(unit.text, m, [note.text])
            memos.append(
                _memo(
                    ctx.user(note.user, unit.user),
                    "document",
                    unit.doc_id,
                    text,
                    note.created,
                    note.modified,
                )
            )
        if unit.description.strip():
            memos.append(
                _memo(
                    ctx.user(unit.user),
                    "document",
                    unit.doc_id,
                    normalise_newlines(unit.description),
                    "",
                )
            )
    memos += _other_memos(ctx)
    for row in codings:
        if row["origin"] not in ORIGINS:
            row["origin"] = "human"
    attributes, types = _attributes(reader, units, selection_docs, ctx.members, metadata, notices)
    # -- write the folder --------------------------------------------------------------------
    corpus = work / "corpus"
    for unit in units:
        file = corpus / unit.rel
        file.parent.mkdir(parents=True, exist_ok=True)
        # The corpus reader drops one BOM: a text starting with U+FEFF needs one more.
        bom = b"\xef\xbb\xbf" if unit.text.startswith("\ufeff") else b""
        file.write_bytes(bom + unit.text.encode("utf-8"))
    if attributes:
        _write_metadata(corpus / "metadata.csv", units, attributes)
    specs = []
    if books:
        (work / "codebooks").mkdir()
        for book in books:
            write_codebook(book, work / "codebooks" / f"{book.id}.yaml")
            specs.append(f"codebooks/{book.id}.yaml")
    store = Store(work / STORE_NAME, create=True)
    try:
        store.import_codings(codings)
        store.import_memos(memos)
    finally:
        store.close()
    options = {"attribute_types": types} if types else {}
    write_config(ProjectConfig("corpus", tuple(specs), options), work / CONFIG_NAME)
    return units


def _usable(unit: Unit, notices: Notices) -> bool:
    unit.text = normalise_newlines(unit.raw)
    unit.sha256 = hashlib.sha256(unit.text.encode("utf-8")).hexdigest()
    if not unit.text.strip():
        notices.add("sources with empty text are not imported", repr(unit.name))
        return False
    try:  # the corpus reader's own check for binary content
        decode_bytes(unit.text.encode("utf-8"), unit.name, fallback=None)
    except FormatError as exc:
        notices.add("sources that are not text are not imported", str(exc))
        return False
    return True


def _name_documents(units: Sequence[Unit]) -> None:
    """Give each unit a corpus-relative ``.txt`` path and doc id from its name."""
    taken: set[str] = set()
    for n, unit in enumerate(units, start=1):
        parts = [_safe_part(p) for p in unit.name.replace("\\", "/").split("/")]
        parts = [p for p in parts if p] or [f"source-{n}"]
        last = parts[-1]
        suffix = PurePosixPath(last).suffix
        if suffix.lower() in _DOC_SUFFIXES:
            last = last[: -len(suffix)].rstrip(" .") or f"source-{n}"
        if last.lower().startswith(("readme", "license", "licence")):
            last = f"doc-{last}"  # the corpus reader skips README and LICENSE files
        parts[-1] = last
        doc_id, k = "/".join(parts), 1
        while doc_id.lower() in taken:  # file systems may ignore case
            k += 1
            doc_id = "/".join([*parts[:-1], f"{last} ({k})"])
        taken.add(doc_id.lower())
        unit.doc_id, unit.rel = doc_id, f"{doc_id}.txt"


def _safe_part(part: str) -> str:
    part = re.sub(r'[<>:"|?*\x00-\x1f\x7f]', "_", part).strip()
    # A leading "." or "_" would make the corpus reader skip the file.
    part = part.lstrip("._").rstrip(" .")[:120].rstrip(" .")
    if part.lower() in _WINDOWS_NAMES:
        part += "_"
    return part


def _file_stem(name: str) -> str:
    """A file stem from a project name ("journal-study.qda" -> "journal-study")."""
    name = name.replace("/", "_").replace("\\", "_")
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,7}", suffix):
        name = stem  # a project file's extension (.qda, .nvpx, .mx22, .atlproj...)
    return _safe_part(name) or "refi-qda"


def _quote_memo(text: str, m: tuple[int, int, bool], parts: Sequence[str]) -> str:
    quote = " ".join(text[m[0] : m[1]].split())
    quote = quote if len(quote) <= 60 else quote[:59] + "…"
    return f"On “{quote}” [{m[0]}:{m[1]}]:\n" + "\n\n".join(parts)


def _memo(
    coder: str, kind: str, target: str, text: str, created: str, modified: str = ""
) -> dict[str, str]:
    return {
        "coder": coder,
        "target_kind": kind,
        "target": target,
        "text": text,
        "created": created,
        "modified": modified or created,
    }


def _other_memos(ctx: _Context) -> list[dict[str, str]]:
    """Code memos, project memos and notes nothing refers to (as project memos)."""
    reader = ctx.reader
    memos = []
    used: set[str] = set(reader.project_notes)
    for unit in reader.units:
        used.update(unit.notes)
        for sel in unit.selections:
            used.update(sel.notes)
            for c in sel.codings:
                used.update(c.notes)
        for c in unit.whole:
            used.update(c.notes)
    for code, keys in reader.code_notes.items():
        used.update(keys)
        ref = ctx.refs.get(code)
        for note in (reader.notes[k] for k in keys if k in reader.notes):
            if not note.text:
                continue
            if ref is None:
                ctx.notices.add(
                    "memos on codes that are not imported were skipped", repr(note.name)
                )
                continue
            memos.append(
                _memo(ctx.user(note.user), "code", ref, note.text, note.created, note.modified)
            )
    for note in (reader.notes[k] for k in reader.project_notes if k in reader.notes):
        if note.text:
            memos.append(
                _memo(ctx.user(note.user), "project", "", note.text, note.created, note.modified)
            )
    for key, note in reader.notes.items():
        if key in used or not (note.text or note.name):
            continue
        text = f"{note.name}\n\n{note.text}" if note.name and note.text else note.text or note.name
        memos.append(_memo(ctx.user(note.user), "project", "", text, note.created, note.modified))
    if reader.description.strip():
        memos.append(_memo(ctx.user(), "project", "", normalise_newlines(reader.description), ""))
    return memos


# --------------------------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------------------------


def _attributes(
    reader: Reader,
    units: Sequence[Unit],
    selection_docs: Mapping[str, int],
    members: Mapping[str, set[int]],
    metadata: dict | None,
    notices: Notices,
) -> tuple[dict[str, dict[int, str]], dict[str, str]]:
    """Column name -> {document index: value} and column name -> cmqual type."""
    by_guid = {u.guid: i for i, u in enumerate(units)}
    raw: dict[str, dict[int, str]] = {}
    case_names: dict[int, list[str]] = {}

    def put(index: int, value_el: etree._Element) -> None:
        var, value = _variable_value(value_el)
        if var is None:
            return
        cell = raw.setdefault(var, {})
        if index in cell and cell[index] != value:
            notices.add(
                "documents with two values for one variable keep the first",
                f"{units[index].name!r}: {reader.variables.get(var, (var,))[0]!r}",
            )
            return
        cell.setdefault(index, value)

    for index, unit in enumerate(units):
        for value_el in unit.values:
            put(index, value_el)
    for case in reader.cases:
        docs = {by_guid[s] for s in case.sources if s in by_guid}
        docs |= {selection_docs[s] for s in case.selections if s in selection_docs}
        docs |= members.get(case.guid, set())
        if not docs:
            if case.values:
                notices.add(
                    "cases linked to no imported text keep no attribute values",
                    repr(case.name or case.guid),
                )
            continue
        for index in sorted(docs):
            for value_el in case.values:
                put(index, value_el)
            if case.name and case.name.strip() not in (units[index].doc_id, units[index].name):
                case_names.setdefault(index, []).append(case.name.strip())
    if any(case.codes for case in reader.cases):
        notices.add("case membership given by codes is not imported")
    columns: dict[str, dict[int, str]] = {}
    types: dict[str, str] = {}
    declared = metadata.get("attribute_types", {}) if metadata else {}
    taken: set[str] = set()
    for var, cells in raw.items():
        name, kind = reader.variables.get(var, (f"variable {var[:8]}", "text"))
        column = _column_name(name, taken, notices)
        values, cm_type = _typed(cells, kind, declared.get(name), column, notices)
        columns[column], types[column] = values, cm_type
    if case_names:
        column = _column_name("case", taken, notices, quiet=True)
        columns[column] = {i: "; ".join(dict.fromkeys(n)) for i, n in case_names.items()}
        types[column] = _text_type(columns[column].values())
    return columns, types


def _variable_value(el: etree._Element) -> tuple[str | None, str]:
    var, value = None, ""
    for name, child in children(el):
        if name == "VariableRef":
            var = guid_key(child.get("targetGUID"))
        elif name in VALUE_TAGS:
            value = element_text(child).strip()
    return var, value


def _column_name(name: str, taken: set[str], notices: Notices, *, quiet: bool = False) -> str:
    base = " ".join(name.split()) or "variable"
    if base.lower() in _RESERVED and not quiet:
        notices.add(
            "variables named like a built-in column were renamed", f"{base!r} -> {base}_attr"
        )
        base = f"{base}_attr"
    column, n = base, 1
    while column.lower() in taken:
        n += 1
        column = f"{base} {n}"
    taken.add(column.lower())
    return column


def _text_type(values) -> str:
    return "category" if infer_type([str(v) for v in values]) == "category" else "text"


def _typed(
    cells: Mapping[int, str], kind: str, declared: str | None, column: str, notices: Notices
) -> tuple[dict[int, str], str]:
    """Values in cmqual's written form, and the column's type."""
    convert = {
        "integer": _as_integer,
        "float": _as_float,
        "date": _as_date,
        "boolean": _as_boolean,
    }.get(kind)
    present = {i: v for i, v in cells.items() if v.strip()}
    if convert is not None:
        out = {i: convert(v) for i, v in present.items()}
        bad = [present[i] for i, v in out.items() if v is None]
        if not bad:
            return {i: str(v) for i, v in out.items()}, kind
        notices.add(
            "variables with values that do not fit their type are read as text",
            f"{column!r} ({kind}: {bad[0]!r})",
        )
        return present, "text"
    if declared in ("category", "text"):
        return present, declared
    return present, _text_type(present.values())


def _as_integer(value: str) -> str | None:
    try:
        number = decimal.Decimal(value.strip())
    except decimal.InvalidOperation:
        return None
    return str(int(number)) if number.is_finite() and number == int(number) else None


def _as_float(value: str) -> str | None:
    try:
        number = decimal.Decimal(value.strip())
    except decimal.InvalidOperation:
        return None
    return repr(float(number)) if number.is_finite() else None


def _as_date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


def _as_boolean(value: str) -> str | None:
    return {"true": "true", "1": "true", "false": "false", "0": "false"}.get(value.strip().lower())


def _write_metadata(
    path: Path, units: Sequence[Unit], columns: Mapping[str, Mapping[int, str]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["file", *columns])
    for i, unit in enumerate(units):
        writer.writerow([unit.rel, *(columns[c].get(i, "") for c in columns)])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def _verify(project, units: Sequence[Unit]) -> None:
    """Every document reads back with the text the codings were mapped onto."""
    problems = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CmqualWarning)
        corpus = project.corpus
    for unit in units:
        doc = corpus.document(unit.doc_id) if unit.doc_id in corpus else None
        if doc is None or doc.text != unit.text:
            problems.append(f"{unit.rel}: reads back with another text than the source's")
    if problems:
        raise ExchangeError(
            "the imported corpus does not match the sources (a cmqual bug: "
            "please report it with the file)",
            problems,
        )
