"""extract(): every supported format, and a clear refusal for every bad input."""

from __future__ import annotations

import errno
import re
import signal
import subprocess
import zlib
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.errors import ExtractionError, UnsupportedFormat
from indexer.ingest import limits, pdfworker
from indexer.ingest import pdf as pdf_module
from indexer.ingest.extract import decode_text, extract
from indexer.ingest.pdfworker import (
    Fragment,
    Glyph,
    _one_line,
    merge_rows,
    page_text,
    row_text,
)

from devtools.pdfgen import (
    DEFAULT_HEADER,
    GOV_BREADCRUMB,
    GOV_FOOTER,
    GOV_NAV,
    GOV_SCRIPT,
    GOV_SIDEBAR,
    build_docx,
    build_gov_html,
    layout_lines,
    render_cid_garbage_pdf,
    render_encrypted_pdf,
    render_report_pdf,
    render_scanned_pdf,
    report_paragraphs,
    truncate_file,
    write_gbk_text,
)
from helpers import CORPUS

SEED = CORPUS / "000_b8bbf0671896228d.txt"
FOLIO = re.compile(r"— \d+ —")


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory, seed_text) -> Path:
    return render_report_pdf(seed_text, tmp_path_factory.mktemp("pdf") / "report.pdf")


def body_lines(pages) -> list[str]:
    """The lines of extracted pages without header, page numbers and empty lines."""
    return [
        line
        for page in pages
        for line in page.split("\n")
        if line and line != DEFAULT_HEADER and not FOLIO.fullmatch(line)
    ]


# ----------------------------------------------------------------------- text


def test_utf8_bom_gbk_and_utf16_decode_to_the_same_text(tmp_path, seed_text):
    (tmp_path / "utf8.txt").write_bytes(seed_text.encode("utf-8"))
    (tmp_path / "bom.txt").write_bytes(seed_text.encode("utf-8-sig"))
    write_gbk_text(seed_text, tmp_path / "gbk.txt")  # with CRLF line ends
    (tmp_path / "utf16.txt").write_bytes(seed_text.encode("utf-16"))  # with a BOM
    (tmp_path / "upper.MD").write_bytes(seed_text.encode("utf-8"))
    for name in ("utf8.txt", "bom.txt", "gbk.txt", "utf16.txt", "upper.MD"):
        result = extract(tmp_path / name)
        assert result.kind == "text"
        assert result.text == seed_text, name
        assert result.pages == ()


def test_big5_is_not_mistaken_for_gbk(tmp_path):
    # Big5 bytes decode cleanly as GB18030, into nonsense: detection must win.
    text = "法治政府建設情況報告：依法行政，嚴格執法。\n" * 5
    (tmp_path / "big5.txt").write_bytes(text.encode("big5"))
    assert extract(tmp_path / "big5.txt").text == text


def test_text_without_chinese_is_still_extracted(tmp_path):
    (tmp_path / "en.txt").write_text("Annual report on law-based government.\n", encoding="ascii")
    assert extract(tmp_path / "en.txt").text == "Annual report on law-based government.\n"


def _in_gb2312(ch: str) -> bool:
    try:
        return len(ch.encode("gb2312")) == 2
    except UnicodeEncodeError:
        return False


_HANZI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(_in_gb2312)
# Short GBK texts can be valid UTF-8 too ("一" is D2 BB, UTF-8 for "һ"); the
# decoder must still pick GBK.
_GB_TEXT = st.text(st.one_of(_HANZI, st.sampled_from("，。、：；（）《》“”0123456789 abc\n")))


@settings(max_examples=60, deadline=None)
@given(_GB_TEXT)
def test_decode_text_round_trips_utf8_and_gbk(text):
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(text.encode("utf-8-sig")) == text
    assert decode_text(text.encode("gbk")) == text


# ----------------------------------------------------------------------- docx


