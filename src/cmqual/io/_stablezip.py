"""Byte-identical Office files (internal): fixed zip entry times and core-property times.

openpyxl and python-docx write each zip entry with the current time, and openpyxl also
stamps the time of saving as the document's ``modified`` property, so the same table or
report saved twice would differ. :func:`stable_zip` rewrites such a file with every entry
dated 1980-01-01 (the earliest a zip entry can carry), in the same order, and optionally
one fixed time for the ``created`` and ``modified`` core properties.
"""

from __future__ import annotations

import io
import re
import zipfile

__all__ = ["FIXED_CORE_TIME", "stable_zip"]

#: The ``created``/``modified`` time cmqual gives the Office files it writes.
FIXED_CORE_TIME = "2000-01-01T00:00:00Z"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIMES_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def stable_zip(data: bytes, core_time: str | None = FIXED_CORE_TIME) -> bytes:
    """Rewrite the zip ``data`` with fixed entry times (and core-property times, unless
    ``core_time`` is None); entries keep their order, content and attributes."""
    out = io.BytesIO()
    with (zipfile.ZipFile(io.BytesIO(data)) as src,
          zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst):
        for info in src.infolist():
            content = src.read(info.filename)
            if core_time is not None and info.filename == "docProps/core.xml":
                content = _CORE_TIMES_RE.sub(rb"\g<1>" + core_time.encode() + rb"\g<2>",
                                             content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()
