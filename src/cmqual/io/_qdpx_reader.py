"""Walking ``project.qde``: what a REFI-QDA project holds, as plain Python objects.

Internal to :mod:`cmqual.io.qdpx_import`. :class:`Reader` reads every element by its local
name, so files without the namespace or with another version of it are read too; children
QDA-XML 1.0 does not define are collected in ``Reader.unknown`` and skipped. Guids are kept
as :func:`~cmqual.io.qdpx.guid_key` keys (no braces, lower case), so ``{ABC...}`` and
``abc...`` name the same object. :func:`read_codebooks` turns the CodeBook into cmqual
codebooks through the ``.qdc`` reader (:func:`cmqual.io.qdc.read_qdc`).
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import io
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree

from cmqual.codebook import Codebook, iter_codes
from cmqual.errors import CmqualWarning
from cmqual.io.encoding import normalise_newlines
from cmqual.io.qdc import CODEBOOK_NAMESPACE, read_qdc
from cmqual.io.qdpx import MAX_TEXT_BYTES, PI_TARGET, guid_key
from cmqual.io.qdpx_archive import QdpxArchive
from cmqual.io.qdpx_positions import Span
from cmqual.io.refi import code_guid
from cmqual.xmlsafe import local_name

__all__ = [
    "VALUE_TAGS",
    "Case",
    "Notices",
    "RawCoding",
    "RawSelection",
    "Reader",
    "Unit",
    "children",
    "element_text",
    "read_codebooks",
    "read_metadata",
]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
VALUE_TAGS = (
    "TextValue",
    "BooleanValue",
    "IntegerValue",
    "FloatValue",
    "DateValue",
    "DateTimeValue",
)
_TEXT_KIDS = {
    "Description",
    "PlainTextContent",
    "PlainTextSelection",
    "Coding",
    "NoteRef",
    "VariableValue",
}
# Children each element may have in QDA-XML 1.0; anything else is reported and skipped.
_ALLOWED: dict[str, set[str]] = {
    "Project": {
        "Users",
        "CodeBook",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Links",
        "Sets",
        "Graphs",
        "Description",
        "NoteRef",
    },
    "Users": {"User"},
    "User": set(),
    "CodeBook": {"Codes"},
    "Codes": {"Code"},
    "Code": {"Description", "NoteRef", "Code"},
    "Variables": {"Variable"},
    "Variable": {"Description"},
    "Cases": {"Case"},
    "Case": {"Description", "CodeRef", "VariableValue", "SourceRef", "SelectionRef"},
    "VariableValue": {"VariableRef", *VALUE_TAGS},
    "Sources": {"TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource"},
    "TextSource": _TEXT_KIDS,
    "Representation": _TEXT_KIDS,
    "Note": _TEXT_KIDS,
    "PlainTextSelection": {"Description", "Coding", "NoteRef"},
    "TranscriptSelection": {"Description", "Coding", "NoteRef"},
    "Coding": {"CodeRef", "NoteRef"},
    "Notes": {"Note"},
    "PDFSource": {
        "Description",
        "PDFSelection",
        "Representation",
        "Coding",
        "NoteRef",
        "VariableValue",
    },
    "AudioSource": {
        "Description",
        "Transcript",
        "AudioSelection",
        "Coding",
        "NoteRef",
        "VariableValue",
    },
    "VideoSource": {
        "Description",
        "Transcript",
        "VideoSelection",
        "Coding",
        "NoteRef",
        "VariableValue",
    },
    "Transcript": {
        "Description",
        "PlainTextContent",
        "SyncPoint",
        "TranscriptSelection",
        "NoteRef",
    },
}


@dataclass
class RawCoding:
    guid: str  # guid key
    code: str  # guid key
    user: str  # guid key or ""
    created: str
    notes: list[str]
    line: int


@dataclass
class RawSelection:
    guid: str
    span: Span
    user: str
    created: str
    memo: list[str]  # the Description
    notes: list[str]
    codings: list[RawCoding]
    line: int


@dataclass
class Unit:
    """One text that becomes one cmqual document (text source, PDF text, transcript)."""

    guid: str
    name: str
    raw: str
    user: str
    line: int
    selections: list[RawSelection] = field(default_factory=list)
    whole: list[RawCoding] = field(default_factory=list)  # codings of the whole source
    notes: list[str] = field(default_factory=list)
    values: list[etree._Element] = field(default_factory=list)
    description: str = ""
    doc_id: str = ""
    rel: str = ""
    text: str = ""
    sha256: str = ""


@dataclass
class Note:
    name: str
    text: str
    user: str
    created: str
    modified: str
    selection: tuple[int, int] | None


@dataclass
class Case:
    guid: str
    name: str | None
    values: list[etree._Element]
    sources: list[str]
    selections: list[str]
    codes: list[str]
    line: int


class Notices:
    """Warnings gathered by kind, emitted once each with the first few items."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: dict[str, list[str]] = {}

    def add(self, kind: str, item: str = "") -> None:
        self.items.setdefault(kind, []).append(item)

    def emit(self) -> None:
        for kind, items in self.items.items():
            shown = [i for i in items if i][:10]
            more = len([i for i in items if i]) - len(shown)
            text = f"{self.label}: {kind}"
            if shown:
                text += ": " + "; ".join(shown) + (f"; and {more} more" if more else "")
            warnings.warn(text, CmqualWarning, stacklevel=4)


