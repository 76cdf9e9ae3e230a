"""Responses the views share: JSON exactly as the CLI prints it, CSV downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request

from indexer import names


def json_response(obj: Any, status: int = 200) -> Response:
    """JSON serialized exactly as ``fazhi … --json`` prints it (UTF-8, keys in order;
    undecodable bytes of a file name as U+FFFD)."""
    return Response(names.printable_json(obj), status=status, mimetype="application/json")


def wants_json() -> bool:
    """True for the JSON API's paths (errors there are JSON too)."""
    return request.path == "/api" or request.path.startswith("/api/")


def csv_response(text: str, stem: str, name: str) -> Response:
    """``text`` as a CSV download named ``stem.csv`` (``name`` in the UTF-8 filename)."""
    encoded = quote(f"{name}.csv", safe="")
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{stem}.csv\"; filename*=UTF-8''{encoded}"
            )
        },
    )
