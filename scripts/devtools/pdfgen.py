"""Build test inputs that look like the files townships actually publish.

* :func:`render_report_pdf` lays a report out the way an official document
  (GB/T 9704) is printed: STSong-Light, a fixed number of characters per line
  (lines wrap mid-phrase), a running header and a ``— N —`` page number on
  every page, paragraphs indented with two U+3000, page breaks inside
  paragraphs.
* Hostile or broken PDFs: encrypted, no text layer (a scan), truncated, and
  a text layer whose font has no Unicode map (``(cid:N)`` glyphs).
* Other formats: a GBK text file, a ``.docx`` and a government web page.

Only reportlab, python-docx and the standard library are used, so every
test can build its fixtures in ``tmp_path``.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
#: A running header that never occurs in a report's own text.
DEFAULT_HEADER = "依法行政年度报告（公开文本）"
INDENT = "\u3000\u3000"

BODY_SIZE = 16  # 三号, the body size of official documents
HEADER_SIZE = 10.5
FOLIO_SIZE = 14

# A paragraph that holds a finished sentence and then stops without final
# punctuation before a blank line was cut by a page break in the source PDF.
_SENTENCE_END = "。！？；：…）)”’」』》.!?;:"
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s*")
# reportlab encodes STSong-Light text as UCS-2 through the UniGB-UCS2-H CMap,
# which has no entry for U+00B7 (as in “12·4”); U+30FB reaches the same glyph
# (Adobe-GB1 CID 99), which extractors read back as U+00B7.
_FONT_SUBSTITUTES = str.maketrans({"\u00b7": "\u30fb"})


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def report_paragraphs(text: str) -> list[str]:
    """The paragraphs a printed version of ``text`` would have.

    Markdown residue (``**``, leading ``#``) is dropped, and a paragraph that
    the source's own page breaks cut mid-sentence is joined back together
    (the renderer makes its own page breaks).
    """
    paragraphs: list[str] = []
    cut = False  # the previous paragraph stopped mid-sentence before a blank line
    blank = False
    for raw in text.splitlines():
        line = _MARKDOWN_HEADING.sub("", raw.replace("**", "")).strip()
        if not line:
            blank = True
            continue
        if paragraphs and cut and blank:
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
        last = paragraphs[-1]
        cut = last[-1] not in _SENTENCE_END and ("。" in last or "；" in last)
        blank = False
    return paragraphs


#: punctuation that may not start a line: Word and WPS let it hang past the margin
_HANGING = "，。、；：？！）》〉」』”’…"


def wrap_paragraph(paragraph: str, chars_per_line: int, *, by_width: bool = False) -> list[str]:
    """Indent a paragraph and cut it every ``chars_per_line`` characters, or, ``by_width``,
    where the next character would pass ``chars_per_line`` ems (digits and Latin letters
    are narrower), punctuation hanging past the margin, as Word and WPS wrap."""
    text = INDENT + paragraph
    if not by_width:
        return [text[i : i + chars_per_line] for i in range(0, len(text), chars_per_line)]
    _register_font()
    limit = chars_per_line * BODY_SIZE
    lines, line = [], ""
    for ch in text:
        if (
            line
            and ch not in _HANGING
            and pdfmetrics.stringWidth(line + ch, FONT, BODY_SIZE) > limit
        ):
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines


def layout_lines(text: str, chars_per_line: int = 28, *, by_width: bool = False) -> list[str]:
    """Every printed body line of ``text``, in order."""
    lines: list[str] = []
    for paragraph in report_paragraphs(text):
        lines.extend(wrap_paragraph(paragraph, chars_per_line, by_width=by_width))
    return lines


def _justified(text: str, chars_per_line: int) -> dict[int, float]:
    """Line number → the character spacing that makes it reach the right margin, for
    every line of a paragraph wrapped by width but its last (punctuation may hang)."""
    out: dict[int, float] = {}
    limit = chars_per_line * BODY_SIZE
    n = 0
    for paragraph in report_paragraphs(text):
        lines = wrap_paragraph(paragraph, chars_per_line, by_width=True)
        for line in lines[:-1]:
            body = line[:-1] if line[-1] in _HANGING else line
            width = pdfmetrics.stringWidth(body, FONT, BODY_SIZE)
            if len(body) > 1 and width < limit:
                out[n] = (limit - width) / (len(body) - 1)
            n += 1
        n += 1
    return out


def render_report_pdf(
    text: str,
    out_path: str | Path,
    *,
    header: str | None = DEFAULT_HEADER,
    chars_per_line: int = 28,
    lines_per_page: int = 22,
    char_space: float = 0.0,
    encrypt: str | None = None,
    by_width: bool = False,
) -> Path:
    """Render a report as an official-style PDF and return its path.

    ``char_space`` adds that many points between glyphs (as justified
    Chinese text does); ``encrypt`` sets a user password; ``by_width`` wraps
    lines by their printed width rather than by a count of characters
    (:func:`wrap_paragraph`).
    """
    _register_font()
    out_path = Path(out_path)
    width, height = A4
    line_height = 28.9
    left = (width - chars_per_line * BODY_SIZE) / 2
    top = height - 100

    c = canvas.Canvas(str(out_path), pagesize=A4, encrypt=encrypt, invariant=1)
    c.setTitle("report")
    lines = layout_lines(text, chars_per_line, by_width=by_width) or [""]
    # by width, a paragraph's lines but its last are justified (两端对齐), as Word sets them
    justify = _justified(text, chars_per_line) if by_width else {}
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    for number, page in enumerate(pages, start=1):
        if header:
            c.setFont(FONT, HEADER_SIZE)
            c.drawCentredString(width / 2, height - 50, header)
            c.setLineWidth(0.5)
            c.line(left, height - 56, width - left, height - 56)
        c.setFont(FONT, BODY_SIZE)
        y = top
        for n, line in enumerate(page):
            t = c.beginText(left, y)
            t.setFont(FONT, BODY_SIZE)
            t.setCharSpace(justify.get((number - 1) * lines_per_page + n, char_space))
            t.textOut(line.translate(_FONT_SUBSTITUTES))
            c.drawText(t)
            y -= line_height
        c.setFont(FONT, FOLIO_SIZE)
        c.drawCentredString(width / 2, 50, f"— {number} —")
        c.showPage()
    c.save()
    return out_path


def render_encrypted_pdf(out_path: str | Path, password: str = "secret") -> Path:
    """A PDF that cannot be opened without a user password."""
    return render_report_pdf("关于法治政府建设情况的报告。", out_path, encrypt=password)


def render_scanned_pdf(out_path: str | Path, pages: int = 2) -> Path:
    """A PDF with drawn shapes (like a scan) and no text layer at all."""
    out_path = Path(out_path)
    c = canvas.Canvas(str(out_path), pagesize=A4, invariant=1)
    for _ in range(pages):
        for row in range(20):
            c.rect(70, 700 - row * 28, 300 + (row * 37) % 150, 14, fill=1)
        c.showPage()
    c.save()
    return out_path


def truncate_file(src: str | Path, out_path: str | Path, fraction: float = 0.5) -> Path:
    """Copy the first ``fraction`` of a file, like an interrupted download."""
    data = Path(src).read_bytes()
    out_path = Path(out_path)
    out_path.write_bytes(data[: int(len(data) * fraction)])
    return out_path


def write_raw_pdf(out_path: str | Path, objects: list[bytes]) -> Path:
    """Write ``objects`` (object 1 is the catalog) as a PDF with a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    out_path = Path(out_path)
    out_path.write_bytes(bytes(out))
    return out_path


def render_cid_garbage_pdf(out_path: str | Path, lines: int = 12) -> Path:
    """A PDF whose only font is Identity-H encoded without a ToUnicode map.

    Text extractors can only report such glyphs as ``(cid:N)``.
    """
    rows = []
    for i in range(lines):
        cids = "".join(f"{(i * 31 + k * 7) % 3000 + 100:04X}" for k in range(20))
        rows.append(f"BT /F1 16 Tf 72 {760 - i * 28} Td <{cids}> Tj ET")
    stream = "\n".join(rows).encode("ascii")
    return write_raw_pdf(
        out_path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type0 /BaseFont /FZFSK--GBK1-0"
            b" /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /FZFSK--GBK1-0"
            b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /DW 1000 >>",
        ],
    )


