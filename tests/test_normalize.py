"""normalize(): page furniture, inline cleaning and the rules that rebuild paragraphs."""

from __future__ import annotations

import pytest

from indexer.ingest.normalize import (
    clean_line,
    detect_wrap,
    ends_sentence,
    heading_like,
    is_page_number,
    merge_broken,
    normalize,
    numbering,
    split_pages,
    strip_furniture,
)
from indexer.model import Extracted

from helpers import CORPUS

SEEDS = sorted(CORPUS.glob("*.txt"))
INDENT = "\u3000\u3000"


def text(raw: str) -> str:
    return normalize(Extracted(raw, "text"))


def printed(paragraphs: list[str], *, width: int = 28, per_page: int = 12, indent: bool = True):
    """Pages of a fixed-width print: running header, indented paragraphs, ``— N —``."""
    lines = []
    for paragraph in paragraphs:
        s = (INDENT if indent else "") + paragraph
        lines += [s[i : i + width] for i in range(0, len(s), width)]
    pages = []
    for n, start in enumerate(range(0, len(lines), per_page), start=1):
        body = lines[start : start + per_page]
        pages.append("\n".join(["某某镇法治政府建设年度报告", "", *body, "", f"— {n} —"]))
    return Extracted("\f".join(pages), "pdf", tuple(pages))


# -- page furniture ----------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["— 3 —", "- 3 -", "–12–", "3", " 12 ", "第3页", "第 3 页 共 9 页", "共9页 第3页", "3/9"],
)
def test_page_numbers_are_recognised(line):
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["2023年", "一、", "1.", "第三条", "12.4", "第3页的内容。", ""])
def test_text_is_not_a_page_number(line):
    assert not is_page_number(line)


def test_running_header_and_page_numbers_are_removed_from_every_page():
    pages = [
        ["某某镇法治政府建设年度报告", f"第{n}段正文内容。", "更多的正文。", f"— {n} —"]
        for n in range(1, 5)
    ]
    assert strip_furniture(pages) == [[f"第{n}段正文内容。", "更多的正文。"] for n in range(1, 5)]


def test_running_footer_with_changing_page_number_is_removed():
    pages = [[f"正文{n}。", f"美湖镇人民政府 第 {n} 页"] for n in range(1, 4)]
    assert strip_furniture(pages) == [[f"正文{n}。"] for n in range(1, 4)]


def test_title_equal_to_running_header_survives_on_the_first_page():
    title = "美湖镇人民政府关于2023年度法治政府建设情况的报告"
    pages = [[title, title, "正文一。"], [title, "正文二。"], [title, "正文三。"]]
    assert strip_furniture(pages) == [[title, "正文一。"], ["正文二。"], ["正文三。"]]


def test_a_single_page_is_left_alone_apart_from_page_numbers():
    assert strip_furniture([["标题", "正文。", "— 1 —"]]) == [["标题", "正文。"]]


def test_text_without_form_feeds_is_paged_at_its_page_numbers():
    raw = "页眉文字\n正文甲。\n— 1 —\n页眉文字\n正文乙。\n— 2 —\n页眉文字\n正文丙。"
    assert split_pages(Extracted(raw, "text")) == [
        ["页眉文字", "正文甲。", "— 1 —"],
        ["页眉文字", "正文乙。", "— 2 —"],
        ["页眉文字", "正文丙。"],
    ]
    assert text(raw) == "正文甲。\n正文乙。\n正文丙。"


# -- inline cleaning ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("2023 年度", "2023年度"),
        ("法治政府 建设", "法治政府建设"),
        ("（2021-2025 年）", "（2021-2025年）"),
        ("讲座 10 余场次", "讲座10余场次"),
        ("LED 显示屏", "LED 显示屏"),
        ("rule of law 建设", "rule of law 建设"),
        ("\u3000\u3000根据县委", "根据县委"),
        ("签发人：\u3000王科栋", "签发人：王科栋"),
        ("## 一、加强组织领导", "一、加强组织领导"),
        ("### 三、存在的不足", "三、存在的不足"),
        ("#标题", "标题"),
        ("1. **坚持领导干部学法。**全面落实", "1.坚持领导干部学法。全面落实"),
        ("**2. 全面贯彻实施宪法法律。**一是", "2.全面贯彻实施宪法法律。一是"),
        ("__重点__工作", "重点工作"),
        ("全面 \t  落实", "全面落实"),
        ("“谁执法谁普法” 责任制", "“谁执法谁普法”责任制"),
    ],
)
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


def test_full_width_punctuation_is_kept():
    assert (
        clean_line("（一）加强领导，落实责任；做到“三个一”。")
        == "（一）加强领导，落实责任；做到“三个一”。"
    )


