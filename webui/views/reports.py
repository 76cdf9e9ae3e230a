"""Reports: the list (``/reports``), one report (``/report/<id>``), its file, and their JSON.

``/api/reports`` lists every report with the fields of ``fazhi reports
--json``; ``/api/reports/<id>`` gives one with its passages. The report page
marks what the search that led to it matches (the same marks as its
snippets, :mod:`indexer.search.highlight`).
"""

from __future__ import annotations

import math
import os
from datetime import date
from pathlib import Path, PurePath

import numpy as np
from flask import Blueprint, abort, render_template, request, send_file, url_for

from indexer import names
from indexer.errors import QueryError
from indexer.model import LISTING_FIELDS
from indexer.search.highlight import highlight, mark_spans, marks_for

from .. import citation, exports, tables
from ..ext import analytics, engine
from ..messages import query_error
from ..params import parse_int
from ..responses import json_list_response, json_response
from ..urls import REPORT_PAGE, SEARCH_PAGE, ReportLinks

bp = Blueprint("reports", __name__)


REPORTS_PER_PAGE = 50
#: the fields of `fazhi reports --json`, plus the number of passages
REPORT_FIELDS = (*LISTING_FIELDS, "passage_count")


def report_json(meta: dict) -> dict:
    return {k: meta.get(k) for k in REPORT_FIELDS}


#: orders of the report list: newest first, or most of its wording in one other report
LIST_SORTS = ("year", "similarity")
#: seconds the report list waits for the copy figures (then shows them on a later visit)
PAGE_WAIT = 2.0


@bp.get("/api/reports")
def list_api():
    fmt = exports.check_format(request.args.get("format", "json"))
    for name in request.args:
        if name != "format":
            raise QueryError(f"unknown parameter '{name[:40]}' (known: format)")
    each = engine().each_report()
    copies = analytics().copies()
    reports = (dict(report_json(m), copy=copies.get(m["id"])) for m in each)
    if fmt == "json":
        return json_list_response(reports)
    return exports.download(fmt, tables.report_rows(list(reports)), "fazhi-reports")


@bp.get("/api/reports/<rid>")
def api(rid: str):
    rep = engine().report(rid)
    if rep is None:
        return json_response({"error": f"no report with id '{rid[:64]}'"}, 404)
    out = report_json(rep)
    out["passage_count"] = len(rep["passages"])
    out["copy"] = analytics().copy(rid)
    out["passages"] = rep["passages"]
    return json_response(out)


@bp.get("/reports")
def list_page():
    page = parse_int(request.args.get("page", "1"), "page")
    sort = request.args.get("sort", "year").strip() or "year"
    if sort not in LIST_SORTS:
        raise QueryError(f"unknown sort '{sort[:20]}' (use {' or '.join(LIST_SORTS)})")
    eng = engine()
    ids = eng.newest_first()
    # the copy figures at hand (a page does not wait for them to be computed)
    copies = analytics().copies(wait=PAGE_WAIT)
    figures = copies is not None
    copy_of = copies.get if figures else lambda rid: None
    if sort == "similarity" and figures:  # most of its wording in one other report first
        ids = [ids[i] for i in np.argsort(-copies.column("share", ids), kind="stable")]
    last = max(1, math.ceil(len(ids) / REPORTS_PER_PAGE))
    if not 1 <= page <= last:
        raise QueryError(f"page must be between 1 and {last}")
    start = (page - 1) * REPORTS_PER_PAGE
    rows = []
    for rid in ids[start : start + REPORTS_PER_PAGE]:
        m = dict(eng.meta(rid) or {"id": rid}, copy=copy_of(rid))
        copy = m["copy"] or {}
        source = copy.get("source")
        rows.append(
            dict(
                m,
                display_title=citation.title_of(m),
                url=url_for(REPORT_PAGE, rid=rid),
                source_url=url_for(REPORT_PAGE, rid=source["id"]) if source else None,
                compare_url=(
                    url_for("precedents.page", rid=rid, source=source["id"]) + "#compare"
                    if source
                    else None
                ),
            )
        )
    return render_template(
        "reports.html",
        rows=rows,
        total=len(ids),
        page=page,
        last=last,
        start=start,
        sort=sort,
        copied=int(copies.column("copied", ids).sum()) if figures else 0,
        figures=figures,
        downloads=exports.links(lambda **a: url_for("reports.list_api", **a)),
    )


# ---------------------------------------------------------------- one report