# --------------------------------------------------------------- other formats


def write_gbk_text(text: str, out_path: str | Path) -> Path:
    """Save ``text`` as GBK, the way older Windows editors do."""
    out_path = Path(out_path)
    out_path.write_bytes(text.replace("\n", "\r\n").encode("gbk"))
    return out_path


def build_docx(
    paragraphs: list[str],
    out_path: str | Path,
    *,
    table: list[list[str]] | None = None,
    table_after: int = 1,
    header: str | None = DEFAULT_HEADER,
) -> Path:
    """A Word document: ``paragraphs`` with ``table`` inserted after paragraph
    number ``table_after``, and a page header (furniture, not body text)."""
    import docx

    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for i, paragraph in enumerate(paragraphs):
        document.add_paragraph(paragraph)
        if table and i + 1 == table_after:
            t = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for col, value in enumerate(row):
                    t.cell(r, col).text = value
    out_path = Path(out_path)
    document.save(str(out_path))
    return out_path


GOV_NAV = "首页 政务公开 办事服务 互动交流 走进美湖"
GOV_BREADCRUMB = "当前位置：首页 > 政务公开 > 法治政府建设"
GOV_SIDEBAR = "相关链接 热点专题 扫黑除恶专项斗争"
GOV_FOOTER = "主办单位：美湖镇人民政府 版权所有 闽ICP备00000000号"
GOV_SCRIPT = "var 统计代码 = '访问量统计';"


