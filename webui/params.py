"""Request parameters of a search, read the same way by the pages and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from werkzeug.datastructures import MultiDict

from indexer.errors import QueryError
from indexer.model import resolve_section
from indexer.search.query import (
    FACET_LIMIT,
    FILTER_FIELDS,
    VOCABULARIES,
    Or,
    parse,
    parse_year,
    resolve_term,
    shown,
)

SCALARS = ("q", "mode", "sort", "page", "per_page", "facet_limit")
#: more values than this for one filter is refused (the UI never sends that many)
MAX_FILTER_VALUES = 50
_INT_RE = re.compile(r"^[ \t]*[0-9]{1,7}[ \t]*$")


@dataclass
class SearchParams:
    q: str = ""
    mode: str = "exact"
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facet_limit: int = FACET_LIMIT
    #: filter name → values, in the order given (only names with values)
    filters: dict[str, list[str]] = field(default_factory=dict)

    def engine_kwargs(self) -> dict:
        return {
            "filters": self.filters,
            "mode": self.mode,
            "page": self.page,
            "per_page": self.per_page,
            "sort": self.sort,
            "facet_limit": self.facet_limit,
        }


def parse_int(value: str, name: str) -> int:
    if not _INT_RE.match(value):
        raise QueryError(f"{name} must be a whole number (got '{shown(value)}')")
    return int(value)


def parse_search_args(
    args: MultiDict, *, strict: bool, per_page: int = 20, allowed: tuple[str, ...] = ()
) -> SearchParams:
    """Read q, mode, sort, page, per_page, facet_limit and the filters from ``args``.

    ``strict`` (the API): unknown or repeated parameters are errors and empty
    filter values reach the engine, which refuses them. Otherwise (the pages)
    unknown parameters are ignored and empty filter values dropped. Filter
    values are checked by the engine, not here.
    """
    known = set(SCALARS) | set(FILTER_FIELDS) | set(allowed)
    if strict:
        for name in args:
            if name not in known:
                raise QueryError(
                    f"unknown parameter '{shown(name)}' (known: {', '.join(SCALARS + FILTER_FIELDS)})"
                )
        for name in SCALARS:
            if len(args.getlist(name)) > 1:
                raise QueryError(f"parameter '{shown(name)}' given more than once")
    p = SearchParams(per_page=per_page)
    p.q = args.get("q", "")
    p.mode = args.get("mode", "").strip() or "exact"
    p.sort = args.get("sort", "").strip() or "relevance"
    if "page" in args:
        p.page = parse_int(args["page"], "page")
    if "per_page" in args:
        p.per_page = parse_int(args["per_page"], "per_page")
    if "facet_limit" in args:
        p.facet_limit = parse_int(args["facet_limit"], "facet_limit")
    for name in FILTER_FIELDS:
        values = args.getlist(name)
        if not strict:
            values = [v.strip() for v in values if v.strip()]
        if len(values) > MAX_FILTER_VALUES:
            raise QueryError(
                f"too many values for '{shown(name)}' (the limit is {MAX_FILTER_VALUES})"
            )
        if values:
            p.filters[name] = values
    return p


def canonical_filter(name: str, value: str) -> str:
    """The form the engine reports a filter value in (``filters`` of a result)."""
    if name == "section":
        return resolve_section(value) or value
    if name in VOCABULARIES:
        return resolve_term(VOCABULARIES[name], value) or value
    if name == "year":
        try:
            lo, hi = parse_year(value)
        except QueryError:
            return value
        return str(lo) if lo == hi else f"{lo}-{hi}"
    return value.strip()


# ---------------------------------------------------------------- search within results

_FILTER_TOKEN = re.compile(r'(?:(?<=\s)|^)[A-Za-z_]+:(?:"[^"]*"|“[^”]*”|[^\s()"“]*)')


def as_conjunct(text: str) -> str:
    """``text`` rewritten so that appending another term ANDs it with the whole.

    A query with OR at the top level (``A OR B``) is wrapped in parentheses,
    with its field filters moved in front (they may not stand inside them).
    Anything that does not parse is returned unchanged: the engine will say why.
    """
    text = text.strip()
    try:
        query = parse(text)
    except QueryError:
        return text
    if not isinstance(query.expr, Or):
        return text
    filters = _FILTER_TOKEN.findall(text)
    rest = _FILTER_TOKEN.sub(" ", text).strip()
    candidate = " ".join([*filters, f"({rest})"])
    try:
        parse(candidate)
    except QueryError:
        return text
    return candidate


def search_within(q: str, within: str) -> str:
    """The query for "search within results": ``q`` AND ``within``."""
    q, within = q.strip(), within.strip()
    if not q:
        return within
    if not within:
        return q
    return f"{as_conjunct(q)} {as_conjunct(within)}"


# ---------------------------------------------------------------- analytics parameters

FORMATS = ("json", "csv", "xlsx")
#: the matrix and trend take the search parameters minus paging
_QUERY_PARAMS = ("q", "mode", "sort", *FILTER_FIELDS)


def query_params(args: MultiDict, extra: tuple[str, ...] = ()) -> SearchParams:
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


def output_format(args: MultiDict) -> str:
    fmt = args.get("format", "json").strip().lower() or "json"
    if fmt not in FORMATS:
        raise QueryError(f"unknown format '{shown(fmt, 20)}' (use json, csv or xlsx)")
    return fmt


def page_params(args: MultiDict) -> SearchParams:
    return parse_search_args(args, strict=False, per_page=current_app.config["PER_PAGE"])
