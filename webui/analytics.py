"""Analytics pages and API: township × year matrix, trend chart, practices, precedents.

Pages: ``/matrix``, ``/practices``, ``/report/<id>/precedents`` (and the HTML
list of one passage's precedents that the report page fetches,
``/report/<id>/precedents/<passage>``); the trend chart and the practice facet on
the search page and the precedents on the report page come from template
helpers registered here, so the search and report views stay as they are.
API: ``/api/matrix`` (``?format=csv``, or ``/api/matrix.csv``), ``/api/trend``,
``/api/practices``, ``/api/reports/<id>/precedents``. The logic lives in
:mod:`indexer.analytics`; this module reads parameters and lays things out.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    get_template_attribute,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from indexer.analytics import (
    MAX_LISTED,
    SORT_KEYS,
    Analytics,
    filters_from_json,
    matrix_csv,
    trend_from_facets,
    year_label,
)
from indexer.errors import FazhiError, QueryError
from indexer.query import FILTER_FIELDS, shown

from . import EXTENSION, citation, json_response
from .pages import ReportLinks
from .params import SearchParams, parse_int, parse_search_args

bp = Blueprint("analytics", __name__)
log = logging.getLogger(__name__)

ANALYTICS = "fazhi.analytics"
#: rows of the matrix shown on the page (CSV and JSON have them all)
MATRIX_ROWS_SHOWN = 500
#: practices listed in the search page's sidebar (the first 8 shown, the rest folded)
FACET_PRACTICES = 40
#: seconds the search page waits for the practice facet's own search
FACET_DEADLINE = 1.0
FORMATS = ("json", "csv")
SORT_TITLES = {
    "townships": "乡镇数",
    "reports": "报告数",
    "first_year": "最早年度",
    "name": "名称",
}
#: the matrix and trend take the search parameters minus paging
_QUERY_PARAMS = ("q", "mode", "sort", *FILTER_FIELDS)


@bp.record_once
def _attach(state) -> None:
    app = state.app
    app.extensions[ANALYTICS] = Analytics(
        app.extensions[EXTENSION], rebuild_spacing=app.config["ANALYTICS_REBUILD_SPACING"]
    )


def analytics() -> Analytics:
    return current_app.extensions[ANALYTICS]


# ---------------------------------------------------------------- parameters


def _strict_args(args: MultiDict, extra: tuple[str, ...] = ()) -> SearchParams:
    """API parameters: those of /api/search without paging (and ``extra``); anything else is 400."""
    known = (*_QUERY_PARAMS, *extra)
    for name in args:
        if name not in known:
            raise QueryError(f"unknown parameter '{shown(name)}' (known: {', '.join(known)})")
    for name in ("format", "limit"):
        if len(args.getlist(name)) > 1:
            raise QueryError(f"parameter '{shown(name)}' given more than once")
    params = parse_search_args(args, strict=True, allowed=extra)
    if params.sort not in ("relevance", "date"):
        raise QueryError(f"unknown sort '{shown(params.sort)}' (use relevance or date)")
    return params


def _format(args: MultiDict) -> str:
    fmt = args.get("format", "json").strip().lower() or "json"
    if fmt not in FORMATS:
        raise QueryError(f"unknown format '{shown(fmt, 20)}' (use json or csv)")
    return fmt


def _sort(args: MultiDict) -> str:
    sort = args.get("sort", "townships").strip() or "townships"
    if sort not in SORT_KEYS:
        raise QueryError(f"unknown sort '{shown(sort)}' (use {', '.join(SORT_KEYS)})")
    return sort


def _page_params(args: MultiDict) -> SearchParams:
    return parse_search_args(args, strict=False, per_page=current_app.config["PER_PAGE"])


# ---------------------------------------------------------------- links


def _search_url(params: SearchParams, **replace) -> str:
    """The search page for ``params`` with some filters replaced (None drops one)."""
    args: dict = {"q": params.q}
    if params.mode != "exact":
        args["mode"] = params.mode
    filters = {k: list(v) for k, v in params.filters.items()}
    for name, value in replace.items():
        if value is None:
            filters.pop(name, None)
        else:
            filters[name] = [str(value)]
    args.update(filters)
    return url_for("pages.search", **args)


def matrix_url(params: SearchParams) -> str:
    args: dict = {"q": params.q, **params.filters}
    if params.mode != "exact":
        args["mode"] = params.mode
    return url_for("analytics.matrix_page", **args)


# ---------------------------------------------------------------- the trend chart


def _axis_max(top: float) -> float:
    for m in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0):
        if top <= m + 1e-9:
            return m
    return 1.0


def _pct(share: float) -> str:
    pct = share * 100
    return f"{pct:.0f}%" if pct >= 10 or pct == 0 else f"{pct:.1f}%"


def trend_chart(trend: list[dict], link, *, width: int = 560, height: int = 200) -> dict | None:
    """Geometry of a bar chart of the trend (drawn by the ``trend_chart`` macro).

    ``link(year)`` gives the URL of the year's results. None when there are no years.
    """
    if not trend:
        return None
    left, right, top, bottom = 56, 12, 22, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    ymax = _axis_max(max(t["share"] for t in trend))
    band = plot_w / len(trend)
    bar_w = min(44.0, band * 0.62)
    base = top + plot_h
    bars = []
    for i, t in enumerate(trend):
        h = plot_h * min(t["share"], ymax) / ymax
        x = left + band * i + (band - bar_w) / 2
        bars.append(
            {
                "year": t["year"],
                "x": round(x, 1),
                "y": round(base - h, 1),
                "w": round(bar_w, 1),
                "h": round(h, 1),
                "cx": round(x + bar_w / 2, 1),
                "band_x": round(left + band * i, 1),
                "band_w": round(band, 1),
                "label": _pct(t["share"]),
                "title": (
                    f"{year_label(t['year'])}：已收录 {t['reports']} 份报告，"
                    f"其中 {t['matching']} 份提及（{t['share']:.1%}）"
                ),
                "url": link(t["year"]),
                "empty": t["matching"] == 0,
            }
        )
    ticks = [{"y": round(base - plot_h * f, 1), "label": _pct(ymax * f)} for f in (0.0, 0.5, 1.0)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "base": base,
        "mid_y": round(top + plot_h / 2, 1),
        "ticks": ticks,
        "bars": bars,
        "summary": "；".join(b["title"] for b in bars),
    }


# ---------------------------------------------------------------- pages


@bp.get("/matrix")
def matrix_page():
    try:
        params = _page_params(request.args)
    except QueryError as exc:
        return render_template(
            "matrix.html",
            params=SearchParams(q=request.args.get("q", "")),
            error=exc.user_message(),
        ), 400
    if not params.q.strip():
        return render_template("matrix.html", params=params, m=None)
    try:
        m = analytics().matrix(params.q, params.filters, params.mode)
    except QueryError as exc:
        return render_template("matrix.html", params=params, error=exc.user_message()), 400
    rows = []
    for r in m["rows"][:MATRIX_ROWS_SHOWN]:
        cells = []
        for year, n in zip(m["years"], r["counts"], strict=True):
            url = None
            if n and r["township"] and year is not None:
                url = _search_url(params, township=r["township"], county=r["county"], year=year)
            cells.append({"year": year, "n": n, "url": url})
        rows.append(dict(r, cells=cells))
    chart = trend_chart(m["trend"], lambda y: _search_url(params, year=y))
    export = {"q": params.q, **params.filters}
    if params.mode != "exact":
        export["mode"] = params.mode
    return render_template(
        "matrix.html",
        params=params,
        m=m,
        rows=rows,
        hidden=len(m["rows"]) - len(rows),
        chart=chart,
        year_label=year_label,
        search_url=_search_url(params),
        csv_url=url_for("analytics.matrix_csv_api", **export),
        json_url=url_for("analytics.matrix_api", **export),
    )


@bp.get("/practices")
def practices_page():
    sort = _sort(request.args)
    entries = analytics().practices(sort)
    rows = [
        dict(
            e,
            url=url_for("pages.search", q=e["query"]),
            matrix=url_for("analytics.matrix_page", q=e["query"]),
        )
        for e in entries
    ]
    sorts = [
        {
            "key": key,
            "title": title,
            "url": url_for("analytics.practices_page", sort=None if key == "townships" else key),
            "current": key == sort,
        }
        for key, title in SORT_TITLES.items()
    ]
    return render_template(
        "practices.html",
        rows=rows,
        sort=sort,
        sorts=sorts,
        sort_urls={s["key"]: s["url"] for s in sorts},
    )


# ---------------------------------------------------------------- template helpers


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
        trend, lambda y: state.url(filters=_with_year(state, y)), width=460, height=150
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


def _with_year(state, year: int) -> dict:
    filters = {k: list(v) for k, v in state.url_filters.items()}
    filters["year"] = [str(year)]
    return filters


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
    page = url_for("analytics.precedents_page", rid=rid)
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


@bp.get("/report/<rid>/precedents")
def precedents_page(rid: str):
    """Every sentence of a report that other reports share, with the earliest of them."""
    data = _precedents_of(rid)
    meta = analytics().metas().get(rid) or data
    links = ReportLinks(rid, {})
    passages = [dict(p, link=links.passage(int(p["passage"]))) for p in _linked_passages(data)]
    return render_template(
        "precedents.html",
        data=data,
        meta=meta,
        display_title=citation.title_of(meta),
        passages=passages,
        report_url=links.page(),
    )


@bp.get("/report/<rid>/precedents/<int:passage>")
def precedents_fragment(rid: str, passage: int):
    """The list of one passage's shared sentences, as HTML the report page inserts."""
    found = _linked_passages(_precedents_of(rid, passage))
    if not found:
        return (
            f'<p class="state">第 {passage} 段没有与其他报告相同的表述'
            "（报告页上显示有的话，索引刚刚更新过，请刷新页面）。</p>"
        )
    return get_template_attribute("_analytics.html", "precedent_list")(found[0]["sentences"])


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "analytics_search_panel": _search_panel,
        "analytics_report_precedents": _report_precedents,
    }