# -- line predicates ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "style"),
    [
        ("一、加强组织领导", "cn"),
        ("（一）加强组织领导", "paren_cn"),
        ("(六) 持续提高", "paren_cn"),
        ("1. 优化政府机构职能", "arabic"),
        ("1、落实党政班子", "arabic"),
        ("12.健全矛盾纠纷", "arabic"),
        ("（1）加强学习", "paren_arabic"),
        ("①加强学习", "circled"),
        ("第一部分 工作情况", "part"),
    ],
)
def test_numbering_styles(line, style):
    num = numbering(line)
    assert num is not None and num.style == style


@pytest.mark.parametrize(
    "line", ["一是强化学习", "2023年以来", "12.4国家宪法日", "1.5万元", "十九大精神"]
)
def test_not_numbering(line):
    assert numbering(line) is None


@pytest.mark.parametrize(
    "line", ["报告如下：", "有效化解。", "真的吗？", "“矛盾不上交”。", "（详见附件。）", "完成;"]
)
def test_sentence_ends(line):
    assert ends_sentence(line)


@pytest.mark.parametrize("line", ["及各", "加强法治政府建设", "实现“矛盾不上交”", "第1.", ""])
def test_sentence_does_not_end(line):
    assert not ends_sentence(line)


def test_heading_like():
    assert heading_like("加强法治政府建设")
    assert heading_like("（一）加强组织领导，落实法治责任")
    assert heading_like(
        "2022年党政主要负责人履行推进法治建设第一责任人职责，加强法治政府建设的有关情况"
    )
    assert not heading_like("1、落实党政班子领导法治责任。一是把法治建设工作")
    assert not heading_like("现将有关情况报告如下：")
    assert not heading_like("我镇每年举办领导和干部法治讲座，")


# -- paragraphs broken by page breaks (text) ----------------------------------------


def test_page_break_blank_line_inside_a_sentence_is_joined():
    raw = "全面深入学习《宪法》和习近平法治思想及各\n\n类法律法规，切实提高能力。"
    assert text(raw) == "全面深入学习《宪法》和习近平法治思想及各类法律法规，切实提高能力。"


def test_short_heading_lines_are_not_joined():
    raw = "一、主要举措\n\n加强法治政府建设\n\n按照要求，我镇加强了领导小组。\n强化学习\n坚持学习。"
    assert text(raw).split("\n") == [
        "一、主要举措",
        "加强法治政府建设",
        "按照要求，我镇加强了领导小组。",
        "强化学习",
        "坚持学习。",
    ]


def test_title_lines_and_signature_stay_apart():
    raw = "重庆市万州区新乡镇人民政府\n\n关于2022年度法治政府建设情况的报告\n\n现将情况报告如下。"
    assert len(text(raw).split("\n")) == 3
    assert text("工作做得很好。\n\n美湖镇人民政府\n\n2024年2月27日").split("\n") == [
        "工作做得很好。",
        "美湖镇人民政府",
        "2024年2月27日",
    ]


def test_numbered_item_cut_after_its_first_sentence_is_joined():
    raw = "1、落实党政班子领导法治责任。一是把法治建设工作\n\n作为一项重要的政治任务。"
    assert text(raw) == "1、落实党政班子领导法治责任。一是把法治建设工作作为一项重要的政治任务。"


def test_item_cut_before_any_full_stop_is_joined_when_its_siblings_are_sentences():
    # seed 003: "2. 围绕…，深化法⏎⏎律服务…" looks like a heading on its own
    blocks = [
        "（三）健全依法行政制度体系",
        "1.提升规范性文件制定科学化水平。加强备案审查工作。",
        "2.围绕“八五”普法宣传规划和落实“强基促稳”，深化法",
        "律服务“五在场”，强化基层依法治理。",
        "（四）健全行政决策制度体系",
    ]
    assert merge_broken(blocks) == [
        "（三）健全依法行政制度体系",
        "1.提升规范性文件制定科学化水平。加强备案审查工作。",
        "2.围绕“八五”普法宣传规划和落实“强基促稳”，深化法律服务“五在场”，强化基层依法治理。",
        "（四）健全行政决策制度体系",
    ]


def test_numbered_headings_whose_siblings_are_headings_stay_apart():
    blocks = ["（一）加强组织领导，落实法治责任", "正文。", "（二）坚持依法行政", "正文。"]
    assert merge_broken(blocks) == blocks


def test_a_line_cannot_start_with_a_comma():
    assert merge_broken(["加强法治", "，建设政府。"]) == ["加强法治，建设政府。"]


# -- fixed-width lines (PDF) --------------------------------------------------------

