"""Writing a cmqual project as a REFI-QDA project file (``.qdpx``).

The format, the guids and the position rule are described in :mod:`cmqual.io.qdpx`; use
:func:`cmqual.io.qdpx.export_qdpx`. :func:`write_qdpx` builds ``project.qde`` with lxml in
schema order (Users, CodeBook, Variables, Cases, Sources, Notes, project NoteRefs), every
list sorted, and zips it with one ``sources/<guid>.txt`` per document.

Rejected suggestions (:meth:`cmqual.project.Project.rejections`) are not exported:
REFI-QDA has no element for a suggestion a coder turned down, and writing them as notes
would show other tools' users a note per rejection that means nothing there. They stay in
the project store, as do machine records such as the run record of learned suggestions
(:meth:`cmqual.store.Store.record`).
"""

from __future__ import annotations

import decimal
import io
import json
import math
import os
import uuid
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from lxml import etree

from cmqual._version import __version__
from cmqual.codebook import Codebook, Selection, iter_codes
from cmqual.errors import CmqualWarning, ExchangeError
from cmqual.io.qdc import to_qdc_string
from cmqual.io.qdpx import (
    NOT_XML_CHAR_RE,
    NS,
    PI_FORMAT,
    PI_TARGET,
    PROJECT_NAMESPACE,
    object_guid,
)
from cmqual.io.refi import GUID_NAMESPACE, code_guid
from cmqual.io.tables import atomic_path, check_output_path
from cmqual.store import AUTO_ORIGINS, ORIGINS

if TYPE_CHECKING:
    from cmqual.project import Project

__all__ = ["project_qde", "qdpx_bytes", "write_qdpx"]

#: cmqual attribute type -> REFI-QDA typeOfVariable.
VARIABLE_TYPES: dict[str, str] = {
    "integer": "Integer",
    "float": "Float",
    "date": "Date",
    "boolean": "Boolean",
    "category": "Text",
    "text": "Text",
}
_VALUE_ELEMENTS = {
    "Integer": "IntegerValue",
    "Float": "FloatValue",
    "Date": "DateValue",
    "Boolean": "BooleanValue",
    "Text": "TextValue",
}
_NAME_CHARS = 100  # selection names hold the start of the quote
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


def write_qdpx(
    project: Project | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    include_auto: bool = True,
) -> Path:
    """Write ``project`` (a Project or its folder) to ``path``; see
    :func:`cmqual.io.qdpx.export_qdpx`."""
    from cmqual.project import open_project

    target = check_output_path(path, (".qdpx",))
    if isinstance(project, str | os.PathLike):
        with open_project(project) as opened:
            data = qdpx_bytes(opened, include_auto=include_auto)
    else:
        data = qdpx_bytes(project, include_auto=include_auto)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def qdpx_bytes(project: Project, *, include_auto: bool = True) -> bytes:
    """The ``.qdpx`` file of ``project`` as bytes (deterministic)."""
    qde, texts = project_qde(project, include_auto=include_auto)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in [("project.qde", qde), *sorted(texts.items())]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # fixed, not the writing platform's
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


@dataclass
class _Memo:
    coder: str
    text: str
    created: str
    modified: str
    name: str
    guid: str = ""


@dataclass
class _Export:
    problems: list[str] = field(default_factory=list)
    users: set[str] = field(default_factory=set)
    notes: list[_Memo] = field(default_factory=list)

    def check(self, value: str, where: str) -> str:
        """Return ``value`` if XML can carry it, else record a problem and return ""."""
        match = NOT_XML_CHAR_RE.search(value)
        if match is None:
            return value
        self.problems.append(
            f"{where}: character U+{ord(match.group()):04X} at position {match.start()} cannot "
            "be stored in XML; remove it"
        )
        return ""

    def note(self, memo: _Memo, kind: str, *target: object) -> str:
        memo.guid = object_guid("note", kind, *target, memo.coder)
        memo.text = self.check(memo.text, f"{memo.name} by {memo.coder}")
        self.users.add(memo.coder)
        self.notes.append(memo)
        return memo.guid


