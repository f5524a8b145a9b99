r"""REFI-QDA conventions for codes, shared by the ``.qdc`` codebook and ``.qdpx`` project formats.

The REFI-QDA ``Code`` element (QDA-XML 1.0, the same ``CodeType`` in codebooks and projects)
carries a guid, a name, ``isCodable``, a colour and one free-text ``Description``. This module
says how a cmqual :class:`~cmqual.codebook.Code` maps onto that: how guids are made and kept,
and how the code's text fields are packed into the ``Description``. :mod:`cmqual.io.qdc` uses
it for codebook files.

GUIDs
-----
A code's guid is ``uuid5(GUID_NAMESPACE, "<codebook id>/<code path>")`` (the code's
``ref``), written in upper case. :data:`GUID_NAMESPACE` is fixed at
``303fbacf-f3e6-594d-bc93-c801d9306332``, itself ``uuid5(NAMESPACE_URL,
"urn:cmqual:refi-qda:code-guid")``. The same codebook therefore always gets the same guids,
and a code keeps its guid as long as its id and its parents' ids do not change.

A code imported from another tool keeps that tool's guid (verbatim, braces and case as
written) so that exporting it again gives the other tool the guid it knows. The guid is
kept in ``Code.guid`` when the data model has that field; until then it is kept in the
last line of the code's memo as ``[REFI-QDA: guid={…}]``. ``isCodable="false"`` (a pure
category in ATLAS.ti or QualCoder) is kept the same way (``[REFI-QDA: isCodable=false]``)
because cmqual codes are always codable. Exports strip that line from the memo.

Description convention
----------------------
REFI-QDA gives a code one free-text ``Description``. cmqual packs the code's text fields into
it so that it reads as plain text in NVivo's or ATLAS.ti's code properties and round-trips
exactly (``read_qdc(write_qdc(codebook)) == codebook``)::

    Talk about who holds power in a mentoring relationship.

    Include:
    - Mentor is also the mentee's line manager
    - A long item whose text runs
      over two lines

    Exclude:
    - Peer support between equals

    Examples:
    - "My mentor was my head of department"

    Patterns:
    - line manag*

    Speakers: participants

    Sources:
    - seed-002: Summary of a 2008 scoping study of coaching and mentoring (LLUK)

    Memo:
    Free text, as many lines as needed.

Rules:

1. The definition comes first, as written. Then, each only when it is not empty and always
   in this order: ``Include:``, ``Exclude:``, ``Examples:``, ``Near misses:``,
   ``Patterns:``, ``Exclude patterns:``, ``Speakers: <value>`` (only when speakers is not
   ``all``), ``Sources:`` and ``Memo:``. Blocks are separated by exactly one empty line.
2. A list section is its label on a line of its own, then one line per item starting with
   ``- `` (an empty item is a lone ``-``). A line break inside an item continues on the
   next line indented by two spaces.
3. ``Sources:`` items are ``<source id>: <citation>``; the citation comes from the codebook's
   sources and is there for people reading the code in another tool (cmqual reads only the
   id). Source ids must not contain ``": "`` or line breaks.
4. ``Memo:`` is followed by the memo's text on the next lines, to the end.
5. Escaping: in the definition and the memo, a line that could be taken for a section label
   (``Include:`` ... ``Memo:`` alone on a line, or a line starting with ``Speakers: ``) and
   any line starting with a backslash get one extra backslash in front. Reading removes one
   backslash from every line of those two blocks that starts with one.

When a ``Description`` does not follow these rules exactly (text written in another tool),
the whole text becomes the code's definition, unchanged. The test for "follows the rules" is
that writing the parsed fields again gives back the same text, character for character.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cmqual.codebook import Code, Codebook, Source
from cmqual.errors import ExchangeError

__all__ = [
    "GUID_NAMESPACE",
    "GUID_RE",
    "RGB_RE",
    "DescriptionParts",
    "code_guid",
    "derived_guid",
    "exchange_state",
    "from_description",
    "keep_exchange_data",
    "same_guid",
    "slugify",
    "to_description",
]

#: Namespace UUID for code guids: ``uuid5(NAMESPACE_URL, "urn:cmqual:refi-qda:code-guid")``.
GUID_NAMESPACE = uuid.UUID("303fbacf-f3e6-594d-bc93-c801d9306332")
#: The REFI-QDA schema's GUIDType: 8-4-4-4-12 hex digits, optionally in braces.
GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)
#: The REFI-QDA schema's RGBType: ``#rgb`` or ``#rrggbb``.
RGB_RE = re.compile(r"#(?:[A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})")

# --------------------------------------------------------------------------------------------
# Description convention
# --------------------------------------------------------------------------------------------

#: Code fields packed into the Description, list sections in their order, with their labels.
_LIST_SECTIONS: tuple[tuple[str, str], ...] = (
    ("include", "Include"),
    ("exclude", "Exclude"),
    ("examples", "Examples"),
    ("near_misses", "Near misses"),
    ("patterns", "Patterns"),
    ("exclude_patterns", "Exclude patterns"),
)
_LABEL_TO_FIELD = {f"{label}:": name for name, label in _LIST_SECTIONS}
_SOURCES_HEADER = "Sources:"
_MEMO_HEADER = "Memo:"
_SPEAKERS_PREFIX = "Speakers: "
_HEADERS = frozenset({*_LABEL_TO_FIELD, _SOURCES_HEADER, _MEMO_HEADER})


@dataclasses.dataclass(frozen=True)
class DescriptionParts:
    """The code fields a REFI-QDA ``Description`` carries (see the module docstring).

    ``citations`` holds ``(source id, citation)`` for each ``Sources:`` item that had a
    citation; cmqual uses it only to rebuild a codebook's sources when a file has no
    cmqual metadata.
    """

    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    speakers: str = "all"
    sources: tuple[str, ...] = ()
    memo: str = ""
    citations: tuple[tuple[str, str], ...] = ()

    def code_fields(self) -> dict[str, Any]:
        """Return the fields as keyword arguments for :class:`~cmqual.codebook.Code`."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "citations"
        }


