"""A report's metadata from its laid-out text: issuer, township, place, date, number,
level and kind.

Called by :mod:`indexer.ingest.structure` once the header, title, body and
signature are found (on text in simplified characters). Facts stated by the
page's own metadata block (:mod:`indexer.ingest.pagechrome`) come first; then
what the document says of itself (banner, issuing body, title, signature); then
the opening sentence's subject; the body's most frequent name last. Unknown is
None, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Report
from .doctype import document_kind, level_from_self, subject_department
from .gazetteer import gazetteer, resolve_place
from .metadata import (
    date_line,
    find_doc_number,
    township_in_body,
    township_in_name,
    township_in_opening,
)
from .townships import township_counties

_ORG_SUFFIX = (
    r"(?:人民政府|人民代表大会|人大主席团|委员会|党委|党工委|党组|办事处|管委会|管理委员会|政府)"
)
TITLE_ISSUER = re.compile(
    rf"^((?:中共|中国共产党)?[\u4e00-\u9fff（）()]{{2,40}}?{_ORG_SUFFIX})关于"
)
#: the subject of a title or opening: what comes before the year, 关于 or the verb
_SUBJECT_END = re.compile(
    r"(?:关于|\d|[〇○零一二三四五六七八九]{4}年|坚持|始终|深入|认真|全面|紧紧|紧扣|以|在|围绕|聚焦)"
)
_QUOTED_TITLE = re.compile(r"《([^》]{4,80})》")


@dataclass
class Framing:
    """What the layout found around the body, in simplified characters."""

    title: str | None
    header: list[tuple[str, str]]  # (kind, line)
    signature: list[tuple[str | None, str | None]]  # (issuer, date)
    opening: str  # the first body paragraph ("" when the body starts with a heading)
    parts: bool  # the body has parts named like Art. 25's


def fill(report: Report, framing: Framing, facts: dict[str, str], clean: str) -> None:
    """Set the report's metadata fields from its framing, the page's facts and its text."""
    header = framing.header
    title = facts.get("title") or framing.title
    signers = [issuer for issuer, _ in framing.signature if issuer]
    banners = [line[: -len("文件")] for kind, line in header if kind == "banner"]
    header_issuers = [line for kind, line in header if kind == "issuer"]
    title_issuer = TITLE_ISSUER.match(framing.title or "")
    names = signers + banners + header_issuers + ([title_issuer.group(1)] if title_issuer else [])
    report.issuer = facts.get("issuer") or (names[0] if names else None)
    report.index_number = facts.get("index_number")
    report.subject = facts.get("subject")

    # the township: the issuing body or title, then the opening, then the body
    named = [n for n in [*names, framing.title, facts.get("issuer"), facts.get("title")] if n]
    town = next((t for t in map(township_in_name, named) if t), None)
    from_body = False
    if town is None and framing.opening:
        town = township_in_opening(framing.opening)
    if town is None:
        town, from_body = township_in_body(clean), True
    subject = _subject(title, named, framing.opening)
    level = _level(subject, clean, town)
    if from_body and level not in (None, "township"):
        town = None  # a county's report names its townships
    report.township = town
    report.level = level or ("township" if town else None)

    focus = "\n".join(named)
    place = resolve_place(clean, focus=focus)
    if town:
        place = _township_place(town, place, clean + "\n" + focus, focus) or place
    if place is not None:
        report.county, report.city, report.province = place.county, place.city, place.province
    if report.level == "city" and report.city and report.city == report.province:
        report.level = "province"  # 重庆市's own report

    dates = [d for _, d in framing.signature if d] + [
        d for kind, line in header if kind == "date" for d in [date_line(line)] if d
    ]
    report.date = facts.get("date") or (dates[0] if dates else None)
    report.doc_number = facts.get("doc_number") or next(
        (find_doc_number(line) for kind, line in header if kind == "doc_number"), None
    )
    report.kind = document_kind(title, framing.opening, framing.parts)


def _subject(title: str | None, names: list[str], opening: str) -> str:
    """The words that say whose document it is: a title's (or a quoted title's) head,
    else the issuing body, else the opening sentence's head."""
    if title:
        quoted = _QUOTED_TITLE.search(title)
        text = quoted.group(1) if quoted and re.search(r"解读", title) else title
        text = re.sub(r"^[【\[][^】\]]{1,8}[】\]]", "", text)
        text = re.sub(r"^\s*(?:19|20)\d{2}\s*年度?", "", text)  # "2020年静海区…"
    elif names:
        text = names[0]
    else:
        text = re.split(r"[。；]", opening, maxsplit=1)[0]
        text = re.sub(r"^[^，,]{0,14}年[度以来]*[，,]", "", text)  # "2024年，"
        text = re.sub(r"^在[^，,]{2,40}(?:下|中)[，,]", "", text)  # "在县委…领导下，"
        text = re.sub(r"^[^，,]{2,40}(?:下|中)[，,]", "", text)
    m = _SUBJECT_END.search(text, 2)
    return text[: m.start()] if m else text[:40]


def _level(subject: str, clean: str, town: str | None) -> str | None:
    if subject_department(subject.strip()):
        return "department"
    if township_in_name(subject):
        return "township"
    named = gazetteer().level_named(subject)
    if named:
        return named
    return level_from_self(clean[:3000])


def _township_place(town: str, place, context: str, focus: str):
    """Where the township lies: the text's county if the township is there, or if the
    issuer's lines (title, 版头, signature: ``focus``) name it; else the township's own
    county when it is the only one of that name or the text points to it.

    柳山镇 of a report signed 竹溪县柳山镇人民政府 is not 临朐县's 柳山镇, the only
    one the gazetteer knows: a gazetteer lags behind mergers and renamings, the
    issuer's own name does not. A county named only in the body (a neighbour, a
    visit) does not outweigh the gazetteer's single namesake.
    """
    codes = township_counties(town)
    if not codes:
        return None
    if place is not None and place.code in codes:
        return place
    if place is not None and place.county and (len(codes) > 1 or place.county in focus):
        return None  # the text names another county: keep it
    code = gazetteer().pick_township_code(codes, context)
    return gazetteer().place(code) if code else None
