"""Hardened XML parsing for exchange files (REFI-QDA ``.qdc`` codebooks, ``.qdpx`` projects).

Exchange files come from other people's machines, so they are parsed as untrusted input:

* **No DTDs at all.** A ``<!DOCTYPE ...>`` is refused before anything in it is processed.
  DTDs are how XML declares entities, and entities are how the classic attacks work:
  external entities that read local files or fetch URLs (XXE), and nested entities that
  expand to gigabytes ("billion laughs"). REFI-QDA files never need one.
* **No network, no entity expansion.** The tree is built by lxml with
  ``resolve_entities=False``, ``load_dtd=False`` and ``no_network=True``, so even if the
  check above were bypassed nothing would be fetched or expanded.
* **Size limit.** Files over :data:`MAX_XML_BYTES` (50 MB; a codebook is a few KB, a
  project.qde a few MB) are refused before they are read. libxml2's own limits stay on
  (``huge_tree=False``: nesting deeper than 256 elements, text nodes over 10 MB).

Every refusal is an :class:`~cmqual.errors.ExchangeError` that names the file and says what
was wrong. The DOCTYPE check runs with the standard library's expat parser over the prolog
only (it stops at the first element), then lxml builds the tree.

Examples
--------
>>> root = parse_xml(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
>>> root.tag
'{urn:QDA-XML:codebook:1.0}CodeBook'
"""

from __future__ import annotations

import os
import xml.parsers.expat
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from cmqual.errors import ExchangeError, InputFileError

__all__ = ["MAX_XML_BYTES", "XmlSource", "local_name", "parse_xml", "read_limited"]

#: Largest XML document cmqual will parse, in bytes (50 MB).
MAX_XML_BYTES: int = 50_000_000

#: What :func:`parse_xml` accepts: a path, the raw bytes, or a binary file object.
XmlSource = str | os.PathLike[str] | bytes | BinaryIO


_NO_ELEMENTS = xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_NO_ELEMENTS]


class _PrologDone(Exception):
    """Raised from expat's first start-element handler: the prolog was clean."""


class _DoctypeFound(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def parse_xml(
    source: XmlSource, *, name: str | None = None, max_bytes: int = MAX_XML_BYTES
) -> etree._Element:
    """Parse untrusted XML and return its root element.

    Parameters
    ----------
    source : path, bytes or binary file object
        The document. Paths are checked against ``max_bytes`` before they are opened;
        file objects are read to at most ``max_bytes + 1`` bytes.
    name : str, optional
        File name used in messages (defaults to the path, the file object's ``name``,
        or ``"<bytes>"``).
    max_bytes : int
        Size limit in bytes (default :data:`MAX_XML_BYTES`).

    Returns
    -------
    lxml.etree._Element
        The root element; comments and processing instructions are kept (the prolog's
        are reachable with ``root.getprevious()``) and elements know their
        ``sourceline``.

    Raises
    ------
    InputFileError
        ``source`` is a path that does not exist or is a folder.
    ExchangeError
        The document is too large, has a DOCTYPE, or is not well-formed XML.

    Examples
    --------
    >>> parse_xml(b"<a><b/></a>").find("b").tag
    'b'
    >>> parse_xml(b'<!DOCTYPE a [<!ENTITY x "y">]><a/>', name="x.qdc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cmqual.errors.ExchangeError: x.qdc: line 1 has a DOCTYPE declaration; ...
    """
    data, label = read_limited(source, name=name, max_bytes=max_bytes)
    _refuse_doctype(data, label)
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        collect_ids=False,
        remove_comments=False,
        remove_pis=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        reason = exc.msg.split(", line ")[0] if exc.msg else "syntax error"
        raise ExchangeError(
            f"{label}: not well-formed XML at line {line}, column {column}: {reason}"
        ) from None
    docinfo = root.getroottree().docinfo
    # Defence in depth: the expat scan should already have refused any DTD.
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ExchangeError(_doctype_message(label, 0))
    return root


def read_limited(
    source: XmlSource, *, name: str | None = None, max_bytes: int = MAX_XML_BYTES
) -> tuple[bytes, str]:
    """Return ``(data, label)`` for ``source``, refusing more than ``max_bytes`` bytes.

    Shared by the XML readers so that every exchange format applies the same limit.

    Examples
    --------
    >>> read_limited(b"<a/>")
    (b'<a/>', '<bytes>')
    """
    if isinstance(source, bytes | bytearray):
        data, label = bytes(source), name or "<bytes>"
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        label = name or str(path)
        if not path.exists():
            raise InputFileError(f"{label}: no such file")
        if not path.is_file():
            raise InputFileError(f"{label}: is a folder, not a file")
        size = path.stat().st_size
        if size > max_bytes:
            raise ExchangeError(_too_large(label, f"is {size / 1e6:.1f} MB", max_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    else:
        label = name or str(getattr(source, "name", "<stream>"))
        data = source.read(max_bytes + 1)
        if isinstance(data, str):
            raise ExchangeError(f"{label}: open the file in binary mode ('rb'), not text mode")
    if len(data) > max_bytes:
        raise ExchangeError(_too_large(label, "is larger than that", max_bytes))
    return data, label


def local_name(element: etree._Element) -> str:
    """Return an element's tag without its namespace (``""`` for comments and PIs).

    Examples
    --------
    >>> local_name(parse_xml(b'<x:a xmlns:x="urn:x"/>'))
    'a'
    """
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _refuse_doctype(data: bytes, label: str) -> None:
    """Scan the prolog with expat and refuse any DOCTYPE before lxml sees the document."""
    scanner = xml.parsers.expat.ParserCreate()

    def on_doctype(*_args: object) -> None:
        raise _DoctypeFound(scanner.CurrentLineNumber)

    def on_start(*_args: object) -> None:
        raise _PrologDone

    scanner.StartDoctypeDeclHandler = on_doctype
    scanner.StartElementHandler = on_start
    try:
        scanner.Parse(data, True)
    except _PrologDone:
        return
    except _DoctypeFound as found:
        raise ExchangeError(_doctype_message(label, found.line)) from None
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code)
        if exc.code == _NO_ELEMENTS:
            raise ExchangeError(f"{label}: contains no XML element (empty or cut short)") from None
        raise ExchangeError(
            f"{label}: not well-formed XML at line {exc.lineno}, column {exc.offset}: {reason}"
        ) from None


def _doctype_message(label: str, line: int) -> str:
    where = f"line {line} has" if line else "has"
    return (
        f"{label}: {where} a DOCTYPE declaration; cmqual refuses DTDs in exchange files "
        "because they can declare entities that read local files, reach the network or expand "
        "without limit. REFI-QDA files never need one: remove the <!DOCTYPE ...> declaration"
    )


def _too_large(label: str, found: str, max_bytes: int) -> str:
    return (
        f"{label}: {found}; cmqual refuses exchange files over {max_bytes / 1e6:.0f} MB "
        f"({max_bytes} bytes) as a safety limit. Check that this is the right file"
    )
