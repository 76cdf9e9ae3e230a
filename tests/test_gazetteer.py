"""The gazetteer: county names in running text, shared names, false friends."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from indexer.ingest import gazetteer as gz
from indexer.ingest.gazetteer import (
    Place,
    county_candidates,
    prefecture_province,
    resolve_place,
    strip_admin_prefix,
)


def test_the_table_is_loaded_lazily(monkeypatch):
    # a private copy of the module, so the shared one keeps its cache and classes
    spec = importlib.util.spec_from_file_location("gazetteer_copy", gz.__file__)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gazetteer_copy", module)
    spec.loader.exec_module(module)
    assert module.gazetteer.cache_info().currsize == 0
    module.county_candidates("德化县")
    assert module.gazetteer.cache_info().currsize == 1


def test_county_candidates_give_city_and_province():
    assert county_candidates("德化县") == [Place("福建省", "泉州市", "德化县", "350526")]
    assert {p.province for p in county_candidates("朝阳区")} == {"北京市", "吉林省"}
    assert county_candidates("美湖镇") == []


def test_municipality_is_its_own_city_and_province():
    (place,) = county_candidates("万州区")
    assert (place.county, place.city, place.province) == ("万州区", "重庆市", "重庆市")
    assert prefecture_province("重庆市") == "重庆市"


def test_prefecture_province():
    assert prefecture_province("泉州市") == "福建省"
    assert prefecture_province("平顶山市") == "河南省"
    assert prefecture_province("美湖镇") is None


def test_county_named_in_the_body():
    place = resolve_place("根据《德化县法治政府建设实施方案》等文件精神")
    assert place == Place("福建省", "泉州市", "德化县", "350526")


def test_shared_name_is_resolved_by_the_province_or_city_named():
    assert resolve_place("北京市朝阳区某某街道办事处").province == "北京市"
    assert resolve_place("朝阳区某某街道。长春市委、市政府部署").city == "长春市"
    assert resolve_place("朝阳区某某街道工作，吉林省要求").province == "吉林省"
    assert resolve_place("福州市鼓楼区某某街道").city == "福州市"


def test_shared_name_without_context_is_none():
    assert resolve_place("朝阳区某某街道办事处关于法治政府建设情况的报告") is None
    assert resolve_place("鼓楼区法治政府建设") is None


def test_township_containing_a_city_name_is_not_that_city():
    assert resolve_place("新乡镇人民政府关于2022年度法治政府建设情况的报告") is None
    place = resolve_place("重庆市万州区新乡镇人民政府")
    assert (place.county, place.city) == ("万州区", "重庆市")


def test_rule_of_law_county_is_not_a_county():
    assert resolve_place("县委全面依法治县委员会，大力推进法治县建设") is None


@pytest.mark.parametrize(
    "text",
    [
        "各乡镇和县直部门",  # 和县
        "沿海城市发展",  # 海城市
        "推进老城区改造，城区管理",  # 老城区, 城区
        "东区街道",  # 东区 without its city
    ],
)
def test_words_that_look_like_county_names(text):
    assert resolve_place(text) is None


def test_generic_name_after_its_city():
    place = resolve_place("攀枝花市东区某某街道")
    assert (place.county, place.province) == ("东区", "四川省")


def test_focus_lines_win_over_the_body():
    body = "学习借鉴晋江市经验，晋江市做法值得推广。"
    place = resolve_place(body, focus="中共安溪县湖上乡委员会")
    assert place.county == "安溪县"


def test_two_counties_equally_often_is_none():
    assert resolve_place("学习晋江市和南安市的经验") is None


def test_city_alone_when_no_county_is_named():
    assert resolve_place("东莞市某某镇人民政府") == Place("广东省", "东莞市")
    assert resolve_place("浙江省某某镇") == Place("浙江省")


def test_strip_admin_prefix():
    assert strip_admin_prefix("重庆市万州区新乡镇人民政府") == "新乡镇人民政府"
    assert strip_admin_prefix("安溪县湖上乡委员会") == "湖上乡委员会"
    assert strip_admin_prefix("美湖镇人民政府") == "美湖镇人民政府"
