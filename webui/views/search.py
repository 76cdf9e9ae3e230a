"""The search page (``/``), its syntax help (``/help``) and ``/api/search``.

``/api/search`` returns exactly what ``Engine.search`` returns, which is what
``fazhi search --json`` prints; ``/api/openapi.json`` describes the whole API.
The search page adds facets, filter chips, pages, the trend chart and the
practice facet.
"""

from __future__ import annotations

import logging
import math

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from indexer.analytics import filters_from_json, trend_from_facets
from indexer.errors import FazhiError, QueryError
from indexer.model import REPORT_KINDS, REPORT_LEVELS, SECTION_LABELS
from indexer.search import MAX_PAGE
from indexer.search.highlight import marks_for, snippet_spans
from indexer.search.query import FILTER_FIELDS

from .. import citation, exports, tables
from ..charts import trend_chart
from ..ext import analytics, engine
from ..messages import query_error
from ..openapi import spec
from ..params import SearchParams, parse_search_args, search_within
from ..responses import json_response
from ..urls import (
    FACET_ORDER,
    SEARCH_PAGE,
    ReportLinks,
    SearchState,
    context_args,
    matrix_url,
    with_year,
)

bp = Blueprint("search", __name__)
log = logging.getLogger(__name__)

FACET_TITLES = {
    "township": "乡镇（街道）",
    "county": "区县",
    "year": "年度",
    "section": "报告部分",
    "province": "省份",
    "level": "层级",
    "kind": "文件类型",
}
#: short names of the Art. 25 parts, for tags in the outline
SECTION_SHORT = {
    "measures": "举措成效",
    "shortcomings": "不足原因",
    "leadership": "第一责任人履职",
    "plans": "下年安排",
}
#: facet values shown before "more"
FACET_SHOWN = 8
#: matching passages shown per report before "more"
PASSAGES_SHOWN = 3
#: matching passages listed per report in all (the report page marks every one)
PASSAGES_LISTED = 10
EXAMPLES = (
    ("一支队伍管执法", ""),
    ("谁执法谁普法", ""),
    ("枫桥经验", ""),
    ("依法行政 section:不足", ""),
    ("行政执法 规范", "words"),
)


#: practices listed in the search page's sidebar (the first 8 shown, the rest folded)
FACET_PRACTICES = 40
#: seconds the search page waits for the practice facet's own search
FACET_DEADLINE = 1.0


@bp.get("/")
def page():
    args = request.args
    within = args.get("within", "")
    if within.strip():
        return _redirect_within(within)
    try:
        params = parse_search_args(args, strict=False, per_page=current_app.config["PER_PAGE"])
    except QueryError as exc:
        state = SearchState.of(SearchParams(q=args.get("q", "")))
        error = query_error(exc, args.get("q", ""))
        return render_template("search.html", state=state, error=error), 400
    state = SearchState.of(params)
    eng = engine()
    if not params.q.strip():
        return render_template(
            "home.html", state=state, stats=eng.stats(), examples=EXAMPLES
        )
    try:
        result = eng.search(params.q, **params.engine_kwargs(), passages=PASSAGES_LISTED)
    except QueryError as exc:
        error = query_error(exc, params.q)
        return render_template("search.html", state=state, error=error), 400
    export = {k: v for k, v in state.args().items() if k != "page"}
    return render_template(
        "search.html",
        state=state,
        downloads=exports.links(lambda **a: url_for("search.api", **a), **export),
        result=result,
        reports=[_result_report(r, state) for r in result["reports"]],
        facets=_facets(result, state),
        chips=_chips(result, state),
        pages=_pagination(result, state),
    )


def _redirect_within(within: str):
    args = request.args
    q = search_within(args.get("q", ""), within)
    keep = {name: args.getlist(name) for name in FILTER_FIELDS if args.getlist(name)}
    for name in ("mode", "sort", "per_page"):
        if args.get(name):
            keep[name] = args[name]
    return redirect(url_for(SEARCH_PAGE, q=q, **keep), code=303)


def _marks(state: SearchState) -> list[str]:
    """What the query marks (once per request): the citations quote the sentences hit."""
    found = g.get("_fazhi_marks")
    if found is None:
        found = g._fazhi_marks = marks_for(state.q, state.mode)[0]
    return found


def _result_report(r: dict, state: SearchState) -> dict:
    links = ReportLinks(r["id"], context_args(state))
    marks = _marks(state)
    passages = []
    for p in r["passages"]:
        n = int(p["id"])
        spans = snippet_spans(p["text"], p["snippet"]) if marks else None
        passages.append(
            dict(p, link=links.passage(n), cite=citation.cite(r, p, links.permalink(n), spans))
        )
    return dict(
        r,
        display_title=citation.title_of(r),
        url=links.page(),
        shown=passages[:PASSAGES_SHOWN],
        more=passages[PASSAGES_SHOWN:],
        unlisted=r.get("passages_left", 0),
    )


