"""Citations of a passage: a quotation with its source, and GB/T 7714-2015 ``[R]``.

Plain text only; the templates escape it into ``data-`` attributes.
"""

from __future__ import annotations

from pathlib import PurePath

from indexer.model import PASSAGE_KINDS

_SENTENCE_END = tuple("。！？；…!?;")


def title_of(meta: dict) -> str:
    return meta.get("title") or PurePath(meta.get("source") or "").name or "（无标题）"


def issuer_of(meta: dict) -> str:
    return meta.get("issuer") or meta.get("township") or ""


def chinese_date(iso: str | None) -> str:
    """``2024-02-27`` → ``2024年2月27日`` (other strings unchanged)."""
    if not iso:
        return ""
    parts = iso.split("-")
    if len(parts) == 3 and all(x.isdigit() for x in parts):
        y, m, d = parts
        return f"{int(y)}年{int(m)}月{int(d)}日"
    return iso


def when_of(meta: dict) -> str:
    if meta.get("date"):
        return chinese_date(meta["date"])
    if meta.get("year"):
        return f"{meta['year']}年度"
    return ""


def plain(meta: dict, passage: dict, permalink: str) -> str:
    """``{issuer}《{title}》（{date}），“{heading}”部分：“{text}”。{permalink}``.

    A heading is quoted as the heading it is (``，小标题：“…”``); the title, the
    header and the signature lines are cited as the document itself.
    """
    out = f"{issuer_of(meta)}《{title_of(meta)}》"
    when = when_of(meta)
    if when:
        out += f"（{when}）"
    kind = passage.get("kind", "body")
    text = (passage.get("text") or "").strip()
    if kind == "heading":
        return out + f"，小标题：“{text}”。" + permalink
    if kind != "body":
        return out + f"，{PASSAGE_KINDS.get(kind, '')}：“{text}”。" + permalink
    heading = (passage.get("heading") or "").strip()
    if heading:
        out += f"，“{heading}”部分"
    out += f"：“{text}”"
    # a quoted full sentence keeps its own full stop inside the quotation marks
    if not text.endswith(_SENTENCE_END):
        out += "。"
    return out + permalink


def gbt7714(meta: dict) -> str:
    """GB/T 7714-2015, report type: ``issuer. title[R]. place: publisher, date.``"""
    issuer = issuer_of(meta)
    place = meta.get("county") or meta.get("city") or "[出版地不详]"
    publisher = issuer or "[出版者不详]"
    parts = []
    if issuer:
        parts.append(f"{issuer}. ")
    parts.append(f"{title_of(meta)}[R]. {place}: {publisher}")
    date = meta.get("date")
    if date:
        parts.append(f", {date}")
    parts.append(".")
    return "".join(parts)


def cite(meta: dict, passage: dict, permalink: str) -> dict:
    """The citations a page offers for one passage: plain, GB/T 7714, and its permalink."""
    return {
        "plain": plain(meta, passage, permalink),
        "gbt": gbt7714(meta),
        "permalink": permalink,
    }