@bp.get("/report/<rid>")
def page(rid: str):
    rep = engine().report(rid)
    if rep is None:
        abort(404, description=f"索引中没有编号为“{rid[:64]}”的报告；它可能已被删除或重新编号。")
    q = request.args.get("q", "")
    mode = request.args.get("mode", "exact")
    marks, query_note = marks_for(q, mode)
    query_zh = None
    if query_note:
        try:
            engine().parse(q, None, mode)
        except QueryError as exc:
            query_zh = query_error(exc, q)["message"]
    linked = request.args.get("p", "")
    linked_id = int(linked) if linked.isdigit() and len(linked) < 8 else None

    links = ReportLinks(rid, {})
    passages = []
    for p in rep["passages"]:
        spans = mark_spans(p["text"], marks) if marks else []
        passages.append(
            dict(
                p,
                html=highlight(p["text"], marks, spans=spans),
                hit=bool(spans),
                linked=p["id"] == linked_id,
                cite=citation.cite(rep, p, links.permalink(int(p["id"])), spans),
            )
        )
    sections = rep.get("sections") or []
    back = None
    if q.strip():
        back = url_for(SEARCH_PAGE, q=q, mode=mode if mode != "exact" else None)
    return render_template(
        "report.html",
        rep=rep,
        display_title=citation.title_of(rep),
        doc=_body(sections, passages),
        toc=_toc(sections),
        parts=analytics().parts(rid),
        copy=_copy_banner(rid),
        shared=analytics().copy(rid),
        q=q if q.strip() else "",
        mode=mode,
        query_note=query_note,
        query_zh=query_zh,
        permalink=links.external,
        today=date.today().isoformat(),
        hits=[p for p in passages if p["hit"]],
        back=back,
        has_file=_file_of(rep) is not None,
        gbt=citation.gbt7714(rep),
        source_name=PurePath(rep.get("source") or "").name,
    )


def _copy_banner(rid: str) -> dict | None:
    """The copy verdict the report page opens with (None when there is none to show)."""
    copy = analytics().copy(rid)
    if not copy or not copy["source"] or copy["share"] < 0.5:
        return None
    source = copy["source"]
    return dict(
        copy,
        source_url=url_for(REPORT_PAGE, rid=source["id"]),
        compare_url=url_for("precedents.page", rid=rid, source=source["id"]) + "#compare",
    )


def _body(sections: list[dict], passages: list[dict]) -> dict:
    """The document as written: ``head`` (header lines above the title), ``title``,
    ``body`` (headings, paragraphs and the lines after the title, in order) and ``tail``
    (the signature block).

    Headings of ``sections`` carry their ``s<i>`` anchor. A heading is normally a
    passage of its own; one that is not (a report built without heading passages)
    is shown where the first passage under it begins.
    """
    head: list[dict] = []
    title: dict | None = None
    body: list[dict] = []
    tail: list[dict] = []
    cursor = 0
    prev: list[str] = []

    def section_at(text: str) -> int | None:
        return next(
            (j for j in range(cursor, len(sections)) if sections[j].get("heading") == text),
            None,
        )

    def emit_until(found: int) -> None:
        """The sections before ``found`` that no passage showed, as plain headings."""
        for j in range(cursor, found):
            s = sections[j]
            if s.get("heading"):
                body.append(
                    {"kind": "heading", "anchor": f"s{j}", "level": s.get("level", 1),
                     "text": s["heading"], "p": None}
                )  # fmt: skip

    for p in passages:
        kind = p.get("kind", "body")
        if not body and title is None and kind in ("header", "title"):
            if kind == "title":
                title = p
            else:
                head.append(p)
            continue
        if kind == "signature":
            tail.append(p)
            continue
        path = list(p.get("path") or [])
        if kind == "heading":
            found = section_at(p["text"])
            level = len(path) or 1
            anchor = None
            if found is not None:
                emit_until(found)
                cursor, level, anchor = found + 1, sections[found].get("level", level), f"s{found}"
            body.append({"kind": "heading", "anchor": anchor, "level": level, "p": p})
            prev = path
            continue
        k = 0
        while k < min(len(path), len(prev)) and path[k] == prev[k]:
            k += 1
        for heading in path[k:]:
            found = section_at(heading)
            if found is not None:
                emit_until(found + 1)
                cursor = found + 1
        body.append({"kind": kind, "p": p})
        prev = path
    emit_until(len(sections))
    return {"head": head, "title": title, "body": body, "tail": tail}


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
def file(rid: str):
    rep = engine().report(rid)
    if rep is None:
        abort(404, description=f"索引中没有编号为“{rid[:64]}”的报告。")
    path = _file_of(rep)
    if path is None:
        abort(404, description="原始文件已不在索引记录的位置；请重新建立索引（fazhi index）。")
    # a name of any bytes, shown (U+FFFD, control characters escaped): it goes in a header
    name = names.one_line(PurePath(rep.get("source") or path.name).name)
    # opened here: Werkzeug would encode the path (which may hold any bytes) for its ETag
    try:
        f = path.open("rb")
        st = os.fstat(f.fileno())
    except OSError:
        abort(404, description="原始文件已不在索引记录的位置；请重新建立索引（fazhi index）。")
    return send_file(
        f,
        as_attachment=True,
        download_name=name,
        last_modified=st.st_mtime,
        etag=f"{rid}-{st.st_size}-{st.st_mtime_ns}",
    )
