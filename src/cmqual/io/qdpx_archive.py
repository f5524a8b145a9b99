"""Opening a REFI-QDA project archive (``.qdpx``) safely.

A ``.qdpx`` file comes from someone else's machine. :class:`QdpxArchive` refuses it before
anything is read when it is not a zip, has more than :data:`~cmqual.io.qdpx.MAX_MEMBERS`
entries, or has an entry that is absolute, carries a drive letter or climbs out with ``..``
(path traversal), or two entries with one name. Members are then read into memory by name,
never extracted, each within a size limit and refused when compressed more than
:data:`~cmqual.io.qdpx.MAX_RATIO` times past 10 MB (a zip bomb); all reads together stay
under :data:`~cmqual.io.qdpx.MAX_TOTAL_BYTES`.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from cmqual.errors import ExchangeError, InputFileError
from cmqual.io.qdpx import MAX_MEMBERS, MAX_RATIO, MAX_TOTAL_BYTES

__all__ = ["QdpxArchive"]

_RATIO_FLOOR = 10 * 1024 * 1024  # below this a member cannot exhaust memory, whatever its ratio
_DRIVE_RE = re.compile(r"[A-Za-z]:")


class QdpxArchive:
    """A ``.qdpx`` zip archive, checked for safety when opened (use as a context manager).

    Parameters
    ----------
    path : path-like
        The ``.qdpx`` file.

    Raises
    ------
    InputFileError
        ``path`` does not exist or is a folder.
    ExchangeError
        Not a zip file, too many entries, an entry that is absolute, has a drive letter or
        ``..`` (path traversal), two entries with one name, or no ``project.qde``.

    Examples
    --------
    >>> with QdpxArchive("from_nvivo.qdpx") as archive:           # doctest: +SKIP
    ...     qde = archive.read(archive.qde, MAX_QDE_BYTES)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.label = str(path)
        if not self.path.exists():
            raise InputFileError(f"{self.label}: no such file")
        if not self.path.is_file():
            raise InputFileError(f"{self.label}: is a folder, not a .qdpx file")
        self._read = 0
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise ExchangeError(
                f"{self.label}: not a REFI-QDA project: a .qdpx file is a zip archive and "
                f"this one cannot be opened as zip ({exc}); export the project again"
            ) from None
        try:
            self._members = self._check(infos)
            self.qde = self._find_qde()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> QdpxArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the zip file."""
        self._zip.close()

    def _check(self, infos: Sequence[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        if len(infos) > MAX_MEMBERS:
            raise ExchangeError(
                f"{self.label}: has {len(infos)} entries (more than "
                f"{MAX_MEMBERS}); refusing to read it"
            )
        members: dict[str, zipfile.ZipInfo] = {}
        unsafe, doubles = [], []
        for info in infos:
            # Archives made on Windows may separate folders with backslashes.
            name = info.filename.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or _DRIVE_RE.match(name) or ".." in parts or "\x00" in name:
                unsafe.append(info.filename)
                continue
            if name.endswith("/"):
                continue
            key = name.lower()
            if key in members:
                doubles.append(info.filename)
            members[key] = info
        if unsafe:
            raise ExchangeError(
                f"{self.label}: refusing to read it: entries whose paths are absolute or "
                "climb out of the archive with '..' (path traversal)",
                [repr(n) for n in unsafe[:10]],
            )
        if doubles:
            raise ExchangeError(
                f"{self.label}: refusing to read it: several entries have the same name",
                [repr(n) for n in doubles[:10]],
            )
        return members

    def _find_qde(self) -> str:
        if "project.qde" in self._members:
            return "project.qde"
        # Some tools name it after the project; accept a single .qde at the top.
        top = [k for k in self._members if "/" not in k and k.endswith(".qde")]
        if len(top) == 1:
            return top[0]
        found = ", ".join(sorted(i.filename for i in self._members.values())[:8]) or "nothing"
        raise ExchangeError(
            f"{self.label}: no project.qde in the archive (found {found}); a REFI-QDA project "
            "has project.qde at its top level: export the project again from its program"
        )

    def names(self) -> list[str]:
        """Every file entry's name (folders left out), as stored."""
        return [info.filename for info in self._members.values()]

    def find(self, internal: str) -> str | None:
        """The member an ``internal://`` path names (in ``sources/``, any case), or None."""
        rel = internal.replace("\\", "/").lstrip("/")
        parts = PurePosixPath(rel).parts
        if not rel or ".." in parts or _DRIVE_RE.match(rel):
            return None
        for key in (f"sources/{rel}".lower(), rel.lower()):
            if key in self._members:
                return key
        return None

    def read(self, member: str, limit: int) -> bytes:
        """The bytes of ``member`` (a key from :meth:`find`), within the size limits."""
        info = self._members[member]
        where = f"{self.label}: {info.filename}"
        if info.file_size > limit:
            raise ExchangeError(
                f"{where} is {info.file_size / 1e6:.1f} MB (more than "
                f"{limit / 1e6:.0f} MB); refusing to read it"
            )
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ExchangeError(
                f"{where} would expand {info.file_size / max(info.compress_size, 1):.0f} "
                f"times (more than {MAX_RATIO:.0f}); refusing to read it (possible zip bomb)"
            )
        if self._read + info.file_size > MAX_TOTAL_BYTES:
            raise ExchangeError(
                f"{self.label}: its text is larger than "
                f"{MAX_TOTAL_BYTES / 1e6:.0f} MB; refusing to read more"
            )
        try:
            with self._zip.open(info) as handle:
                data = handle.read(limit + 1)
        except RuntimeError as exc:  # encrypted entries
            raise ExchangeError(
                f"{where} cannot be read ({exc}); export the project without a password"
            ) from None
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise ExchangeError(
                f"{where}: the archive is corrupt ({exc}); export the project again"
            ) from None
        if len(data) > limit:
            raise ExchangeError(f"{where} is larger than {limit / 1e6:.0f} MB; refusing to read it")
        self._read += len(data)
        return data