def test_docx_paragraphs_and_table_cells_in_document_order(tmp_path, seed_text):
    paragraphs = report_paragraphs(seed_text)[:5]
    path = build_docx(
        paragraphs,
        tmp_path / "r.docx",
        table=[["事项", "数量"], ["行政复议", "3件"]],
        table_after=2,
    )
    result = extract(path)
    assert result.kind == "docx"
    assert result.text.split("\n") == [
        *paragraphs[:2],
        "事项",
        "数量",
        "行政复议",
        "3件",
        *paragraphs[2:],
    ]
    assert DEFAULT_HEADER not in result.text  # the page header is furniture


def test_docx_merged_cell_appears_once(tmp_path):
    document = docx.Document()
    document.add_paragraph("关于2023年度法治政府建设情况的报告")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "法治建设工作领导小组"
    for col, value in enumerate(["组长", "副组长", "成员"]):
        table.cell(1, col).text = value
    document.save(str(tmp_path / "merged.docx"))
    assert extract(tmp_path / "merged.docx").text.split("\n") == [
        "关于2023年度法治政府建设情况的报告",
        "法治建设工作领导小组",
        "组长",
        "副组长",
        "成员",
    ]


# ----------------------------------------------------------------------- html

TITLE = "美湖镇人民政府关于2023年度法治政府建设情况的报告"


@pytest.mark.parametrize(
    "container",
    [
        '<div class="article-content">',
        '<div id="zoom">',
        '<div class="TRS_Editor">',
        '<div class="main-text">',  # unknown container: the densest element wins
    ],
)
def test_html_keeps_the_article_body_only(tmp_path, seed_text, container):
    paragraphs = report_paragraphs(seed_text)[1:7]
    path = build_gov_html(TITLE, paragraphs, tmp_path / "page.html", container=container)
    result = extract(path)
    assert result.kind == "html"
    lines = result.text.split("\n")
    assert lines == [TITLE, *("\u3000\u3000" + p for p in paragraphs)]
    for furniture in (GOV_NAV.split()[1], GOV_BREADCRUMB, GOV_SIDEBAR, GOV_FOOTER, "发布时间"):
        assert furniture not in result.text
    assert "统计代码" not in result.text and GOV_SCRIPT not in result.text


def test_html_declared_gb2312_and_title_not_repeated(tmp_path, seed_text):
    paragraphs = report_paragraphs(seed_text)[1:4]
    path = build_gov_html(
        TITLE,
        paragraphs,
        tmp_path / "page.htm",
        encoding="gb2312",
        container='<div class="detail-body">',
        title_in_body=True,
    )
    text = extract(path).text
    assert text.count(TITLE) == 1
    assert text.split("\n")[0] == TITLE
    assert paragraphs[-1] in text


def test_html_line_breaks_and_whitespace(tmp_path):
    page = (
        "<html><head><title>通知</title></head><body><div id='zoom'>"
        "<p>第一段\n  法治政府建设<b>情况</b>报告。</p>第二段文字<br>第三段文字。"
        "<table><tr><td>事项</td><td>数量</td></tr></table></div></body></html>"
    )
    (tmp_path / "p.html").write_text(page, encoding="utf-8")
    assert extract(tmp_path / "p.html").text.split("\n") == [
        "通知",
        "第一段 法治政府建设情况报告。",
        "第二段文字",
        "第三段文字。",
        "事项",
        "数量",
    ]


# ------------------------------------------------------------------------ pdf


def test_pdf_pages_keep_every_printed_line_intact(seed_pdf, seed_text):
    result = extract(seed_pdf)
    assert result.kind == "pdf"
    assert len(result.pages) > 1
    assert result.text == "\f".join(result.pages)
    # raw pages still carry the furniture: normalize removes it
    for number, page in enumerate(result.pages, start=1):
        assert page.split("\n")[0] == DEFAULT_HEADER
        assert page.split("\n")[-1] == f"— {number} —"
    # each printed line comes out as one line, in reading order, without spaces
    # between CJK characters
    assert body_lines(result.pages) == layout_lines(seed_text)


