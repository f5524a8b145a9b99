r"""REFI-QDA project exchange (``.qdpx``): whole projects to and from NVivo, ATLAS.ti, MAXQDA,
QualCoder and other tools that follow the REFI-QDA standard (QDA-XML 1.0).

:func:`export_qdpx` writes a cmqual project as a ``.qdpx`` file; :func:`import_qdpx` creates
a new cmqual project folder from one. The implementation lives in
:mod:`cmqual.io.qdpx_export` and :mod:`cmqual.io.qdpx_import`; this module holds what both
share and documents the format.

File layout
-----------
A ``.qdpx`` file is a zip archive holding ``project.qde`` (XML in the namespace
``urn:QDA-XML:project:1.0``, validated against ``cmqual/schemas/Project-mrt2019.xsd`` in the
tests) and a ``sources/`` folder. cmqual writes:

``Users``
    one ``User`` per coder, guid ``uuid5`` of the coder's name.
``CodeBook``
    every code of the project's codebooks, with the guids and ``Description`` convention of
    the ``.qdc`` codebook export (:mod:`cmqual.io.qdc`, :mod:`cmqual.io.refi`). A code
    reference that codings or memos use but no codebook holds becomes a top-level code
    named by its reference.
``Variables`` and ``Cases``
    one ``Variable`` per document attribute (``integer`` → Integer, ``float`` → Float,
    ``date`` → Date, ``boolean`` → Boolean, ``category`` and ``text`` → Text) and one
    ``Case`` per document (named by its id) with its ``VariableValue``\ s and a
    ``SourceRef``.
``Sources``
    one ``TextSource`` per document, ``plainTextPath="internal://<guid>.txt"``; the file
    ``sources/<guid>.txt`` holds the document's canonical text as UTF-8 without a BOM (a
    text that itself starts with U+FEFF gets one in front, which readers drop), so the
    positions below index it directly. Codings are ``PlainTextSelection`` elements, one
    per span and coder (its ``creatingUser``), each holding one ``Coding`` per code with
    its ``CodeRef``; the selection's ``name`` is the start of the quoted text.
``Notes``
    memos: project memos (``NoteRef`` in ``Project``), code memos (in the ``Code``),
    document memos (in the ``TextSource``) and coding memos (in the ``Coding``), one
    ``Note`` per coder and target with the memo as ``PlainTextContent``.

Guids are content-derived (:func:`object_guid`), times inside are the stored creation times
of codings and memos, zip entries are sorted with fixed timestamps: the same project always
gives the same bytes. What REFI-QDA has no place for (codebook titles and versions, which
codes came from which codebook, attribute types, the origin of automatic codings) travels
as JSON in a ``<?cmqual-project ...?>`` processing instruction before the root element,
which other tools skip.

Positions
---------
cmqual offsets are 0-based, end-exclusive code-point indices into a document's canonical
text. REFI-QDA's ``startPosition``/``endPosition`` count the Unicode characters of the plain
text file, 0-based, end-exclusive, and cmqual writes exactly that: the file *is* the
canonical text (line breaks ``\n``, no BOM), so a position is a cmqual offset.

Reading, cmqual decodes the plain text (a BOM is not text and is not counted), makes its
canonical text by turning ``\r\n`` and lone ``\r`` into ``\n`` and maps every position onto
that text exactly, so a coding's quote is ``text[start:end]`` of the imported document.
How a position counts a line break is where tools differ, so the ``positions`` option of
:func:`import_qdpx` says how to read them:

``"stored"``
    characters of the text as stored: ``\r\n`` counts two, ``\n`` one (the REFI-QDA rule;
    NVivo, QualCoder and cmqual count this way).
``"lf"``
    every line break counts one character, ``\r\n`` included (ATLAS.ti and MAXQDA count on
    text whose line breaks are single characters while the exported file has ``\r\n``).
``"crlf"``
    every line break counts two characters, even where the text has a bare ``\n``
    (a writer that counted ``\r\n`` and then stored ``\n``, e.g. inline
    ``PlainTextContent``, whose ``\r`` an XML parser removes by rule).
``"stored-utf16"``, ``"lf-utf16"``, ``"crlf-utf16"``
    the same, counting UTF-16 code units (a character outside the Basic Multilingual Plane,
    such as an emoji, counts two), as tools built on .NET or Java strings may.
``"auto"`` (the default)
    per source, try every reading that gives different spans for its selections and keep
    the one under which they make most sense: the text at each selection starts with the
    selection's ``name`` (QualCoder writes the quote there, ATLAS.ti its first words), its
    ends fall on word boundaries, it does not split a ``\r\n`` pair or a character, and it
    lies inside the text. Ties go to ``"stored"``. A file cmqual wrote is read as
    ``"stored"``. Each source read another way, and each source whose readings could not be
    told apart although they give different spans, is named in a :class:`CmqualWarning`.

Safety
------
Exchange files come from other people. The archive is checked before anything is read:
it must be a zip, with at most :data:`MAX_MEMBERS` entries, no entry that is absolute,
has a drive letter or climbs out with ``..`` (path traversal), no two entries with the
same name, and every member cmqual reads must stay under its size limit and must not be
compressed more than :data:`MAX_RATIO` times once it is over 10 MB (zip bombs). Members are
read into memory by name; nothing is extracted to disk. ``project.qde`` is parsed with
:func:`cmqual.xmlsafe.parse_xml` (no DTDs, no entity expansion, no network). Text outside
the archive (``absolute://`` and ``relative://`` paths) is never read. Every refusal is an
:class:`~cmqual.errors.ExchangeError` naming the file.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmqual.project import Project

__all__ = [
    "MAX_MEMBERS",
    "MAX_QDE_BYTES",
    "MAX_RATIO",
    "MAX_TEXT_BYTES",
    "MAX_TOTAL_BYTES",
    "OBJECT_GUID_NAMESPACE",
    "POSITION_CONVENTIONS",
    "PROJECT_NAMESPACE",
    "export_qdpx",
    "import_qdpx",
    "object_guid",
]

#: XML namespace of REFI-QDA project files.
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
#: How :func:`import_qdpx` can read positions (see "Positions" in the module docstring).
POSITION_CONVENTIONS: tuple[str, ...] = (
    "auto",
    "stored",
    "lf",
    "crlf",
    "stored-utf16",
    "lf-utf16",
    "crlf-utf16",
)
#: Namespace UUID of users, sources, selections, codings, notes, variables and cases:
#: ``uuid5(NAMESPACE_URL, "urn:cmqual:refi-qda:project-guid")``.
OBJECT_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cmqual:refi-qda:project-guid")

#: Most entries a ``.qdpx`` archive may have.
MAX_MEMBERS = 50_000
#: Largest ``project.qde`` read, in bytes.
MAX_QDE_BYTES = 100_000_000
#: Largest plain-text source or note file read, in bytes.
MAX_TEXT_BYTES = 50_000_000
#: Most bytes read from one archive in all.
MAX_TOTAL_BYTES = 500_000_000
#: Largest compression ratio of a member over 10 MB.
MAX_RATIO = 100.0

PI_TARGET = "cmqual-project"
PI_FORMAT = 1
NS = f"{{{PROJECT_NAMESPACE}}}"
# Characters XML 1.0 cannot carry at all (the Char production, XML 1.0 section 2.2).
NOT_XML_CHAR_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def object_guid(kind: str, *parts: object) -> str:
    """Return the content-derived guid (upper case) of a project object.

    ``uuid5(OBJECT_GUID_NAMESPACE, kind + "\\x1f" + parts joined by "\\x1f")``: the same
    object in the same project always gets the same guid.

    Examples
    --------
    >>> object_guid("user", "ana") == object_guid("user", "ana")
    True
    >>> len(object_guid("source", "p01", "ab12"))
    36
    """
    key = "\x1f".join([kind, *(str(p) for p in parts)])
    return str(uuid.uuid5(OBJECT_GUID_NAMESPACE, key)).upper()


def guid_key(guid: str | None) -> str:
    """A guid as a lookup key: braces and surrounding space removed, lower case."""
    return (guid or "").strip().strip("{}").strip().lower()


def export_qdpx(
    project: Project | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    include_auto: bool = True,
) -> Path:
    """Write a project as a REFI-QDA project file (``.qdpx``).

    NVivo (File > Import > REFI-QDA Project), ATLAS.ti (Import REFI-QDA Project), MAXQDA
    (Import > REFI-QDA Project) and QualCoder (Project > Import REFI-QDA project) open it.

    Parameters
    ----------
    project : Project or path-like
        An open project, or its folder.
    path : path-like
        The ``.qdpx`` file to write (atomically: an existing file is replaced in one step).
    include_auto : bool
        Also write automatic codings and suggestions (under their coder, e.g.
        ``cmqual-auto``); False writes human codings only.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ExchangeError
        Text that XML cannot carry (control characters in a memo, name or attribute) or a
        code guid used twice; every problem is listed.
    ConfigError
        ``path`` does not end in ``.qdpx``.

    Warns
    -----
    CmqualWarning
        Stale codings (their document changed or left the corpus) are left out, since
        their offsets no longer fit the text.

    Examples
    --------
    >>> export_qdpx(open_project("projects/inquiry"), "outputs/inquiry.qdpx")  # doctest: +SKIP
    """
    from cmqual.io.qdpx_export import write_qdpx

    return write_qdpx(project, path, include_auto=include_auto)


def import_qdpx(
    path: str | os.PathLike[str], project_dir: str | os.PathLike[str], *, positions: str = "auto"
) -> Project:
    """Create a cmqual project from a REFI-QDA project file (``.qdpx``).

    The new folder holds ``corpus/`` (one ``.txt`` per text source, PDF text
    representation or audio/video transcript, whose canonical text is the source text with
    line breaks normalised; ``metadata.csv`` from the Cases and Variables), ``codebooks/``
    (the CodeBook as cmqual YAML, read like a ``.qdc`` file), ``project.yaml`` and the store
    with every coding (under its coder's User name, with its time) and memo.

    Parameters
    ----------
    path : path-like
        The ``.qdpx`` file.
    project_dir : path-like
        The project folder to create; it must not exist or be empty.
    positions : str
        How to read ``startPosition``/``endPosition``: one of :data:`POSITION_CONVENTIONS`
        (see "Positions" in the module docstring; ``"auto"`` decides per source).

    Returns
    -------
    Project
        The new project, open.

    Raises
    ------
    ExchangeError
        The file is not a zip, is unsafe (path traversal, zip bomb, DTD), has no
        ``project.qde``, or ``project.qde`` is not a REFI-QDA project.
    ProjectError
        ``project_dir`` exists and is not empty.
    InputFileError
        ``path`` does not exist.
    ConfigError
        ``positions`` is not one of :data:`POSITION_CONVENTIONS`.

    Warns
    -----
    CmqualWarning
        What was read differently or left out: sources read with another position
        convention, selections outside their text, codings of unknown codes, sources
        without text (pictures, media without a transcript), elements REFI-QDA does not
        define.

    Examples
    --------
    >>> project = import_qdpx("from_nvivo.qdpx", "projects/from_nvivo")  # doctest: +SKIP
    >>> project.codings()[["doc_id", "start", "end", "code", "coder"]]  # doctest: +SKIP
    """
    from cmqual.io.qdpx_import import read_qdpx

    return read_qdpx(path, project_dir, positions=positions)
