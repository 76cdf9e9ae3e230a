"""Administrative divisions of China: which county, city and province a text names.

The table ``data/divisions.tsv`` (GB/T 2260 six-digit codes) is read on first use and
kept for the life of the process. A code ``XX0000`` is a province, ``XXXX00`` a
prefecture (city), anything else a county-level division (county, district,
county-level city, banner). The four municipalities have both a province row and a
prefecture row with the same name, so a district of 重庆市 has city and province
重庆市. County-level divisions administered directly by a province (济源市, 仙桃市,
Hainan's counties) have no city.

Only full names are matched in running text ("德化县", never "德化"): a township whose
name contains a city's name (新乡镇) or phrases such as 依法治县 never yield a county.
Names that double as common words (城区, 郊区, 东区, two-character names such as 和县,
names ending in 城市/城区/新区) are accepted only where the text marks them as a place.
Divisions outside the mainland (Taiwan, Hong Kong, Macao) are kept for look-ups but
not matched in text: the reports come from mainland townships.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "divisions.tsv"

#: county-level names that are common words: matched only right after their city's name
GENERIC_NAMES = frozenset(
    {"市辖区", "城区", "郊区", "矿区", "新区", "东区", "西区", "南区", "北区", "中区", "市中区"}
)
#: endings of names that also read as ordinary words (沿海城市, 老城区改造, 清新区域)
_RISKY_ENDINGS = ("城市", "城区", "新区")
#: a character after a risky name that shows it was part of a longer word (县级, 县直, 区域)
_RISKY_FOLLOWERS = frozenset("级直域块划间内外")
_NOT_MAINLAND = ("71", "81", "82")
_PROVINCE_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
)
_PREFECTURE_SUFFIXES = ("地区", "市", "盟")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class Place:
    """A resolved location. ``county`` is None when the text names only a city."""

    province: str | None
    city: str | None = None
    county: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class _Mention:
    name: str
    start: int
    code: str | None = None  # set when the text itself settles the candidate (泉州市德化县)


def _short_name(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


class Gazetteer:
    """Look-ups over one table of divisions (codes and names)."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self.names: dict[str, str] = {}  # code -> name
        self.counties: dict[str, list[str]] = {}  # name -> codes
        self.prefectures: dict[str, list[str]] = {}
        self.provinces: dict[str, list[str]] = {}
        for code, name in rows:
            self.names[code] = name
            if code.endswith("0000"):
                self.provinces.setdefault(name, []).append(code)
            elif code.endswith("00"):
                self.prefectures.setdefault(name, []).append(code)
            else:
                self.counties.setdefault(name, []).append(code)
        # names matched in running text: mainland counties with a proper suffix
        self._scan: dict[str, list[str]] = {}
        for name, codes in self.counties.items():
            # development zones and the like (codes XXXX7X) administer townships but
            # are not named as places in running text
            mainland = [c for c in codes if not c.startswith(_NOT_MAINLAND) and c[4] != "7"]
            if mainland and name[-1] in "县区市旗":
                self._scan[name] = mainland
        self._scan_max = max((len(n) for n in self._scan), default=0)
        self._scan_ends = frozenset(n[-1] for n in self._scan)
        self._admin_names = set(self.counties) | set(self.prefectures) | set(self.provinces)
        self._admin_max = max((len(n) for n in self._admin_names), default=0)

    @classmethod
    def from_file(cls, path: Path = DATA_FILE) -> Gazetteer:
        rows: list[tuple[str, str]] = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                code, _, name = line.partition("\t")
                if len(code) == 6 and code.isdigit() and name:
                    rows.append((code, name.strip()))
        return cls(rows)

    # -- look-ups -------------------------------------------------------------------

    def place(self, code: str) -> Place:
        """The place a code stands for, with its city and province filled in."""
        province = self.names.get(code[:2] + "0000")
        if code.endswith("0000"):
            return Place(province=province, city=None, county=None, code=code)
        city = self.names.get(code[:4] + "00")
        if code.endswith("00"):
            return Place(province=province, city=self.names.get(code), county=None, code=code)
        return Place(province=province, city=city, county=self.names.get(code), code=code)

    def county_candidates(self, name: str) -> list[Place]:
        """Every county-level division called ``name`` (several for 朝阳区, 鼓楼区…)."""
        return [self.place(code) for code in self.counties.get(name, [])]

    def prefecture_province(self, name: str) -> str | None:
        """The province of a prefecture-level city, or None if unknown or ambiguous."""
        provinces = {self.place(code).province for code in self.prefectures.get(name, [])}
        return provinces.pop() if len(provinces) == 1 else None

    def strip_admin_prefix(self, text: str) -> str:
        """Drop leading province, city and county names: 重庆市万州区新乡镇 → 新乡镇."""
        while True:
            for k in range(min(self._admin_max, len(text) - 1), 1, -1):
                head = text[:k]
                if head in self._admin_names and head not in GENERIC_NAMES:
                    text = text[k:]
                    break
            else:
                return text

    def level_named(self, text: str) -> str | None:
        """The lowest level of division ``text`` names in full: ``county``, ``city``
        or ``province`` (重庆市 alone is a province), None for none."""
        if self.find_counties(text):
            return "county"
        cities = [n for n in self.prefectures if n in text and n not in self.provinces]
        if cities:
            return "city"
        if any(n in text for n in self.provinces):
            return "province"
        return None

    def pick_township_code(self, codes: tuple[str, ...], context: str) -> str | None:
        """Among the county codes of a township's namesakes, the one ``context`` points
        to: the only one, or the one whose county, city or province it names best."""
        if len(codes) == 1:
            return codes[0]
        scores = {}
        for code in codes:
            county = self.names.get(code)
            score = 3 if county and county in context and not code.endswith("00") else 0
            scores[code] = score + self._score(code, context)
        best = max(scores.values(), default=0)
        top = [c for c, s in scores.items() if s == best]
        return top[0] if best > 0 and len(top) == 1 else None

    # -- finding names in text ------------------------------------------------------

    def _context_names(self, code: str) -> tuple[list[str], list[str]]:
        """Full and short names of a county's city and province."""
        place = self.place(code)
        full: list[str] = []
        short: list[str] = []
        if place.city:
            full.append(place.city)
            s = _short_name(place.city, _PREFECTURE_SUFFIXES)
            if s:
                short.append(s)
        if place.province and place.province != place.city:
            full.append(place.province)
            s = _short_name(place.province, _PROVINCE_SUFFIXES)
            if s:
                short.append(s)
        elif place.province:
            s = _short_name(place.province, _PROVINCE_SUFFIXES)
            if s and s not in short:
                short.append(s)
        return full, short

    def _prefixed_code(self, text: str, start: int, codes: list[str]) -> str | None:
        """The candidate whose city or province name stands right before ``start``."""
        before = text[max(0, start - 12) : start]
        hits = []
        for code in codes:
            full, short = self._context_names(code)
            if any(before.endswith(n) for n in full + short):
                hits.append(code)
        return hits[0] if len(hits) == 1 else None

    def find_counties(self, text: str) -> list[_Mention]:
        """County-level names in ``text``, longest match first, in order of appearance."""
        found: list[_Mention] = []
        i = 0
        n = len(text)
        while i < n:
            if text[i] not in self._scan_ends:
                i += 1
                continue
            mention = None
            for k in range(min(self._scan_max, i + 1), 1, -1):
                name = text[i - k + 1 : i + 1]
                codes = self._scan.get(name)
                if codes is not None:
                    mention = self._accept(text, i - k + 1, name, codes)
                    if mention is not None:
                        break
            if mention is not None:
                if found and found[-1].start + len(found[-1].name) > mention.start:
                    found.pop()  # a longer name ending here supersedes an overlapping one
                found.append(mention)
            i += 1
        return found

    def _accept(self, text: str, start: int, name: str, codes: list[str]) -> _Mention | None:
        end = start + len(name)
        after = text[end] if end < len(text) else ""
        if name.endswith("市") and after == "场":  # 义乌市场
            return None
        prefixed = self._prefixed_code(text, start, codes)
        if name in GENERIC_NAMES:
            return _Mention(name, start, prefixed) if prefixed else None
        risky = len(name) == 2 or name.endswith(_RISKY_ENDINGS)
        if risky:
            if after in _RISKY_FOLLOWERS:
                return None
            before = text[start - 1] if start > 0 else ""
            if prefixed is None and _HAN.match(before) and not text[:start].endswith("中共"):
                return None
        return _Mention(name, start, prefixed)

    def _score(self, code: str, context: str) -> int:
        full, short = self._context_names(code)
        return 2 * sum(n in context for n in full) + sum(n in context for n in short)

    def _pick(self, codes: list[str], context: str) -> str | None:
        """The one candidate whose city or province the context names best."""
        if len(codes) == 1:
            return codes[0]
        scores = {code: self._score(code, context) for code in codes}
        best = max(scores.values())
        top = [c for c, s in scores.items() if s == best]
        return top[0] if best > 0 and len(top) == 1 else None

    def resolve(self, text: str, *, focus: str = "") -> Place | None:
        """The county-level division ``text`` is about, with its city and province.

        ``focus`` holds the lines that name the issuer (title, 版头, signature); names
        found there win over names in the body. When the name is shared by several
        divisions, the one whose city or province the text also names is chosen; if
        that does not settle it, the result is None. Without a county name, a city
        (or a province) named in ``focus``, or alone in the text, is returned.
        """
        scopes = [s for s in (focus, text) if s]
        for scope in scopes:
            mentions = self.find_counties(scope)
            if not mentions:
                continue
            context = self._blank(text + "\n" + focus, mentions)
            settled = {m.name: m.code for m in mentions if m.code}
            counts = Counter(m.name for m in mentions)
            ranked = counts.most_common()
            if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
                # several names equally often: keep those whose city or province is named
                tied = [name for name, c in ranked if c == ranked[0][1]]
                with_context = [
                    name
                    for name in tied
                    if name in settled
                    or any(self._score(code, context) for code in self._scan[name])
                ]
                if len(with_context) != 1:
                    return None
                name = with_context[0]
            else:
                name = ranked[0][0]
            code = settled.get(name) or self._pick(self._scan[name], context)
            return self.place(code) if code else None
        for scope in scopes:
            place = self._resolve_city(scope)
            if place:
                return place
        return None

    def _blank(self, text: str, mentions: list[_Mention]) -> str:
        """``text`` without the county names themselves (朝阳县 must not evidence 朝阳市)."""
        for name in {m.name for m in mentions}:
            text = text.replace(name, "\u3000")
        return text

    def _resolve_city(self, scope: str) -> Place | None:
        cities = [n for n in self.prefectures if n in scope]
        cities = [n for n in cities if not any(n != m and n in m for m in cities)]
        places = {self.place(code) for name in cities for code in self.prefectures[name]}
        places = {Place(p.province, p.city) for p in places if not p.code.startswith(_NOT_MAINLAND)}
        if len(places) == 1:
            return places.pop()
        if places:
            return None
        provinces = [n for n in self.provinces if n in scope]
        if len(provinces) == 1:
            return Place(province=provinces[0])
        return None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shared gazetteer, loaded from ``data/divisions.tsv`` on first call."""
    return Gazetteer.from_file()


def county_candidates(name: str) -> list[Place]:
    """Every county-level division with this exact name."""
    return gazetteer().county_candidates(name)


def prefecture_province(name: str) -> str | None:
    """The province of a prefecture-level city (重庆市 → 重庆市), None if unknown."""
    return gazetteer().prefecture_province(name)


def resolve_place(text: str, *, focus: str = "") -> Place | None:
    """The county (or failing that, city or province) a text is about; None if unclear."""
    return gazetteer().resolve(text, focus=focus)


def strip_admin_prefix(text: str) -> str:
    """``text`` without the province, city and county names it starts with."""
    return gazetteer().strip_admin_prefix(text)


def place_of_code(code: str) -> Place:
    """The place a division code stands for, with its city and province."""
    return gazetteer().place(code)
