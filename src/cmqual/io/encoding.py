"""Decoding transcript bytes into canonical text.

Canonical text is the decoded text with every ``\\r\\n`` and lone ``\\r`` replaced by
``\\n``; nothing else is changed (no Unicode normalisation, no trimming, tabs kept).
A byte-order mark is not part of the text.

Decoding order: a BOM decides (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE); otherwise strict UTF-8;
if that fails, cp1252 (Windows Western European, what Word and Excel on Windows save as
"Text") with a :class:`~cmqual.errors.CmqualWarning` naming the file and the first byte that
was not UTF-8. Content with NUL bytes or many control characters is refused as binary.
"""

from __future__ import annotations

import codecs
import re
import warnings
from dataclasses import dataclass

from cmqual.errors import CmqualWarning, DecodeError, FormatError

__all__ = ["Decoded", "decode_bytes", "normalise_newlines"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f]")  # C0 controls except \t \n \v \f \r


@dataclass(frozen=True)
class Decoded:
    """Decoded text and the encoding that was used (``utf-8-sig`` when a BOM was present)."""

    text: str
    encoding: str


def normalise_newlines(text: str) -> str:
    r"""Replace ``\r\n`` and lone ``\r`` with ``\n``; change nothing else.

    >>> normalise_newlines("a\r\nb\rc\n")
    'a\nb\nc\n'
    """
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes, name: str, *, encoding: str | None = None,
                 fallback: str | None = "cp1252") -> Decoded:
    """Decode ``data`` (the content of file ``name``) to canonical text.

    Parameters
    ----------
    data : bytes
        Raw file content.
    name : str
        File name used in messages.
    encoding : str, optional
        Force this codec instead of detecting (errors still name the byte offset).
    fallback : str or None
        Codec tried when the bytes are not UTF-8 (default ``cp1252``); ``None`` makes
        non-UTF-8 input an error.

    Raises
    ------
    DecodeError
        Bytes that no allowed codec decodes (names the file and byte offset).
    FormatError
        Binary content behind a text extension.
    """
    if encoding is not None:
        return Decoded(normalise_newlines(_strict(data, encoding, name)), encoding)
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], codec, name, offset=len(bom))
            return Decoded(normalise_newlines(_check_text(text, name)), label)
    if b"\x00" in data[:8192]:
        raise FormatError(
            f"{name}: looks like a binary file (NUL bytes), not text; "
            "save it as plain text (UTF-8) or use the matching extension (.docx, .xlsx)"
        )
    try:
        text = data.decode("utf-8")
        return Decoded(normalise_newlines(_check_text(text, name)), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if fallback is None:
        raise DecodeError(
            f"{name}: byte {utf8_error.start} (0x{data[utf8_error.start]:02x}) is not valid "
            "UTF-8; re-save the file as UTF-8"
        )
    try:
        text = data.decode(fallback)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{name}: byte {utf8_error.start} (0x{data[utf8_error.start]:02x}) is not valid "
            f"UTF-8 and byte {exc.start} (0x{data[exc.start]:02x}) is not valid {fallback}; "
            "re-save the file as UTF-8"
        ) from None
    text = _check_text(text, name)
    warnings.warn(
        f"{name}: not UTF-8 (byte {utf8_error.start} is 0x{data[utf8_error.start]:02x}); "
        f"read as {fallback}. Check accented letters and re-save the file as UTF-8 to be sure",
        CmqualWarning,
        stacklevel=2,
    )
    return Decoded(normalise_newlines(text), fallback)


def _strict(data: bytes, codec: str, name: str, offset: int = 0) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{name}: byte {exc.start + offset} cannot be decoded as {codec} ({exc.reason}); "
            "re-save the file as UTF-8"
        ) from None
    except LookupError:
        raise DecodeError(f"{name}: unknown encoding {codec!r}") from None


def _check_text(text: str, name: str) -> str:
    sample = text[:8192]
    if sample:
        n_control = len(_CONTROL_RE.findall(sample))
        if "\x00" in sample or n_control > max(8, len(sample) // 100):
            raise FormatError(
                f"{name}: looks like a binary file ({n_control} control characters in the "
                "first 8 KB), not text; save it as plain text (UTF-8)"
            )
    return text