def to_description(code: Code, sources: Iterable[Source] = ()) -> str:
    r"""Pack a code's text fields into one plain-text REFI-QDA ``Description``.

    Parameters
    ----------
    code : Code
        The code; its definition, lists, speakers, sources and memo are written (a
        ``[REFI-QDA: ...]`` line at the end of the memo is not: it is exchange data).
    sources : iterable of Source
        The codebook's sources, used to write a citation after each source id.

    Returns
    -------
    str
        The text, following the convention in this module's docstring (``""`` when the
        code has no text at all).

    Raises
    ------
    ExchangeError
        A source id contains ``": "`` or a line break, or speakers a line break.

    Examples
    --------
    >>> c = Code(id="power", label="Power", path="power", ref="cb/power",
    ...          definition="Who holds power.", include=("line manager",), sources=("s1",))
    >>> print(to_description(c, [Source("s1", "Scoping study (2008)")]))
    Who holds power.
    <BLANKLINE>
    Include:
    - line manager
    <BLANKLINE>
    Sources:
    - s1: Scoping study (2008)
    """
    return _render(_parts_of(code), {s.id: s.citation for s in sources})


def from_description(text: str) -> DescriptionParts:
    r"""Unpack a REFI-QDA ``Description`` written by :func:`to_description`.

    Text that does not follow the convention exactly (free text from another tool)
    becomes the definition, unchanged.

    Examples
    --------
    >>> from_description("Who holds power.\n\nInclude:\n- line manager").include
    ('line manager',)
    >>> from_description("Free text from NVivo.\nInclude: bosses").definition
    'Free text from NVivo.\nInclude: bosses'
    """
    parts = _parse(text)
    if parts is not None:
        citations = dict(parts.citations)
        if _render(parts, citations) == text:
            return parts
    return DescriptionParts(definition=text)


def _parts_of(code: Code) -> DescriptionParts:
    memo, _ = _split_trailer(code.memo)
    return DescriptionParts(
        definition=code.definition,
        **{name: tuple(getattr(code, name)) for name, _ in _LIST_SECTIONS},
        speakers=code.speakers,
        sources=tuple(code.sources),
        memo=memo,
    )