def children(el: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """(local name, child) for the REFI-QDA element children of ``el``."""
    for child in el:
        if isinstance(child.tag, str):
            yield local_name(child), child


def _is_refi(el: etree._Element) -> bool:
    ns = etree.QName(el).namespace
    return ns is None or ns.lower().startswith("urn:qda-xml:project")


def element_text(el: etree._Element | None) -> str:
    return "" if el is None else "".join(el.itertext())


def _time(
    el: etree._Element, attrs: Sequence[str] = ("creationDateTime", "modifiedDateTime")
) -> str:
    """The element's creation (or else modification) time as store time, or ""."""
    for attr in attrs:
        value = (el.get(attr) or "").strip()
        if not value:
            continue
        value = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ""


def _user(el: etree._Element) -> str:
    return guid_key(el.get("creatingUser") or el.get("modifyingUser"))


class Reader:
    """Walks project.qde once and keeps what cmqual can use."""

    def __init__(self, root: etree._Element, archive: QdpxArchive, notices: Notices) -> None:
        self.archive = archive
        self.notices = notices
        self.unknown: dict[str, list[int]] = {}
        self.users: dict[str, str] = {}
        self.codebook: etree._Element | None = None
        self.code_notes: dict[str, list[str]] = {}
        self.variables: dict[str, tuple[str, str]] = {}
        self.cases: list[Case] = []
        self.units: list[Unit] = []
        self.notes: dict[str, Note] = {}
        self.project_notes: list[str] = []
        self.description = ""
        self.project_user = guid_key(root.get("creatingUserGUID") or root.get("modifyingUserGUID"))
        for name, child in self._children(root):
            handler = getattr(self, f"_read_{name.lower()}", None)
            if name in ("Links", "Sets", "Graphs"):
                self.notices.add(f"{name} are not imported (cmqual has no place for them)")
            elif handler is not None:
                handler(child)
            elif name == "NoteRef":
                self.project_notes.append(guid_key(child.get("targetGUID")))
            elif name == "Description":
                self.description = element_text(child)

    def _children(self, el: etree._Element) -> Iterator[tuple[str, etree._Element]]:
        allowed = _ALLOWED.get(local_name(el), set())
        for name, child in children(el):
            if name in allowed and _is_refi(child):
                yield name, child
            else:
                where = f"<{etree.QName(child).localname}> in <{local_name(el)}>"
                self.unknown.setdefault(where, []).append(child.sourceline or 0)

    def _read_users(self, el: etree._Element) -> None:
        names: set[str] = set()
        for _, user in self._children(el):
            key = guid_key(user.get("guid"))
            name = " ".join((user.get("name") or user.get("id") or "").split())
            name = name or f"user-{key[:8]}"
            base, n = name, 1
            while name in names:
                n += 1
                name = f"{base} ({n})"
            if name != base:
                self.notices.add("users with the same name were told apart", name)
            names.add(name)
            self.users[key] = name

    def _read_codebook(self, el: etree._Element) -> None:
        self.codebook = el

        def walk(parent: etree._Element) -> None:
            for name, child in self._children(parent):
                if name == "Code":
                    for kid_name, kid in self._children(child):
                        if kid_name == "NoteRef":
                            self.code_notes.setdefault(guid_key(child.get("guid")), []).append(
                                guid_key(kid.get("targetGUID"))
                            )
                    walk(child)
                elif name == "Codes":
                    walk(child)

        walk(el)

    def _read_variables(self, el: etree._Element) -> None:
        for _, var in self._children(el):
            kind = (var.get("typeOfVariable") or "Text").strip().lower()
            self.variables[guid_key(var.get("guid"))] = (var.get("name") or "variable", kind)

    def _read_cases(self, el: etree._Element) -> None:
        for _, case in self._children(el):
            refs: dict[str, list] = {
                "VariableValue": [],
                "SourceRef": [],
                "SelectionRef": [],
                "CodeRef": [],
            }
            for name, child in self._children(case):
                if name == "VariableValue":
                    refs[name].append(child)
                elif name in refs:
                    refs[name].append(guid_key(child.get("targetGUID")))
            self.cases.append(
                Case(
                    guid_key(case.get("guid")),
                    case.get("name") or None,
                    refs["VariableValue"],
                    refs["SourceRef"],
                    refs["SelectionRef"],
                    refs["CodeRef"],
                    case.sourceline or 0,
                )
            )

    def _read_sources(self, el: etree._Element) -> None:
        for name, source in self._children(el):
            label = source.get("name") or source.get("guid") or f"line {source.sourceline}"
            if name == "TextSource":
                self._text_unit(source, label)
            elif name == "PDFSource":
                self._pdf(source, label)
            elif name in ("AudioSource", "VideoSource"):
                self._media(source, name, label)
            else:
                self.notices.add(
                    "picture sources are not imported (cmqual holds text only)", repr(label)
                )

    def _read_notes(self, el: etree._Element) -> None:
        for _, note in self._children(el):
            text = self._plain_text(
                note, f"note {note.get('name') or note.get('guid')!r}", quiet=True
            )
            selection = None
            for name, child in self._children(note):
                if name == "Description" and text is None:
                    text = element_text(child)
                if name == "PlainTextSelection":
                    selection = (_int(child.get("startPosition")), _int(child.get("endPosition")))
            self.notes[guid_key(note.get("guid"))] = Note(
                note.get("name") or "",
                normalise_newlines(text or ""),
                _user(note),
                _time(note),
                _time(note, ("modifiedDateTime", "creationDateTime")),
                selection,
            )

    # -- texts ---------------------------------------------------------------------------
    def _plain_text(self, el: etree._Element, label: str, *, quiet: bool = False) -> str | None:
        """The element's plain text: inline PlainTextContent, or its internal file."""
        for name, child in children(el):
            if name == "PlainTextContent":
                return element_text(child)
        path = (el.get("plainTextPath") or "").strip()
        if not path:
            if not quiet:
                self.notices.add("sources without plain text are not imported", repr(label))
            return None
        scheme, sep, rest = path.partition("://")
        if not sep or scheme.lower() != "internal":
            self.notices.add(
                "texts in files outside the .qdpx (absolute:// or "
                "relative://) are not read; export the project with its sources "
                "embedded",
                f"{label!r} ({path})",
            )
            return None
        member = self.archive.find(rest)
        if member is None:
            self.notices.add(
                "texts whose file is missing from the .qdpx are not read", f"{label!r} ({path})"
            )
            return None
        return self._decode(self.archive.read(member, MAX_TEXT_BYTES), label)

    def _decode(self, data: bytes, label: str) -> str:
        for bom, codec in _BOMS:
            if data.startswith(bom):
                return data[len(bom) :].decode(codec, errors="replace")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.notices.add(
                "source texts that are not UTF-8 were read as cp1252 (check accented letters)",
                f"{label!r} (byte {exc.start})",
            )
            return data.decode("cp1252", errors="replace")

    def _text_unit(
        self, el: etree._Element, label: str, *, name: str | None = None, parent: Unit | None = None
    ) -> Unit | None:
        raw = self._plain_text(el, label)
        if raw is None:
            return None
        unit = Unit(
            guid_key(el.get("guid")),
            name or label,
            raw,
            _user(el) or (parent.user if parent else ""),
            el.sourceline or 0,
        )
        for kid, child in self._children(el):
            if kid == "PlainTextSelection":
                unit.selections.append(
                    self._selection(child, child.get("startPosition"), child.get("endPosition"))
                )
            elif kid == "Coding":
                unit.whole.append(self._coding(child))
            elif kid == "NoteRef":
                unit.notes.append(guid_key(child.get("targetGUID")))
            elif kid == "VariableValue":
                unit.values.append(child)
            elif kid == "Description":
                unit.description = element_text(child)
        self.units.append(unit)
        return unit

    def _selection(self, el: etree._Element, start: object, end: object) -> RawSelection:
        memo, notes, codings = [], [], []
        for kid, child in self._children(el):
            if kid == "Description" and element_text(child).strip():
                memo.append(normalise_newlines(element_text(child)))
            elif kid == "NoteRef":
                notes.append(guid_key(child.get("targetGUID")))
            elif kid == "Coding":
                codings.append(self._coding(child))
        span = Span(_int(start), _int(end), el.get("name") or "")
        return RawSelection(
            guid_key(el.get("guid")),
            span,
            _user(el),
            _time(el),
            memo,
            notes,
            codings,
            el.sourceline or 0,
        )

    def _coding(self, el: etree._Element) -> RawCoding:
        code, notes = "", []
        for kid, child in self._children(el):
            if kid == "CodeRef":
                code = guid_key(child.get("targetGUID"))
            elif kid == "NoteRef":
                notes.append(guid_key(child.get("targetGUID")))
        return RawCoding(
            guid_key(el.get("guid")), code, _user(el), _time(el), notes, el.sourceline or 0
        )

    def _pdf(self, el: etree._Element, label: str) -> None:
        unit = None
        extras: list[tuple[str, etree._Element]] = []
        for kid, child in self._children(el):
            if kid == "Representation":
                unit = self._text_unit(child, label, name=label)
            elif kid == "PDFSelection":
                self.notices.add(
                    "area codings of PDF pages are not imported (cmqual codes text)",
                    f"{label!r} line {child.sourceline}",
                )
            else:
                extras.append((kid, child))
        if unit is None:
            self.notices.add(
                "PDF sources without a text representation are not imported", repr(label)
            )
            return
        self._attach(unit, extras)

    def _media(self, el: etree._Element, kind: str, label: str) -> None:
        units, extras = [], []
        transcripts = [c for k, c in self._children(el) if k == "Transcript"]
        for kid, child in self._children(el):
            if kid == "Transcript":
                name = (
                    label
                    if len(transcripts) == 1
                    else (f"{label} - {child.get('name') or child.get('guid')}")
                )
                unit = self._transcript(child, name)
                if unit is not None:
                    units.append(unit)
            elif kid in ("AudioSelection", "VideoSelection"):
                self.notices.add(
                    "time-based codings of audio and video are not imported "
                    "(their transcripts' codings are)",
                    f"{label!r} line {child.sourceline}",
                )
            else:
                extras.append((kid, child))
        if not units:
            self.notices.add(f"{kind}s without a transcript are not imported", repr(label))
        for unit in units:
            self._attach(unit, extras)

    def _attach(self, unit: Unit, extras: Sequence[tuple[str, etree._Element]]) -> None:
        for kid, child in extras:
            if kid == "NoteRef":
                unit.notes.append(guid_key(child.get("targetGUID")))
            elif kid == "VariableValue":
                unit.values.append(child)
            elif kid == "Coding":
                unit.whole.append(self._coding(child))
            elif kid == "Description" and not unit.description:
                unit.description = element_text(child)

    def _transcript(self, el: etree._Element, name: str) -> Unit | None:
        raw = self._plain_text(el, name)
        if raw is None:
            return None
        unit = Unit(guid_key(el.get("guid")), name, raw, _user(el), el.sourceline or 0)
        sync: dict[str, str | None] = {}
        for kid, child in self._children(el):
            if kid == "SyncPoint":
                sync[guid_key(child.get("guid"))] = child.get("position")
        for kid, child in self._children(el):
            if kid == "TranscriptSelection":
                unit.selections.append(
                    self._selection(
                        child,
                        sync.get(guid_key(child.get("fromSyncPoint"))),
                        sync.get(guid_key(child.get("toSyncPoint"))),
                    )
                )
            elif kid == "NoteRef":
                unit.notes.append(guid_key(child.get("targetGUID")))
            elif kid == "Description":
                unit.description = element_text(child)
        self.units.append(unit)
        return unit


def _int(value: object) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return -1


# --------------------------------------------------------------------------------------------
# Codebooks
# --------------------------------------------------------------------------------------------


def read_metadata(root: etree._Element, label: str) -> dict | None:
    node = root.getprevious()
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == PI_TARGET:
            try:
                data = json.loads(node.text or "")
            except json.JSONDecodeError:
                data = None
            if (
                not isinstance(data, dict)
                or not isinstance(data.get("codebooks"), list)
                or not isinstance(data.get("orphan_codes"), dict)
            ):
                warnings.warn(
                    f"{label}: the cmqual data before <Project> is unusable; "
                    "reading the file as another tool's",
                    CmqualWarning,
                    stacklevel=4,
                )
                return None
            return data
        node = node.getprevious()
    return None


def read_codebooks(
    reader: Reader,
    metadata: dict | None,
    name: str,
    origin: str,
    case_keys: set[str],
    notices: Notices,
) -> tuple[list[Codebook], dict[str, str]]:
    """The CodeBook as cmqual codebooks, and code guid key -> code reference."""
    refs: dict[str, str] = {}
    if reader.codebook is None:
        return [], refs
    top = [c for codes in reader.codebook.iterfind("{*}Codes") for c in codes.iterfind("{*}Code")]
    groups: list[tuple[dict | None, list[etree._Element]]] = []
    rest = list(top)
    if metadata is not None:
        for guid, ref in metadata["orphan_codes"].items():
            refs[guid_key(guid)] = str(ref)
        rest = [el for el in rest if guid_key(el.get("guid")) not in refs]
        for meta in metadata["codebooks"]:
            mine = {guid_key(g) for g in meta.get("codes", [])}
            groups.append(
                (
                    {k: v for k, v in meta.items() if k != "codes"},
                    [el for el in rest if guid_key(el.get("guid")) in mine],
                )
            )
            rest = [el for el in rest if guid_key(el.get("guid")) not in mine]
    if rest:
        groups.append((None, rest))
    books = []
    for meta, elements in groups:
        codes = [c for el in elements for c in _qdc_code(el, case_keys, notices)]
        if not codes:
            continue
        root = etree.Element(f"{{{CODEBOOK_NAMESPACE}}}CodeBook", nsmap={None: CODEBOOK_NAMESPACE})
        if origin:
            root.set("origin", origin)
        etree.SubElement(root, f"{{{CODEBOOK_NAMESPACE}}}Codes").extend(codes)
        body = etree.tostring(root, encoding="unicode")
        if meta is not None:
            payload = json.dumps(meta, ensure_ascii=False).replace(">", "\\u003e")
            body = f"<?cmqual-codebook {payload}?>\n{body}"
        stream = io.BytesIO(('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode())
        stream.name = f"{name}.qdc"
        book = read_qdc(stream)
        if meta is None:
            book = dataclasses.replace(
                book,
                description=f"Imported from the REFI-QDA project {name!r}"
                + (f", written by {origin}." if origin else "."),
            )
        books.append(book)
        for code in iter_codes(book):
            refs.setdefault(guid_key(code_guid(book, code)), code.ref)
    return books, refs


def _qdc_code(el: etree._Element, case_keys: set[str], notices: Notices) -> list[etree._Element]:
    """A project Code as .qdc Code elements (a code that is really a case is dropped,
    its children kept)."""
    kids = [c for child in el.iterfind("{*}Code") for c in _qdc_code(child, case_keys, notices)]
    if guid_key(el.get("guid")) in case_keys:
        return kids
    ns = f"{{{CODEBOOK_NAMESPACE}}}"
    copy = etree.Element(
        f"{ns}Code",
        {k: el.get(k) for k in ("guid", "name", "isCodable", "color") if el.get(k) is not None},
    )
    if not (copy.get("name") or "").strip():
        copy.set("name", f"code {guid_key(el.get('guid'))[:8] or el.sourceline}")
        notices.add("codes without a name were given one", copy.get("name", ""))
    description = el.find("{*}Description")
    if description is not None and element_text(description):
        etree.SubElement(copy, f"{ns}Description").text = element_text(description)
    copy.extend(kids)
    return [copy]
