"""Downloads of every list as CSV (UTF-8 with BOM) or Excel ``.xlsx``: one owner for all views.

A view builds its table as rows (the first one the header) and calls
:func:`download` with the format asked for. CSV cells are made safe with
:func:`indexer.analytics.csv_cell` (text never starts a formula). Workbooks are
written by XlsxWriter with ``strings_to_formulas``, ``strings_to_urls`` and
``strings_to_numbers`` off and every text written as a string, so no cell
becomes a formula, a link or a number by accident; the header row is bold and
frozen, with an autofilter.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from urllib.parse import quote

from flask import Response

from indexer.analytics import to_csv
from indexer.errors import QueryError

#: the formats a list downloads in (``?format=``); json is the view's own
FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: longest text one Excel cell holds
_CELL_MAX = 32767
#: widest column set, in characters
_WIDTH_MAX = 60


def check_format(fmt: str, allowed: Sequence[str] = ("json", *FORMATS)) -> str:
    """The format asked for, lower case; QueryError for another."""
    fmt = (fmt or "json").strip().lower() or "json"
    if fmt not in allowed:
        raise QueryError(f"unknown format '{fmt[:20]}' (use {', '.join(allowed)})")
    return fmt


def csv_bytes(rows: Sequence[Sequence]) -> bytes:
    return to_csv(rows).encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence], sheet: str = "fazhi") -> bytes:
    """One worksheet holding ``rows`` (the first is the header)."""
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"title": sheet, "comments": "fazhi"})
    ws = book.add_worksheet(_sheet_name(sheet))
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF6", "text_wrap": True})
    widths: list[int] = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if c >= len(widths):
                widths.append(4)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = "是" if value else "否"
            if isinstance(value, int | float):
                ws.write_number(r, c, value)
                n = len(str(value))
            else:
                text = str(value)[:_CELL_MAX]
                ws.write_string(r, c, text, bold if r == 0 else None)
                n = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text[:200])
            widths[c] = max(widths[c], min(n + 2, _WIDTH_MAX))
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    if rows:
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(0, len(rows) - 1), max(0, len(rows[0]) - 1))
    book.close()
    return buf.getvalue()


def _sheet_name(name: str) -> str:
    bad = set("[]:*?/\\")
    clean = "".join(ch for ch in name if ch not in bad).strip("'") or "fazhi"
    return clean[:31]


def filename(stem: str, detail: str = "") -> str:
    """``stem-detail-YYYYMMDD`` (detail cut to 40 characters, made safe for a file name)."""
    bad = set('\\/:*?"<>|\r\n\t')
    detail = "".join(ch for ch in detail.strip() if ch not in bad)[:40]
    parts = [stem, detail, date.today().strftime("%Y%m%d")]
    return "-".join(p for p in parts if p)


def download(fmt: str, rows: Sequence[Sequence], stem: str, detail: str = "") -> Response:
    """``rows`` as a CSV or XLSX attachment named ``stem[-detail]-date.csv|.xlsx``.

    The plain ``filename`` is ASCII (``stem``); ``filename*`` carries the full name.
    """
    name = filename(stem, detail)
    if fmt == "xlsx":
        body, mime = xlsx_bytes(rows, sheet=stem), XLSX_MIME
    else:
        body, mime = csv_bytes(rows), "text/csv"
    encoded = quote(f"{name}.{fmt}", safe="")
    ascii_name = filename(stem)
    return Response(
        body,
        mimetype=mime,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}.{fmt}\"; filename*=UTF-8''{encoded}"
            )
        },
    )


def links(endpoint_url, **args) -> list[dict]:
    """``[{format, label, url}]`` of the downloads of a list, ``endpoint_url(format=…, **args)``."""
    return [
        {"format": "csv", "label": "CSV", "url": endpoint_url(format="csv", **args)},
        {"format": "xlsx", "label": "Excel", "url": endpoint_url(format="xlsx", **args)},
    ]