def project_qde(project: Project, *, include_auto: bool = True) -> tuple[bytes, dict[str, bytes]]:
    """Build ``project.qde`` and the plain-text sources of ``project``.

    Returns
    -------
    tuple
        The ``project.qde`` bytes (UTF-8 XML) and ``{zip member name: bytes}`` for the
        ``sources/`` files.
    """
    out = _Export()
    corpus = project.corpus
    docs = sorted(corpus, key=lambda d: d.id)
    origins = None if include_auto else [o for o in ORIGINS if o not in AUTO_ORIGINS]
    raw = project.store.codings_frame(origins=origins)
    codings = _current_codings(raw, {d.id: d for d in docs})
    memos = project.store.memos_frame()
    books = _codebooks(project.codebooks)

    known = {c.ref for b in books for c in iter_codes(b)}
    used = set(codings["code"]) | set(memos.loc[memos["target_kind"] == "code", "target"])
    orphans = sorted(used - known)
    code_memos: dict[str, list[_Memo]] = {}
    for m in memos[memos["target_kind"] == "code"].itertuples(index=False):
        code_memos.setdefault(str(m.target), []).append(
            _Memo(
                str(m.coder),
                str(m.text),
                str(m.created),
                str(m.modified),
                f"Memo on code {m.target}",
            )
        )

    root = etree.Element(f"{NS}Project", nsmap={None: PROJECT_NAMESPACE})
    root.set("name", out.check(project.name, "project name") or "cmqual project")
    root.set("origin", f"cmqual {__version__}")
    users_el = etree.SubElement(root, f"{NS}Users")
    code_guids, pi_books, orphan_guids = _codebook_xml(root, books, orphans, code_memos, out)
    types = dict(corpus.attribute_types)
    variables = _variables_xml(root, types, out)
    if variables:
        _cases_xml(root, docs, variables, types, out)
    texts: dict[str, bytes] = {}
    auto: dict[str, dict[str, str]] = {}
    doc_memos = memos[memos["target_kind"] == "document"]
    if docs:
        sources = etree.SubElement(root, f"{NS}Sources")
        for doc in docs:
            guid = object_guid("source", doc.id, doc.sha256)
            rows = codings[codings["doc_id"] == doc.id]
            source_memos = doc_memos[doc_memos["target"] == doc.id]
            _source_xml(sources, guid, doc, rows, source_memos, code_guids, auto, out)
            # A text starting with U+FEFF would lose it to a reader that strips a BOM.
            bom = b"\xef\xbb\xbf" if doc.text.startswith("\ufeff") else b""
            texts[f"sources/{guid}.txt"] = bom + doc.text.encode("utf-8")
    missing = sorted(set(doc_memos["target"]) - {d.id for d in docs})
    if missing:
        warnings.warn(
            f"memos on {len(missing)} document(s) no longer in the corpus are not "
            f"exported: {', '.join(missing)}",
            CmqualWarning,
            stacklevel=3,
        )
    project_refs = []
    for m in memos[memos["target_kind"] == "project"].itertuples(index=False):
        project_refs.append(
            out.note(
                _Memo(str(m.coder), str(m.text), str(m.created), str(m.modified), "Project memo"),
                "project",
            )
        )
    _notes_xml(root, out.notes)
    for guid in project_refs:
        etree.SubElement(root, f"{NS}NoteRef").set("targetGUID", guid)
    _users_xml(users_el, out)
    if out.problems:
        raise ExchangeError(f"project {project.name!r} cannot be written as REFI-QDA", out.problems)
    metadata = {
        "format": PI_TARGET,
        "format_version": PI_FORMAT,
        "codebooks": pi_books,
        "orphan_codes": orphan_guids,
        "attribute_types": {str(k): str(v) for k, v in types.items()},
        "codings": auto,
    }
    payload = json.dumps(metadata, ensure_ascii=False, sort_keys=True, indent=1)
    # JSON has ">" only inside strings, so escaping it there keeps "?>" out of the PI.
    root.addprevious(etree.ProcessingInstruction(PI_TARGET, payload.replace(">", "\\u003e")))
    qde = etree.tostring(
        root.getroottree(), encoding="UTF-8", xml_declaration=True, pretty_print=True
    )
    return qde, texts


