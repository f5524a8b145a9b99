r"""REFI-QDA codebook exchange (``.qdc``): export to and import from NVivo, ATLAS.ti, MAXQDA,
QualCoder and other tools that follow the REFI-QDA standard (QDA-XML 1.0).

File layout
-----------
A ``.qdc`` file is XML in the namespace ``urn:QDA-XML:codebook:1.0``: a root ``CodeBook``
holding ``Codes`` (and ``Sets``, which cmqual never writes because its codebooks have no
code sets). Each ``Code`` has the attributes ``guid``, ``name`` (the code's label),
``isCodable`` and ``color`` (when the code has a colour), an optional ``Description`` and
its child codes. Exports are validated against ``cmqual/schemas/codebook.xsd`` in the tests.

Codes
-----
Guids, ``isCodable`` and the ``Description`` follow :mod:`cmqual.io.refi`: guids are
``uuid5`` of the codebook id and code path (a code imported from another tool keeps its
own), and the definition, include, exclude, examples, near misses, patterns, exclude
patterns, speakers, sources and memo are packed into the ``Description`` as labelled plain
text ("Include:", "- item" ...) that NVivo and ATLAS.ti users can read and cmqual reads back
exactly. Free text from other tools becomes the definition.

Codebook metadata
-----------------
REFI-QDA has no place for a codebook's id, title, version, description or sources, and the
schema allows no extra attributes. cmqual writes them, with the code ids, as JSON in an XML
processing instruction before the root element::

    <?cmqual-codebook {"id": "scoping-study", "title": ..., "code_ids": {guid: id}}?>

Processing instructions are part of XML for exactly this (data for one application that
others skip), so the file stays valid and NVivo, ATLAS.ti, MAXQDA and QualCoder import the
codes, names, colours and descriptions and ignore the rest: those tools show no codebook
title or version, and a file they export again no longer carries this line. Importing a
``.qdc`` without it, cmqual takes the codebook id and title from the file name (version
``"1"``), makes code
ids from the names (accents folded, lower case, unique among siblings) and rebuilds the
codebook's source list from the ``Sources:`` citations.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from cmqual._version import __version__
from cmqual.codebook import Code, Codebook, Source, from_dict, to_dict
from cmqual.errors import CmqualWarning, ExchangeError
from cmqual.io.refi import (
    GUID_RE,
    RGB_RE,
    code_guid,
    derived_guid,
    exchange_state,
    from_description,
    keep_exchange_data,
    same_guid,
    slugify,
    to_description,
)
from cmqual.io.tables import write_text
from cmqual.xmlsafe import local_name, parse_xml

__all__ = ["CODEBOOK_NAMESPACE", "read_qdc", "to_qdc_string", "write_qdc"]

#: XML namespace of REFI-QDA codebook files.
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"

_PI_TARGET = "cmqual-codebook"
_PI_FORMAT = 1
_NS = f"{{{CODEBOOK_NAMESPACE}}}"
# Characters XML 1.0 cannot carry at all (the Char production, XML 1.0 section 2.2).
_NOT_XML_CHAR_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def to_qdc_string(codebook: Codebook) -> str:
    """Return ``codebook`` as the text of a REFI-QDA ``.qdc`` file.

    The XML declaration says UTF-8: encode the string as UTF-8 before writing it (or use
    :func:`write_qdc`). The same codebook always gives the same string.

    Parameters
    ----------
    codebook : Codebook
        A validated codebook with at least one code.

    Returns
    -------
    str
        The document, with a ``cmqual-codebook`` processing instruction carrying the
        codebook's metadata (module docstring, "Codebook metadata").

    Raises
    ------
    ExchangeError
        Every problem that keeps the codebook from being written as valid REFI-QDA, at
        once: no codes, a colour that is not ``#rgb``/``#rrggbb``, text with characters XML
        cannot hold (control characters), a source id containing ``": "``.

    Examples
    --------
    >>> c = Code(id="power", label="Power", path="power", ref="cb/power", colour="#1f77b4")
    >>> xml = to_qdc_string(Codebook(id="cb", title="CB", version="1", codes=(c,)))
    >>> '<Code guid="103FFA99-B9A3-51B7-9A6E-C23967780433" name="Power"' in xml
    True
    """
    problems: list[str] = []
    if not codebook.codes:
        problems.append("the codebook has no codes; a REFI-QDA codebook needs at least one")
    root = etree.Element(f"{_NS}CodeBook", nsmap={None: CODEBOOK_NAMESPACE})
    root.set("origin", f"cmqual {__version__}")
    codes_el = etree.SubElement(root, f"{_NS}Codes")
    code_ids: dict[str, str] = {}
    for code in codebook.codes:
        _append_code(codes_el, codebook, code, code_ids, problems)
    metadata = {
        "format": _PI_TARGET,
        "format_version": _PI_FORMAT,
        "id": codebook.id,
        "title": codebook.title,
        "version": codebook.version,
        "description": codebook.description,
        "sources": [{"id": s.id, "citation": s.citation, "file": s.file} for s in codebook.sources],
        "code_ids": code_ids,
    }
    for where, value in _strings(metadata, "codebook"):
        _check_xml_text(value, where, problems)
    if problems:
        raise ExchangeError(f"codebook {codebook.id!r} cannot be written as REFI-QDA", problems)
    # JSON only has ">" inside strings, so escaping it there keeps "?>" out of the PI.
    payload = json.dumps(metadata, ensure_ascii=False, sort_keys=True, indent=1)
    root.addprevious(etree.ProcessingInstruction(_PI_TARGET, payload.replace(">", "\\u003e")))
    body = etree.tostring(root.getroottree(), encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def write_qdc(codebook: Codebook, path: str | os.PathLike[str]) -> Path:
    """Write ``codebook`` to a REFI-QDA ``.qdc`` file (UTF-8, atomically).

    NVivo (Import > Codebook), ATLAS.ti (Codes > Import codebook), MAXQDA (Codes >
    Import > REFI-QDA codebook) and QualCoder (Project > Import codebook) read it.

    Parameters
    ----------
    codebook : Codebook
        The codebook.
    path : path-like
        Destination; any existing file is replaced in one step.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ExchangeError
        See :func:`to_qdc_string`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> c = Code(id="power", label="Power", path="power", ref="cb/power")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "cb.qdc"
    >>> write_qdc(Codebook(id="cb", title="CB", version="1", codes=(c,)), out).name
    'cb.qdc'
    """
    return write_text(path, to_qdc_string(codebook))


def _append_code(
    parent: etree._Element,
    codebook: Codebook,
    code: Code,
    code_ids: dict[str, str],
    problems: list[str],
) -> None:
    where = f"code {code.ref or code.path}"
    guid = code_guid(codebook, code)
    _, codable = exchange_state(code)
    code_ids[guid] = code.id
    element = etree.SubElement(parent, f"{_NS}Code")
    element.set("guid", guid)
    if _check_xml_text(code.label, f"{where} label", problems):
        element.set("name", code.label)
    element.set("isCodable", "true" if codable else "false")
    if code.colour:
        if RGB_RE.fullmatch(code.colour):
            element.set("color", code.colour)
        else:
            problems.append(f"{where}: colour {code.colour!r} is not #rgb or #rrggbb")
    try:
        description = to_description(code, codebook.sources)
    except ExchangeError as exc:
        problems.append(f"{where}: {exc}")
        description = ""
    if description and _check_xml_text(description, f"{where} text", problems):
        etree.SubElement(element, f"{_NS}Description").text = description
    for child in code.codes:
        _append_code(element, codebook, child, code_ids, problems)


def _check_xml_text(value: str, where: str, problems: list[str]) -> bool:
    match = _NOT_XML_CHAR_RE.search(value)
    if match is None:
        return True
    problems.append(
        f"{where}: character U+{ord(match.group()):04X} at position {match.start()} cannot be "
        "stored in XML; remove it"
    )
    return False


def _strings(value: Any, where: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{where} {key}")
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, where)


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def read_qdc(path: str | os.PathLike[str] | BinaryIO) -> Codebook:
    """Read a REFI-QDA ``.qdc`` codebook written by cmqual or any other tool.

    Files from cmqual come back exactly as they were written. Files from other tools are
    read leniently: flat or nested code lists, guids in any case with or without braces,
    no colours or ``#rgb`` colours (widened to ``#rrggbb``), no or free-text descriptions
    (they become the definition), category codes with ``isCodable="false"``. Without
    cmqual's metadata the codebook's id and title come from the file name and its version
    is ``"1"``. Code ids are made from the names (see
    :func:`cmqual.io.refi.slugify`); each code's original guid is kept so that exporting it
    again keeps it.

    Parameters
    ----------
    path : path-like or binary file object
        The ``.qdc`` file. It is parsed with :func:`cmqual.xmlsafe.parse_xml` (no DTDs,
        no network, 50 MB limit).

    Returns
    -------
    Codebook

    Raises
    ------
    ExchangeError
        The file is unsafe or not well-formed XML, is not a REFI-QDA codebook, has no
        codes, or has codes without names (all such codes are listed, with their lines).
    CodebookError
        The codes do not make a valid cmqual codebook (the checks of
        :func:`cmqual.codebook.read_codebook`, e.g. a pattern that does not parse).

    Warns
    -----
    CmqualWarning
        Code sets were skipped, or a guid, colour or ``isCodable`` value was unusable and
        was replaced.

    Examples
    --------
    >>> import io
    >>> data = '''<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
    ...   <Code guid="{0E3B6F0A-1C2D-4E5F-8A9B-0C1D2E3F4A5B}" name="Épreuve" isCodable="true"/>
    ... </Codes></CodeBook>'''
    >>> read_qdc(io.BytesIO(data.encode("utf-8"))).codes[0].id
    'epreuve'
    """
    root = parse_xml(path)
    label = _source_label(path)
    namespace = etree.QName(root).namespace
    if local_name(root) != "CodeBook" or not _is_codebook_namespace(namespace):
        hint = (
            " (a REFI-QDA project: import the .qdpx file instead)"
            if local_name(root) == "Project"
            else ""
        )
        raise ExchangeError(
            f"{label}: the root element is {local_name(root)!r} in namespace "
            f"{namespace or '(none)'}; a REFI-QDA codebook has CodeBook in "
            f"{CODEBOOK_NAMESPACE}{hint}"
        )
    prefix = f"{{{namespace}}}" if namespace else ""
    metadata = _read_metadata(root, label)
    codes_el = root.find(f"{prefix}Codes")
    if codes_el is None:
        raise ExchangeError(f"{label}: CodeBook has no Codes element (line {root.sourceline})")
    sets_el = root.find(f"{prefix}Sets")
    if sets_el is not None and len(sets_el.findall(f"{prefix}Set")):
        names = ", ".join(s.get("name", "?") for s in sets_el.findall(f"{prefix}Set"))
        warnings.warn(
            f"{label}: code sets are not imported (cmqual codebooks have no sets): {names}",
            CmqualWarning,
            stacklevel=2,
        )
    if metadata is None:
        named = label not in ("<bytes>", "<stream>")
        stem = Path(label).stem if named else "codebook"
        origin = root.get("origin", "")
        codebook_id = slugify(stem, sep="-") or "codebook"
        metadata = {
            # "default" names cmqual's default selection and cannot be a codebook id.
            "id": "default-codebook" if codebook_id == "default" else codebook_id,
            "title": stem,
            "version": "1",
            "description": f"Imported from {Path(label).name if named else 'a REFI-QDA file'}"
            + (f", written by {origin}." if origin else "."),
            "sources": None,
            "code_ids": {},
        }
    reader = _CodeReader(label, prefix, metadata["id"], metadata["code_ids"])
    codes = reader.read_children(codes_el, "")
    if reader.problems:
        raise ExchangeError(f"{label}: cannot import this codebook", reader.problems)
    for message in reader.warnings:
        warnings.warn(f"{label}: {message}", CmqualWarning, stacklevel=2)
    if not codes:
        raise ExchangeError(f"{label}: has no codes (Codes, line {codes_el.sourceline}, is empty)")
    if metadata["sources"] is None:
        sources = tuple(
            Source(id=k, citation=v or f"{k} (no citation in {Path(label).name})")
            for k, v in reader.citations.items()
        )
    else:
        sources = tuple(Source(**s) for s in metadata["sources"])
    codebook = Codebook(
        id=metadata["id"],
        title=metadata["title"],
        version=metadata["version"],
        description=metadata["description"],
        sources=sources,
        codes=codes,
    )
    # Validate once, at the edge, with the same rules as a YAML codebook (ids, patterns...).
    return from_dict(to_dict(codebook), name=label)


def _source_label(path: object) -> str:
    if isinstance(path, str | os.PathLike):
        return str(path)
    return str(getattr(path, "name", "<stream>"))


def _is_codebook_namespace(namespace: str | None) -> bool:
    # Accept the standard namespace, none at all (hand-written files), and minor spellings.
    return namespace is None or namespace.lower().startswith("urn:qda-xml:codebook")


_METADATA_KEYS = {
    "id": str,
    "title": str,
    "version": str,
    "description": str,
    "sources": list,
    "code_ids": dict,
}


def _read_metadata(root: etree._Element, label: str) -> dict[str, Any] | None:
    node = root.getprevious()
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == _PI_TARGET:
            break
        node = node.getprevious()
    else:
        return None
    fix = f"; remove the <?{_PI_TARGET} ...?> line to import the codes without it"
    try:
        metadata = json.loads(node.text or "")
    except json.JSONDecodeError as exc:
        raise ExchangeError(
            f"{label}: cmqual metadata (line {node.sourceline}) is not valid JSON: {exc}{fix}"
        ) from None
    bad = [
        key
        for key, kind in _METADATA_KEYS.items()
        if not isinstance(metadata, dict) or not isinstance(metadata.get(key), kind)
    ]
    if not bad and metadata.get("format_version") != _PI_FORMAT:
        bad.append("format_version")
    source_keys = {"id", "citation", "file"}
    if not bad and not all(
        isinstance(s, dict)
        and set(s) == source_keys
        and all(isinstance(v, str) for v in s.values())
        for s in metadata["sources"]
    ):
        bad.append("sources")
    if bad:
        raise ExchangeError(
            f"{label}: cmqual metadata (line {node.sourceline}) has missing or unusable "
            f"{', '.join(bad)}{fix}"
        )
    return metadata


class _CodeReader:
    """Turns Code elements into Code objects, collecting problems and warnings."""

    def __init__(
        self, label: str, prefix: str, codebook_id: str, code_ids: Mapping[str, str]
    ) -> None:
        self.label = label
        self.prefix = prefix
        self.codebook_id = codebook_id
        self.code_ids = code_ids
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.citations: dict[str, str] = {}
        self.seen_guids: dict[str, int] = {}

    def read_children(self, parent: etree._Element, parent_path: str) -> tuple[Code, ...]:
        codes: list[Code] = []
        taken: set[str] = set()
        for element in parent.iterchildren(f"{self.prefix}Code"):
            code = self.read_code(element, parent_path, taken)
            if code is not None:
                codes.append(code)
        return tuple(codes)

    def read_code(self, element: etree._Element, parent_path: str, taken: set[str]) -> Code | None:
        line = element.sourceline
        name = element.get("name")
        if name is None or not name.strip():
            self.problems.append(f"line {line}: Code has no name; give it a name attribute")
            return None
        where = f"code {name!r} (line {line})"
        guid = self._guid(element, where)
        codable = self._codable(element, where)
        colour = element.get("color", "").strip()
        if colour and not RGB_RE.fullmatch(colour):
            self.warnings.append(f"{where}: colour {colour!r} is not #rgb or #rrggbb; dropped")
            colour = ""
        elif len(colour) == 4:  # cmqual colours are #rrggbb; #rgb is shorthand for it
            colour = "#" + "".join(ch * 2 for ch in colour[1:])
        code_id = self._code_id(guid, name, taken)
        path = f"{parent_path}/{code_id}" if parent_path else code_id
        desc_el = element.find(f"{self.prefix}Description")
        parts = from_description(desc_el.text or "" if desc_el is not None else "")
        for source_id in parts.sources:
            self.citations.setdefault(source_id, "")
        for source_id, citation in parts.citations:
            self.citations[source_id] = self.citations[source_id] or citation
        fields = parts.code_fields()
        foreign = guid and not same_guid(guid, derived_guid(self.codebook_id, path))
        fields = keep_exchange_data(fields, guid=guid if foreign else "", codable=codable)
        return Code(
            id=code_id,
            label=name,
            path=path,
            ref=f"{self.codebook_id}/{path}",
            colour=colour,
            codes=self.read_children(element, path),
            **fields,
        )

    def _guid(self, element: etree._Element, where: str) -> str:
        guid = (element.get("guid") or "").strip()
        if not guid:
            self.warnings.append(f"{where}: has no guid; cmqual will give it one on export")
            return ""
        if not GUID_RE.fullmatch(guid):
            self.warnings.append(
                f"{where}: guid {guid!r} is not a GUID; cmqual will give it a new one on export"
            )
            return ""
        key = guid.strip("{}").lower()
        if key in self.seen_guids:
            self.warnings.append(
                f"{where}: guid {guid} is also used on line {self.seen_guids[key]}; "
                "cmqual will give this code a new one on export"
            )
            return ""
        self.seen_guids[key] = element.sourceline or 0
        return guid

    def _codable(self, element: etree._Element, where: str) -> bool:
        value = element.get("isCodable")
        if value is None:
            return True
        value = value.strip()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        self.warnings.append(f"{where}: isCodable={value!r} is not true or false; read as true")
        return True

    def _code_id(self, guid: str, name: str, taken: set[str]) -> str:
        known = self.code_ids.get(guid) if guid else None
        base = known if known and known not in taken else slugify(name) or "code"
        code_id, n = base, 1
        while code_id in taken:
            n += 1
            code_id = f"{base}_{n}"
        taken.add(code_id)
        return code_id