def test_pdf_letter_spacing_adds_no_spaces(tmp_path, seed_text):
    path = render_report_pdf(seed_text, tmp_path / "spaced.pdf", char_space=3)
    assert body_lines(extract(path).pages) == layout_lines(seed_text)


def test_pdf_text_inside_form_xobjects(tmp_path):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(tmp_path / "form.pdf"))
    c.beginForm("body")
    c.setFont("STSong-Light", 16)
    c.drawString(72, 700, "法治政府建设情况报告正文。")
    c.drawString(72, 672, "第二行文字。")
    c.endForm()
    c.doForm("body")
    c.save()
    assert extract(tmp_path / "form.pdf").pages == ("法治政府建设情况报告正文。\n第二行文字。",)


# --------------------------------------------------------- pdf layout helpers


def glyphs(text: str, x: float = 0.0, size: float = 16.0, gap: float = 0.0) -> list[Glyph]:
    out = []
    for ch in text:
        width = size if ord(ch) > 0x7F else size / 2
        out.append(Glyph(ch, x, x + width, size))
        x += width + gap
    return out


def test_row_text_spaces():
    assert row_text(glyphs("法治政府")) == "法治政府"
    assert row_text(glyphs("法治2023年度", gap=4)) == "法治2023年度"  # letter-spaced
    assert row_text(glyphs("签发人") + glyphs("王科栋", x=80)) == "签发人 王科栋"  # tab stop
    assert row_text(glyphs("法治") + glyphs("政府", x=32.5)) == "法治政府"  # small gap
    assert row_text(glyphs("law") + glyphs("based", x=30)) == "law based"


def test_merge_rows_reorders_fragments_and_drops_fake_bold():
    second_half = Fragment(700, 716, glyphs("政府建设", x=32))
    first_half = Fragment(700.5, 716.5, glyphs("法治"))
    bold = Fragment(671, 687, glyphs("报告") + glyphs("报告", x=0.4))
    rows = merge_rows([bold, second_half, first_half])
    assert [row_text(r.glyphs) for r in rows] == ["法治政府建设", "报告"]


def test_page_text_keeps_large_vertical_gaps_as_empty_lines():
    rows = [
        Fragment(y, y + 16, glyphs(t))
        for y, t in [(800, "页眉"), (700, "一"), (672, "二"), (644, "三"), (500, "— 1 —")]
    ]
    assert page_text(rows) == "页眉\n\n一\n二\n三\n\n— 1 —"


# ----------------------------------------------------------------- bad input


