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
from .townships import ANCHOR, canonical_township, find_townships

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
    r"^([\u4e00-\u9fff]{1,10}?(?:街道|镇|乡|苏木|街))"
    r"(?=人民政府|人民代表大会|人大|党委|党工委|委员会|办事处|政府|法治|关于|年度|工作|依法|"
    rf"\d|[{_CN_YEAR}]{{4}}年|$)"
)
#: words an issuing body's name may start with before the township (中共, 人民政府 of the
#: district that a 街道办事处 belongs to: 鲤城区人民政府金龙街道办事处)
_BODY_PREFIX = re.compile(r"^(?:中共|中国共产党|人民政府|政府)")
#: in an issuing body or title the name is anchored (“和平镇人民政府”, “城关镇…”),
#: so only determiners and generic words are refused there
_NAME_STOP_START = frozenset("我全本各该每此其")
_TOWNSHIP_STOP_ANY = frozenset("治法")
_GENERIC_STEMS = frozenset(
    {"乡", "城", "村", "县", "市", "区", "省", "城乡", "乡镇", "村镇", "各乡"}
)


def _strip_prefixes(name: str) -> str:
    while True:
        stripped = _BODY_PREFIX.sub("", strip_admin_prefix(name))
        if stripped == name:
            return name
        name = stripped


def township_in_name(name: str) -> str | None:
    """The township an issuing body or title names: 重庆市万州区新乡镇人民政府 → 新乡镇,
    鲤城区人民政府金龙街道办事处 → 金龙街道, 鹤龙街 → 鹤龙街道 (the table's spelling)."""
    s = _strip_prefixes(name)
    found = find_townships(s[:16])
    if found and found[0][1] == 0:
        return found[0][0]
    m = _TOWNSHIP_AT_START.match(s)
    if not m:
        return None
    town = m.group(1)
    if town.endswith("街"):
        return canonical_township(town)  # XX街 only where the table has XX街道
    stem = town[: -len("街道")] if town.endswith("街道") else town[:-1]
    if (
        not stem
        or stem[0] in _NAME_STOP_START
        or stem in _GENERIC_STEMS
        or set(stem) & _TOWNSHIP_STOP_ANY
    ):
        return None
    return canonical_township(town) or town


def township_in_opening(text: str) -> str | None:
    """The township an opening paragraph is about: the only one it names
    ("2025年，安铺镇坚持…", "现将周溪乡2024年法治政府建设工作报告如下")."""
    names = {name for name, _, _ in find_townships(text)}
    return names.pop() if len(names) == 1 else None


_ANCHORED = re.compile(r"(?:街道|镇|乡)(?=人民政府|党委|党工委|办事处|委)")
#: characters a township name does not start with (我镇, 全乡, 各乡镇, 城乡…)
_TOWNSHIP_STOP_START = frozenset(
    "我全本各该每此其乡村县市区省和与及在对等到向从由为将把了的是个两入"
)


def _anchored_names(text: str) -> Counter[str]:
    """Names the text anchors as a body (下太镇委, 某某乡人民政府) that are not in the
    table, with how often each occurs: of the stems that fit, the longest of those
    occurring most often (下太镇, not 太镇)."""
    out: Counter[str] = Counter()
    for m in _ANCHORED.finditer(text):
        cands = []
        for k in (2, 3, 4):
            stem = text[m.start() - k : m.start()] if m.start() >= k else ""
            if len(stem) < k or not all("\u4e00" <= c <= "\u9fff" for c in stem):
                break
            if stem[0] in _TOWNSHIP_STOP_START or set(stem) & _TOWNSHIP_STOP_ANY:
                continue
            name = stem + m.group(0)
            cands.append((text.count(name), len(name), name))
        if cands:
            n, _, name = max(cands)
            out[name] = n
    return out


def township_in_body(text: str) -> str | None:
    """The township the text names most often, if one clearly leads: a township of the
    table named at least twice, else a name the text anchors as a body at least once
    (下太镇委党校) and uses at least twice."""
    found = find_townships(text)
    counts = Counter(name for name, _, _ in found) or _anchored_names(text)
    if len(counts) == 1 and any(ANCHOR.match(text[end : end + 6]) for _, _, end in found):
        return next(iter(counts))  # the only township named, as a body (中共洪梅镇委)
    frequent = [(n, name) for name, n in counts.items() if n >= 2]
    if not frequent:
        return None
    best = max(n for n, _ in frequent)
    leaders = [name for n, name in frequent if n == best]
    return leaders[0] if len(leaders) == 1 else None
