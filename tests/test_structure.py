"""structure(): metadata, outline and passages of the seed reports, and odd input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.ingest.metadata import find_doc_number, parse_date
from indexer.ingest.normalize import normalize
from indexer.ingest.structure import section_keys, structure
from indexer.model import SECTION_KEYS, Extracted, Report

from helpers import CORPUS

SEEDS = {p.name[:3]: p for p in sorted(CORPUS.glob("*.txt"))}

EXPECTED = {
    "000": dict(
        title="美湖镇人民政府关于2023年度法治政府建设情况的报告",
        issuer="美湖镇人民政府",
        township="美湖镇",
        county="德化县",
        city="泉州市",
        province="福建省",
        year=2023,
        date="2024-02-27",
        doc_number=None,
    ),
    "001": dict(
        title="重庆市万州区新乡镇人民政府关于2022年度法治政府建设情况的报告",
        issuer="重庆市万州区新乡镇人民政府",
        township="新乡镇",
        county="万州区",
        city="重庆市",
        province="重庆市",
        year=2022,
        date=None,
        doc_number=None,
    ),
    "002": dict(
        title="雷高镇人民政府关于2022年度法治政府建设情况的报告",
        issuer="雷州市雷高镇人民政府",
        township="雷高镇",
        county="雷州市",
        city="湛江市",
        province="广东省",
        year=2022,
        date="2022-12-02",
        doc_number="雷高府发〔2022〕61号",
    ),
    "003": dict(
        title="湖上乡法治政府建设年度工作总结",
        issuer="中共安溪县湖上乡委员会",
        township="湖上乡",
        county="安溪县",
        city="泉州市",
        province="福建省",
        year=2023,
        date="2024-03-28",
        doc_number="湖乡委〔2024〕15号",
    ),
    "004": dict(
        title="关于2023年法治政府建设情况的报告",
        issuer=None,
        township="周庄镇",
        county="宝丰县",
        city="平顶山市",
        province="河南省",
        year=2023,
        date=None,
        doc_number=None,
    ),
}

KEYS = {
    "000": {"other", "measures", "shortcomings", "plans"},
    "001": {"other", "measures", "leadership", "shortcomings", "plans"},
    "002": {"other", "measures", "shortcomings", "plans"},
    "003": {"other", "measures", "plans"},
    "004": {"other", "leadership", "measures", "shortcomings", "plans"},
}

#: phrases the seeds' own page breaks cut in two
BROKEN_PHRASES = {
    "000": ["法治思想及各类法律法规", "严格落实重大行政决策程序", "推动更多法治力量"],
    "001": [],
    "002": ["把法治建设工作作为一项重要的政治任务", "二是作为各级政府", "完善执法信息"],
    "003": ["智能高效", "深化法律服务“五在场”", "深化行政执法体制改革，努力提高"],
    "004": [],
}


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    out = {}
    for name, path in SEEDS.items():
        clean = normalize(Extracted(path.read_text(encoding="utf-8"), "text"))
        out[name] = structure(clean, source=path.name)
    return out


def outline(report: Report) -> list[tuple[int, str, str]]:
    return [(s.level, s.key, s.heading) for s in report.sections]


# -- the seeds ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_seed_metadata(reports, seed):
    meta = reports[seed].metadata()
    assert meta.pop("source") == SEEDS[seed].name
    assert meta.pop("url") is None  # no sidecar, no web page
    # every seed is a township's annual report without a web page's metadata block
    page = {"level": "township", "kind": "annual_report", "index_number": None, "subject": None}
    assert meta == EXPECTED[seed] | page


@pytest.mark.parametrize("seed", sorted(KEYS))
def test_seed_section_keys(reports, seed):
    report = reports[seed]
    assert {s.key for s in report.sections} == KEYS[seed]
    assert {p.section for p in report.passages} == KEYS[seed]


@pytest.mark.parametrize("seed", sorted(BROKEN_PHRASES))
def test_seed_phrases_broken_by_page_breaks_are_whole(reports, seed):
    texts = [p.text for p in reports[seed].passages]
    for phrase in BROKEN_PHRASES[seed]:
        assert any(phrase in t for t in texts), phrase


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_passages_are_clean_and_numbered(reports, seed):
    report = reports[seed]
    assert [p.id for p in report.passages] == list(range(1, len(report.passages) + 1))
    for p in report.passages:
        assert "**" not in p.text and "#" not in p.text and "\u3000" not in p.text
        assert p.section in SECTION_KEYS
        assert p.path[-1:] == ([p.heading] if p.heading else [])
    for s in report.sections:
        assert s.parent is None or report.sections[s.parent].level < s.level


def test_named_practice_is_inside_a_passage(reports):
    for seed in ("000", "003"):
        hits = [p for p in reports[seed].passages if "一支队伍管执法" in p.text]
        assert hits and all(p.section == "measures" for p in hits)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_header_title_and_signature_are_passages_of_their_own_kind(reports, seed):
    """Every line of a report is searchable: the header, title and signature lines are
    passages too, each of its kind, and none of them is body text."""
    report = reports[seed]
    body = {p.text for p in report.passages if p.kind == "body"}
    framing = {(p.kind, p.text) for p in report.passages if p.kind != "body"}
    assert ("title", report.title) in framing
    assert report.title not in body
    header = {"雷高镇人民政府文件", "签发人：王科栋", "雷高府发〔2022〕61号", "县委、县政府："}
    for line in header:
        assert line not in body
    signature = ("美湖镇人民政府", "2024年2月27日", "安溪县湖上乡人民政府")
    for line in signature:
        assert line not in body
    # framing lines keep their place: header and title first, signature last
    kinds = [p.kind for p in report.passages]
    first_body = kinds.index("body")
    assert set(kinds[:first_body]) <= {"header", "title"}
    assert "signature" not in kinds[: max(i for i, k in enumerate(kinds) if k != "signature")]
    assert [p.id for p in report.passages] == list(range(1, len(report.passages) + 1))


def test_the_header_lines_are_header_passages(reports):
    texts = [(p.kind, p.text) for p in reports["002"].passages if p.kind in ("header", "title")]
    for line in ("雷高镇人民政府文件", "雷高府发〔2022〕61号", "签发人：王科栋"):
        assert ("header", line) in texts, texts
    texts = [(p.kind, p.text) for p in reports["003"].passages if p.kind in ("header", "title")]
    assert texts == [
        ("header", "中共安溪县湖上乡委员会文件"),
        ("header", "湖乡委〔2024〕15号"),
        ("title", "湖上乡法治政府建设年度工作总结"),
        ("header", "县委、县政府："),
    ]


def test_preamble_is_an_unnamed_other_part(reports):
    report = reports["000"]
    first = next(p for p in report.passages if p.kind == "body")
    assert first.text.startswith("2023年以来，美湖镇全面贯彻")
    assert (first.section, first.heading, first.path) == ("other", "", [])
    assert (report.sections[0].key, report.sections[0].heading) == ("other", "")


def test_unclassified_parts_before_the_shortcomings_are_measures(reports):
    assert outline(reports["000"])[1:] == [
        (1, "measures", "一、加强组织领导，制定规划方案"),
        (1, "measures", "二、围绕中心工作，深入开展实施"),
        (1, "shortcomings", "三、2023年度推进法治政府建设存在的不足和原因"),
        (1, "plans", "四、2024年度推进法治政府建设的主要安排"),
    ]


def test_numbered_sentences_are_passages_not_headings(reports):
    passages = reports["000"].passages
    item = next(p for p in passages if p.text.startswith("1.坚持领导干部学法、用法制度。"))
    assert item.heading == "二、围绕中心工作，深入开展实施"
    assert item.path == ["二、围绕中心工作，深入开展实施"]
    long_item = next(p for p in reports["004"].passages if p.text.startswith("（一）高度重视"))
    assert long_item.section == "leadership"


def test_bare_heading_lines_take_their_level_from_the_neighbours(reports):
    sections = outline(reports["001"])
    assert (2, "measures", "加强法治政府建设") in sections
    assert (2, "measures", "强化学习") in sections
    assert (2, "measures", "（三）提升依法行政水平") in sections
    head = "2022年党政主要负责人履行推进法治建设第一责任人职责，加强法治政府建设的有关情况"
    assert (1, "leadership", head) in sections
    assert (2, "leadership", "（一）加强学习与培训，进一步提升依法行政的认识") in sections


def test_one_sentence_numbered_line_is_a_heading_only_with_text_under_it(reports):
    sections = outline(reports["001"])
    assert (2, "plans", "（四）加强行政执法监督，提高行政执法水平。") in sections
    shortcoming = "（四）法制机构和队伍建设仍然比较薄弱，行政执法队伍业务能力还有待提高。"
    assert shortcoming in {p.text for p in reports["001"].passages}


def test_combined_part_is_resolved_by_its_subsections(reports):
    report = reports["002"]
    assert outline(report)[5:] == [
        (1, "shortcomings", "二、存在问题及下一步工作计划"),
        (2, "shortcomings", "（一）存在问题"),
        (2, "plans", "（二）下一步工作计划"),
    ]
    plan = next(p for p in report.passages if p.text.startswith("1、多措并举"))
    assert plan.path == ["二、存在问题及下一步工作计划", "（二）下一步工作计划"]
    assert plan.section == "plans"


def test_pdf_layout_of_a_seed_gives_the_same_report(reports):
    paragraphs = normalize(Extracted(SEEDS["002"].read_text(encoding="utf-8"), "text")).split("\n")
    lines = []
    for paragraph in paragraphs:
        s = "\u3000\u3000" + paragraph
        lines += [s[i : i + 28] for i in range(0, len(s), 28)]
    pages = [
        "\n".join(["依法行政年度报告", *lines[i : i + 22], f"— {n} —"])
        for n, i in enumerate(range(0, len(lines), 22), start=1)
    ]
    report = structure(normalize(Extracted("\f".join(pages), "pdf", tuple(pages))), "x.pdf")
    want = reports["002"]
    assert report.metadata() | {"source": None} == want.metadata() | {"source": None}
    assert outline(report) == outline(want)
    assert [p.text for p in report.passages] == [p.text for p in want.passages]


# -- section keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "year", "keys"),
    [
        ("一、2022年推进法治政府建设的主要举措和成效", 2022, ["measures"]),
        ("一、2023年党政主要负责人履行推进法治建设第一责任人职责情况", 2023, ["leadership"]),
        ("三、2023年度推进法治政府建设存在的不足和原因", 2023, ["shortcomings"]),
        ("四、2024年度推进法治政府建设的主要安排", 2023, ["plans"]),
        ("四、2023年推进法治政府建设的工作思路目标举措", 2022, ["plans"]),
        ("二、下一步工作打算", None, ["plans"]),
        ("二、存在问题及下一步工作计划", None, ["shortcomings", "plans"]),
        ("一、2023年工作安排落实情况", 2023, ["measures"]),
        ("一、坚持问题导向，加强组织领导", 2023, []),
        ("一、加强组织领导，制定规划方案", 2023, []),
        ("五、其他需要报告的情况", 2023, ["other_matters"]),
        ("五、其他事项", 2023, ["other_matters"]),
    ],
)
def test_section_keys(heading, year, keys):
    assert section_keys(heading, year) == keys


# -- dates and document numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024年2月27日", "2024-02-27"),
        ("2024 年 2 月 27 日", "2024-02-27"),
        ("（2022年12月2日）", "2022-12-02"),
        ("二〇二四年二月二十七日", "2024-02-27"),
        ("二○二三年十二月三十一日", "2023-12-31"),
        ("二零二四年三月十日", "2024-03-10"),
        ("二〇二四年十月一日", "2024-10-01"),
        ("二〇二四年十一月廿八日", "2024-11-28"),
        ("2024.3.28", "2024-03-28"),
        ("2024-03-28", "2024-03-28"),
        ("美湖镇人民政府 2024年2月27日", "2024-02-27"),
    ],
)
def test_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    "text", ["2024年2月30日", "2024年13月1日", "二〇二四年二月", "2023年度", ""]
)
def test_parse_date_rejects(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("雷高府发〔2022〕61号", "雷高府发〔2022〕61号"),
        ("雷高府发[2022]61号", "雷高府发[2022]61号"),
        ("雷高府发［2022］61号", "雷高府发［2022］61号"),
        ("湖乡委【2024】15号", "湖乡委【2024】15号"),
        ("雷高府发 〔 2022 〕 61 号", "雷高府发〔2022〕61号"),
        ("文号：宝政〔2023〕5号", "宝政〔2023〕5号"),
    ],
)
def test_find_doc_number(text, number):
    assert find_doc_number(text) == number


def test_issue_date_and_number_come_from_the_header_and_signature_only():
    clean = "\n".join(
        [
            "某某镇人民政府关于2023年度法治政府建设情况的报告",
            "根据《某县实施方案》（某政〔2023〕5号）要求，2023年6月1日召开会议。",
            "一、主要举措和成效",
            "2023年12月1日前完成整改。",
            "某某镇人民政府",
            "二〇二四年一月十五日",
        ]
    )
    report = structure(clean, "x")
    assert report.date == "2024-01-15"
    assert report.doc_number is None
    assert report.year == 2023
    assert report.township == "某某镇"
    assert report.issuer == "某某镇人民政府"


def test_title_set_on_two_lines_and_a_stray_header_line():
    clean = "\n".join(
        [
            "依法行政年度报告",
            "美湖镇人民政府关于2023年度",
            "法治政府建设情况的报告",
            "2023年以来，美湖镇扎实推进法治政府建设。",
            "一、主要举措和成效",
            "我镇成立了领导小组。",
        ]
    )
    report = structure(clean, "x")
    assert report.title == "美湖镇人民政府关于2023年度法治政府建设情况的报告"
    assert [(p.section, p.heading, p.kind) for p in report.passages] == [
        ("other", "", "header"),  # the stray line is kept, as a header line
        ("other", "", "title"),  # one passage for the title set on two lines
        ("other", "", "body"),
        ("measures", "一、主要举措和成效", "heading"),
        ("measures", "一、主要举措和成效", "body"),
    ]
    assert report.passages[0].text == "依法行政年度报告"
    assert report.passages[1].text == report.title


def test_signature_followed_by_distribution_record():
    clean = "\n".join(
        [
            "美湖镇人民政府关于2023年度法治政府建设情况的报告",
            "一、主要举措和成效",
            "我镇成立了领导小组。",
            "美湖镇人民政府",
            "2024年2月27日",
            "抄送：县委依法治县办。",
            "美湖镇党政办公室 2024年2月28日印发",
        ]
    )
    report = structure(clean, "x")
    assert (report.issuer, report.date) == ("美湖镇人民政府", "2024-02-27")
    assert [p.text for p in report.passages if p.kind == "body"] == ["我镇成立了领导小组。"]
    assert [p.text for p in report.passages if p.kind == "signature"] == [
        "美湖镇人民政府",
        "2024年2月27日",
        "抄送：县委依法治县办。",
        "美湖镇党政办公室 2024年2月28日印发",
    ]


def test_report_year_falls_back_to_the_opening_sentence():
    report = structure("湖上乡法治政府建设工作总结\n2023年，我乡扎实推进法治政府建设。", "x")
    assert report.year == 2023


def test_unknown_metadata_is_none():
    report = structure("关于法治政府建设情况的报告\n我镇扎实推进法治政府建设。", "x")
    assert (report.year, report.date, report.doc_number, report.issuer) == (None,) * 4
    assert (report.township, report.county, report.city, report.province) == (None,) * 4


# -- odd input ---------------------------------------------------------------------

STATUTE = """中华人民共和国行政处罚法
（1996年3月17日第八届全国人民代表大会第四次会议通过　2021年1月22日修订）
第一章　总则
第一条　为了规范行政处罚的设定和实施，保障和监督行政机关有效实施行政管理，根据宪法，制定本法。
第二条　行政处罚是指行政机关依法对违反行政管理秩序的公民、法人或者其他组织予以惩戒的行为。
第二章　行政处罚的种类和设定
第九条　行政处罚的种类：
（一）警告、通报批评；
（二）罚款、没收违法所得、没收非法财物；
"""


def test_a_statute_is_not_a_report_but_does_not_fail():
    report = structure(normalize(Extracted(STATUTE, "text")), "law.txt")
    assert report.title == "中华人民共和国行政处罚法"
    expected = {"source": "law.txt"} | dict.fromkeys(Report.META_FIELDS[1:])
    assert report.metadata() | {"title": None} == expected | {"kind": "other"}
    assert {s.key for s in report.sections} == {"other"}
    assert any(p.text.startswith("第一条为了规范行政处罚") for p in report.passages)


@pytest.mark.parametrize("clean", ["", "\n\n", "一、", "报告", "2024年2月27日", "（一）\n1.\n①"])
def test_degenerate_input(clean):
    report = structure(clean, "x")
    assert report.source == "x"
    assert all(p.section in SECTION_KEYS for p in report.passages)


LINES = st.sampled_from(
    [
        "一、主要举措和成效",
        "（一）加强组织领导",
        "1. 落实责任。一是学法。",
        "（1）学法",
        "①用法",
        "加强学习",
        "二、存在的不足",
        "三、下一步工作计划",
        "现将有关情况报告如下：",
        "美湖镇人民政府",
        "2024年2月27日",
        "雷高府发〔2022〕61号",
        "特此报告。",
        "第一条 为了规范，制定本法。",
        "县委、县政府：",
        "",
    ]
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=25))
def test_structure_never_fails_and_keeps_its_invariants(lines):
    report = structure("\n".join(lines), "x")
    assert [p.id for p in report.passages] == list(range(1, len(report.passages) + 1))
    for s in report.sections:
        assert s.key in SECTION_KEYS
        assert s.parent is None or 0 <= s.parent < len(report.sections)
    for p in report.passages:
        assert p.section in SECTION_KEYS and p.text.strip()


@pytest.mark.parametrize("town", ["和平镇", "城关镇", "将军镇", "和坑街道"])
def test_township_names_starting_with_function_characters(town):
    """Regression: names starting with 和/城/将 were refused even in the issuing body."""
    text = (
        f"{town}人民政府关于2023年度法治政府建设情况的报告\n"
        f"2023年，{town}扎实推进法治政府建设。现将情况报告如下：\n"
        "一、主要举措和成效\n全面落实“谁执法谁普法”责任制。\n"
        f"{town}人民政府\n2024年2月1日\n"
    )
    report = structure(text, source="x.txt")
    assert (report.township, report.year, report.date) == (town, 2023, "2024-02-01")
