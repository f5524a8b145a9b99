import warnings

import pytest

from cmqual.errors import CmqualWarning, DecodeError, FormatError
from cmqual.io.encoding import decode_bytes

TEXT = "Café — naïve “quotes”\r\nline two\rline three\n"


@pytest.mark.parametrize("codec,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                       ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_unicode_encodings_give_the_same_canonical_text(codec, bom):
    decoded = decode_bytes(bom + TEXT.encode(codec), "x.txt")
    assert decoded.text == "Café — naïve “quotes”\nline two\nline three\n"


def test_cp1252_fallback_warns_naming_file_and_byte():
    data = "Caf\xe9 ok".encode("cp1252")
    with pytest.warns(CmqualWarning, match=r"old\.txt: not UTF-8 \(byte 3"):
        decoded = decode_bytes(data, "old.txt")
    assert decoded.text == "Café ok" and decoded.encoding == "cp1252"


def test_undecodable_bytes_name_file_and_offset():
    data = b"ok \xff then \x81"
    with pytest.raises(DecodeError, match=r"bad\.txt: byte 3 .* byte 10"):
        decode_bytes(data, "bad.txt")


def test_no_fallback_is_an_error():
    with pytest.raises(DecodeError, match="byte 3"):
        decode_bytes(b"ok \xe9", "x.txt", fallback=None)


@pytest.mark.parametrize("data", [b"PK\x03\x04\x00\x00binary", bytes(range(1, 32)) * 40])
def test_binary_content_is_refused(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(FormatError, match="binary"):
            decode_bytes(data, "x.txt")


def test_invalid_utf16_after_bom():
    with pytest.raises(DecodeError, match="utf-16"):
        decode_bytes(b"\xff\xfe\x00\xd8", "x.txt")
