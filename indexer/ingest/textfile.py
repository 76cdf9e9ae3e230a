"""Plain text files (``.txt`` ``.md``): decoding bytes of any common Chinese encoding."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ExtractionError

_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "gb_2312", "cp936", "euc-cn", "hz-gb-2312"}


class _NotText(Exception):
    """The bytes are not text in any encoding we trust."""


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text file's bytes and unify its line breaks to ``"\\n"``.

    Tried in order: a byte-order mark (UTF-8, UTF-16, UTF-32); UTF-16
    without one when there are NUL bytes; the ``declared`` charset (from an
    HTML ``<meta>``), GB2312/GBK read as GB18030; strict UTF-8 or GB18030,
    whichever decodes into common Chinese characters; UTF-16 without a
    byte-order mark; charset-normalizer as a last resort. Raises ``ValueError``
    with the reason when the bytes are not text.
    """
    try:
        text = _decode_bytes(data, declared)
    except _NotText as e:
        raise ValueError(str(e)) from None
    bad = sum(1 for _ in _CONTROL.finditer(text))
    if bad > max(2, len(text) // 100):
        raise ValueError("not a text file (binary data)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_file(path: Path, data: bytes, declared: str | None = None) -> str:
    try:
        return decode_text(data, declared)
    except ValueError as e:
        raise ExtractionError(
            path, str(e), hint="save the report as UTF-8 text, .docx or .pdf"
        ) from None


def _decode_bytes(data: bytes, declared: str | None) -> str:
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise _NotText(f"not a text file (invalid {codec.upper()} after its BOM)") from None
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise _NotText("not a text file (contains NUL bytes)")
        return text
    if declared:
        gbk = declared.lower() in _GB_ALIASES
        try:
            text = data.decode("gb18030" if gbk else declared)
        except (LookupError, UnicodeDecodeError):
            text = None  # sites often declare the wrong charset: detect it instead
        if text is not None and (not gbk or _gb_share(text) >= 0.9):
            return text
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if utf8 is not None and utf8.isascii():
        return utf8
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        gb = None
    if gb is not None and _gb_share(gb) >= 0.9:
        # a short GBK text can also be valid UTF-8 by accident ("一" → "һ",
        # "些" → "Щ"): keep the reading made of common Chinese characters
        if utf8 is None or (_gb_share(gb), _has_hanzi(gb)) > (_gb_share(utf8), _has_hanzi(utf8)):
            return gb
    if utf8 is not None:
        return utf8
    text = _utf16_without_bom(data)  # Chinese alone: no NUL bytes
    if text is not None:
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise _NotText("not a text file (cannot determine its encoding)")
    return str(best)


def _utf16_without_bom(data: bytes) -> str | None:
    """``data`` read as UTF-16 without a byte-order mark, little- or big-endian, when one
    of the two reads as text: at least 90 % of its characters printable ASCII, line breaks
    or GB2312 (common hanzi and punctuation). The wrong byte order reads as rare
    characters, Hangul or invalid surrogates; GBK read as UTF-16 does too."""
    if len(data) < 2 or len(data) % 2:
        return None
    best: tuple[float, str] | None = None
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        share = _text_share(text)
        if share >= 0.9 and (best is None or share > best[0]):
            best = (share, text)
    return best[1] if best else None


def _text_share(text: str) -> float:
    """Share of the characters of ``text`` that are printable ASCII, whitespace or GB2312."""
    if not text:
        return 0.0
    ascii_ok = sum(1 for ch in text if " " <= ch <= "~" or ch in "\t\n\r\f")
    wide = len(text.encode("gb2312", "ignore")) - len(text.encode("ascii", "ignore"))
    return (ascii_ok + wide / 2) / len(text)


def _gb_share(text: str) -> float:
    """Share of the non-ASCII characters that sit in GB2312 (common hanzi and
    punctuation). Chinese text scores near 1; Big5 or Latin-1 bytes read as
    GB18030, or GBK bytes read as UTF-8, land elsewhere."""
    narrow = len(text.encode("ascii", "ignore"))
    wide = len(text) - narrow
    if not wide:
        return 1.0
    return (len(text.encode("gb2312", "ignore")) - narrow) / 2 / wide


def _has_hanzi(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


#: Control characters (other than tab, line and page breaks) and U+FFFD mark binary data.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