def _current_codings(raw: pd.DataFrame, docs: Mapping[str, object]) -> pd.DataFrame:
    """Codings whose offsets fit their document's current text, one per span, code and
    coder; warn about the stale ones left out."""
    keep = []
    stale = 0
    for i, r in enumerate(raw.itertuples(index=False)):
        doc = docs.get(r.doc_id)
        if doc is None or doc.sha256 != r.doc_sha256 or doc.text[r.start : r.end] != r.text:
            stale += 1
            continue
        keep.append(i)
    if stale:
        warnings.warn(
            f"{stale} stale coding(s) are not exported: their document changed or left the "
            "corpus, so their offsets no longer fit its text (review them with "
            "project.stale_codings())",
            CmqualWarning,
            stacklevel=4,
        )
    rows = raw.iloc[keep]
    return rows.drop_duplicates(["doc_id", "start", "end", "code", "coder"], keep="first")


def _codebooks(books: Iterable[Codebook | Selection]) -> list[Codebook]:
    """The project's codebooks, a selection's codebooks in full, each id once."""
    out: dict[str, Codebook] = {}
    for book in books:
        for cb in book.codebooks if isinstance(book, Selection) else (book,):
            if cb.id in out and out[cb.id] != cb:
                warnings.warn(
                    f"two different codebooks have the id {cb.id!r}; the first is exported",
                    CmqualWarning,
                    stacklevel=4,
                )
            out.setdefault(cb.id, cb)
    return list(out.values())


def _codebook_xml(
    root: etree._Element,
    books: Sequence[Codebook],
    orphans: Sequence[str],
    code_memos: Mapping[str, list[_Memo]],
    out: _Export,
) -> tuple[dict[str, str], list[dict], dict[str, str]]:
    """Append the CodeBook; return code ref -> guid, the codebooks' metadata and orphans."""
    code_guids: dict[str, str] = {}
    pi_books: list[dict] = []
    seen: dict[str, str] = {}
    elements: list[etree._Element] = []
    for book in books:
        try:
            qdc = etree.fromstring(to_qdc_string(book).encode("utf-8"))
        except ExchangeError as exc:
            out.problems.extend(exc.problems or [str(exc)])
            continue
        refs = {code_guid(book, c): c.ref for c in iter_codes(book)}
        meta = json.loads(qdc.getprevious().text)  # the .qdc metadata (id, title, code ids)
        top = [
            _copy_code(el, refs, code_memos, code_guids, seen, out)
            for el in qdc.iterfind("{*}Codes/{*}Code")
        ]
        meta["codes"] = [el.get("guid") for el in top]
        pi_books.append(meta)
        elements.extend(top)
    orphan_guids: dict[str, str] = {}
    for ref in orphans:
        # The derived guid of a code is uuid5 of its reference (cmqual.io.refi.derived_guid).
        guid = str(uuid.uuid5(GUID_NAMESPACE, ref)).upper()
        el = etree.Element(f"{NS}Code", guid=guid, isCodable="true")
        el.set("name", out.check(ref, f"code reference {ref!r}") or guid)
        _attach_code(el, ref, guid, code_memos, code_guids, seen, out)
        orphan_guids[guid] = ref
        elements.append(el)
    if elements:
        codes = etree.SubElement(etree.SubElement(root, f"{NS}CodeBook"), f"{NS}Codes")
        codes.extend(elements)
    return code_guids, pi_books, orphan_guids


