"""Every error a user can meet, as a page or as ``{"error": message}``, with the security headers.

Query errors are 400, a missing or unreadable index 503 (with the reason),
a search past its time budget 503 with ``Retry-After``; anything unexpected
is logged and answered 500 without details. A request whose ``Host`` header
is not a host name gets 400 with a page built without URLs
(:func:`plain_page`, which the HTTP server's own errors use too).
"""

from __future__ import annotations

import logging
import re

from flask import Flask, render_template, request
from flask.globals import request_ctx
from markupsafe import escape
from werkzeug.exceptions import BadHost, HTTPException

from indexer.errors import IndexStoreError, QueryError, SearchTimeout

from .messages import query_error
from .responses import json_response, wants_json

log = logging.getLogger(__name__)

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


#: a Host header: a host name (labels of at most 63 letters, digits, ``-`` and ``_``),
#: an IPv4 address or a bracketed IPv6 address, and an optional port
_HOST = re.compile(
    r"(?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
    r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?"
)


def init_app(app: Flask) -> None:
    """Register the error handlers and the security headers on ``app``."""
    app.before_request(_check_host)
    app.after_request(_security_headers)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(IndexStoreError, _index_error)
    app.register_error_handler(SearchTimeout, _timeout_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _check_host() -> None:
    """400 for a ``Host`` header that is not a host name (``a..b``, ``<x>``, a space)."""
    host = request.environ.get("HTTP_HOST")
    if host is not None and (len(host) > 260 or not _HOST.fullmatch(host)):
        raise BadHost()


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _error(status: int, title: str, message: str, *, hint: str = "", kind: str = "error", zh=None):
    if wants_json():
        return json_response({"error": message}, status), status
    if request_ctx.url_adapter is None:  # no URL can be built (an invalid Host header)
        return plain_page(status, title, message, root=request.script_root), status
    html = render_template(
        "error.html", status=status, title=title, message=message, hint=hint, kind=kind, zh=zh
    )
    return html, status


def plain_page(status: int, title: str, message: str, *, root: str = "") -> str:
    """An error page built without the app (no URL building, no template): for a request
    whose URLs cannot be built, and for the errors the HTTP server answers itself."""
    title, message, root = escape(title), escape(message), escape(root)
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title} · 法治政府建设年度报告检索</title>"
        f'<link rel="stylesheet" href="{root}/static/style.css"></head>'
        f'<body class="page-error"><main class="wrap"><section class="state state-error" '
        f'role="alert"><p class="status-code">{status}</p><h1>{title}</h1>'
        f'<p class="error-message">{message}</p><p><a href="{root}/">返回首页检索</a></p>'
        "</section></main></body></html>\n"
    )


def _query_error(exc: QueryError):
    zh = query_error(exc, request.args.get("q", ""))
    if request.args.get("q") is None:
        zh["literal_url"] = None
    return _error(400, "检索条件有误", exc.user_message(), kind="query", zh=zh)


def _index_error(exc: IndexStoreError):
    log.warning("index unavailable: %s", exc.user_message())
    return _error(503, "索引暂不可用", exc.user_message(), kind="index")


def _timeout_error(exc: SearchTimeout):
    log.warning("search stopped on %s: %s", request.full_path[:300], exc.user_message())
    body, status = _error(503, "检索超时", exc.user_message(), kind="timeout")
    return body, status, {"Retry-After": "5"}


BAD_HOST = "请求头中的主机名（Host）无效。"

#: title and default message of the HTTP errors a user can run into
_HTTP_TEXTS = {
    400: ("请求有误", "请求的参数无法识别，请检查网址。"),
    404: ("没有找到该页面", "这个网址不存在，请从首页重新检索。"),
    405: ("不支持该操作", "本站只读：只接受 GET 请求（检查草稿的 POST /api/check 除外）。"),
    413: ("请求过大", "请求的内容过大。"),
    414: ("网址过长", "网址过长，请缩短检索词。"),
    431: ("请求头过大", "请求头过大。"),
}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    title, default = _HTTP_TEXTS.get(status, (exc.name, exc.name))
    own = exc.description if exc.description != type(exc).description else None
    if isinstance(exc, BadHost):
        own = "the Host header is not a valid host name" if wants_json() else BAD_HOST
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
