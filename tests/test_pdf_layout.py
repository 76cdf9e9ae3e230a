"""pdflayout: paragraphs from the geometry of PDF lines, checked on synthetic pages.

Each page is built from lines of CJK text set in a 16-point font, 28 characters
(448 points) to a full line from x = 72, as Word and WPS print official
documents; the cases are the ones that broke paragraphs on real files:
punctuation hanging past the margin, lines a little short of the edge,
headings, indentation, two columns and tables.
"""

from __future__ import annotations

from indexer.ingest.normalize import normalize
from indexer.ingest.pdflayout import read_pages
from indexer.model import Extracted, PageLayout, TextLine

SIZE = 16.0
LEFT = 72.0
PER_LINE = 28
RIGHT = LEFT + PER_LINE * SIZE
PITCH = 28.0


def width(text: str) -> float:
    return sum(SIZE if ord(c) > 0x7F else SIZE / 2 for c in text)


def line(text: str, y: float, *, x: float = LEFT, size: float = SIZE, bold=False) -> TextLine:
    return TextLine(text, x, x + width(text), y, y + size, size, bold)


def page(*rows: str | TextLine, top: float = 780.0) -> list[TextLine]:
    """Lines top to bottom; a leading "　　" indents a line by two characters."""
    out = []
    y = top
    for row in rows:
        if isinstance(row, TextLine):
            out.append(row)
            y = row.y0 - PITCH
            continue
        indent = len(row) - len(row.lstrip("\u3000"))
        out.append(line(row.lstrip("\u3000"), y, x=LEFT + indent * SIZE))
        y -= PITCH
    return out


BODY = "法治政府建设深入推进依法行政各项工作取得明显成效全面落实行政执法三项制度"


def full_line(start: int = 0, n: int = PER_LINE) -> str:
    return (BODY * 3)[start : start + n]


def test_a_full_line_continues_whatever_the_widths():
    # the first line is one character short of the margin only because the next
    # character travels with its comma (it would not fit with it): still full
    first = full_line(0, 27)
    rows = page("　　" + full_line(0, 26), first, "，" + full_line(5, 10) + "。")
    assert read_pages([rows]) == [full_line(0, 26) + first + "，" + full_line(5, 10) + "。"]


def test_punctuation_hanging_past_the_margin_is_still_a_full_line():
    hanging = line(full_line(0, 28) + "，", 752)  # 29 characters: the comma hangs out
    rows = page("　　" + full_line(3, 26), hanging, full_line(9, 12) + "。")
    assert len(read_pages([rows])) == 1


def test_a_line_short_of_the_edge_ends_its_paragraph():
    rows = page(full_line(0, 20) + "。", "　　" + full_line(4, 10) + "。")
    assert read_pages([rows]) == [full_line(0, 20) + "。", full_line(4, 10) + "。"]


def test_a_heading_is_never_the_first_half_of_a_wrapped_sentence():
    # a full line without punctuation followed by its continuation: one paragraph,
    # although its first half alone would look like a heading
    rows = page(
        line("一、加强组织领导", 780, bold=True),
        "　　" + full_line(0, 26),
        full_line(2, 28),
        full_line(7, 5) + "。",
    )
    blocks = read_pages([rows])
    assert blocks == [
        "一、加强组织领导",
        full_line(0, 26) + full_line(2, 28) + full_line(7, 5) + "。",
    ]


def test_a_full_line_before_a_numbered_unit_or_an_indent_ends_there():
    rows = page(full_line(0, 28), "（二）" + full_line(1, 10), full_line(0, 28), "　　" + BODY[:6])
    assert len(read_pages([rows])) == 4


def test_a_sentence_ending_at_the_margin_continues_only_in_indented_text():
    ends = full_line(0, 27) + "。"
    indented = page(
        "　　" + full_line(0, 26), ends, full_line(3, 10) + "。", "　　" + BODY[:9] + "。"
    )
    assert len(read_pages([indented])) == 2
    flush = page(full_line(0, 28), ends, full_line(3, 10) + "。", full_line(4, 28))
    assert read_pages([flush])[1] == full_line(3, 10) + "。"


def test_another_font_size_or_a_wide_gap_separates():
    title = line("法治政府建设年度报告", 780, x=200, size=22)
    rows = page(title, "　　" + full_line(0, 26), top=780)
    rows = [rows[0], line("　　" + full_line(0, 26), 740)]
    assert len(read_pages([rows])) == 2
    gap = [line(full_line(0, 28), 780), line(full_line(2, 10) + "。", 700)]
    assert len(read_pages([gap])) == 2


def test_a_hanging_indent_continues_a_numbered_item():
    item = line("1." + full_line(0, 27), 780)
    rest = line(full_line(4, 10) + "。", 752, x=LEFT + SIZE)  # under the text, not the numeral
    assert len(read_pages([[item, rest]])) == 1


def test_a_paragraph_continues_on_the_next_page():
    first = page("　　" + full_line(0, 26), full_line(2, 28))
    second = page(full_line(3, 12) + "。")
    assert read_pages([first, second]) == [
        full_line(0, 26) + full_line(2, 28) + full_line(3, 12) + "。"
    ]


