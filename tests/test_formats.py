"""Office formats: zip packages (.docx, .ofd) read within their caps whatever their headers
claim; Word 97–2003 .doc and WPS .wps; OFD pages in reading order."""

from __future__ import annotations

import shutil
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
from helpers import ROOT

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


@pytest.mark.parametrize(
    ("message", "raised"),
    [("Error -4 while decompressing data", MemoryError), ("Error -3 bad data", ExtractionError)],
)
def test_zlib_out_of_memory_is_a_memory_error(tmp_path, monkeypatch, message, raised):
    """zlib's failed allocation under the reading budget counts as memory, not a bad file."""
    path = build_docx(["坚持依法行政。"], tmp_path / "r.docx")

    def fail(z, info):
        raise zlib.error(message)

    monkeypatch.setattr(zipread, "_read_entry", fail)
    with pytest.raises(raised):
        zipread.read_parts(
            path, lambda n: True, unpacked_limit=MiB, read_limit=MiB, what=".docx", hint=""
        )


# ---------------------------------------------------------------- .doc, .wps, .ofd

REAL = ROOT.parent / "shared" / "corpora" / "real-files" / "other"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="the real files are not there")
DOC = REAL / "zh_doc_mazui_mulu.doc"
OFD = REAL / "zh_ofd_拿来主义_page6.ofd"


@needs_real
def test_a_word_97_doc_reads_paragraphs_and_table_rows():
    extracted = extract(DOC)
    assert extracted.kind == "doc"
    lines = extracted.text.splitlines()
    assert lines[:3] == [
        "附件1",
        "麻醉药品品种目录（2013年版）",
        "序号 | 中文名 | 英文名 | CAS号 | 备注",
    ]
    # a long cell stays whole (antiword wraps it inside its column: Acetyl-alpha-methylfenta / nyl)
    assert "2 | 乙酰阿法甲基芬太尼 | Acetyl-alpha-methylfentanyl | 101860-00-8 |" in lines
    assert lines[-1] == "3.品种目录有*的精神药品为我国生产及使用的品种。"


@needs_real
def test_wps_files_and_doc_files_named_docx_are_read_as_word_97(tmp_path):
    shutil.copy(DOC, tmp_path / "报告.wps")  # WPS 文字 writes the Word 97 format
    shutil.copy(DOC, tmp_path / "报告.docx")
    wps, docx = extract(tmp_path / "报告.wps"), extract(tmp_path / "报告.docx")
    assert wps.kind == "wps" and docx.kind == "doc"
    assert wps.text == docx.text == extract(DOC).text


def test_a_doc_that_is_not_word_97_fails_with_its_reason(tmp_path):
    (tmp_path / "a.doc").write_text("{\\rtf1 法治}", encoding="utf-8")
    with pytest.raises(ExtractionError) as info:
        extract(tmp_path / "a.doc")
    assert info.value.reason == "not a Word 97–2003 .doc file (not an OLE compound file)"
    assert info.value.hint == "open it in Word or WPS and save it as .docx"


@needs_real
def test_an_ofd_reads_pages_in_reading_order_with_paragraphs_rebuilt():
    from indexer.ingest.pipeline import load_report

    extracted = extract(OFD)
    assert extracted.kind == "ofd" and len(extracted.pages) == 2
    report = load_report(OFD)
    texts = [p.text for p in report.passages]
    assert texts[:2] == ["拿来主义", "鲁迅"]
    # a sentence wrapped across printed lines is one passage again
    assert any("自己不去，别人也不许来。自从给枪炮打破了大门之后" in t for t in texts)
    hello = extract(REAL / "zh_ofd_helloworld.ofd")
    assert hello.text == "你好呀，OFD Reader&Writer！"


@needs_real
def test_doc_and_ofd_files_are_indexed_and_found(tmp_path, runner):
    from indexer.cli import cli
    from indexer.search import Engine

    corpus = tmp_path / "c"
    corpus.mkdir()
    for f in REAL.iterdir():
        shutil.copy(f, corpus)
    (corpus / "~$mazui_mulu.doc").write_bytes(b"\x0bowner")
    (corpus / "台账.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    ix = tmp_path / "ix"
    res = runner.invoke(cli, ["index", str(corpus), "--index", str(ix)])
    assert res.exit_code == 0, res.output
    assert f"4 indexed, 0 unchanged, 0 failed, 2 skipped (4 reports in {ix})" in res.output
    with Engine(ix) as engine:
        for phrase, name in [
            ("乙酰阿法甲基芬太尼", "zh_doc_mazui_mulu.doc"),
            ("自从给枪炮打破了大门", "zh_ofd_拿来主义_page6.ofd"),
            ("泰安市不动产证明", "zh_ofd_keyword.ofd"),
        ]:
            found = {Path(r["source"]).name for r in engine.search(phrase)["reports"]}
            assert found == {name}, phrase


def test_ofd_caps_and_entities(tmp_path):
    ofd_xml = (
        b'<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
        b"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    )
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    body = b"".join(c.compress(b"<a/>" * (MiB // 4)) for _ in range(64)) + c.flush()
    lying = tmp_path / "lying.ofd"
    lying.write_bytes(
        zip_bytes(
            [
                ("OFD.xml", deflate(ofd_xml), zlib.crc32(ofd_xml), len(ofd_xml), 8),
                ("Doc_0/Document.xml", body, 0, 4000, 8),
            ]
        )
    )
    with pytest.raises(ExtractionError) as info:
        extract(lying)
    assert info.value.reason == (
        "not a valid .ofd file (BadZipFile: Bad CRC-32 for file 'Doc_0/Document.xml')"
    )
    laughs = b'<!DOCTYPE x [<!ENTITY a "ha">]><x>&a;</x>'
    bomb = tmp_path / "entities.ofd"
    bomb.write_bytes(zip_bytes([("OFD.xml", deflate(laughs), zlib.crc32(laughs), len(laughs), 8)]))
    with pytest.raises(ExtractionError, match="declares a DTD or entities"):
        extract(bomb)
