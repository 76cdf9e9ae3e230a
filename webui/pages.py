"""HTML pages: search (/), syntax help, the list of reports, one report, its file."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePath
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from indexer.analysis import fold, segment
from indexer.errors import QueryError
from indexer.model import SECTION_KEYS, SECTION_LABELS
from indexer.query import FILTER_FIELDS, parse
from indexer.search import MAX_PAGE, highlight, mark_spans

from . import citation, engine
from .params import SearchParams, canonical_filter, parse_int, parse_search_args, search_within

bp = Blueprint("pages", __name__)

FACET_TITLES = {
    "township": "乡镇（街道）",
    "county": "区县",
    "year": "年度",
    "section": "报告部分",
    "province": "省份",
}
FACET_ORDER = ("township", "county", "year", "section", "province")
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
REPORTS_PER_PAGE = 50
EXAMPLES = (
    ("一支队伍管执法", ""),
    ("谁执法谁普法", ""),
    ("枫桥经验", ""),
    ("依法行政 section:不足", ""),
    ("行政执法 规范", "words"),
)


# ---------------------------------------------------------------- URL state


@dataclass
class SearchState:
    """The parameters of the page shown, and the URLs that change one of them."""

    params: SearchParams
    #: canonical filter values that came from the URL (removable), by name
    url_filters: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, params: SearchParams) -> SearchState:
        canon = {
            name: _unique(canonical_filter(name, v) for v in values)
            for name, values in params.filters.items()
        }
        return cls(params, canon)

    @property
    def q(self) -> str:
        return self.params.q

    @property
    def mode(self) -> str:
        return self.params.mode

    @property
    def sort(self) -> str:
        return self.params.sort

    def args(self, *, filters: dict[str, list[str]] | None = None, **over) -> dict:
        p = self.params
        out: dict = {"q": p.q or None}
        if p.mode != "exact":
            out["mode"] = p.mode
        if p.sort != "relevance":
            out["sort"] = p.sort
        if p.per_page != current_app.config["PER_PAGE"]:
            out["per_page"] = p.per_page
        out.update(filters if filters is not None else self.url_filters)
        out.update(over)
        return {k: v for k, v in out.items() if v not in (None, "", [])}

    def url(self, **over) -> str:
        """``url_for("pages.search", **self.args(**over))``, from the parameters
        encoded once per page unless ``filters`` are replaced."""
        if "filters" in over:
            return url_for("pages.search", **self.args(**over))
        path, parts = self._encoded
        if over:
            parts = {"q": None, **parts}  # args() keeps q first, even when it is empty
            for k, v in over.items():
                parts[k] = None if v in (None, "", []) else _encode(k, v)
        query = "&".join(v for v in parts.values() if v is not None)
        return f"{path}?{query}" if query else path

    def page_url(self, page: int) -> str:
        return self.url(page=page if page > 1 else None)

    def hidden_fields(self) -> list[tuple[str, str]]:
        """What a new query from the search box keeps: sort order, page size and filters."""
        out: list[tuple[str, str]] = []
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.params.per_page != current_app.config["PER_PAGE"]:
            out.append(("per_page", str(self.params.per_page)))
        for name in FACET_ORDER:
            out.extend((name, v) for v in self.url_filters.get(name, []))
        return out

    def without(self, name: str, value: str) -> str:
        filters = {k: list(v) for k, v in self.url_filters.items()}
        filters[name] = [v for v in filters.get(name, []) if v != value]
        return self.url(filters=filters)

    @cached_property
    def _encoded(self) -> tuple[str, dict[str, str]]:
        """The search URL's path and its query encoded one parameter at a time."""
        parts = {k: _encode(k, v) for k, v in self.args(filters=self.url_filters).items()}
        return url_for("pages.search"), parts

    def with_(self, name: str, value: str, extra: tuple[str, str] | None = None) -> str:
        """The URL with one more filter value (and ``extra``, a second one)."""
        if extra is not None or value in self.url_filters.get(name, []):
            return self.with_built(name, value, extra)
        return self.url(**{name: [*self.url_filters.get(name, []), value]})

    def with_built(self, name: str, value: str, extra: tuple[str, str] | None = None) -> str:
        filters = {k: list(v) for k, v in self.url_filters.items()}
        for key, val in [(name, value), *([extra] if extra else [])]:
            if val not in filters.setdefault(key, []):
                filters[key].append(val)
        return self.url(filters=filters)

    def clear_url(self) -> str:
        return self.url(filters={})


def _encode(name: str, value) -> str:
    """One query parameter (a value or a list of them) encoded as ``url_for`` encodes it."""
    return _query_string([(name, x) for x in (value if isinstance(value, list) else [value])])


def _query_string(pairs: list[tuple[str, object]]) -> str:
    """``pairs`` encoded as ``url_for`` encodes query arguments."""
    return urlencode([(k, v) for k, v in pairs if v is not None], safe="!$'()*,/:;?@")


def _unique(items) -> list:
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


# ---------------------------------------------------------------- search page


