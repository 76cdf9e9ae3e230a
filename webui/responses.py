"""Responses the views share: JSON exactly as the CLI prints it, CSV downloads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from flask import Response, request

from indexer import names


def json_response(obj: Any, status: int = 200) -> Response:
    """JSON serialized exactly as ``fazhi … --json`` prints it (UTF-8, keys in order;
    undecodable bytes of a file name as U+FFFD)."""
    return Response(names.printable_json(obj), status=status, mimetype="application/json")


def json_list_response(items: Iterable, batch: int = 500) -> Response:
    """A JSON array written while it is made, ``batch`` items at a time: the same bytes
    as :func:`json_response` of the list, without the whole list and text in memory
    (the list of 100,000 reports is hundreds of megabytes of JSON)."""

    def chunks() -> Iterator[str]:
        yield "["
        done, part = 0, []
        for item in items:
            part.append(names.printable_json(item))
            if len(part) == batch:
                yield (", " if done else "") + ", ".join(part)
                done, part = done + len(part), []
        if part:
            yield (", " if done else "") + ", ".join(part)
        yield "]"

    return Response(chunks(), mimetype="application/json")


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