def _facets(result: dict, state: SearchState) -> list[dict]:
    active_all = result["filters"]
    groups = []
    for name in FACET_ORDER:
        entries = result["facets"].get(name, [])
        if not entries:
            continue
        active = {str(v) for v in active_all.get(name, [])}
        removable = set(state.url_filters.get(name, []))
        names = [e["value"] for e in entries]
        items = []
        for e in entries:
            value = str(e["value"])
            is_active = value in active
            if name in ("section", "level", "kind"):
                label = e.get("label") or _filter_label(name, value)
            elif name == "year":
                label = f"{value}年度"
            else:
                label = value
            sub = e.get("county") if name == "township" else None
            extra = None
            if name == "township" and sub and names.count(e["value"]) > 1:
                extra = ("county", sub)  # same name in several counties
            if is_active:
                url = state.without(name, value) if value in removable else None
            else:
                url = state.with_(name, value, extra)
            items.append(
                {"label": label, "sub": sub, "count": e["count"], "active": is_active, "url": url}
            )
        groups.append(
            {
                "name": name,
                "title": FACET_TITLES[name],
                "shown": items[:FACET_SHOWN],
                "more": items[FACET_SHOWN:],
                "omitted": result["facets_omitted"].get(name, 0),
                "any_active": bool(active),
            }
        )
    return groups


def _filter_label(name: str, value: str) -> str:
    if name == "section":
        return SECTION_LABELS.get(value, value)
    if name == "level":
        return REPORT_LEVELS.get(value, value)
    if name == "kind":
        return REPORT_KINDS.get(value, value)
    if name == "year":
        return f"{value}年度"
    return value


def _chips(result: dict, state: SearchState) -> list[dict]:
    chips = []
    for name in FACET_ORDER:
        from_url = state.url_filters.get(name, [])
        for value in from_url:
            chips.append(
                {
                    "title": FACET_TITLES[name],
                    "label": _filter_label(name, value),
                    "url": state.without(name, value),
                }
            )
        for value in result["filters"].get(name, []):
            if str(value) not in from_url:
                chips.append(
                    {
                        "title": FACET_TITLES[name],
                        "label": _filter_label(name, str(value)),
                        "url": None,
                    }
                )
    return chips


def _pagination(result: dict, state: SearchState) -> dict | None:
    per_page = result["per_page"]
    last = min(max(1, math.ceil(result["total"]["reports"] / per_page)), MAX_PAGE)
    if last <= 1 and result["page"] == 1:
        return None
    page = result["page"]
    window = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    items: list[dict] = []
    prev = 0
    for n in window:
        if n - prev > 1:
            items.append({"gap": True})
        items.append({"n": n, "url": state.page_url(n), "current": n == page})
        prev = n
    return {
        "items": items,
        "prev": state.page_url(page - 1) if page > 1 else None,
        "next": state.page_url(page + 1) if page < last else None,
        "last": last,
        "page": page,
    }


# ---------------------------------------------------------------- help


@bp.get("/help")
def help_page():
    return render_template("help.html", section_labels=SECTION_LABELS)


#: reports and passages a download of search results holds at most
EXPORT_REPORTS = 2000
EXPORT_PASSAGES = 20_000


@bp.get("/api/search")
def api():
    params = parse_search_args(request.args, strict=True, allowed=("format",))
    fmt = exports.check_format(request.args.get("format", "json"))
    if fmt == "json":
        return json_response(engine().search(params.q, **params.engine_kwargs()))
    return _download(params, fmt)


def _download(params: SearchParams, fmt: str):
    """Every matching passage (of the first :data:`EXPORT_REPORTS` reports in the order
    asked for) as CSV or XLSX, one row per passage, with its citation and link."""
    eng = engine()
    kwargs = dict(params.engine_kwargs(), per_page=100)
    reports: list[dict] = []
    passages = 0
    total = 0
    for page in range(1, EXPORT_REPORTS // 100 + 1):
        kwargs["page"] = page
        result = eng.search(params.q, **kwargs)
        total = result["total"]["passages"]
        reports += result["reports"]
        passages += sum(len(r["passages"]) for r in result["reports"])
        if len(reports) >= result["total"]["reports"] or passages >= EXPORT_PASSAGES:
            break
    marks = marks_for(params.q, params.mode)[0]
    rows = tables.search_rows(reports, marks)
    if passages < total:
        rows.append(
            [
                f"（只导出了前 {len(reports)} 份报告的 {passages} 个段落，共 {total} 个；请加筛选条件分批导出）"
            ]
        )
    return exports.download(fmt, rows, "fazhi-search", params.q)


@bp.get("/api/openapi.json")
def openapi():
    return json_response(spec())


def _search_panel(result: dict, state) -> dict:
    """The trend chart, matrix link and practice facet of a search page (cached per request)."""
    cache = g.setdefault("_fazhi_search_panel", {})
    key = id(result)
    if key in cache:
        return cache[key]
    panel: dict = {"chart": None, "practices": [], "matrix_url": None}
    cache[key] = panel
    if not result or not result.get("total", {}).get("reports"):
        return panel
    params = state.params
    an = analytics()
    flt = filters_from_json(result.get("filters", {}))
    trend = trend_from_facets(result["facets"].get("year", []), an.indexed_per_year(flt), flt)
    panel["chart"] = trend_chart(
        trend, lambda y: state.url(filters=with_year(state, y)), width=460, height=150
    )
    panel["matrix_url"] = matrix_url(params)
    try:
        facet = an.practice_facet(
            params.q, params.filters, params.mode, FACET_PRACTICES, FACET_DEADLINE
        )
    except FazhiError as exc:  # the results are shown; the sidebar does without
        log.warning("practice facet left out: %s", exc.user_message())
        facet = []
    panel["practices"] = [
        # the practice's own search, within the same filters: a report-level "and"
        # (both in one report) cannot be written as a query, which asks for one passage
        dict(p, url=state.url(q=p["query"], mode=None, sort=None, page=None))
        for p in facet
    ]
    return panel


@bp.app_context_processor
def _helpers() -> dict:
    return {"analytics_search_panel": _search_panel}
