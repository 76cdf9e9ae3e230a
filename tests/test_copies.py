"""The copy verdict: a report copied from an earlier one, its banner, its place in the
list and its side-by-side comparison; nothing of the kind on the seeds."""

from __future__ import annotations

import json
import shutil

import pytest

from indexer.cli import cli
from indexer.ingest import index_paths

from helpers import CORPUS, SEEDS, read_csv, read_xlsx, same_table, web_app

#: a paragraph of the copy that 美湖镇's report does not have
OWN = "龙门镇今年还在各村设立了“法律明白人”工作室，由村干部轮流值守，群众有事随时可以来问。"


@pytest.fixture(scope="module")
def copied_index(tmp_path_factory):
    """The seeds and 龙门镇's report: 美湖镇's text under another name, issued later,
    with one sentence reworded and one paragraph of its own."""
    root = tmp_path_factory.mktemp("copied")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    text = SEEDS[0].read_text(encoding="utf-8")
    text = (
        text.replace("美湖镇", "龙门镇")
        .replace("美湖", "龙门")
        .replace("2024年2月27日", "2024年3月15日")
    )
    text = text.replace("全面落实领导、干部集体学法制度", "全面落实领导干部集体学法工作制度")
    text = text.replace("## 二、", OWN + "\n\n## 二、")
    (corpus / "005_longmen.txt").write_text(text, encoding="utf-8")
    index = root / "index"
    assert not index_paths([corpus], index).failed
    return index


@pytest.fixture(scope="module")
def client(copied_index):
    with web_app(copied_index) as app:
        c = app.test_client()
        c.get("/api/reports")  # waits for the copy figures (the list page waits 2 s at most)
        yield c


def _ids(client) -> dict[str, str]:
    return {r["township"]: r["id"] for r in client.get("/api/reports").json}


def test_the_copy_has_a_banner_naming_its_source(client):
    ids = _ids(client)
    html = client.get(f"/report/{ids['龙门镇']}").get_data(as_text=True)
    banner = html[
        html.index('id="copy-verdict"') : html.index("</div>", html.index('id="copy-verdict"'))
    ]
    assert "的句子与" in banner and "美湖镇 2023 年报告" in banner and "相同或近似" in banner
    assert "is-copy" in html and f"source={ids['美湖镇']}" in banner
    share = client.get("/api/reports").json
    copy = next(r["copy"] for r in share if r["township"] == "龙门镇")
    assert copy["copied"] and copy["source"]["id"] == ids["美湖镇"] and copy["source"]["earlier"]
    assert 0.9 <= copy["share"] < 1.0  # its own paragraph is not in the source
    assert f"{copy['share'] * 100:.0f}% 的句子与" in banner
    # the source itself is told that a later report holds its wording, without a verdict
    html = client.get(f"/report/{ids['美湖镇']}").get_data(as_text=True)
    assert "is-copy" not in html and "本报告成文在先" in html


def test_no_banner_on_the_seeds(seed_index):
    with web_app(seed_index) as app:
        c = app.test_client()
        for r in c.get("/api/reports").json:
            assert r["copy"]["copied"] is False and r["copy"]["share"] < 0.1
            html = c.get(f"/report/{r['id']}").get_data(as_text=True)
            assert 'id="copy-verdict"' not in html
        assert "其中" not in c.get("/reports").get_data(as_text=True).split("</p>")[0]


def test_the_list_sorts_by_similarity_and_exports(client):
    html = client.get("/reports?sort=similarity").get_data(as_text=True)
    assert "雷同度 ▼" in html and "源自 美湖镇" in html
    rows = html[html.index("<tbody>") :]
    assert rows.index("龙门镇") < rows.index("新乡镇")
    assert client.get("/reports?sort=nope").status_code == 400
    reports = client.get("/api/reports").json
    table = read_csv(client.get("/api/reports?format=csv").data)
    assert len(table) == len(reports) + 1 and table[0][9] == "雷同度"
    assert same_table(table, read_xlsx(client.get("/api/reports?format=xlsx").data))
    assert client.get("/api/reports?format=pdf").status_code == 400


def test_cli_reports_carries_the_figures(runner, copied_index):
    res = runner.invoke(cli, ["reports", "--json", "--index", str(copied_index)])
    rows = {r["township"]: r for r in json.loads(res.output)}
    assert (
        rows["龙门镇"]["copy"]["copied"]
        and rows["龙门镇"]["copy"]["source"]["township"] == "美湖镇"
    )
    assert not any(r["copy"]["copied"] for t, r in rows.items() if t != "龙门镇")
    res = runner.invoke(cli, ["reports", "--index", str(copied_index)])
    assert "copy: " in res.output and "earlier report of 美湖镇" in res.output


def test_the_precedents_page_groups_by_source_and_marks_differences(client):
    ids = _ids(client)
    html = client.get(f"/report/{ids['龙门镇']}/precedents").get_data(as_text=True)
    assert "与哪些报告相同" in html and 'id="compare"' in html
    compare = html[html.index('id="compare"') :]
    assert (
        '<mark class="diff">龙门</mark>' in compare and '<mark class="diff">美湖</mark>' in compare
    )
    assert "status-near" in compare and "status-own" in compare and "对方报告没有这一句" in compare
    # the source is listed once, not once per sentence: the list of every sentence's
    # sources is folded away under the comparison
    assert '<details class="precedent-all">' in html
    assert html.index('id="compare"') < html.index('<details class="precedent-all">')


def test_nothing_to_see_is_said_plainly(seed_index):
    with web_app(seed_index) as app:
        c = app.test_client()
        rid = next(r["id"] for r in c.get("/api/reports").json if r["township"] == "湖上乡")
        html = c.get(f"/report/{rid}/precedents").get_data(as_text=True)
        assert "本报告没有与其他报告相同或近似的句子（已与 4 份报告逐句比较）" in html
        page = c.get(f"/report/{rid}").get_data(as_text=True)
        assert "没有与其他报告相同或近似的句子" in page


def test_the_list_and_the_report_page_give_the_same_figures(copied_index):
    from indexer.analytics import Analytics
    from indexer.search import Engine

    with Engine(copied_index) as engine:
        an = Analytics(engine)
        every = an.copies()
        assert every == {rid: an.copy(rid) for rid in an.metas()}
        longmen = next(c for rid, c in every.items() if an.metas()[rid]["township"] == "龙门镇")
        # the reworded sentence counts (near-identical), its own paragraph does not
        assert longmen["source"]["sentences"] == longmen["sentences"] - 1
        assert an.wait_idle(60)