def _copy_code(
    el: etree._Element,
    refs: Mapping[str, str],
    code_memos: Mapping[str, list[_Memo]],
    code_guids: dict[str, str],
    seen: dict[str, str],
    out: _Export,
) -> etree._Element:
    """The .qdc Code element ``el`` rebuilt in the project namespace, with memo NoteRefs."""
    copy = etree.Element(f"{NS}Code", {k: v for k, v in el.attrib.items()})
    description = el.find("{*}Description")
    if description is not None:
        etree.SubElement(copy, f"{NS}Description").text = description.text
    guid = el.get("guid", "")
    _attach_code(copy, refs.get(guid, ""), guid, code_memos, code_guids, seen, out)
    for child in el.iterfind("{*}Code"):
        copy.append(_copy_code(child, refs, code_memos, code_guids, seen, out))
    return copy


def _attach_code(
    el: etree._Element,
    ref: str,
    guid: str,
    code_memos: Mapping[str, list[_Memo]],
    code_guids: dict[str, str],
    seen: dict[str, str],
    out: _Export,
) -> None:
    key = guid.strip("{}").lower()
    if key in seen:
        out.problems.append(
            f"codes {seen[key]!r} and {ref!r} have the same guid {guid}; "
            "give one of them another guid in its codebook"
        )
    seen[key] = ref
    code_guids[ref] = guid
    for memo in sorted(code_memos.get(ref, ()), key=lambda m: m.coder):
        etree.SubElement(el, f"{NS}NoteRef").set("targetGUID", out.note(memo, "code", ref))


def _variables_xml(root: etree._Element, types: Mapping[str, str], out: _Export) -> dict[str, str]:
    """Append Variables; return attribute name -> guid."""
    guids: dict[str, str] = {}
    if not types:
        return guids
    parent = etree.SubElement(root, f"{NS}Variables")
    for name, kind in types.items():
        guid = object_guid("variable", name)
        el = etree.SubElement(parent, f"{NS}Variable", guid=guid)
        el.set("name", out.check(str(name), f"attribute name {name!r}") or guid)
        el.set("typeOfVariable", VARIABLE_TYPES.get(kind, "Text"))
        guids[name] = guid
    return guids


def _cases_xml(
    root: etree._Element, docs, variables: Mapping[str, str], types: Mapping[str, str], out: _Export
) -> None:
    parent = etree.SubElement(root, f"{NS}Cases")
    for doc in docs:
        case = etree.SubElement(parent, f"{NS}Case", guid=object_guid("case", doc.id))
        case.set("name", out.check(doc.id, f"document id {doc.id!r}"))
        for name, var_guid in variables.items():
            kind = VARIABLE_TYPES.get(types[name], "Text")
            value = _value_text(doc.attributes.get(name), kind)
            if value is None:
                continue
            vv = etree.SubElement(case, f"{NS}VariableValue")
            etree.SubElement(vv, f"{NS}VariableRef", targetGUID=var_guid)
            etree.SubElement(vv, f"{NS}{_VALUE_ELEMENTS[kind]}").text = out.check(
                value, f"{doc.id}: attribute {name!r}"
            )
        etree.SubElement(
            case, f"{NS}SourceRef", targetGUID=object_guid("source", doc.id, doc.sha256)
        )


def _value_text(value: object, kind: str) -> str | None:
    """An attribute value as the schema's lexical form (None for a missing value)."""
    try:
        if value is None or pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if kind == "Integer":
        return str(int(value))
    if kind == "Float":
        number = float(value)
        if not math.isfinite(number):
            return None  # xsd:decimal has no infinity
        return format(decimal.Decimal(repr(number)), "f")
    if kind == "Date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "Boolean":
        return "true" if bool(value) else "false"
    return str(value)