def _render(parts: DescriptionParts, citations: Mapping[str, str]) -> str:
    blocks: list[str] = []
    if parts.definition:
        blocks.append(_escape_prose(parts.definition))
    for name, label in _LIST_SECTIONS:
        items = getattr(parts, name)
        if items:
            blocks.append("\n".join([f"{label}:", *map(_render_item, items)]))
    if parts.speakers != "all":
        if "\n" in parts.speakers:
            raise ExchangeError(f"speakers {parts.speakers!r} contains a line break")
        blocks.append(_SPEAKERS_PREFIX + parts.speakers)
    if parts.sources:
        lines = [_SOURCES_HEADER]
        for source_id in parts.sources:
            if ": " in source_id or "\n" in source_id:
                raise ExchangeError(
                    f"source id {source_id!r} contains ': ' or a line break, which the "
                    "REFI-QDA Description cannot carry; rename the source"
                )
            citation = citations.get(source_id, "")
            lines.append(_render_item(f"{source_id}: {citation}" if citation else source_id))
        blocks.append("\n".join(lines))
    if parts.memo:
        blocks.append(f"{_MEMO_HEADER}\n{_escape_prose(parts.memo)}")
    return "\n\n".join(blocks)


def _render_item(item: str) -> str:
    first, *rest = item.split("\n")
    head = f"- {first}" if first else "-"
    return "\n".join([head, *(f"  {line}" for line in rest)])


def _is_header(line: str) -> bool:
    return line in _HEADERS or line.startswith(_SPEAKERS_PREFIX)


def _escape_prose(text: str) -> str:
    return "\n".join(
        f"\\{line}" if line.startswith("\\") or _is_header(line) else line
        for line in text.split("\n")
    )


def _unescape_prose(lines: Sequence[str]) -> str:
    return "\n".join(line[1:] if line.startswith("\\") else line for line in lines)


def _parse(text: str) -> DescriptionParts | None:
    """Parse the convention; ``None`` when the text cannot have been written by it."""
    lines = text.split("\n")
    starts = [
        i for i, line in enumerate(lines) if _is_header(line) and (i == 0 or lines[i - 1] == "")
    ]
    if not starts:
        return DescriptionParts(definition=_unescape_prose(lines))
    first = starts[0]
    fields: dict[str, Any] = {
        "definition": _unescape_prose(lines[: first - 1]) if first else "",
    }
    citations: list[tuple[str, str]] = []
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    for start, end in zip(starts, ends, strict=True):
        header, body = lines[start], lines[start + 1 : end]
        if header.startswith(_SPEAKERS_PREFIX):
            key, value = "speakers", header[len(_SPEAKERS_PREFIX) :]
            if body:
                return None
        elif header == _MEMO_HEADER:
            key, value = "memo", _unescape_prose(body)
        else:
            items = _parse_items(body)
            if items is None:
                return None
            if header == _SOURCES_HEADER:
                key, value = "sources", tuple(item.split(": ", 1)[0] for item in items)
                citations.extend(tuple(item.split(": ", 1)) for item in items if ": " in item)
            else:
                key, value = _LABEL_TO_FIELD[header], tuple(items)
        if key in fields:
            return None
        fields[key] = value
    return DescriptionParts(**fields, citations=tuple(citations))


def _parse_items(lines: Sequence[str]) -> list[str] | None:
    items: list[str] = []
    for line in lines:
        if line == "-" or line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += "\n" + line[2:]
        else:
            return None
    return items


# --------------------------------------------------------------------------------------------
# GUIDs and the interim memo trailer
# --------------------------------------------------------------------------------------------

_CODE_FIELDS = frozenset(f.name for f in dataclasses.fields(Code))
_TRAILER_RE = re.compile(r"\[REFI-QDA: ([^\]\n]*)\]\Z")


def _split_trailer(memo: str) -> tuple[str, dict[str, str]]:
    """Split ``[REFI-QDA: guid=...; isCodable=false]`` off the end of a memo.

    Only what :func:`_with_trailer` writes counts: the line alone, or after a non-empty memo
    and one line break. Anything else is ordinary memo text.
    """
    match = _TRAILER_RE.search(memo)
    if match is None:
        return memo, {}
    start = match.start()
    if start and (start == 1 or memo[start - 1] != "\n"):
        return memo, {}
    values: dict[str, str] = {}
    for pair in match.group(1).split("; "):
        key, sep, value = pair.partition("=")
        if not sep or key not in ("guid", "isCodable") or key in values:
            return memo, {}
        values[key] = value
    if "guid" in values and not GUID_RE.fullmatch(values["guid"]):
        return memo, {}
    if values.get("isCodable", "false") != "false":
        return memo, {}
    return memo[: max(start - 1, 0)], values