@bp.get("/")
def search():
    args = request.args
    within = args.get("within", "")
    if within.strip():
        return _redirect_within(within)
    try:
        params = parse_search_args(args, strict=False, per_page=current_app.config["PER_PAGE"])
    except QueryError as exc:
        state = SearchState.of(SearchParams(q=args.get("q", "")))
        return render_template("search.html", state=state, error=exc.user_message()), 400
    state = SearchState.of(params)
    eng = engine()
    if not params.q.strip():
        return render_template(
            "home.html", state=state, stats=_stats(eng.reports(outline=False)), examples=EXAMPLES
        )
    try:
        result = eng.search(params.q, **params.engine_kwargs(), passages=PASSAGES_LISTED)
    except QueryError as exc:
        return render_template("search.html", state=state, error=exc.user_message()), 400
    return render_template(
        "search.html",
        state=state,
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
    return redirect(url_for("pages.search", q=q, **keep), code=303)


def _stats(reports: list[dict]) -> dict:
    years = [m["year"] for m in reports if m.get("year")]
    return {
        "reports": len(reports),
        "townships": len(
            {(m.get("township"), m.get("county")) for m in reports if m.get("township")}
        ),
        "counties": len({m.get("county") for m in reports if m.get("county")}),
        "years": (min(years), max(years)) if years else None,
    }


def _context_args(state: SearchState) -> dict:
    """Query arguments that carry the search into a report page (for highlighting)."""
    out = {"q": state.q}
    if state.mode != "exact":
        out["mode"] = state.mode
    return out


#: report ids that stand in a URL path as they are (the index's are hex digits)
_PLAIN_ID = re.compile(r"[0-9A-Za-z]+")


def _report_root(external: bool = False) -> str:
    """What ``url_for("pages.report", rid=…)`` puts before a plain id (once per request)."""
    key = "_fazhi_report_root_ext" if external else "_fazhi_report_root"
    root = g.get(key)
    if root is None:
        root = url_for("pages.report", rid="0", _external=external)[:-1]
        setattr(g, key, root)
    return root


class ReportLinks:
    """Links into one report, as ``url_for("pages.report", …)`` builds them, built once."""

    def __init__(self, rid: str, ctx: dict) -> None:
        self.rid = rid
        self.plain = bool(_PLAIN_ID.fullmatch(rid))
        self.path = _report_root() + rid if self.plain else url_for("pages.report", rid=rid)
        self.tail = _query_string(list(ctx.items())) if ctx else ""

    @cached_property
    def external(self) -> str:
        if self.plain:
            return _report_root(external=True) + self.rid
        return url_for("pages.report", rid=self.rid, _external=True)

    def page(self) -> str:
        """``url_for("pages.report", rid=rid, **ctx)``."""
        return f"{self.path}?{self.tail}" if self.tail else self.path

    def passage(self, n: int) -> str:
        """``url_for("pages.report", rid=rid, p=n, _anchor=f"p{n}", **ctx)``."""
        return f"{self.path}?p={n}&{self.tail}#p{n}" if self.tail else f"{self.path}?p={n}#p{n}"

    def permalink(self, n: int) -> str:
        """``url_for("pages.report", rid=rid, _external=True, _anchor=f"p{n}")``."""
        return f"{self.external}#p{n}"


def _result_report(r: dict, state: SearchState) -> dict:
    links = ReportLinks(r["id"], _context_args(state))
    passages = []
    for p in r["passages"]:
        n = int(p["id"])
        passages.append(dict(p, link=links.passage(n), cite=_cite(r, p, links.permalink(n))))
    return dict(
        r,
        display_title=citation.title_of(r),
        url=links.page(),
        shown=passages[:PASSAGES_SHOWN],
        more=passages[PASSAGES_SHOWN:],
        unlisted=r.get("passages_left", 0),
    )


def _cite(meta: dict, passage: dict, permalink: str) -> dict:
    return {
        "plain": citation.plain(meta, passage, permalink),
        "gbt": citation.gbt7714(meta),
        "permalink": permalink,
    }


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
            if name == "section":
                label = e.get("label") or SECTION_LABELS.get(value, value)
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


# ---------------------------------------------------------------- all reports


@bp.get("/reports")
def report_list():
    page = parse_int(request.args.get("page", "1"), "page")
    reports = engine().reports(outline=False)
    # newest report year first; within a year, newest issue date first
    reports.sort(key=lambda m: m.get("source") or "")
    reports.sort(key=lambda m: (m.get("year") or 0, m.get("date") or ""), reverse=True)
    last = max(1, math.ceil(len(reports) / REPORTS_PER_PAGE))
    if not 1 <= page <= last:
        raise QueryError(f"page must be between 1 and {last}")
    start = (page - 1) * REPORTS_PER_PAGE
    rows = [
        dict(m, display_title=citation.title_of(m), url=url_for("pages.report", rid=m["id"]))
        for m in reports[start : start + REPORTS_PER_PAGE]
    ]
    return render_template(
        "reports.html", rows=rows, total=len(reports), page=page, last=last, start=start
    )


# ---------------------------------------------------------------- one report


def _marks(q: str, mode: str) -> tuple[list[str], str | None]:
    """Folded strings to highlight for query ``q`` (and why there are none)."""
    if not q.strip():
        return [], None
    try:
        terms = parse(q).terms()
    except QueryError as exc:
        return [], exc.user_message()
    marks = [t.folded for t in terms]
    if mode == "words":
        words = [fold(w) for t in terms for w, _, _ in segment(t.text)]
        marks = [w for w in words if w] or marks
    return marks, None


@bp.get("/report/<rid>")
def report(rid: str):
    rep = engine().report(rid)
    if rep is None:
        abort(404, description=f"索引中没有编号为“{rid[:64]}”的报告；它可能已被删除或重新编号。")
    q = request.args.get("q", "")
    mode = request.args.get("mode", "exact")
    marks, query_note = _marks(q, mode)
    linked = request.args.get("p", "")
    linked_id = int(linked) if linked.isdigit() and len(linked) < 8 else None

    links = ReportLinks(rid, {})
    passages = []
    for p in rep["passages"]:
        hit = bool(marks) and bool(mark_spans(p["text"], marks))
        passages.append(
            dict(
                p,
                html=highlight(p["text"], marks),
                hit=hit,
                linked=p["id"] == linked_id,
                cite=_cite(rep, p, links.permalink(int(p["id"]))),
            )
        )
    sections = rep.get("sections") or []
    present = {p["section"] for p in rep["passages"]}
    back = None
    if q.strip():
        back = url_for("pages.search", q=q, mode=mode if mode != "exact" else None)
    return render_template(
        "report.html",
        rep=rep,
        display_title=citation.title_of(rep),
        body=_body(sections, passages),
        toc=_toc(sections),
        parts=[(k, SECTION_LABELS[k], k in present) for k in SECTION_KEYS if k != "other"],
        q=q if q.strip() else "",
        mode=mode,
        query_note=query_note,
        hits=[p for p in passages if p["hit"]],
        back=back,
        has_file=_file_of(rep) is not None,
        gbt=citation.gbt7714(rep),
        source_name=PurePath(rep.get("source") or "").name,
    )


def _body(sections: list[dict], passages: list[dict]) -> list[dict]:
    """Headings and passages in reading order; headings of ``sections`` carry ``s<i>`` ids."""
    out: list[dict] = []
    cursor = 0
    prev: list[str] = []

    def emit(i: int) -> None:
        s = sections[i]
        if s.get("heading"):
            out.append(
                {
                    "kind": "heading",
                    "anchor": f"s{i}",
                    "level": s.get("level", 1),
                    "text": s["heading"],
                }
            )

    for p in passages:
        path = list(p.get("path") or [])
        k = 0
        while k < min(len(path), len(prev)) and path[k] == prev[k]:
            k += 1
        for depth in range(k, len(path)):
            heading = path[depth]
            found = next(
                (j for j in range(cursor, len(sections)) if sections[j].get("heading") == heading),
                None,
            )
            if found is None:
                out.append({"kind": "heading", "anchor": None, "level": depth + 1, "text": heading})
                continue
            for j in range(cursor, found + 1):
                emit(j)
            cursor = found + 1
        out.append({"kind": "passage", "p": p})
        prev = path
    for j in range(cursor, len(sections)):
        emit(j)
    return out


def _toc(sections: list[dict]) -> list[dict]:
    """The outline as a tree of ``{"anchor", "heading", "key", "level", "children"}``."""
    nodes = [
        {
            "anchor": f"s{i}",
            "heading": s.get("heading") or "",
            "key": s.get("key"),
            "level": s.get("level", 1),
            "children": [],
        }
        for i, s in enumerate(sections)
    ]
    roots: list[dict] = []
    for i, s in enumerate(sections):
        if not s.get("heading"):
            continue
        parent = s.get("parent")
        seen = 0
        while (
            isinstance(parent, int) and 0 <= parent < i and not sections[parent].get("heading")
        ) and seen < len(sections):
            parent = sections[parent].get("parent")
            seen += 1
        if isinstance(parent, int) and 0 <= parent < i:
            nodes[parent]["children"].append(nodes[i])
        else:
            roots.append(nodes[i])
    return roots


def _file_of(rep: dict) -> Path | None:
    """The original file, from the index's own metadata (never from the request)."""
    stored = rep.get("path")
    if not stored:
        return None
    path = Path(stored)
    return path if path.is_file() else None


@bp.get("/report/<rid>/file")
def report_file(rid: str):
    rep = engine().report(rid)
    if rep is None:
        abort(404, description=f"索引中没有编号为“{rid[:64]}”的报告。")
    path = _file_of(rep)
    if path is None:
        abort(404, description="原始文件已不在索引记录的位置；请重新建立索引（fazhi index）。")
    name = PurePath(rep.get("source") or path.name).name
    return send_file(path, as_attachment=True, download_name=name)