def _source_xml(
    parent: etree._Element,
    guid: str,
    doc,
    rows: pd.DataFrame,
    memos: pd.DataFrame,
    code_guids: Mapping[str, str],
    auto: dict[str, dict[str, str]],
    out: _Export,
) -> None:
    source = etree.SubElement(parent, f"{NS}TextSource", guid=guid)
    source.set("name", out.check(doc.id, f"document id {doc.id!r}"))
    source.set("plainTextPath", f"internal://{guid}.txt")
    groups = sorted(
        rows.groupby(["start", "end", "coder"], sort=False),
        key=lambda kv: (int(kv[0][0]), int(kv[0][1]), str(kv[0][2])),
    )
    for (start, end, coder), group in groups:
        sel_guid = object_guid("selection", guid, int(start), int(end), coder)
        first = group.sort_values(["created", "code"], kind="mergesort").iloc[0]
        sel = etree.SubElement(source, f"{NS}PlainTextSelection", guid=sel_guid)
        sel.set("name", _selection_name(doc.text[int(start) : int(end)]))
        sel.set("startPosition", str(int(start)))
        sel.set("endPosition", str(int(end)))
        sel.set("creatingUser", object_guid("user", coder))
        sel.set("creationDateTime", str(first.created))
        out.users.add(str(coder))
        for r in group.sort_values(["code"], kind="mergesort").itertuples(index=False):
            coding_guid = object_guid("coding", sel_guid, r.code)
            coding = etree.SubElement(sel, f"{NS}Coding", guid=coding_guid)
            coding.set("creatingUser", object_guid("user", coder))
            coding.set("creationDateTime", str(r.created))
            etree.SubElement(coding, f"{NS}CodeRef", targetGUID=code_guids[str(r.code)])
            if r.memo:
                memo = _Memo(
                    str(coder),
                    str(r.memo),
                    str(r.created),
                    str(r.modified),
                    f"Memo on a coding of {doc.id} [{start}:{end}] as {r.code}",
                )
                etree.SubElement(coding, f"{NS}NoteRef").set(
                    "targetGUID", out.note(memo, "coding", coding_guid)
                )
            if r.origin != "human" or r.level or r.pattern:
                auto[coding_guid] = {
                    "origin": str(r.origin),
                    "level": str(r.level),
                    "pattern": str(r.pattern),
                }
    for m in memos.sort_values(["coder"], kind="mergesort").itertuples(index=False):
        memo = _Memo(
            str(m.coder), str(m.text), str(m.created), str(m.modified), f"Memo on {doc.id}"
        )
        etree.SubElement(source, f"{NS}NoteRef").set(
            "targetGUID", out.note(memo, "document", doc.id)
        )


def _selection_name(quote: str) -> str:
    """The start of a quote, as a selection name (line breaks and non-XML characters as
    spaces, at most ``_NAME_CHARS`` characters then "…")."""
    text = NOT_XML_CHAR_RE.sub(" ", quote)
    text = " ".join(text.split())
    return text if len(text) <= _NAME_CHARS else text[:_NAME_CHARS] + "…"


def _notes_xml(root: etree._Element, notes: Sequence[_Memo]) -> None:
    if not notes:
        return
    parent = etree.SubElement(root, f"{NS}Notes")
    for memo in sorted(notes, key=lambda m: m.guid):
        note = etree.SubElement(parent, f"{NS}Note", guid=memo.guid)
        note.set("name", NOT_XML_CHAR_RE.sub(" ", memo.name))
        note.set("creatingUser", object_guid("user", memo.coder))
        note.set("creationDateTime", memo.created)
        note.set("modifyingUser", object_guid("user", memo.coder))
        note.set("modifiedDateTime", memo.modified)
        etree.SubElement(note, f"{NS}PlainTextContent").text = memo.text


def _users_xml(parent: etree._Element, out: _Export) -> None:
    if not out.users:
        parent.getparent().remove(parent)
        return
    for name in sorted(out.users):
        user = etree.SubElement(parent, f"{NS}User", guid=object_guid("user", name))
        user.set("name", out.check(name, f"coder name {name!r}"))
