"""Metadata fields read from a report's text: dates, document numbers, years, townships.

Pure functions over strings, used by :mod:`indexer.ingest.structure` once it
has found the header, body and signature of a report. Unknown is None,
never a guess.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter

from .gazetteer import strip_admin_prefix

# -- dates -------------------------------------------------------------------------

_CN_DIGIT = {
    "〇": 0, "○": 0, "零": 0, "O": 0, "Ｏ": 0, "０": 0,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_YEAR = "〇○零OＯ０一二三四五六七八九"
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(
        rf"([{_CN_YEAR}]{{4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月"
        r"\s*([一二三四五六七八九十廿卅]{1,4})\s*日"
    ),
    re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[.\-/．]\s*(\d{1,2})\s*[.\-/．]\s*(\d{1,2})(?!\d)"),
)


def _cn_number(text: str) -> int | None:
    """A Chinese numeral from 1 to 39: 七, 十, 十二, 二十七, 廿一, 卅."""
    text = text.replace("廿", "二十").replace("卅", "三十")
    if not text or any(c not in _CN_DIGIT and c != "十" for c in text):
        return None
    if "十" not in text:
        return _CN_DIGIT[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    value = (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)
    return value or None


def _to_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if all(c in _CN_DIGIT for c in text) and len(text) == 4:  # a year: 二〇二四
        return int("".join(str(_CN_DIGIT[c]) for c in text))
    return _cn_number(text)


def parse_date(text: str) -> str | None:
    """The first valid date in ``text`` as ISO ``YYYY-MM-DD``.

    Reads "2024年2月27日", "二〇二四年二月二十七日" (〇, ○ or 零 for zero) and
    "2024.2.27"-style dates; impossible dates (2月30日) are skipped.
    """
    found: list[tuple[int, str]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            year, month, day = (_to_int(g) for g in m.groups())
            if None in (year, month, day):
                continue
            try:
                iso = datetime.date(year, month, day).isoformat()  # type: ignore[arg-type]
            except ValueError:
                continue
            found.append((m.start(), iso))
            break
    return min(found)[1] if found else None


_DATE_ONLY = re.compile(
    r"^[（(]?\s*(?P<date>.{6,24}?日|(?:19|20)\d{2}[.\-/．]\d{1,2}[.\-/．]\d{1,2})\s*[)）]?$"
)


def date_line(line: str) -> str | None:
    """The date of a line that holds nothing but a date."""
    m = _DATE_ONLY.match(line)
    return parse_date(m.group("date")) if m else None


# -- document numbers and years ----------------------------------------------------

_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,5}\s*号"
)


def find_doc_number(text: str) -> str | None:
    """A document number such as 雷高府发〔2022〕61号 (also with [] ［］ 【】 ()), as written."""
    m = _DOC_NUMBER.search(text)
    return re.sub(r"\s+", "", m.group(0)) if m else None


_YEAR = re.compile(rf"(?<!\d)((?:19|20)\d{{2}})\s*年|([{_CN_YEAR}]{{4}})\s*年")


def years_in(text: str) -> list[int]:
    out = []
    for m in _YEAR.finditer(text):
        value = _to_int(m.group(1) or m.group(2))
        if value is not None and 1949 <= value <= 2100:
            out.append(value)
    return out


OPENING_YEAR = re.compile(r"^((?:19|20)\d{2})\s*年(?:度|以来|，|,|是|我|全|上半年|中)")


# -- township ----------------------------------------------------------------------

_TOWNSHIP_AT_START = re.compile(
    r"^([\u4e00-\u9fff]{1,8}?(?:街道|镇|乡))"
    r"(?=人民政府|人民代表大会|人大|党委|党工委|委员会|办事处|政府|法治|关于|年度|工作|依法|"
    rf"\d|[{_CN_YEAR}]{{4}}年|$)"
)
_TOWNSHIP_SUFFIX = re.compile(r"街道|镇|乡")
#: characters a township name does not start with (我镇, 全乡, 各乡镇, 城乡…)
_TOWNSHIP_STOP_START = frozenset("我全本各该每此其乡村县市区省和与及在对等到向从由为将把了的是个两")
_TOWNSHIP_STOP_ANY = frozenset("治法")
#: in an issuing body or title the name is anchored (“和平镇人民政府”, “城关镇…”),
#: so only determiners and generic words are refused there
_NAME_STOP_START = frozenset("我全本各该每此其")
_GENERIC_STEMS = frozenset(
    {"乡", "城", "村", "县", "市", "区", "省", "城乡", "乡镇", "村镇", "各乡"}
)


def township_in_name(name: str) -> str | None:
    """The township an issuing body or title names: 重庆市万州区新乡镇人民政府 → 新乡镇."""
    s = re.sub(r"^(?:中共|中国共产党)", "", name)
    s = strip_admin_prefix(s)
    m = _TOWNSHIP_AT_START.match(s)
    if not m:
        return None
    town = m.group(1)
    stem = town[: -len("街道")] if town.endswith("街道") else town[:-1]
    if (
        not stem
        or stem[0] in _NAME_STOP_START
        or stem in _GENERIC_STEMS
        or set(stem) & _TOWNSHIP_STOP_ANY
    ):
        return None
    return town


def township_in_body(text: str) -> str | None:
    """The township most often named in the text (周庄镇 …), if one clearly leads."""
    counts: Counter[str] = Counter()
    for m in _TOWNSHIP_SUFFIX.finditer(text):
        suffix = m.group(0)
        after = text[m.end() : m.end() + 1]
        if suffix == "乡" and after and after in "村镇土亲贤愁情音里":
            continue
        for k in (2, 3, 4):
            start = m.start() - k
            stem = text[start : m.start()] if start >= 0 else ""
            if len(stem) < k or not all("\u4e00" <= c <= "\u9fff" for c in stem):
                break
            if stem[0] in _TOWNSHIP_STOP_START or set(stem) & _TOWNSHIP_STOP_ANY:
                continue
            counts[stem + suffix] += 1
    frequent = [(n, name) for name, n in counts.items() if n >= 2]
    if not frequent:
        return None
    best = max(n for n, _ in frequent)
    leaders = [name for n, name in frequent if n == best]
    # "周庄镇" and "将周庄镇" equally often: the shorter one is the name
    leaders = [a for a in leaders if not any(b != a and a.endswith(b) for b in leaders)]
    if len(leaders) != 1:
        return None
    return township_in_name(leaders[0] + "人民政府") or None
