"""Every error a user can meet, as a page or as ``{"error": message}``, with the security headers.

Query errors are 400, a missing or unreadable index 503 (with the reason),
a search past its time budget 503 with ``Retry-After``; anything unexpected
is logged and answered 500 without details.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

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


def init_app(app: Flask) -> None:
    """Register the error handlers and the security headers on ``app``."""
    app.after_request(_security_headers)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(IndexStoreError, _index_error)
    app.register_error_handler(SearchTimeout, _timeout_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _error(status: int, title: str, message: str, *, hint: str = "", kind: str = "error", zh=None):
    if wants_json():
        return json_response({"error": message}, status), status
    html = render_template(
        "error.html", status=status, title=title, message=message, hint=hint, kind=kind, zh=zh
    )
    return html, status


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