# ---------------------------------------------------------------- API


def _csv_response(text: str, q: str) -> Response:
    name = quote(f"fazhi-matrix-{q.strip()[:40]}.csv", safe="")
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"fazhi-matrix.csv\"; filename*=UTF-8''{name}"
            )
        },
    )


@bp.get("/api/matrix")
def matrix_api():
    params = _strict_args(request.args, extra=("format",))
    fmt = _format(request.args)
    m = analytics().matrix(params.q, params.filters, params.mode)
    if fmt == "csv":
        return _csv_response(matrix_csv(m), params.q)
    return json_response(m)


@bp.get("/api/matrix.csv")
def matrix_csv_api():
    params = _strict_args(request.args)
    m = analytics().matrix(params.q, params.filters, params.mode)
    return _csv_response(matrix_csv(m), params.q)


@bp.get("/api/trend")
def trend_api():
    params = _strict_args(request.args)
    return json_response(analytics().trend(params.q, params.filters, params.mode))


@bp.get("/api/practices")
def practices_api():
    args = request.args
    if "q" not in args:
        for name in args:
            if name != "sort":
                raise QueryError(
                    f"unknown parameter '{shown(name)}' (the catalogue takes sort; "
                    "give q for the practices of a search)"
                )
        return json_response(analytics().practices(_sort(args)))
    if "sort" in args:
        raise QueryError("sort applies to the catalogue only (without q)")
    params = _strict_args(args, extra=("limit",))
    limit = parse_int(args["limit"], "limit") if "limit" in args else 50
    if not 1 <= limit <= 1000:
        raise QueryError("limit must be between 1 and 1000")
    an = analytics()
    query = an.engine.parse(params.q, params.filters, params.mode)
    return json_response(
        {
            "query": query.text,
            "mode": params.mode,
            "filters": query.filters.to_json(),
            "practices": an.practice_facet(params.q, params.filters, params.mode, limit),
        }
    )


@bp.get("/api/reports/<rid>/precedents")
def precedents_api(rid: str):
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
