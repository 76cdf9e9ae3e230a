"""Zip packages (.docx, .ofd) read within their caps whatever their headers claim."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from indexer.errors import ExtractionError
from indexer.ingest import zipread
from indexer.ingest.extract import extract

from devtools.pdfgen import build_docx

MiB = 1024 * 1024


def zip_bytes(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from already deflated entries: (name, deflated data, crc, declared size, method)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size, method in entries:
        nb = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size,
                           len(nb), 0) + nb + data  # fmt: skip
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc,
                               len(data), size, len(nb), 0, 0, 0, 0, 0, offset) + nb  # fmt: skip
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central),
                       start, 0)  # fmt: skip
    return bytes(out)


def deflate(raw: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(raw) + c.flush()


def lying_docx(tmp: Path, inflated: int) -> Path:
    """A real .docx whose document.xml declares 5,000 bytes and inflates to ``inflated``."""
    base = build_docx(["法治政府建设情况报告。"], tmp / "base.docx")
    with zipfile.ZipFile(base) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    doc = parts["word/document.xml"]
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    pad = b"<w:p/>" * (MiB // 6)
    body = c.compress(doc[:-20])
    body += b"".join(c.compress(pad) for _ in range(inflated // len(pad)))
    body += c.compress(doc[-20:]) + c.flush()
    entries = [
        (n, body, zlib.crc32(doc), 5000, 8)
        if n == "word/document.xml"
        else (n, deflate(b), zlib.crc32(b), len(b), 8)
        for n, b in parts.items()
    ]
    path = tmp / "lying.docx"
    path.write_bytes(zip_bytes(entries))
    return path


def test_a_lying_zip_header_costs_at_most_the_cap(tmp_path):
    """document.xml declares 5,000 bytes and inflates to 512 MiB: python-docx's own reading
    would inflate all of it in one call before the CRC check refused it."""
    path = lying_docx(tmp_path, 512 * MiB)
    assert path.stat().st_size < 4 * MiB
    tracemalloc.start()
    try:
        with pytest.raises(ExtractionError) as err:
            extract(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.reason == (
        "not a valid .docx file (BadZipFile: Bad CRC-32 for file 'word/document.xml')"
    )
    assert peak < 8 * MiB


def test_bzip2_entries_are_refused(tmp_path):
    raw = b"<x/>"
    path = tmp_path / "b.docx"
    path.write_bytes(zip_bytes([("word/document.xml", raw, zlib.crc32(raw), len(raw), 12)]))
    with pytest.raises(ExtractionError, match="uses compression method 12"):
        extract(path)


def test_a_docx_is_read_from_its_xml_parts_only(tmp_path):
    path = build_docx(["关于2023年度法治政府建设情况的报告", "坚持依法行政。"], tmp_path / "r.docx")
    with zipfile.ZipFile(path, "a") as z:  # a large image: never inflated
        z.writestr("word/media/image1.png", b"\0" * (4 * MiB))
    assert "坚持依法行政。" in extract(path).text
    parts, infos = zipread.read_parts(
        path,
        lambda n: n.endswith(".xml"),
        unpacked_limit=100 * MiB,
        read_limit=MiB,
        what=".docx",
        hint="",
    )
    assert "word/media/image1.png" not in parts
    assert any(i.filename == "word/media/image1.png" for i in infos)
