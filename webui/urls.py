"""Every URL the pages link to, built in one place.

The endpoints are named here once (:data:`SEARCH_PAGE`, :data:`REPORT_PAGE`,
…); views and templates that need a URL get it from these helpers or by
those names. A search page links to hundreds of variations of itself (facet
values, pages, chips): :class:`SearchState` encodes its parameters once and
builds each variation from the pieces, with the same result as ``url_for``.
Links into a report are built from one ``url_for`` per request
(:class:`ReportLinks`). Links meant for use elsewhere (permalinks in
citations) come from :func:`public_url`, never from the request's ``Host``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode

from flask import current_app, g, request, url_for

from .params import SearchParams, canonical_filter

SEARCH_PAGE = "search.page"
REPORT_PAGE = "reports.page"
MATRIX_PAGE = "matrix.page"
COVERAGE_PAGE = "coverage.page"
COVERAGE_API = "coverage.api"
CHECK_PAGE = "check.page"
#: the order of the filters in the search page's URLs and sidebar
FACET_ORDER = ("township", "county", "year", "section", "province", "level", "kind")


@dataclass
class SearchState:
    """The parameters of the page shown, and the URLs that change one of them."""

    params: SearchParams
    #: canonical filter values that came from the URL (removable), by name
    url_filters: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, params: SearchParams) -> SearchState:
        canon = {
            name: unique(canonical_filter(name, v) for v in values)
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
        """``url_for(SEARCH_PAGE, **self.args(**over))``, from the parameters
        encoded once per page unless ``filters`` are replaced."""
        if "filters" in over:
            return url_for(SEARCH_PAGE, **self.args(**over))
        path, parts = self._encoded
        if over:
            parts = {"q": None, **parts}  # args() keeps q first, even when it is empty
            for k, v in over.items():
                parts[k] = None if v in (None, "", []) else encode(k, v)
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
        parts = {k: encode(k, v) for k, v in self.args(filters=self.url_filters).items()}
        return url_for(SEARCH_PAGE), parts

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


def encode(name: str, value) -> str:
    """One query parameter (a value or a list of them) encoded as ``url_for`` encodes it."""
    return query_string([(name, x) for x in (value if isinstance(value, list) else [value])])


def query_string(pairs: list[tuple[str, object]]) -> str:
    """``pairs`` encoded as ``url_for`` encodes query arguments."""
    return urlencode([(k, v) for k, v in pairs if v is not None], safe="!$'()*,/:;?@")


def unique(items) -> list:
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def context_args(state: SearchState) -> dict:
    """Query arguments that carry the search into a report page (for highlighting)."""
    out = {"q": state.q}
    if state.mode != "exact":
        out["mode"] = state.mode
    return out


#: report ids that stand in a URL path as they are (the index's are hex digits)
_PLAIN_ID = re.compile(r"[0-9A-Za-z]+")


#: host names that can only mean the machine of whoever made the request
_LOOPBACK = re.compile(r"(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?", re.I)
#: what BASE_URL may be: http(s), a host, an optional path, no query or fragment
_BASE_URL = re.compile(r"https?://[^/\s?#@]+(?:/[^\s?#]*)?", re.I)


def check_base_url(value: str | None) -> str | None:
    """The public base URL without its trailing slash (None when empty); ValueError
    naming what is wrong."""
    value = (value or "").strip()
    if not value:
        return None
    if not _BASE_URL.fullmatch(value):
        raise ValueError(
            f"base URL {value[:200]!r} is not an http(s) URL with a host and no query "
            "(example: https://fazhi.example.gov.cn or http://10.0.0.5:8000/fazhi)"
        )
    return value.rstrip("/")


def public_url(endpoint: str, **values) -> str:
    """The URL of a page for use outside this one (citations, permalinks).

    Never built from the request's ``Host`` header, which any client can set:
    from the app's ``BASE_URL`` when configured (``fazhi serve --base-url``,
    ``$FAZHI_BASE_URL``); else absolute only when the request came to a
    loopback name (``localhost``, ``127.0.0.1``: it can only point back to the
    user's own machine), and otherwise the path alone (``/report/…``), which the
    page's script completes with the address the browser shows.
    """
    return external_url(url_for(endpoint, **values))


def external_url(path: str) -> str:
    """:func:`public_url` of ``path``, a path of this app as ``url_for`` gives it."""
    base = current_app.config.get("BASE_URL")
    if base:
        script = request.script_root
        return base + (path[len(script) :] if script and path.startswith(script) else path)
    if _LOOPBACK.fullmatch(request.host or ""):
        return request.host_url.rstrip("/") + path
    return path


def report_root(external: bool = False) -> str:
    """What ``url_for(REPORT_PAGE, rid=…)`` puts before a plain id (once per request);
    ``external``: what :func:`public_url` puts there."""
    key = "_fazhi_report_root_ext" if external else "_fazhi_report_root"
    root = g.get(key)
    if root is None:
        root = (public_url if external else url_for)(REPORT_PAGE, rid="0")[:-1]
        setattr(g, key, root)
    return root


class ReportLinks:
    """Links into one report, as ``url_for(REPORT_PAGE, …)`` builds them, built once."""

    def __init__(self, rid: str, ctx: dict) -> None:
        self.rid = rid
        self.plain = bool(_PLAIN_ID.fullmatch(rid))
        self.path = report_root() + rid if self.plain else url_for(REPORT_PAGE, rid=rid)
        self.tail = query_string(list(ctx.items())) if ctx else ""

    @cached_property
    def external(self) -> str:
        if self.plain:
            return report_root(external=True) + self.rid
        return public_url(REPORT_PAGE, rid=self.rid)

    def page(self) -> str:
        """``url_for(REPORT_PAGE, rid=rid, **ctx)``."""
        return f"{self.path}?{self.tail}" if self.tail else self.path

    def passage(self, n: int) -> str:
        """``url_for(REPORT_PAGE, rid=rid, p=n, _anchor=f"p{n}", **ctx)``."""
        return f"{self.path}?p={n}&{self.tail}#p{n}" if self.tail else f"{self.path}?p={n}#p{n}"

    def permalink(self, n: int) -> str:
        """``public_url(REPORT_PAGE, rid=rid, _anchor=f"p{n}")``."""
        return f"{self.external}#p{n}"


def search_url(params: SearchParams, **replace) -> str:
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
    return url_for(SEARCH_PAGE, **args)


def matrix_url(params: SearchParams) -> str:
    args: dict = {"q": params.q, **params.filters}
    if params.mode != "exact":
        args["mode"] = params.mode
    return url_for(MATRIX_PAGE, **args)


def with_year(state: SearchState, year: int) -> dict:
    """The filters of ``state`` with the year replaced by ``year``."""
    filters = {k: list(v) for k, v in state.url_filters.items()}
    filters["year"] = [str(year)]
    return filters