def _with_trailer(memo: str, values: Mapping[str, str]) -> str:
    if not values:
        return memo
    line = "[REFI-QDA: " + "; ".join(f"{k}={v}" for k, v in values.items()) + "]"
    return f"{memo}\n{line}" if memo else line


def derived_guid(codebook_id: str, path: str) -> str:
    """Return the content-derived guid of the code at ``path`` in codebook ``codebook_id``.

    Examples
    --------
    >>> derived_guid("cb", "power")
    '103FFA99-B9A3-51B7-9A6E-C23967780433'
    """
    return str(uuid.uuid5(GUID_NAMESPACE, f"{codebook_id}/{path}")).upper()


def same_guid(a: str, b: str) -> bool:
    """Return whether two guids name the same UUID (case and braces do not matter).

    Examples
    --------
    >>> same_guid("{0e3b6f0a-1c2d-4e5f-8a9b-0c1d2e3f4a5b}", "0E3B6F0A-1C2D-4E5F-8A9B-0C1D2E3F4A5B")
    True
    """
    return a.strip("{}").lower() == b.strip("{}").lower()


def exchange_state(code: Code) -> tuple[str, bool]:
    r"""Return the guid a code brought from another tool (``""`` if none) and its isCodable.

    Reads ``Code.guid`` / ``Code.codable`` when the data model has them, else the memo's
    ``[REFI-QDA: ...]`` line (see the module docstring).

    Examples
    --------
    >>> exchange_state(Code(id="a", label="A", path="a", ref="cb/a",
    ...                     memo="Note.\n[REFI-QDA: isCodable=false]"))
    ('', False)
    """
    _, trailer = _split_trailer(code.memo)
    guid = getattr(code, "guid", "") or trailer.get("guid", "")
    codable = getattr(code, "codable", True) and trailer.get("isCodable") != "false"
    return guid, codable


def keep_exchange_data(fields: dict[str, Any], *, guid: str, codable: bool) -> dict[str, Any]:
    r"""Return :class:`~cmqual.codebook.Code` keyword arguments that also keep a foreign guid
    and ``isCodable="false"``, so that exporting the code again writes them back.

    They go into ``guid``/``codable`` fields when :class:`~cmqual.codebook.Code` has them,
    otherwise into a ``[REFI-QDA: ...]`` line at the end of ``fields["memo"]``.
    ``guid=""`` keeps no guid.

    Examples
    --------
    >>> keep_exchange_data({"memo": "Note."}, guid="", codable=False)["memo"]
    'Note.\n[REFI-QDA: isCodable=false]'
    """
    fields = dict(fields)
    trailer: dict[str, str] = {}
    if guid:
        if "guid" in _CODE_FIELDS:
            fields["guid"] = guid
        else:
            trailer["guid"] = guid
    if not codable:
        if "codable" in _CODE_FIELDS:
            fields["codable"] = False
        else:
            trailer["isCodable"] = "false"
    fields["memo"] = _with_trailer(fields.get("memo", ""), trailer)
    return fields


def code_guid(codebook: Codebook, code: Code) -> str:
    """Return the REFI-QDA guid cmqual writes for ``code``.

    The guid an imported code brought from another tool, else the content-derived one
    (see the module docstring). ``.qdpx`` exports use it for ``CodeRef`` targets.

    Examples
    --------
    >>> c = Code(id="power", label="Power", path="power", ref="cb/power")
    >>> code_guid(Codebook(id="cb", title="CB", version="1", codes=(c,)), c)
    '103FFA99-B9A3-51B7-9A6E-C23967780433'
    """
    guid, _ = exchange_state(code)
    return guid or derived_guid(codebook.id, code.path)


# Letters NFKD does not decompose into ASCII, folded the way people spell them in ASCII.
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "Ð": "d",
        "ı": "i",
    }
)


def slugify(text: str, sep: str = "_") -> str:
    """Return an ASCII id for ``text``: accents folded, lower case, words joined by ``sep``.

    Returns ``""`` when nothing ASCII is left (e.g. a name in Chinese script); callers
    then use a fallback id.

    Examples
    --------
    >>> slugify("Équité & Diversité")
    'equite_diversite'
    >>> slugify("Straße (2019)", sep="-")
    'strasse-2019'
    """
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return sep.join(re.findall(r"[a-z0-9]+", ascii_text))
