"""The web UI and JSON API: a read-only Flask app over one index directory.

``create_app(config)`` builds the app; nothing is opened at import time. One
:class:`~indexer.search.Engine` per app lives in ``app.extensions``; it notices
a re-indexed corpus by itself, so the server never needs a restart. When a new
index generation cannot be read, the engine logs why and keeps answering from
the last good one; only with no readable index at all do requests get 503.
Every search has a time budget (``SEARCH_TIMEOUT`` seconds): past it the
request gets 503 with a one-line message instead of holding a worker.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask.templating import Environment as TemplateEnvironment
from werkzeug.exceptions import HTTPException

from indexer.errors import IndexStoreError, QueryError, SearchTimeout
from indexer.search import Engine
from indexer.store import default_index_dir

EXTENSION = "fazhi"
#: Seconds one search (or analytics match) may take before it is stopped (503).
SEARCH_TIMEOUT = 5.0

#: Sent with every response. No inline script or style is ever needed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

log = logging.getLogger(__name__)


class _Templates(TemplateEnvironment):
    """Jinja's environment, with ``x.name`` on a dict looking up the key first.

    Jinja tries the attribute first and the key only after the attribute
    lookup has failed with an exception; the pages pass dicts, and a search
    page looks up a few thousand keys, so this halves its rendering time. A
    key never hides a method the templates call (``.items()`` on dicts without
    an ``items`` key).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class _App(Flask):
    jinja_environment = _Templates


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app.

    Config: ``INDEX_DIR`` (default: ``$FAZHI_INDEX`` or ``.fazhi/index``),
    ``SEARCH_TIMEOUT`` (seconds per search, default 5; None for no limit),
    ``ANALYTICS_REBUILD_SPACING`` (default 4: after a commit, the practice
    catalogue and the sentence index are rebuilt in the background no sooner
    than 4 times their last build's duration after it ended; until then the
    previous ones are served).
    """
    app = _App(__name__)
    app.config.from_mapping(
        INDEX_DIR=str(default_index_dir()),
        PER_PAGE=20,
        SEARCH_TIMEOUT=SEARCH_TIMEOUT,
        ANALYTICS_REBUILD_SPACING=4.0,
    )
    if config:
        app.config.update(config)
    app.extensions[EXTENSION] = Engine(
        app.config["INDEX_DIR"], deadline=app.config["SEARCH_TIMEOUT"]
    )

    from . import api, pages  # they import engine() from here

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    from . import analytics  # matrix, trend, practices, precedents

    app.register_blueprint(analytics.bp)
    app.jinja_env.globals.update(
        section_labels=pages.SECTION_LABELS, section_short=pages.SECTION_SHORT
    )

    app.after_request(_security_headers)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(IndexStoreError, _index_error)
    app.register_error_handler(SearchTimeout, _timeout_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def engine() -> Engine:
    """The app's search engine."""
    return current_app.extensions[EXTENSION]


def warm_up(app: Flask) -> None:
    """Open the index and load the word segmenter before serving.

    Otherwise the first requests pay for it (seconds, enough to run out of
    their time budget when several arrive at once).
    """
    app.extensions[EXTENSION].warm_up()


def prepare_analytics(app: Flask) -> None:
    """Start building the practice catalogue and the sentence index in the background
    (see :meth:`indexer.analytics.Analytics.prepare`): the server does at start."""
    from .analytics import ANALYTICS

    app.extensions[ANALYTICS].prepare()


def json_response(obj: Any, status: int = 200) -> Response:
    """JSON serialized exactly as ``fazhi … --json`` prints it (UTF-8, keys in order)."""
    return Response(json.dumps(obj, ensure_ascii=False), status=status, mimetype="application/json")


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


# ---------------------------------------------------------------- errors


def _error(status: int, title: str, message: str, *, hint: str = "", kind: str = "error"):
    if wants_json():
        return json_response({"error": message}, status), status
    html = render_template(
        "error.html", status=status, title=title, message=message, hint=hint, kind=kind
    )
    return html, status


def _query_error(exc: QueryError):
    return _error(400, "检索式有误", exc.user_message(), kind="query")


def _index_error(exc: IndexStoreError):
    log.warning("index unavailable: %s", exc.user_message())
    return _error(503, "索引暂不可用", exc.user_message(), kind="index")


def _timeout_error(exc: SearchTimeout):
    log.warning("search stopped on %s: %s", request.full_path[:300], exc.user_message())
    body, status = _error(503, "检索超时", exc.user_message(), kind="timeout")
    return body, status, {"Retry-After": "5"}


#: title and default message of the HTTP errors a user can run into
_HTTP_TEXTS = {
    400: ("请求有误", "请求的参数无法识别，请检查网址。"),
    404: ("没有找到该页面", "这个网址不存在，请从首页重新检索。"),
    405: ("不支持该操作", "本站只读：只接受 GET 请求。"),
    413: ("请求过大", "请求的内容过大。"),
    414: ("网址过长", "网址过长，请缩短检索词。"),
    431: ("请求头过大", "请求头过大。"),
}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    title, default = _HTTP_TEXTS.get(status, (exc.name, exc.name))
    own = exc.description if exc.description != type(exc).description else None
    if wants_json():
        message = own or (exc.name.lower() if status == 404 else type(exc).description or exc.name)
    else:
        message = own or default
    body, code = _error(status, title, message, kind=f"http{status}")
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return body, code, headers


def _unexpected_error(exc: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _error(
        500,
        "服务器内部错误",
        "an unexpected error occurred; it has been logged",
        kind="internal",
    )