def build_gov_html(
    title: str,
    paragraphs: list[str],
    out_path: str | Path,
    *,
    container: str = '<div class="article-content">',
    site: str = "美湖镇人民政府",
    encoding: str = "utf-8",
    title_in_body: bool = False,
) -> Path:
    """A page as county and township portals publish reports: navigation,
    breadcrumb, sidebar, footer, scripts, and the article inside
    ``container`` (an opening ``<div>`` tag such as ``'<div id="zoom">'``)."""
    body = "\n".join(f"<p>\u3000\u3000{escape(p)}</p>" for p in paragraphs)
    heading = f'<div class="article-title">{escape(title)}</div>' if title_in_body else ""
    html = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={encoding}">
<title>{escape(title)}_{escape(site)}</title>
<style>.nav {{ color: red }} /* 样式 */</style>
<script>{GOV_SCRIPT}</script>
</head>
<body>
<div class="header"><div class="logo">{escape(site)}</div>
<ul class="nav">{"".join(f"<li><a href='#'>{w}</a></li>" for w in GOV_NAV.split())}</ul>
<form action="/search"><input name="q"><button>搜索</button></form></div>
<div class="breadcrumb">{escape(GOV_BREADCRUMB)}</div>
<div class="main">
<div class="sidebar"><h3>{escape(GOV_SIDEBAR)}</h3></div>
<div class="detail">
{heading}
<div class="info">发布时间：2024-03-01 来源：司法所 字体：[大 中 小]</div>
{container}
{body}
</div>
</div>
</div>
<div class="footer"><p>{escape(GOV_FOOTER)}</p></div>
</body>
</html>
"""
    out_path = Path(out_path)
    # pages that declare gb2312 are really GBK, as browsers assume
    out_path.write_bytes(html.encode("gbk" if encoding.lower() == "gb2312" else encoding))
    return out_path
