"""Safety checks for zip-based Office files (.docx, .xlsx) before a parser opens them.

A zip archive can declare members that expand to gigabytes (a "zip bomb"). The declared
sizes are what :mod:`zipfile` will produce at most (it stops reading a member at its
declared size and checks the CRC), so checking them up front is enough.
"""

from __future__ import annotations

import io
import zipfile

from cmqual.errors import FormatError

__all__ = ["MAX_MEMBERS", "MAX_RATIO", "MAX_UNCOMPRESSED", "check_office_zip"]

#: Largest total uncompressed size accepted (bytes).
MAX_UNCOMPRESSED = 200 * 1024 * 1024
#: Largest overall compression ratio accepted once the content passes ``_RATIO_FLOOR``.
MAX_RATIO = 100.0
#: Most members an Office package may have.
MAX_MEMBERS = 10_000
# Below this uncompressed size the ratio does not matter: it cannot exhaust memory.
_RATIO_FLOOR = 10 * 1024 * 1024


def check_office_zip(data: bytes, name: str, *, kind: str, required: str,
                     application: str) -> None:
    """Refuse ``data`` unless it is a plausible, safe Office Open XML zip package.

    Parameters
    ----------
    data : bytes
        The file content.
    name : str
        File name used in messages.
    kind : str
        Extension shown in messages (``".docx"``).
    required : str
        A member that must exist (``"word/document.xml"``).
    application : str
        Program to re-save the file from (``"Word"``).

    Raises
    ------
    FormatError
        Not a zip, missing ``required``, too many members, or too large once
        uncompressed (more than ``MAX_UNCOMPRESSED`` bytes, or a compression ratio above
        ``MAX_RATIO``).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        hint = ""
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            hint = " (it looks like an old binary Office file or a password-protected one)"
        raise FormatError(
            f"{name}: not a valid {kind} (zip) file{hint}; open it in {application} and "
            f"re-save it as {kind} (without a password)"
        ) from None
    if len(infos) > MAX_MEMBERS:
        raise FormatError(
            f"{name}: {kind} package has {len(infos)} members (more than {MAX_MEMBERS}); "
            f"refusing to open it; re-save it from {application}"
        )
    names = {info.filename for info in infos}
    if required not in names:
        raise FormatError(
            f"{name}: not a valid {kind} file ({required} is missing from the zip); "
            f"open it in {application} and re-save it as {kind}"
        )
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        raise FormatError(
            f"{name}: {kind} content would expand to {total / 2**20:.0f} MB (more than "
            f"{MAX_UNCOMPRESSED / 2**20:.0f} MB); refusing to open it (possible zip bomb)"
        )
    if total > _RATIO_FLOOR and total > MAX_RATIO * max(packed, 1):
        raise FormatError(
            f"{name}: {kind} content is compressed {total / max(packed, 1):.0f} times "
            f"(more than {MAX_RATIO:.0f}); refusing to open it (possible zip bomb)"
        )
