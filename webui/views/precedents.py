"""Precedents: which other reports share a report's wording.

Pages: ``/report/<id>/precedents`` and the HTML list of one passage's
precedents that the report page fetches (``/report/<id>/precedents/<passage>``);
the counts beside each passage of the report page come from a template
helper registered here. API: ``/api/reports/<id>/precedents``.
"""

from __future__ import annotations

from flask import Blueprint, abort, get_template_attribute, render_template, request, url_for

from indexer.analytics import MAX_LISTED
from indexer.errors import QueryError
from indexer.search.highlight import mark_differences
from indexer.search.query import shown

from .. import citation
from ..ext import analytics
from ..params import parse_int
from ..responses import json_response
from ..urls import ReportLinks

bp = Blueprint("precedents", __name__)


def _linked_passages(data: dict) -> list[dict]:
    """The passages of a precedents answer, each match with the URL of its passage."""
    links: dict[str, ReportLinks] = {}  # by report id: the links into it, built once

    def link(mt: dict) -> str:
        rl = links.get(mt["id"])
        if rl is None:
            rl = links[mt["id"]] = ReportLinks(mt["id"], {})
        return rl.passage(int(mt["passage"]))

    out = []
    for p in data["passages"]:  # copies: the cached result is shared with the API
        sentences = []
        for s in p["sentences"]:
            matches = [dict(mt, url=link(mt)) for mt in s["matches"]]
            sentences.append(dict(s, matches=matches))
        out.append(dict(p, sentences=sentences))
    return out


def _report_precedents(rid: str) -> dict:
    """For the report page, by passage number: how many other reports share its wording
    and how many of its sentences are boilerplate, with the URLs that list the sentences
    (the page fetches one passage's list when the reader opens it)."""
    data = analytics().precedents(rid, matches=False)
    if data is None:
        return {"by_passage": {}, "total": None}
    page = url_for("precedents.page", rid=rid)
    by_passage = {
        p["passage"]: {
            "reports": p["reports"],
            "boilerplate": p["boilerplate"],
            "sentences": len(p["sentences"]),
            "fragment": f"{page}/{p['passage']}",
            "page": f"{page}#p{p['passage']}",
        }
        for p in data["passages"]
    }
    return {"by_passage": by_passage, "total": data["total"], "rules": data["rules"]}


def _precedents_of(rid: str, passage: int | None = None) -> dict:
    data = analytics().precedents(rid, passage=passage)
    if data is None:
        abort(404, description=f"索引中没有编号为“{rid[:64]}”的报告；它可能已被删除或重新编号。")
    return data


#: a source holding this share of a report's sentences is laid beside it on the page
COMPARE_SHARE = 0.3


@bp.get("/report/<rid>/precedents")
def page(rid: str):
    """A report's shared wording: the share, the reports it shares with (grouped), the
    closest one beside it with the differences marked, then the other shared sentences."""
    data = _precedents_of(rid)
    an = analytics()
    meta = an.metas().get(rid) or data
    links = ReportLinks(rid, {})
    copy = an.copy(rid) or {}
    sources = [
        dict(
            s,
            url=ReportLinks(s["id"], {}).page(),
            compare=url_for("precedents.page", rid=rid, source=s["id"]) + "#compare",
        )
        for s in an.sources(rid) or []
    ]
    other = request.args.get("source", "").strip()
    if not other and copy.get("source") and copy["share"] >= COMPARE_SHARE:
        other = copy["source"]["id"]
    side = _side_by_side(rid, other) if other else None
    passages = [dict(p, link=links.passage(int(p["passage"]))) for p in _linked_passages(data)]
    return render_template(
        "precedents.html",
        data=data,
        meta=meta,
        display_title=citation.title_of(meta),
        passages=passages,
        report_url=links.page(),
        copy=copy,
        sources=sources,
        side=side,
    )


def _side_by_side(rid: str, other: str) -> dict | None:
    """The report beside ``other``, with each one's differences marked (None: unknown)."""
    found = analytics().compare(rid, other[:64])
    if found is None:
        return None
    own, theirs = ReportLinks(rid, {}), ReportLinks(other, {})
    passages = []
    for p in found["passages"]:
        sentences = []
        for s in p["sentences"]:
            entry = dict(s, html=None, other_html=None, other_url=None)
            if s["other"]:
                entry["html"], entry["other_html"] = mark_differences(s["text"], s["other"]["text"])
                entry["other_url"] = theirs.passage(int(s["other"]["passage"]))
            sentences.append(entry)
        passages.append(dict(p, sentences=sentences, link=own.passage(int(p["passage"]))))
    return dict(found, passages=passages, other_url=theirs.page())


@bp.get("/report/<rid>/precedents/<int:passage>")
def fragment(rid: str, passage: int):
    """The list of one passage's shared sentences, as HTML the report page inserts."""
    found = _linked_passages(_precedents_of(rid, passage))
    if not found:
        return (
            f'<p class="state">第 {passage} 段没有与其他报告相同的表述'
            "（报告页上显示有的话，索引刚刚更新过，请刷新页面）。</p>"
        )
    return get_template_attribute("_analytics.html", "precedent_list")(found[0]["sentences"])


@bp.get("/api/reports/<rid>/precedents")
def api(rid: str):
    args = request.args
    for name in args:
        if name != "limit":
            raise QueryError(f"unknown parameter '{shown(name)}' (known: limit)")
    limit = parse_int(args["limit"], "limit") if "limit" in args else MAX_LISTED
    if not 1 <= limit <= 1000:
        raise QueryError("limit must be between 1 and 1000")
    data = analytics().precedents(rid, limit)
    if data is None:
        return json_response({"error": f"no report with id '{rid[:64]}'"}, 404)
    return json_response(data)


@bp.app_context_processor
def _helpers() -> dict:
    return {"analytics_report_precedents": _report_precedents}
