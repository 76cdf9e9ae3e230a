"""Citations of a passage that can be pasted: a quotation with its source, and GB/T 7714-2015.

The quotation is the sentence or sentences that hold the hit (the whole
passage when nothing is marked), with nested quotation marks “” turned into
‘’; the permalink follows the source in （）:

    美湖镇人民政府《…报告》（2024年2月27日），“二、…”部分（https://…/report/…#p7）：“落实好乡镇‘一支队伍管执法’。”

GB/T 7714-2015: a report with a known public web address (``url``) is an
online resource, ``issuer. title[EB/OL]. (date)[access date]. url.``; without
one it is a report, ``issuer. title[R]. place: publisher, date.``. Plain text
only; the templates escape it into ``data-`` attributes.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePath

from indexer.model import PASSAGE_KINDS

_SENTENCE_END = tuple("。！？；…!?;")
#: a sentence with its end punctuation (and a closing quote or bracket right after it)
_SENTENCE = re.compile(r"[^。！？；!?;]*(?:[。！？；!?;]+[”’」』）)]*|$)")
_NESTED = str.maketrans({"“": "‘", "”": "’", "「": "‘", "」": "’", "『": "‘", "』": "’"})


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


def sentences_at(text: str, spans: list[tuple[int, int]] | None) -> str:
    """The sentences of ``text`` that overlap ``spans`` (all of it when there are none),
    in order; sentences between two cited ones are kept, so the quotation is one piece."""
    text = text.strip()
    if not spans:
        return text
    pieces = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.end() > m.start()]
    hit = [i for i, (a, b) in enumerate(pieces) if any(s < b and e > a for s, e in spans)]
    if not hit:
        return text
    a, b = pieces[hit[0]][0], pieces[hit[-1]][1]
    return text[a:b].strip()


def quoted(text: str) -> str:
    """``text`` fit to stand inside “”: its own double quotation marks become single ones."""
    return text.strip().translate(_NESTED)


def plain(meta: dict, passage: dict, permalink: str, spans=None) -> str:
    """``{issuer}《{title}》（{date}），“{heading}”部分（{permalink}）：“{quotation}”``.

    A heading is quoted as the heading it is (``，小标题``); the title, the header
    and the signature lines are cited as the document itself. ``spans``: where
    the hit is in the passage's text (the quotation is its sentences).
    """
    out = f"{issuer_of(meta)}《{title_of(meta)}》"
    when = when_of(meta)
    if when:
        out += f"（{when}）"
    kind = passage.get("kind", "body")
    text = (passage.get("text") or "").strip()
    link = f"（{permalink}）" if permalink else ""
    if kind == "heading":
        return out + f"，小标题{link}：“{quoted(text)}”"
    if kind != "body":
        return out + f"，{PASSAGE_KINDS.get(kind, '')}{link}：“{quoted(text)}”"
    heading = (passage.get("heading") or "").strip()
    if heading:
        out += f"，“{quoted(heading)}”部分"
    quote = quoted(sentences_at(text, spans))
    # a quoted full sentence keeps its own full stop inside the quotation marks
    end = "" if quote.endswith(_SENTENCE_END) else "。"
    return out + f"{link}：“{quote}”{end}"


def gbt7714(meta: dict, accessed: date | None = None) -> str:
    """GB/T 7714-2015: ``[EB/OL]`` with the access date when the report's public web
    address is known, else the report form ``issuer. title[R]. place: publisher, date.``"""
    issuer = issuer_of(meta)
    url = meta.get("url")
    parts = []
    if issuer:
        parts.append(f"{issuer}. ")
    if url:
        accessed = accessed or date.today()
        parts.append(f"{title_of(meta)}[EB/OL]. ")
        if meta.get("date"):
            parts.append(f"({meta['date']})")
        parts.append(f"[{accessed.isoformat()}]. {url}.")
        return "".join(parts)
    place = meta.get("county") or meta.get("city") or "[出版地不详]"
    publisher = issuer or "[出版者不详]"
    parts.append(f"{title_of(meta)}[R]. {place}: {publisher}")
    if meta.get("date"):
        parts.append(f", {meta['date']}")
    parts.append(".")
    return "".join(parts)


def cite(meta: dict, passage: dict, permalink: str, spans=None) -> dict:
    """The citations a page offers for one passage: plain, GB/T 7714, and its permalink."""
    return {
        "plain": plain(meta, passage, permalink, spans),
        "gbt": gbt7714(meta),
        "permalink": permalink,
    }