def test_latin_words_wrap_with_a_space_and_hyphens_are_rejoined():
    a = TextLine("the extraction of text from", LEFT, RIGHT - 2, 780, 796, SIZE)
    b = TextLine("documents is", LEFT, LEFT + 100, 752, 768, SIZE)
    assert read_pages([[a, b]]) == ["the extraction of text from documents is"]
    c = TextLine("a trace specu-", LEFT, RIGHT - 1, 780, 796, SIZE)
    d = TextLine("lates on types", LEFT, LEFT + 100, 752, 768, SIZE)
    assert read_pages([[c, d]]) == ["a trace speculates on types"]


def two_column_page() -> list[TextLine]:
    """Two columns of 13 characters (208 points) with a 32-point gutter, and a title
    across both; pdfminer merges the two halves of each row into one line."""
    left_x, right_x = LEFT, LEFT + 13 * SIZE + 32
    rows = [line("双栏排版的标题横跨两栏", 800, x=150)]
    left = ["左栏第一段" + "甲" * 8] + ["乙" * 13] * 5 + ["左栏末行结束。"]
    right = ["右栏第一段" + "丙" * 8] + ["丁" * 13] * 5 + ["右栏末行结束。"]
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        y = 760 - i * PITCH
        spans = ((left_x, left_x + width(a), a), (right_x, right_x + width(b), b))
        rows.append(
            TextLine(f"{a} {b}", left_x, right_x + width(b), y, y + SIZE, SIZE, spans=spans)
        )
    return rows


def test_two_columns_are_read_column_by_column():
    blocks = read_pages([two_column_page()])
    assert blocks == [
        "双栏排版的标题横跨两栏",
        "左栏第一段" + "甲" * 8 + "乙" * 65 + "左栏末行结束。",
        "右栏第一段" + "丙" * 8 + "丁" * 65 + "右栏末行结束。",
    ]


def table_row(cells: list[str], y: float, xs=(72.0, 250.0, 400.0)) -> TextLine:
    spans = tuple((x, x + width(c), c) for x, c in zip(xs, cells, strict=False))
    return TextLine(" ".join(cells), xs[0], spans[-1][1], y, y + 10.5, 10.5, spans=spans)


def test_a_table_is_read_row_by_row_with_its_cells_apart():
    rows = [
        table_row(["项目", "本报告期", "上年同期"], 700),
        table_row(["营业收入（元）", "4,755,785.11", "5,699,227.63"], 680),
        table_row(["基本每股收益（元/股）", "-0.0053", "-0.0178"], 660),
    ]
    blocks = read_pages([rows])
    assert blocks == [
        "项目 | 本报告期 | 上年同期",
        "营业收入（元） | 4,755,785.11 | 5,699,227.63",
        "基本每股收益（元/股） | -0.0053 | -0.0178",
    ]


def test_ruled_rows_join_the_lines_of_a_cell():
    # a cell whose text wraps over two lines, the other cells centred between them
    first = TextLine("归属于上市公司股东的扣除非经常性损", 58, 211, 562.9, 573.4, 9.0)
    middle = table_row(["-7,889,855.34", "-15,424,679.15"], 553.6, xs=(271.0, 380.0))
    last = TextLine("益的净利润（元）", 58, 130, 547.3, 557.8, 9.0)
    rules = [(56, 535, 600), (56, 535, 576), (56, 535, 542), (56, 535, 522)]
    before = table_row(["营业收入（元）", "4,755,785.11", "5,699,227.63"], 580, xs=(58, 271, 380))
    blocks = read_pages([[before, first, middle, last]], [rules])
    assert blocks[0] == "营业收入（元） | 4,755,785.11 | 5,699,227.63"
    assert (
        blocks[1]
        == "归属于上市公司股东的扣除非经常性损益的净利润（元） | -7,889,855.34 | -15,424,679.15"
    )


def test_table_rows_are_never_headings_nor_merged_into_paragraphs():
    rows = [
        line("一、主要会计数据", 760),
        table_row(["项目", "本报告期"], 730),
        table_row(["营业收入", "4,755,785.11"], 710),
        line("公司报告期不存在将非经常性损益项目界定为经常性损益的情形。", 680),
    ]
    layout = (PageLayout(595, 842, tuple(rows)),)
    clean = normalize(Extracted("", "pdf", ("",), layout)).split("\n")
    assert clean[1:3] == ["项目 | 本报告期", "营业收入 | 4,755,785.11"]
    from indexer.ingest.normalize import heading_like

    assert not heading_like(clean[1])


def test_running_headers_and_page_numbers_are_dropped_before_joining():
    pages = []
    for n in range(3):
        rows = [
            line("某某镇人民政府文件", 810, x=220, size=10.5),
            line("　　" + full_line(n, 26) if n == 0 else full_line(n, 28), 760),
            line(full_line(n + 1, 28), 732),
            line(f"— {n + 1} —", 40, x=280, size=14),
        ]
        pages.append(PageLayout(595, 842, tuple(rows)))
    pages[-1] = PageLayout(
        595, 842, (*pages[-1].lines[:2], line("结束。", 732), pages[-1].lines[3])
    )
    clean = normalize(Extracted("", "pdf", ("",) * 3, tuple(pages)))
    assert "文件" not in clean and "—" not in clean
    assert clean.count("\n") == 0  # one paragraph across three pages
