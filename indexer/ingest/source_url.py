"""A report's public web address: from a sidecar ``NAME.meta.json`` or the page's own link.

Beside ``report.pdf`` a file ``report.pdf.meta.json`` or ``report.meta.json``
holding ``{"url": "https://…"}`` names the address the report was published
at; an HTML page names its own with ``<link rel="canonical" href=…>`` or
``<meta property="og:url" content=…>``. The sidecar wins. Only absolute
``http(s)`` addresses without spaces or control characters are taken, at
most :data:`MAX_URL` characters; anything else is ``None`` (cited as a report
``[R]`` rather than as an online resource ``[EB/OL]``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MAX_URL = 2000
#: the largest sidecar read (it holds a few fields)
MAX_SIDECAR_BYTES = 64 * 1024
#: how much of an HTML page is searched for its link (it is in the head)
HEAD_BYTES = 256 * 1024
_URL = re.compile(r"https?://[^\s\"'<>\x00-\x1f\x7f]+", re.I)
_LINK_TAG = re.compile(r"<(?:link|meta)\b[^>]*>", re.I)
_ATTR = re.compile(r"""([a-zA-Z:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""")


def clean_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) address fit to cite, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > MAX_URL or not _URL.fullmatch(value):
        return None
    return value


def sidecar_paths(path: Path) -> list[Path]:
    """Where a sidecar of ``path`` may be: ``NAME.ext.meta.json``, then ``NAME.meta.json``."""
    return [path.with_name(path.name + ".meta.json"), path.with_name(path.stem + ".meta.json")]


def sidecar_url(path: Path) -> str | None:
    for side in sidecar_paths(path):
        try:
            if not side.is_file() or side.stat().st_size > MAX_SIDECAR_BYTES:
                continue
            data = json.loads(side.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            url = clean_url(data.get("url"))
            if url:
                return url
    return None


def page_url(head: str) -> str | None:
    """The canonical link or ``og:url`` of an HTML page's text."""
    found: dict[str, str] = {}
    for tag in _LINK_TAG.findall(head):
        attrs = {
            m.group(1).lower(): m.group(3) or m.group(4) or m.group(5) or ""
            for m in _ATTR.finditer(tag)
        }
        rel = attrs.get("rel", "").lower().split()
        if tag[1:5].lower() == "link" and "canonical" in rel:
            found.setdefault("canonical", attrs.get("href", ""))
        elif attrs.get("property", attrs.get("name", "")).lower() == "og:url":
            found.setdefault("og", attrs.get("content", ""))
    for key in ("canonical", "og"):
        url = clean_url(found.get(key))
        if url:
            return url
    return None


def source_url(path: str | Path) -> str | None:
    """The public address of the report file at ``path``, if it says one (see the module doc)."""
    path = Path(path)
    url = sidecar_url(path)
    if url or path.suffix.lower() not in (".html", ".htm"):
        return url
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return None
    return page_url(head.decode("utf-8", "replace"))