PARAGRAPHS = [
    "美湖镇人民政府关于2023年度法治政府建设情况的报告",
    "2023年以来，美湖镇全面贯彻中央依法治国基本方略，深入推进依法行政、法治政府建设工作。"
    "现将有关情况报告如下：",
    "一、加强组织领导，制定规划方案",
    "根据县委和县委全面依法治县委员会制定印发的《法治德化建设规划》等文件精神，结合美湖镇"
    "实际制定了《法治美湖建设规划》等文件，推进法治政府建设深入实施。镇主要领导亲自部署、"
    "亲自抓，履行好法治建设第一责任人职责，确保各项工作落到实处。",
    "2022年党政主要负责人履行推进法治建设第一责任人职责，加强法治政府建设的有关情况",
    "（一）加强学习与培训，进一步提升依法行政的认识",
    "通过镇党委理论学习中心组学法、镇村工作人员法治培训等形式，全面深入学习《宪法》和习近平"
    "法治思想及各类法律法规，切实提高运用法治思维与法治方式解决问题的能力。落实好乡镇“一支队伍"
    "管执法”。",
    "美湖镇人民政府",
    "2024年2月27日",
]


def test_fixed_width_pages_read_back_as_the_paragraphs():
    assert normalize(printed(PARAGRAPHS)).split("\n") == PARAGRAPHS


@pytest.mark.parametrize("per_page", [3, 5, 7])
def test_page_breaks_anywhere_keep_paragraphs_whole(per_page):
    assert normalize(printed(PARAGRAPHS, per_page=per_page)).split("\n") == PARAGRAPHS


def test_fixed_width_lines_without_indentation():
    lines = normalize(printed(PARAGRAPHS, indent=False)).split("\n")
    assert lines[0] == PARAGRAPHS[0]
    assert PARAGRAPHS[4] in lines  # a heading longer than one line
    assert any("法治思想及各类法律法规" in line for line in lines)
    assert any("“一支队伍管执法”" in line for line in lines)
    assert lines[-2:] == PARAGRAPHS[-2:]


def test_detect_wrap_finds_the_line_width():
    wrap = detect_wrap(["\u3000\u3000" + "法" * 26, "治" * 28, "政" * 28, "府" * 28, "建设。"])
    assert wrap is not None and wrap.width == 28 and wrap.share > 0.5


def test_text_wrapped_at_a_width_that_more_than_a_few_lines_exceed():
    """A text file cut every 24 characters, with over-long lines (a title, lines
    pasted unwrapped) as many as one in ten: the wrap is still found, so no line
    cut in mid-sentence is taken for a heading and no phrase is lost at a cut."""
    body = [
        "领导小组定期召开会议，研究解决法治政府建设工作中的重大问题，贯彻落实区委关于法治政府"
        "建设各项决策部署，推进重点任务落实。",
        "我镇共设立信访评理室十四个，实现全镇每个村都有一间信访评理室，推动信访矛盾纠纷及时"
        "有效化解，严格执行政府规范性文件报备审查制度。",
    ] * 4
    long_lines = [
        "某某镇人民政府关于2023年度法治政府建设情况的报告（此行未按版心折行，长于其余各行）",
        "附：某某镇2023年度法治政府建设重点任务分工清单（共十五项，逐项列明责任单位与完成时限）",
    ] * 2
    lines, paragraphs = [], []  # as written, and as they should read back
    for i, paragraph in enumerate(body):
        if i % 2 == 0:
            lines.append(long_lines[i // 2])
            paragraphs.append(long_lines[i // 2])
        lines += [paragraph[k : k + 24] for k in range(0, len(paragraph), 24)]
        paragraphs.append(paragraph)
    assert sum(len(line) > 24 for line in lines) > len(lines) // 50 + 1
    text = "\n".join(lines)
    wrap = detect_wrap(lines)
    assert wrap is not None and wrap.width == 24
    out = normalize(Extracted(text, "txt", (text,))).split("\n")
    assert out == paragraphs


def test_words_cut_by_a_fixed_character_count_are_rejoined():
    paragraphs = [
        "举办法律知识讲座十余场次，悬挂宣传横幅两百多条，利用LED显示屏播放法律知识。",
        "开展现场宣传咨询活动六十五场次，分发法律知识材料两万多份，为群众提供法律咨询。",
    ]
    assert normalize(printed(paragraphs, per_page=3)).split("\n") == paragraphs


# -- the seeds ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_text_is_clean(seed):
    clean = text(seed.read_text(encoding="utf-8"))
    assert "**" not in clean and "#" not in clean and "\u3000" not in clean
    assert "\n\n" not in clean
    assert not any(line != line.strip() for line in clean.split("\n"))


def test_seed_page_breaks_inside_sentences_are_joined():
    clean = {p.name[:3]: text(p.read_text(encoding="utf-8")) for p in SEEDS}
    assert "法治思想及各类法律法规" in clean["000"]
    assert "智能高效" in clean["003"]
    assert "二是作为各级政府" in clean["002"]
    assert "建设工作作为一项重要的政治任务" in clean["002"]
    assert "深化法律服务“五在场”" in clean["003"]


def test_normalize_is_idempotent_on_clean_text():
    clean = text(SEEDS[0].read_text(encoding="utf-8"))
    assert text(clean) == clean


def test_empty_input():
    assert normalize(Extracted("", "text")) == ""
    assert normalize(Extracted(" \n\u3000\n", "text")) == ""
    assert normalize(Extracted("", "pdf", ("",))) == ""