def _cases():
    def empty(d: Path) -> Path:
        (d / "empty.txt").write_bytes(b"")
        return d / "empty.txt"

    def empty_pdf(d: Path) -> Path:
        (d / "empty.pdf").write_bytes(b"")
        return d / "empty.pdf"

    def nul_junk(d: Path) -> Path:
        (d / "junk.txt").write_bytes(bytes(range(256)) * 8)
        return d / "junk.txt"

    def undecodable(d: Path) -> Path:
        (d / "junk.txt").write_bytes(bytes(range(0x80, 0x100)) * 8)
        return d / "junk.txt"

    def whitespace(d: Path) -> Path:
        (d / "blank.md").write_bytes(" \r\n\t\u3000\n".encode())
        return d / "blank.md"

    def truncated(d: Path) -> Path:
        full = render_report_pdf(SEED.read_text(encoding="utf-8"), d / "full.pdf")
        return truncate_file(full, d / "truncated.pdf")

    def corrupt(d: Path) -> Path:
        (d / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
        return d / "corrupt.pdf"

    def html_named_pdf(d: Path) -> Path:
        (d / "report.pdf").write_text("<!DOCTYPE html><html>404 页面不存在</html>")
        return d / "report.pdf"

    def zip_named_docx(d: Path) -> Path:
        (d / "report.docx").write_bytes(b"PK\x03\x04 not really a zip")
        return d / "report.docx"

    def ole_named_docx(d: Path) -> Path:
        (d / "report.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
        return d / "report.docx"

    def empty_docx(d: Path) -> Path:
        return build_docx(["", "  "], d / "empty.docx", header=None)

    def missing(d: Path) -> Path:
        return d / "missing.txt"

    def directory(d: Path) -> Path:
        (d / "folder.html").mkdir()
        return d / "folder.html"

    return [
        (empty, "file is empty"),
        (empty_pdf, "file is empty"),
        (nul_junk, "not a text file (contains NUL bytes)"),
        (undecodable, "not a text file (cannot determine its encoding)"),
        (whitespace, "no text found"),
        (truncated, "PDF is truncated (no %%EOF marker at the end)"),
        (corrupt, "PDF is damaged (PDFSyntaxError: No /Root object! - Is this really a PDF?)"),
        (lambda d: render_encrypted_pdf(d / "locked.pdf"), "encrypted PDF"),
        (lambda d: render_scanned_pdf(d / "scan.pdf"), "PDF has no text layer"),
        (
            lambda d: render_cid_garbage_pdf(d / "cid.pdf"),
            "PDF text layer is unreadable (cid:N glyphs: 100% of the text)",
        ),
        (html_named_pdf, "not a PDF file (missing %PDF- header)"),
        (zip_named_docx, "not a valid .docx file (File is not a zip file)"),
        # read as the Word 97–2003 file it is (tests/test_formats.py): this one is broken
        (
            ole_named_docx,
            ".doc file is damaged (ValueError: bytes length not a multiple of item size)",
        ),
        (empty_docx, "no text found"),
        (missing, "file not found"),
        (directory, "not a file"),
    ]


@pytest.mark.parametrize(("make", "reason"), _cases(), ids=lambda v: getattr(v, "__name__", ""))
def test_bad_input_is_refused_with_a_one_line_reason(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(ExtractionError) as info:
        extract(path)
    err = info.value
    assert str(err) == f"{path}: {reason}"
    assert err.reason == reason and err.path == str(path)
    assert err.hint and "\n" not in err.user_message()


def test_a_web_page_saved_as_pdf_gets_a_hint(tmp_path):
    (tmp_path / "r.pdf").write_text("<html><body>登录</body></html>")
    with pytest.raises(ExtractionError, match="missing %PDF- header") as info:
        extract(tmp_path / "r.pdf")
    assert "web page" in info.value.hint


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "report.xyz",
            "unsupported file type '.xyz' (supported: .doc, .docx, .htm, .html, .md, .ofd, .pdf, .txt, .wps)",
        ),
        (
            "README",
            "unsupported file type (no extension) (supported: .doc, .docx, .htm, .html, .md, .ofd, .pdf, .txt, .wps)",
        ),
    ],
)
def test_unsupported_formats(tmp_path, name, reason):
    (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0 whatever")
    with pytest.raises(UnsupportedFormat) as info:
        extract(tmp_path / name)
    assert str(info.value) == f"{tmp_path / name}: {reason}"


def test_size_caps_are_checked_before_reading(tmp_path, monkeypatch, seed_pdf):
    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", 1024)
    (tmp_path / "big.txt").write_bytes("法".encode() * 2048)
    with pytest.raises(
        ExtractionError,
        match=r"big.txt: file is too large \(6 KiB; the limit for .txt files is 1 KiB\)$",
    ):
        extract(tmp_path / "big.txt")
    monkeypatch.setattr(limits, "MAX_PDF_BYTES", 1024)
    with pytest.raises(ExtractionError, match="file is too large"):
        extract(seed_pdf)


def test_docx_unpacked_size_cap(tmp_path, monkeypatch):
    path = build_docx(["法治政府建设情况报告。"], tmp_path / "r.docx")
    monkeypatch.setattr(limits, "MAX_DOCX_UNPACKED_BYTES", 1024)
    with pytest.raises(ExtractionError, match=r"r.docx: file is too large once unpacked"):
        extract(path)


# ------------------------------------------------------------ worker limits


def test_pdf_time_limit(monkeypatch, seed_pdf):
    monkeypatch.setattr(limits, "PDF_TIME_LIMIT", 0.05)
    with pytest.raises(ExtractionError) as info:
        extract(seed_pdf)
    assert str(info.value) == f"{seed_pdf}: PDF extraction exceeded the time limit (0.05s)"


def test_pdf_memory_limit(monkeypatch, seed_pdf):
    monkeypatch.setattr(limits, "PDF_MEMORY_LIMIT", 48 * limits.MiB)
    with pytest.raises(ExtractionError) as info:
        extract(seed_pdf)
    assert str(info.value) == f"{seed_pdf}: PDF extraction exceeded the memory limit (48 MiB)"


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (MemoryError(), "memory"),
        (zlib.error("Error -4 while decompressing data"), "memory"),  # zlib's failed allocation
        (OSError(errno.ENOMEM, "Cannot allocate memory"), "memory"),
        (SystemError("error return without exception set"), "memory"),  # a C extension's
        (zlib.error("Error -3 while decompressing data: incorrect header check"), "damaged"),
        (OSError(errno.EIO, "Input/output error"), "damaged"),
        (KeyError("Root"), "damaged"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v,
)
def test_pdf_worker_tells_a_failed_allocation_from_a_damaged_file(monkeypatch, exc, error):
    """Under the address-space limit an allocation does not always fail as MemoryError."""

    def fail(path):
        raise exc

    monkeypatch.setattr(pdfworker, "extract_pages", fail)
    assert pdfworker.run("report.pdf") == {"ok": False, "error": error, "detail": _one_line(exc)}


@pytest.mark.parametrize(
    "stderr",
    [
        "MemoryError",
        "OSError: [Errno 12] Cannot allocate memory: 'module.so'",
        "SystemError: error return without exception set",
    ],
)
def test_pdf_worker_out_of_memory_before_its_answer(monkeypatch, seed_pdf, stderr):
    """A child that fails while importing, with a traceback and no JSON."""
    monkeypatch.setattr(limits, "PDF_MEMORY_LIMIT", 64 * limits.MiB)

    def died(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, b"", f"Traceback:\n{stderr}\n".encode())

    monkeypatch.setattr(pdf_module.subprocess, "run", died)
    with pytest.raises(ExtractionError) as info:
        extract(seed_pdf)
    assert info.value.reason == "PDF extraction exceeded the memory limit (64 MiB)"


@pytest.mark.parametrize(
    ("returncode", "reason"),
    [
        (-signal.SIGXCPU, "PDF extraction exceeded the time limit (120s)"),
        (-signal.SIGSEGV, f"PDF extraction crashed (signal {int(signal.SIGSEGV)})"),
    ],
)
def test_pdf_worker_killed_by_a_signal(monkeypatch, seed_pdf, returncode, reason):
    monkeypatch.setattr(limits, "PDF_TIME_LIMIT", 120.0)

    def killed(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, returncode, b"", b"")

    monkeypatch.setattr(pdf_module.subprocess, "run", killed)
    with pytest.raises(ExtractionError) as info:
        extract(seed_pdf)
    assert info.value.reason == reason


def test_pdf_time_limit_counts_processor_time_with_a_real_time_backstop(monkeypatch, seed_pdf):
    calls = []

    def stalled(cmd, **kwargs):
        calls.append((cmd, kwargs["timeout"]))
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(limits, "PDF_TIME_LIMIT", 120.0)
    monkeypatch.setattr(pdf_module.subprocess, "run", stalled)
    with pytest.raises(ExtractionError) as info:
        extract(seed_pdf)
    cmd, timeout = calls[0]
    assert cmd[cmd.index("--cpu") + 1] == "120.0"  # the child limits its own processor time
    assert timeout == limits.pdf_wall_limit() == 600.0
    assert info.value.reason == (
        "PDF extraction did not finish within 600s of real time (the processor-time limit is 120s)"
    )
