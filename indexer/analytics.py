"""Analytics over the index: township × year matrix, trend, practices, precedent wording.

Plain functions over plain data — report metadata dicts, ``{report id:
[passage numbers]}`` matches, passage texts — plus :class:`Analytics`, which
takes them from an engine (anything with ``match``, ``parse``, ``reports``,
``report`` and ``generation``, i.e. :class:`indexer.search.Engine`) and caches
what it derives per index generation; what costs a pass over the corpus (the
practice catalogue, the sentence index for precedents) is served from the
earlier generation while a background thread rebuilds it after a commit. No
Flask and no Whoosh here.

Matrix and trend
    Built from the matches of one query and the reports' metadata columns. The
    denominators ("townships indexed", "reports indexed") are the reports in
    scope: those that pass the place and year filters; the section filter only
    narrows the passages that count.

Practices
    A curated lexicon (``data/practices.txt``: a name and its spelling
    variants) plus phrases quoted “…” in at least two reports: 3–12 CJK
    characters, not inside a 《document title》, and not a generic slogan
    (see :func:`is_generic`). Quotes whose characters (punctuation ignored)
    equal a lexicon variant join that entry. Counts come from an exact search
    for the OR of the variants, so every occurrence counts, quoted or not.

Precedents
    Sentences (split on 。！？； and line breaks) are compared in a normal
    form: folded, punctuation removed, the report's own township/county/city
    names and digit runs masked (copied reports swap the name and the year),
    ignored when shorter than :data:`MIN_SENTENCE_CHARS`. Same normal form =
    same wording; otherwise two sentences are near-identical when their sets
    of character 3-gram shingles overlap by at least :data:`NEAR_SIMILARITY`
    of the larger set. Near-identical pairs are found through an inverted
    index over each sentence's rarest shingles (prefix filtering: with a
    global order, two sets overlapping that much must share one of their
    first ``|S| - ceil(t|S|) + 1`` shingles), so a lookup verifies a handful
    of candidates instead of every sentence. A wording found in at least
    :data:`BOILERPLATE_SHARE` of all reports (and at least
    :data:`BOILERPLATE_MIN_REPORTS`) is boilerplate (套话), reported with its
    count but without a precedent.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
import sys
import threading
import time
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from operator import itemgetter

from .analysis import fold
from .errors import FazhiError
from .query import Filters

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- scope


def in_scope(meta: dict, flt: Filters) -> bool:
    """Whether a report passes the place and year filters (the section filter aside)."""
    for name in ("township", "county", "province"):
        values = getattr(flt, name)
        if values and meta.get(name) not in values:
            return False
    if flt.year:
        year = meta.get("year")
        if year is None or not any(lo <= year <= hi for lo, hi in flt.year):
            return False
    return True


def filters_from_json(obj: dict) -> Filters:
    """The :class:`Filters` of a search result's ``filters`` (values already canonical)."""
    flt = Filters()
    for name, values in (obj or {}).items():
        for value in values:
            flt.add(name, str(value))
    return flt


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# ---------------------------------------------------------------- trend


def trend(matching: dict[int, int], indexed: dict[int, int]) -> list[dict]:
    """Per year: reports indexed, reports matching, and their share (years ascending).

    ``matching`` and ``indexed`` map a report year to a number of reports.
    """
    years = sorted(set(indexed) | set(matching))
    return [
        {
            "year": y,
            "reports": indexed.get(y, 0),
            "matching": matching.get(y, 0),
            "share": _share(matching.get(y, 0), indexed.get(y, 0)),
        }
        for y in years
    ]


def trend_from_facets(year_facet: list[dict], indexed: dict[int, int], flt: Filters) -> list[dict]:
    """The trend of a search result, from its year facet (no second search needed).

    The year facet counts matching reports within every filter but the year;
    restricting it to the year filter gives what :func:`trend` gives.
    """

    def wanted(y: int) -> bool:
        return not flt.year or any(lo <= y <= hi for lo, hi in flt.year)

    matching = {e["value"]: e["count"] for e in year_facet if e["count"] and wanted(e["value"])}
    return trend(matching, {y: n for y, n in indexed.items() if wanted(y)})


# ---------------------------------------------------------------- matrix


def _place(meta: dict) -> tuple:
    return (meta.get("township"), meta.get("county"), meta.get("province"))


@dataclass(frozen=True)
class Scope:
    """What is indexed within some place and year filters: per year, reports and townships."""

    reports: dict[int, int]
    townships: dict[int, int]


def scope_of(reports: Iterable[dict], flt: Filters) -> Scope:
    """Reports and distinct townships per report year among the reports in scope."""
    towns: dict[int, set] = defaultdict(set)
    counts: Counter = Counter()
    for m in reports:
        if m.get("year") is not None and in_scope(m, flt):
            counts[m["year"]] += 1
            if m.get("township"):
                towns[m["year"]].add(_place(m))
    return Scope(dict(counts), {y: len(t) for y, t in towns.items()})


def report_columns(reports: Iterable[dict]) -> dict[str, tuple]:
    """Report id → (place, year), the columns the matrix groups by."""
    return {m["id"]: (_place(m), m.get("year")) for m in reports}


def build_matrix(
    matches: dict[str, list[int]],
    reports: dict[str, dict] | Iterable[dict],
    flt: Filters,
    scope: Scope | None = None,
    columns: dict[str, tuple] | None = None,
) -> dict:
    """Township × year counts of matching passages, with coverage and trend.

    ``reports``: the metadata of every report (by id, or a list); ``scope``
    and ``columns``: :func:`scope_of` and :func:`report_columns` of them, if
    already known. Returns ``years`` (ascending; ``None`` last when a
    matching report has no year), ``rows`` (``township``, ``county``,
    ``province``, ``counts`` aligned with ``years``, ``passages``,
    ``reports``, ``first_year``), ``coverage`` (per year: townships reporting
    it / townships indexed), ``total`` and ``trend``. Rows are ordered by the
    first year with a match, then by number of passages, then by place.
    """
    metas = reports if isinstance(reports, dict) else {m["id"]: m for m in reports}
    if scope is None:
        scope = scope_of(metas.values(), flt)
    if columns is None:
        columns = report_columns(metas.values())

    # (place, year) → [passages, reports]: one dict operation per matching report
    acc: dict[tuple, list[int]] = {}
    for rid, passages in matches.items():
        col = columns.get(rid)
        if col is None or not passages:
            continue
        cell = acc.get(col)
        if cell is None:
            acc[col] = [len(passages), 1]
        else:
            cell[0] += len(passages)
            cell[1] += 1

    by_place: dict[tuple, dict] = defaultdict(dict)
    matching_reports: Counter = Counter()
    matching_towns: Counter = Counter()
    for (place, year), (n, k) in acc.items():
        by_place[place][year] = (n, k)
        if year is not None:
            matching_reports[year] += k
            if place[0]:
                matching_towns[year] += 1

    years: list = sorted(set(scope.reports) | {y for p, y in acc if y is not None})
    if any(y is None for _, y in acc):
        years.append(None)

    rows = []
    for place, cells in by_place.items():
        dated = [y for y in cells if y is not None]
        rows.append(
            {
                "township": place[0],
                "county": place[1],
                "province": place[2],
                "counts": [cells[y][0] if y in cells else 0 for y in years],
                "passages": sum(n for n, _ in cells.values()),
                "reports": sum(k for _, k in cells.values()),
                "first_year": min(dated) if dated else None,
            }
        )
    rows.sort(
        key=lambda r: (
            r["first_year"] if r["first_year"] is not None else 9999,
            -r["passages"],
            r["province"] or "",
            r["county"] or "",
            r["township"] or "",
        )
    )
    coverage = [
        {
            "year": y,
            "townships": matching_towns.get(y, 0),
            "indexed": scope.townships.get(y, 0),
            "share": _share(matching_towns.get(y, 0), scope.townships.get(y, 0)),
        }
        for y in years
        if y is not None
    ]
    return {
        "years": years,
        "rows": rows,
        "coverage": coverage,
        "total": {
            "townships": sum(1 for p in by_place if p[0]),
            "reports": sum(r["reports"] for r in rows),
            "passages": sum(r["passages"] for r in rows),
        },
        "trend": trend(dict(matching_reports), scope.reports),
    }


# ---------------------------------------------------------------- CSV

#: a spreadsheet treats a cell starting with one of these as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"


def csv_cell(value) -> str | int | float:
    """A value safe to put in a CSV cell: numbers as they are, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: Iterable[Iterable]) -> str:
    """CSV text (UTF-8 BOM first, CRLF line ends, every cell made safe) that Excel opens."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def year_label(year: int | None) -> str:
    return f"{year}年度" if year is not None else "年度不详"


def matrix_csv(matrix: dict) -> str:
    """The matrix as CSV: one row per township, one column per year, then coverage lines."""
    years = matrix["years"]
    rows: list[list] = [["省份", "区县", "乡镇（街道）", *(year_label(y) for y in years), "合计"]]
    for r in matrix["rows"]:
        rows.append([r["province"], r["county"], r["township"], *r["counts"], r["passages"]])
    cov = {c["year"]: c for c in matrix["coverage"]}
    rows.append([])
    rows.append(["", "", "提及的乡镇数", *(cov[y]["townships"] if y in cov else "" for y in years)])
    rows.append(["", "", "已收录乡镇数", *(cov[y]["indexed"] if y in cov else "" for y in years)])
    rows.append(["", "", "覆盖率", *(f"{cov[y]['share']:.1%}" if y in cov else "" for y in years)])
    tr = {t["year"]: t for t in matrix["trend"]}
    rows.append(
        ["", "", "提及的报告占比", *(f"{tr[y]['share']:.1%}" if y in tr else "" for y in years)]
    )
    return to_csv(rows)


# ---------------------------------------------------------------- practices

LEXICON = "practices.txt"
MIN_PRACTICE_CHARS = 3
MAX_PRACTICE_CHARS = 12
#: a quoted phrase outside the lexicon must be quoted in at least this many reports
MIN_QUOTED_REPORTS = 2
SORT_KEYS = ("townships", "reports", "first_year", "name")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_QUOTE_RE = re.compile(r"“([^“”\n]{1,40})”")
_BOOK_TITLE_RE = re.compile(r"《[^《》]*》")
#: inside a practice name: CJK characters and the separators of a list (“双随机、一公开”)
_PRACTICE_RE = re.compile(rf"^[{_CJK}][{_CJK}、，,·]*[{_CJK}]$")
_NUMERALS = "一二三四五六七八九十百两〇零"
_NUMBERED_SLOGAN_RE = re.compile(rf"^[{_NUMERALS}]+个")
_ALL_NUMERALS_RE = re.compile(rf"^[{_NUMERALS}]+$")
_PUNCT_RE = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Practice:
    """A named practice: its display name, the spellings searched for, where it came from."""

    name: str
    variants: tuple[str, ...]
    source: str  # "lexicon" or "quoted"

    @property
    def query(self) -> str:
        """The exact-mode query that finds every variant."""
        return practice_query(self.variants)


def practice_key(text: str) -> str:
    """What makes two spellings the same practice: folded, punctuation and spaces removed."""
    return _PUNCT_RE.sub("", fold(text))


def practice_query(variants: Iterable[str]) -> str:
    """``"A" OR "B"``: each variant quoted, so spaces and punctuation in it stay literal."""
    return " OR ".join(f'"{v}"' for v in variants)


def parse_lexicon(text: str) -> list[Practice]:
    """Lexicon lines: ``name | variant | variant``; ``#`` starts a comment."""
    out: list[Practice] = []
    seen: set[str] = set()
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        names = [v.strip() for v in line.split("|") if v.strip()]
        names = [v for v in dict.fromkeys(names) if '"' not in v and "“" not in v]
        if not names or practice_key(names[0]) in seen:
            continue
        seen.add(practice_key(names[0]))
        out.append(Practice(names[0], tuple(names), "lexicon"))
    return out


def load_lexicon() -> list[Practice]:
    """The curated lexicon shipped in ``indexer/data/practices.txt``."""
    ref = resources.files("indexer.data").joinpath(LEXICON)
    return parse_lexicon(ref.read_text(encoding="utf-8"))


def is_generic(phrase: str) -> bool:
    """A quoted phrase that names a political formula or a plan period, not a practice.

    Two morphological rules, no word list: (1) a numeral followed by the
    classifier 个 — the Party's numbered formulas (“四个意识” “两个维护”
    “四个自信”) that every document repeats as a statement of loyalty; the
    numbered names of working methods use other words (“一支队伍管执法”
    “三项制度” “双随机、一公开” “最多跑一次”); (2) numerals only — plan
    periods such as “十四五” “八五”. The lexicon overrides both.
    """
    core = practice_key(phrase)
    return bool(_NUMBERED_SLOGAN_RE.match(core) or _ALL_NUMERALS_RE.match(core))


def quoted_phrases(text: str) -> list[str]:
    """Phrases quoted “…” in ``text`` that could name a practice (see the module doc)."""
    text = _BOOK_TITLE_RE.sub("", text)
    out = []
    for m in _QUOTE_RE.finditer(text):
        phrase = re.sub(r"\s+", "", m.group(1))
        if not _PRACTICE_RE.match(phrase):
            continue
        n = len(re.findall(f"[{_CJK}]", phrase))
        if MIN_PRACTICE_CHARS <= n <= MAX_PRACTICE_CHARS:
            out.append(phrase)
    return out


def report_quotes(texts: Iterable[str]) -> tuple[str, ...]:
    """The :func:`quoted_phrases` of a report's passages, in order."""
    return tuple(p for text in texts if "“" in text for p in quoted_phrases(text))


def collect_practices(
    lexicon: list[Practice],
    report_texts: Iterable[tuple[str, Iterable[str]]] = (),
    *,
    quotes: Iterable[tuple[str, Iterable[str]]] | None = None,
) -> list[Practice]:
    """The lexicon, plus quoted phrases of ``report_texts`` ((report id, passage texts)).

    A quote joins the lexicon entry one of whose variants has its key, adding
    its spelling as a variant; other quotes are kept when quoted in at least
    :data:`MIN_QUOTED_REPORTS` reports and not :func:`is_generic`, under their
    most frequent spelling. ``quotes``: (report id, :func:`report_quotes`)
    pairs, instead of the texts.
    """
    if quotes is None:
        quotes = ((rid, report_quotes(texts)) for rid, texts in report_texts)
    by_key: dict[str, int] = {}
    for i, p in enumerate(lexicon):
        for v in p.variants:
            by_key.setdefault(practice_key(v), i)
    extra_variants: dict[int, list[str]] = defaultdict(list)
    quoted_reports: dict[str, set[str]] = defaultdict(set)
    spellings: dict[str, Counter] = defaultdict(Counter)
    for rid, phrases in quotes:
        for phrase in phrases:
            key = practice_key(phrase)
            quoted_reports[key].add(rid)
            spellings[key][phrase] += 1
    for key, forms in spellings.items():
        i = by_key.get(key)
        if i is None:
            continue
        for form in forms:
            if form not in lexicon[i].variants and form not in extra_variants[i]:
                extra_variants[i].append(form)
    out = [
        Practice(p.name, p.variants + tuple(extra_variants.get(i, ())), p.source)
        for i, p in enumerate(lexicon)
    ]
    for key, forms in spellings.items():
        if key in by_key or len(quoted_reports[key]) < MIN_QUOTED_REPORTS:
            continue
        ordered = [f for f, _ in sorted(forms.items(), key=lambda x: (-x[1], x[0]))]
        if is_generic(ordered[0]):
            continue
        out.append(Practice(ordered[0], tuple(ordered), "quoted"))
    return out


def catalogue_entry(practice: Practice, rids: Iterable[str], metas: dict[str, dict]) -> dict:
    """Counts of one practice from the reports an exact search found."""
    towns, years, n = set(), [], 0
    for rid in rids:
        meta = metas.get(rid)
        if meta is None:
            continue
        n += 1
        if meta.get("township"):
            towns.add((meta["township"], meta.get("county")))
        if meta.get("year") is not None:
            years.append(meta["year"])
    return {
        "name": practice.name,
        "variants": list(practice.variants),
        "source": practice.source,
        "townships": len(towns),
        "reports": n,
        "first_year": min(years) if years else None,
        "query": practice.query,
    }


def sort_catalogue(entries: list[dict], sort: str = "townships") -> list[dict]:
    """Entries by ``townships`` or ``reports`` (most first), ``first_year`` or ``name``."""
    if sort not in SORT_KEYS:
        raise ValueError(sort)
    if sort == "name":
        return sorted(entries, key=lambda e: (practice_key(e["name"]), e["name"]))
    if sort == "first_year":
        return sorted(
            entries,
            key=lambda e: (e["first_year"] or 9999, -e["townships"], e["name"]),
        )
    return sorted(entries, key=lambda e: (-e[sort], -e["townships"], -e["reports"], e["name"]))


# ---------------------------------------------------------------- precedents

MIN_SENTENCE_CHARS = 12
NEAR_SIMILARITY = 0.8
SHINGLE = 3
BOILERPLATE_SHARE = 0.3
BOILERPLATE_MIN_REPORTS = 3
#: reports listed per sentence by default (the count covers all)
MAX_LISTED = 5

#: a sentence ends at one of these (kept in the normal form's text so both split alike)
_ENDS = "。！？；!?;\n"
_END_RE = re.compile(f"[{_ENDS}]")
_END_KEEP_RE = re.compile(f"([{_ENDS}])")
#: what the normal form drops: all but letters, digits and CJK (sentence ends kept to split on)
_KEY_DROP_RE = re.compile(f"[^\\w{_ENDS}]+|_+")
_DIGITS_RE = re.compile(r"\d+")
_TOWN_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
#: what replaces a report's own place name and digit runs in the normal form
_NAME_MASK = "〇"
_DIGIT_MASK = "#"


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` as written, end punctuation included, spaces trimmed.

    One entry per piece between two sentence ends, empty ones included, so
    that the list lines up with :func:`sentence_keys`.
    """
    parts = _END_KEEP_RE.split(text)
    ends = parts[1::2] + [""]
    return [(body + end).strip() for body, end in zip(parts[::2], ends, strict=True)]


def place_names(meta: dict) -> tuple[str, ...]:
    """The report's own place names, folded, longest first (masked in the normal form)."""
    names = set()
    for field_name in ("township", "county", "city"):
        value = meta.get(field_name)
        if value:
            names.add(fold(value))
    town = meta.get("township") or ""
    for suffix in _TOWN_SUFFIXES:
        if town.endswith(suffix) and len(town) - len(suffix) >= 2:
            names.add(fold(town[: -len(suffix)]))
            break
    return tuple(sorted(names, key=lambda s: (-len(s), s)))


#: full-width letters and digits (the only characters :func:`fold` changes that survive
#: the removal of punctuation and spaces)
_FULLWIDTH_ALNUM_RE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B)}


def sentence_keys(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """The normal form of each sentence of ``text``, lined up with :func:`split_sentences`.

    The same as ``fold`` then dropping punctuation and spaces, then masking
    ``names`` and digit runs — computed once for the whole passage, in the
    cheaper order (few texts have full-width letters or digits).
    """
    key = _KEY_DROP_RE.sub("", text)
    if _FULLWIDTH_ALNUM_RE.search(key):
        key = key.translate(_FULLWIDTH_ALNUM)
    key = key.lower()
    for name in names:
        if name in key:
            key = key.replace(name, _NAME_MASK)
    return _END_RE.split(_DIGITS_RE.sub(_DIGIT_MASK, key))


def sentence_key(sentence: str, names: tuple[str, ...] = ()) -> str:
    """The normal form compared across reports (see the module doc)."""
    return "".join(sentence_keys(sentence, names))


_SLICES: list[slice] = []


def _shingle_iter(key: str):
    """The 3-grams of ``key`` in order (sliced in C: ``map`` over prepared slices)."""
    n = len(key) - SHINGLE + 1
    while len(_SLICES) < n:
        i = len(_SLICES)
        _SLICES.append(slice(i, i + SHINGLE))
    return map(key.__getitem__, _SLICES[:n])


def shingles(key: str) -> set[str]:
    """The character 3-grams of a normal form (the form itself when shorter)."""
    if len(key) <= SHINGLE:
        return {key}
    return set(_shingle_iter(key))


def similarity(a: set[str], b: set[str]) -> float:
    """Shared shingles over the larger set: 1.0 for the same wording."""
    if not a or not b:
        return 0.0
    return len(a & b) / max(len(a), len(b))


def prefix_length(n: int, threshold: float = NEAR_SIMILARITY) -> int:
    """How many of a set's rarest shingles must be indexed for prefix filtering."""
    return n - math.ceil(threshold * n - 1e-9) + 1


def date_key(meta: dict) -> tuple:
    """Order of issue: the date, else the end of the year reported on, else last."""
    if meta.get("date"):
        when = meta["date"]
    elif meta.get("year") is not None:
        when = f"{meta['year']}-12-31"
    else:
        when = "9999"
    return (when, meta.get("source") or "", meta.get("id") or "")


@dataclass(frozen=True)
class CorpusReport:
    """One report's metadata and passages (numbers and texts), as the engine gives them."""

    meta: dict
    ids: tuple[int, ...]
    texts: Sequence[str]


class StoredTexts(Sequence):
    """A report's passage texts, read from an index view each time they are asked for.

    The practice catalogue and the sentence index read every report's text
    once to build, and a few reports' to answer; holding all of it would
    cost about 2.5 bytes per character of the corpus for as long as the
    analytics are kept (1 GB at 100,000 reports). The view caches the last
    few hundred reports read.
    """

    __slots__ = ("view", "rid", "n")

    def __init__(self, view, rid: str, n: int) -> None:
        self.view, self.rid, self.n = view, rid, n

    def _all(self) -> list[str]:
        return [p[4] for p in self.view.stored(self.rid)]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._all()[i]
        return self.view.stored(self.rid)[i][4]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


# where a sentence is in its report: (passage position, sentence number) packed in one int
_S = 1 << 16


def _pack(ppos: int, j: int) -> int:
    return ppos * _S + j


def _unpack(loc: int) -> tuple[int, int]:
    return divmod(loc, _S)


def _holds(values: array, x: int) -> bool:
    """Whether an ascending array holds ``x``."""
    i = bisect_left(values, x)
    return i < len(values) and values[i] == x


def _first_distinct(values: array, n: int) -> list[int]:
    """The ``n`` smallest distinct values of an ascending array."""
    k = 2 * n + 2
    while True:
        head = sorted(set(values[:k]))
        if len(head) >= n or k >= len(values):
            return head[:n]
        k *= 4


class SentenceIndex:
    """Every sentence of a corpus by normal form, with a prefix index for near-identical ones.

    Reports are numbered in order of issue (:func:`date_key`), so "earliest"
    is "smallest number". For each normal form, ``reps`` holds the numbers of
    the reports it occurs in (ascending, one entry per occurrence) and
    ``locs`` where in them, as compact arrays. Built once (see
    :meth:`Analytics.precedents`); :meth:`precedents` answers for one report
    by verifying only the candidates the prefix index yields.
    """

    def __init__(
        self,
        corpus: list[CorpusReport],
        *,
        threshold: float = NEAR_SIMILARITY,
        min_chars: int = MIN_SENTENCE_CHARS,
        boilerplate_share: float = BOILERPLATE_SHARE,
        boilerplate_min: int = BOILERPLATE_MIN_REPORTS,
        previous: SentenceIndex | None = None,
    ) -> None:
        """``previous``: an index of an earlier state of the corpus, to update
        instead of reading every report again (see :meth:`_update`)."""
        self.corpus = sorted(corpus, key=lambda r: date_key(r.meta))
        self.threshold = threshold
        self.min_chars = min_chars
        self.boilerplate_reports = max(boilerplate_min, math.ceil(boilerplate_share * len(corpus)))
        self.boilerplate_share = boilerplate_share
        self.boilerplate_min = boilerplate_min
        self.position = {r.meta["id"]: i for i, r in enumerate(self.corpus)}
        self.names = [place_names(r.meta) for r in self.corpus]
        self._near: dict[int, list[tuple[int, float]]] = {}
        self._families: dict[int, tuple] = {}
        self._split: dict[tuple[int, int], list[str]] = {}
        #: whether this index was updated from an earlier one (else built from the texts)
        self.updated = previous is not None and self._update(previous)
        if self.updated:
            return
        self.keys: list[str] = []
        self.key_id: dict[str, int] = {}
        self.reps: list[array] = []
        self.locs: list[array] = []
        self.dead_keys = 0
        for rep in range(len(self.corpus)):
            self._add_report(rep)
        self._build_prefix_index()

    def _add_report(
        self, rep: int, fresh: set[int] | None = None, touched: set[int] | None = None
    ) -> None:
        """Add the sentences of report number ``rep`` at the end of their keys' entries.

        ``fresh`` (when updating): the keys whose arrays this index owns; the
        arrays of the others are shared with the earlier index, so they are
        copied before the first change. ``touched`` collects the keys added to.
        """
        key_id, keys, reps, locs = self.key_id, self.keys, self.reps, self.locs
        names = self.names[rep]
        for ppos, text in enumerate(self.corpus[rep].texts):
            if ppos >= _S:
                break
            for key, j in self._sentences(text, names):
                kid = key_id.get(key)
                if kid is None:
                    kid = key_id[key] = len(keys)
                    keys.append(key)
                    reps.append(array("I"))
                    locs.append(array("I"))
                    if fresh is not None:
                        fresh.add(kid)
                elif fresh is not None and kid not in fresh:
                    reps[kid], locs[kid] = array("I", reps[kid]), array("I", locs[kid])
                    fresh.add(kid)
                reps[kid].append(rep)
                locs[kid].append(_pack(ppos, j))
                if touched is not None:
                    touched.add(kid)

    #: an update reads the added reports only; past this share of the corpus
    #: added or removed, or of keys left without sentences, it builds anew
    UPDATE_SHARE = 0.2

    def _update(self, old: SentenceIndex) -> bool:
        """Derive this index from ``old``: renumber its entries, drop the removed
        reports', add the new reports'. False (nothing done) when a full build
        is due: other settings, too many changes, or an order that moved.

        ``old`` is left as it was (it may still be answering): arrays are
        shared until changed, then copied. The prefix index keeps ``old``'s
        order of shingles (any fixed order is exact; new shingles go last).
        Keys whose sentences were all removed stay, empty, until a full build.
        """
        if (old.threshold, old.min_chars) != (self.threshold, self.min_chars):
            return False
        n = len(self.corpus)
        old_ids = [r.meta["id"] for r in old.corpus]
        kept = [self.position.get(rid, -1) for rid in old_ids]
        added = [rep for rep, r in enumerate(self.corpus) if r.meta["id"] not in old.position]
        removed = sum(1 for x in kept if x < 0)
        if len(added) + removed > self.UPDATE_SHARE * max(n, 1):
            return False
        if old.dead_keys > self.UPDATE_SHARE * max(len(old.keys), 1):
            return False
        survivors = [x for x in kept if x >= 0]
        if any(a >= b for a, b in zip(survivors, survivors[1:], strict=False)):
            return False  # kept reports changed order: numbers are not a monotone map
        if any(old.names[i] != self.names[x] for i, x in enumerate(kept) if x >= 0):
            return False
        self.keys = list(old.keys)
        self.key_id = dict(old.key_id)
        if all(x == i for i, x in enumerate(kept)):
            self.reps, self.locs = list(old.reps), list(old.locs)  # shared until changed
            fresh: set[int] = set()
            dead = old.dead_keys
        else:
            self.reps, self.locs, dead = [], [], 0
            for reps, locs in zip(old.reps, old.locs, strict=True):
                pairs = [(kept[r], loc) for r, loc in zip(reps, locs, strict=True) if kept[r] >= 0]
                self.reps.append(array("I", [r for r, _ in pairs]))
                self.locs.append(array("I", [loc for _, loc in pairs]))
                dead += not pairs
            fresh = set(range(len(self.keys)))
        n_old_keys = len(self.keys)
        touched: set[int] = set()
        for rep in added:
            self._add_report(rep, fresh, touched)
        if added and survivors and added[0] < survivors[-1]:
            # reports inserted among the earlier ones: entries go back in order
            # (ascending by report, then place) where they were appended
            for kid in touched:
                if kid < n_old_keys:
                    pairs = sorted(zip(self.reps[kid], self.locs[kid], strict=True))
                    self.reps[kid] = array("I", [r for r, _ in pairs])
                    self.locs[kid] = array("I", [loc for _, loc in pairs])
        self.dead_keys = dead
        self._extend_prefix_index(old, n_old_keys)
        return True

    def _sentences(self, text: str, names: tuple[str, ...]):
        """(normal form, sentence number) of the sentences of a passage worth comparing."""
        for j, key in enumerate(sentence_keys(text, names)):
            if len(key) >= self.min_chars and j < _S:
                yield key, j

    def _extend_prefix_index(self, old: SentenceIndex, n_old_keys: int) -> None:
        """``old``'s prefix index, with the keys from number ``n_old_keys`` on added."""
        self.sizes = array("I", old.sizes)
        rank = old.rank
        postings = dict(old.postings)  # lists shared until changed
        owned: set[str] = set()
        for kid in range(n_old_keys, len(self.keys)):
            sh = shingles(self.keys[kid])
            self.sizes.append(len(sh))
            for g in sh:
                if g not in rank:
                    if rank is old.rank:
                        rank = dict(rank)
                    rank[g] = len(rank)
            ordered = sorted(sh, key=rank.__getitem__)
            for g in ordered[: prefix_length(len(ordered), self.threshold)]:
                if g not in owned:
                    postings[g] = list(postings.get(g, ()))
                    owned.add(g)
                postings[g].append(kid)
        self.rank = rank
        self.postings = postings

    def _build_prefix_index(self) -> None:
        df: Counter = Counter()
        sizes = array("I")
        for key in self.keys:
            sh = shingles(key)
            sizes.append(len(sh))
            df.update(sh)
        #: number of distinct shingles of each key (for the size filter)
        self.sizes = sizes
        # a global order, rarest first (ties in order of first appearance)
        self.rank = {g: i for i, (g, _) in enumerate(sorted(df.items(), key=itemgetter(1)))}
        del df
        rank = self.rank.__getitem__
        postings: dict[str, list[int]] = defaultdict(list)
        threshold = self.threshold
        for kid, key in enumerate(self.keys):
            sh = sorted(shingles(key), key=rank)
            for g in sh[: prefix_length(len(sh), threshold)]:
                postings[g].append(kid)
        self.postings = dict(postings)

    # -- lookups

    def __len__(self) -> int:
        return len(self.keys)

    #: near() results kept (reports share most of their sentences)
    NEAR_CACHE = 200_000

    def near(self, kid: int) -> list[tuple[int, float]]:
        """Other normal forms near-identical to key ``kid``, with their similarity."""
        found = self._near.get(kid)
        if found is None:
            found = self._find_near(kid)
            if len(self._near) >= self.NEAR_CACHE:
                self._near.clear()
            self._near[kid] = found
        return found

    def _find_near(self, kid: int) -> list[tuple[int, float]]:
        key = self.keys[kid]
        a = shingles(key)
        rank = self.rank.__getitem__
        prefix = sorted(a, key=rank)[: prefix_length(len(a), self.threshold)]
        candidates: set[int] = set()
        for g in prefix:
            candidates.update(self.postings.get(g, ()))
        candidates.discard(kid)
        out = []
        t, na, sizes, keys, reps = self.threshold, len(a), self.sizes, self.keys, self.reps
        for c in candidates:
            nb = sizes[c]
            if nb < t * na or na < t * nb:  # sizes too far apart to overlap enough
                continue
            if not reps[c]:  # left by removed reports (see _update)
                continue
            other = keys[c]
            b = _shingle_iter(other) if len(other) > SHINGLE else (other,)
            sim = len(a.intersection(b)) / max(na, nb)
            if sim >= t:
                out.append((c, sim))
        return out

    def _written(self, rep: int, ppos: int) -> list[str]:
        """The sentences of a passage as written (cached: early reports are listed often)."""
        found = self._split.get((rep, ppos))
        if found is None:
            found = split_sentences(self.corpus[rep].texts[ppos])
            if len(self._split) >= 20_000:
                self._split.clear()
            self._split[(rep, ppos)] = found
        return found

    def _describe(self, rep: int, loc: int, sim: float) -> dict:
        r = self.corpus[rep]
        ppos, j = _unpack(loc)
        m = r.meta
        return {
            "id": m["id"],
            "title": m.get("title"),
            "township": m.get("township"),
            "county": m.get("county"),
            "province": m.get("province"),
            "year": m.get("year"),
            "date": m.get("date"),
            "passage": r.ids[ppos],
            "text": self._written(rep, ppos)[j],
            "kind": "same" if sim >= 1.0 else "near",
            "similarity": round(sim, 3),
            "precedent": False,
        }

    def precedents(
        self,
        rid: str,
        limit: int = MAX_LISTED,
        hidden: Collection[str] = (),
        *,
        passage: int | None = None,
        matches: bool = True,
    ) -> dict | None:
        """For each sentence of report ``rid``, the other reports with the same wording.

        None if the report is not in the corpus. ``hidden``: ids of reports
        neither listed nor counted (removed from the index since this one was
        built). See the README for the JSON. ``passage``: that passage only
        (the totals then count it alone). ``matches=False``: the counts and
        the earliest-report flags without the matching sentences (empty
        ``matches``; reading and splitting the other reports' passages is
        most of the work).
        """
        rep = self.position.get(rid)
        if rep is None:
            return None
        hide = {self.position[h] for h in hidden if h in self.position}
        hide.discard(rep)
        r = self.corpus[rep]
        passages = []
        n_sentences = n_boiler = 0
        all_others: set[int] = set()
        if passage is None:
            items = zip(r.ids, r.texts, strict=True)
        else:
            items = [(pid, r.texts[i]) for i, pid in enumerate(r.ids) if pid == passage]
        for pid, text in items:
            sentences = []
            others_here: set[int] = set()
            seen: set[str] = set()
            written = None
            for key, j in self._sentences(text, self.names[rep]):
                if key in seen:
                    continue
                seen.add(key)
                if written is None:
                    written = split_sentences(text)
                found = self._sentence(rep, key, written[j], limit, hide, matches)
                if found is None:
                    continue
                entry, family = found
                sentences.append(entry)
                if entry["boilerplate"]:
                    n_boiler += 1
                else:
                    n_sentences += 1
                    for c, _ in family:
                        others_here.update(self.reps[c])
            if sentences:
                others_here.discard(rep)
                others_here -= hide
                all_others |= others_here
                passages.append(
                    {
                        "passage": pid,
                        "reports": len(others_here),
                        "boilerplate": sum(1 for s in sentences if s["boilerplate"]),
                        "sentences": sentences,
                    }
                )
        m = r.meta
        rules = self.rules()
        rules["reports_indexed"] -= len(hide)
        return {
            "id": rid,
            "title": m.get("title"),
            "township": m.get("township"),
            "county": m.get("county"),
            "year": m.get("year"),
            "date": m.get("date"),
            "rules": rules,
            "total": {
                "sentences": n_sentences,
                "boilerplate": n_boiler,
                "reports": len(all_others),
            },
            "passages": passages,
        }

    def rules(self) -> dict:
        return {
            "min_chars": self.min_chars,
            "similarity": self.threshold,
            "boilerplate_share": self.boilerplate_share,
            "boilerplate_min_reports": self.boilerplate_min,
            "boilerplate_reports": self.boilerplate_reports,
            "reports_indexed": len(self.corpus),
        }

    def _family(self, kid: int, limit: int) -> tuple[list[tuple[int, float]], int, list[int]]:
        """Key ``kid`` and its near-identical keys (closest first), the number of reports
        they occur in, and the first ``limit + 1`` of those reports (cached)."""
        hit = self._families.get(kid)
        if hit is not None and len(hit[2]) >= min(limit + 1, hit[1]):
            return hit
        keys = self.keys  # ties in wording order: the same however the keys are numbered
        family = [(kid, 1.0), *sorted(self.near(kid), key=lambda x: (-x[1], keys[x[0]]))]
        if len(family) == 1:
            total = len(set(self.reps[kid]))
            head = _first_distinct(self.reps[kid], limit + 1)
        else:
            reports: set[int] = set()
            heads: set[int] = set()
            for c, _ in family:
                reports.update(self.reps[c])
                heads.update(_first_distinct(self.reps[c], limit + 1))
            total = len(reports)
            head = sorted(heads)[: limit + 1]
        hit = (family, total, head)
        if len(self._families) >= self.NEAR_CACHE:
            self._families.clear()
        self._families[kid] = hit
        return hit

    def _sentence(
        self,
        rep: int,
        key: str,
        text: str,
        limit: int,
        hide: Collection[int] = (),
        describe: bool = True,
    ) -> tuple[dict, list[tuple[int, float]]] | None:
        """One sentence's entry and its family of keys (None if no other report has it).

        ``hide``: numbers of reports neither listed nor counted. ``describe``:
        whether to list the matching sentences (else ``matches`` is empty).
        """
        family, total, head = self._family(self.key_id[key], limit + len(hide))
        if hide:
            total -= sum(1 for h in hide if any(_holds(self.reps[c], h) for c, _ in family))
        if total <= 1:  # only this report (it always has its own sentence)
            return None
        entry: dict = {
            "text": text,
            "count": total - 1,
            "share": _share(total, len(self.corpus) - len(hide)),
        }
        if total >= self.boilerplate_reports:
            entry.update(boilerplate=True, precedent=None, matches=[])
            return entry, family
        # earliest first: reports are numbered in order of issue
        listed = [r for r in head if r != rep and r not in hide][: max(1, limit)]
        matches = []
        for other in listed if describe else ():
            for c, sim in family:  # the closest wording it has
                reps = self.reps[c]
                i = bisect_left(reps, other)
                if i < len(reps) and reps[i] == other:
                    matches.append(self._describe(other, self.locs[c][i], sim))
                    break
        earlier = listed[0] < rep
        if earlier and matches:
            matches[0]["precedent"] = True
        entry.update(boilerplate=False, precedent="other" if earlier else "self", matches=matches)
        return entry, family


# ---------------------------------------------------------------- per-generation cache


def report_mask(rids: Iterable[str], bits: dict[str, int]) -> int:
    """The reports ``rids`` as an int bitmask, bit ``bits[rid]`` each (unknown ids left out)."""
    buf = bytearray((len(bits) + 8) // 8)
    for rid in rids:
        i = bits.get(rid)
        if i is not None:
            buf[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buf, "little")


@dataclass(frozen=True)
class Catalogue:
    """The practice catalogue of one snapshot of the index.

    ``entries``: (catalogue entry, bitmask of the reports that mention it);
    ``bits``: the bit of each report of the snapshot, the only map the masks
    may be combined with (see :meth:`Analytics.practice_facet`).
    """

    entries: list[tuple[dict, int]]
    bits: dict[str, int]


@dataclass
class _Slot:
    """An expensive structure: the last value built and the generation it was built for."""

    value: object = None
    generation: object = None
    #: how many times it was built (0: never)
    version: int = 0
    building: bool = False
    #: why the last build failed (None after a successful one)
    error: str | None = None
    #: when the last build ended (time.monotonic) and how long it took (seconds)
    ended: float | None = None
    took: float = 0.0


#: the clock that spaces background rebuilds
_now = time.monotonic


def _message(exc: BaseException) -> str:
    if isinstance(exc, FazhiError):
        return exc.user_message()
    return f"{type(exc).__name__}: {exc}"


class Analytics:
    """The analytics of one engine, with what they derive cached per index generation.

    Thread-safe. What costs a pass over the corpus — the practice catalogue
    and the sentence index for precedents — is built by the first call that
    needs it, which waits for it (one build; concurrent callers wait for the
    same one). After a commit, calls keep getting the structure of the
    earlier generation at once while one background thread builds it for the
    current one, then the new one replaces it; a build that fails is logged,
    the old structure stays, and the next call tries again. :meth:`stale`
    and :meth:`build_info` tell which is served, :meth:`wait_idle` waits for
    the builds under way.

    A stale structure answers as of its own snapshot: the catalogue keeps the
    report bitmasks and the bit map of that snapshot, so the practice facet
    counts the current matches that it knows (reports added since count once
    it is rebuilt). Precedents leave out reports removed since; a report the
    stale sentence index does not know yet (or one that is missing many
    reports removed since) waits for an index that knows it.

    The cheap structures (report metadata, matrix columns, scopes, the match
    and precedent caches) are rebuilt by the first call after each commit.
    """

    MATCH_CACHE = 64
    SCOPE_CACHE = 64
    PRECEDENT_CACHE = 256
    #: structures served from an earlier generation while rebuilt in the background
    BACKGROUND = ("practices", "sentences")
    #: a stale sentence index missing more reports than this is not used for precedents
    STALE_REMOVED_MAX = 100

    def __init__(
        self, engine, lexicon: list[Practice] | None = None, *, rebuild_spacing: float = 0.0
    ) -> None:
        self.engine = engine
        #: a background rebuild starts only once this many times the last
        #: build's duration has passed since it ended (0: at once). Under a
        #: stream of commits this bounds the share of the processor that
        #: rebuilds take from requests, at the price of staler analytics.
        self.rebuild_spacing = rebuild_spacing
        self._lexicon = lexicon
        self._lock = threading.RLock()
        self._ready = threading.Condition(self._lock)  # a build of a slot ended
        self._build_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._generation = None
        self._cache: dict[str, object] = {}
        self._slots: dict[str, _Slot] = {name: _Slot() for name in self.BACKGROUND}
        self._matches: OrderedDict = OrderedDict()
        self._matched_reports: OrderedDict = OrderedDict()
        self._precedents: OrderedDict = OrderedDict()
        self._scopes: OrderedDict = OrderedDict()
        #: the quoted phrases of each report (by id: its content), kept across commits
        self._quotes: dict[str, tuple[str, ...]] = {}
        #: seconds the last build of each derived structure took
        self.build_seconds: dict[str, float] = {}

    # -- cache plumbing

    def _fresh(self):
        gen = self.engine.generation
        with self._lock:
            if gen != self._generation:
                self._generation = gen
                self._cache.clear()
                self._matches.clear()
                self._matched_reports.clear()
                self._precedents.clear()
                self._scopes.clear()
        return gen

    def _cached(self, name: str, build: Callable[[], object]):
        gen = self._fresh()
        with self._lock:
            if name in self._cache:
                return self._cache[name]
            lock = self._build_locks[name]
        with lock:  # one build at a time per structure; others wait for it
            with self._lock:
                if name in self._cache and self._generation == gen:
                    return self._cache[name]
            t0 = time.perf_counter()
            value = build()
            with self._lock:
                self.build_seconds[name] = round(time.perf_counter() - t0, 3)
                if self._generation == gen:
                    self._cache[name] = value
            return value

    def _latest(
        self, name: str, build: Callable[[], object], usable: Callable[[object], bool] | None = None
    ) -> tuple[object, int]:
        """(value, version) of a structure of :data:`BACKGROUND`, stale or not.

        A value of an earlier generation is returned at once (if ``usable``
        accepts it) and one background thread rebuilds it; with none, or none
        usable, the call waits for the build under way or builds in this thread.
        """
        while True:
            gen = self._fresh()
            with self._ready:
                slot = self._slots[name]
                fresh = slot.generation == gen
                if slot.version and (fresh or usable is None or usable(slot.value)):
                    if not fresh and not slot.building and self._due(slot):
                        self._spawn(name, build)
                    return slot.value, slot.version
                if not slot.building:
                    slot.building = True
                    break
                self._ready.wait()
        return self._build(name, build)

    def _due(self, slot: _Slot) -> bool:
        """Whether a background rebuild of ``slot`` may start now (see ``rebuild_spacing``)."""
        if self.rebuild_spacing <= 0 or slot.ended is None:
            return True
        return _now() - slot.ended >= self.rebuild_spacing * slot.took

    def _build(
        self, name: str, build: Callable[[], object], background: bool = False
    ) -> tuple[object, int] | None:
        """Build ``name`` in this thread and keep it (the caller has set ``building``).

        In the background a failure is logged, not raised: the earlier value stays.
        """
        slot = self._slots[name]
        t0 = time.perf_counter()
        try:
            # read first: the data a build reads is never older than its label
            gen = self._fresh()
            value = build()
        except BaseException as exc:
            logged = background and isinstance(exc, Exception)
            if logged:  # before the build counts as ended: wait_idle() sees the record
                log.error(
                    "rebuilding the %s failed, still serving the one of an earlier index "
                    "generation (the next request retries): %s",
                    name,
                    _message(exc),
                    exc_info=not isinstance(exc, FazhiError),
                )
            with self._ready:
                slot.building, slot.error = False, _message(exc)
                slot.ended = _now()
                slot.took = time.perf_counter() - t0
                self._ready.notify_all()
            if logged:
                return None
            raise
        with self._ready:
            slot.value, slot.generation, slot.building, slot.error = value, gen, False, None
            slot.version += 1
            slot.ended, slot.took = _now(), time.perf_counter() - t0
            self.build_seconds[name] = round(slot.took, 3)
            self._ready.notify_all()
            return value, slot.version

    def _spawn(self, name: str, build: Callable[[], object]) -> None:
        """Start the background rebuild of ``name`` (with the lock held)."""
        slot = self._slots[name]
        slot.building = True
        thread = threading.Thread(
            target=self._build, args=(name, build, True), name=f"analytics-{name}", daemon=True
        )
        try:
            thread.start()
        except RuntimeError as exc:  # no thread to be had: serve the old one, retry later
            slot.building, slot.error = False, _message(exc)
            log.warning("cannot rebuild the %s in the background: %s", name, slot.error)

    def prepare(self) -> None:
        """Start building the practice catalogue and the sentence index in the background.

        A server calls this when it starts, so that the first search and
        report pages find them built (or under way) instead of building them.
        """
        builds = {"practices": self._build_catalogue, "sentences": self._build_sentences}
        self._fresh()
        with self._ready:
            for name, build in builds.items():
                slot = self._slots[name]
                if not slot.version and not slot.building:
                    self._spawn(name, build)

    def stale(self, name: str) -> bool:
        """Whether ``name`` (one of :data:`BACKGROUND`) is served from an earlier generation."""
        gen = self.engine.generation
        with self._lock:
            slot = self._slots[name]
            return bool(slot.version) and slot.generation != gen

    def build_info(self, name: str) -> dict:
        """Of ``name`` (one of :data:`BACKGROUND`): ``builds`` so far, whether it is ``stale``,
        whether a build is ``building``, its last build's ``seconds``, the last ``error``."""
        stale = self.stale(name)
        with self._lock:
            slot = self._slots[name]
            return {
                "builds": slot.version,
                "stale": stale,
                "building": slot.building,
                "seconds": self.build_seconds.get(name),
                "error": slot.error,
            }

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no structure is being built; False if ``timeout`` seconds passed first.

        For tests and benchmarks: the request paths never wait for a rebuild.
        """
        with self._ready:
            return self._ready.wait_for(
                lambda: not any(s.building for s in self._slots.values()), timeout
            )

    def _lru(self, cache: OrderedDict, key, size: int, build: Callable[[], object]):
        self._fresh()
        with self._lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = build()
        with self._lock:
            cache[key] = value
            while len(cache) > size:
                cache.popitem(last=False)
        return value

    # -- shared inputs

    def metas(self) -> dict[str, dict]:
        return self._cached(
            "metas", lambda: {m["id"]: m for m in self.engine.reports(outline=False)}
        )

    def match(
        self,
        q: str,
        filters: dict | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> dict:
        """``Engine.match`` with a small per-generation cache (QueryError if bad).

        ``deadline``: seconds, instead of the engine's default time budget.
        """
        return self._query_lru(self._matches, self.engine.match, q, filters, mode, deadline)

    def matching_reports(
        self,
        q: str,
        filters: dict | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> list[str]:
        """``Engine.matching_reports`` with a small per-generation cache (QueryError if bad)."""
        return self._query_lru(
            self._matched_reports, self.engine.matching_reports, q, filters, mode, deadline
        )

    def _query_lru(self, cache: OrderedDict, run: Callable, q, filters, mode, deadline):
        """``run(q, filters=…, mode=…[, deadline=…])``, kept in ``cache`` by query."""
        key = (q, tuple(sorted((k, tuple(v)) for k, v in (filters or {}).items())), mode)
        extra = {} if deadline is None else {"deadline": deadline}
        return self._lru(
            cache, key, self.MATCH_CACHE, lambda: run(q, filters=filters, mode=mode, **extra)
        )

    def corpus(self) -> list[CorpusReport]:
        def build():
            out = []
            view = self.engine.view()  # texts are read from this generation when needed
            for meta in sorted(self.metas().values(), key=lambda m: m.get("source") or ""):
                rid = meta["id"]
                if rid not in view.loc:
                    continue
                r = view.loc[rid]  # passage numbers from the view's columns, not stored fields
                ids = tuple(view.p_n[view.rep_first[r] : view.rep_first[r + 1]].tolist())
                out.append(CorpusReport(meta, ids, StoredTexts(view, rid, len(ids))))
            return out

        return self._cached("corpus", build)

    # -- matrix and trend

    def matrix(self, q: str, filters: dict | None = None, mode: str = "exact") -> dict:
        """The township × year matrix of a query (see :func:`build_matrix`), JSON-ready."""
        query = self.engine.parse(q, filters, mode)
        matches = self.match(q, filters, mode)
        out = {"query": query.text, "mode": mode, "filters": query.filters.to_json()}
        flt = query.filters
        columns = self._cached("columns", lambda: report_columns(self.metas().values()))
        out.update(build_matrix(matches, self.metas(), flt, self.scope(flt), columns))
        return out

    def scope(self, flt: Filters) -> Scope:
        """:func:`scope_of` the indexed reports for the place and year filters (cached)."""
        key = (tuple(flt.township), tuple(flt.county), tuple(flt.province), tuple(flt.year))
        return self._lru(
            self._scopes, key, self.SCOPE_CACHE, lambda: scope_of(self.metas().values(), flt)
        )

    def trend(self, q: str, filters: dict | None = None, mode: str = "exact") -> dict:
        """Per year, the share of the reports in scope that match the query."""
        m = self.matrix(q, filters, mode)
        return {k: m[k] for k in ("query", "mode", "filters", "trend")}

    def indexed_per_year(self, flt: Filters) -> dict[int, int]:
        """Reports in scope per report year (the denominators of the trend)."""
        return self.scope(flt).reports

    # -- practices

    def lexicon(self) -> list[Practice]:
        if self._lexicon is None:
            self._lexicon = load_lexicon()
        return self._lexicon

    def _report_quotes(self, corpus: list[CorpusReport]) -> list[tuple[str, tuple[str, ...]]]:
        """(id, :func:`report_quotes`) of each report, read from the texts only for the
        reports added since the last catalogue build (one build runs at a time)."""
        known, out = self._quotes, []
        for r in corpus:
            rid = r.meta["id"]
            found = known.get(rid)
            if found is None:
                found = known[rid] = tuple(sys.intern(p) for p in report_quotes(r.texts))
            out.append((rid, found))
        if len(known) > len(out):  # forget the reports removed since
            self._quotes = {rid: found for rid, found in out}
        return out

    def _build_catalogue(self) -> Catalogue:
        metas = self.metas()
        bits = {rid: i for i, rid in enumerate(metas)}
        practices = collect_practices(self.lexicon(), quotes=self._report_quotes(self.corpus()))
        entries = []
        for p in practices:
            rids = self.engine.matching_reports(p.query)
            entry = catalogue_entry(p, rids, metas)
            if entry["reports"]:
                entries.append((entry, report_mask(rids, bits)))
        return Catalogue(entries, bits)

    def catalogue(self) -> Catalogue:
        """The practice catalogue with its report bitmasks (maybe of an earlier generation)."""
        return self._latest("practices", self._build_catalogue)[0]

    def practices(self, sort: str = "townships") -> list[dict]:
        """The practice catalogue (see :func:`collect_practices`), sorted."""
        return sort_catalogue([e for e, _ in self.catalogue().entries], sort)

    def practice_facet(
        self,
        q: str,
        filters: dict | None = None,
        mode: str = "exact",
        limit: int = 20,
        deadline: float | None = None,
    ) -> list[dict]:
        """Practices mentioned by the reports matching a query, most reports first."""
        matches = self.matching_reports(q, filters, mode, deadline)
        cat = self.catalogue()
        found = report_mask(matches, cat.bits)  # the catalogue's own bits, never newer ones
        out = []
        for entry, mask in cat.entries:
            n = (mask & found).bit_count()
            if n:
                out.append(
                    {
                        "name": entry["name"],
                        "reports": n,
                        "query": entry["query"],
                        "variants": entry["variants"],
                    }
                )
        out.sort(key=lambda e: (-e["reports"], e["name"]))
        return out[:limit]

    # -- precedents

    def _build_sentences(self) -> SentenceIndex:
        # from the last one built, if any: only the reports added since are read
        return SentenceIndex(self.corpus(), previous=self._slots["sentences"].value)

    def sentence_index(self) -> SentenceIndex:
        """The sentence index for precedents (maybe of an earlier generation)."""
        return self._latest("sentences", self._build_sentences)[0]

    def precedents(
        self,
        rid: str,
        limit: int = MAX_LISTED,
        *,
        passage: int | None = None,
        matches: bool = True,
    ) -> dict | None:
        """Precedent wording of every sentence of report ``rid`` (None if unknown).

        From a stale sentence index when it knows the report, leaving out the
        reports removed since; else from one that knows it, waiting for it.
        ``passage`` and ``matches``: see :meth:`SentenceIndex.precedents`.
        """
        metas = self.metas()
        if rid not in metas:
            return None

        def removed(index: SentenceIndex) -> set[str]:
            return index.position.keys() - metas.keys()

        def usable(index) -> bool:
            return rid in index.position and len(removed(index)) <= self.STALE_REMOVED_MAX

        index, version = self._latest("sentences", self._build_sentences, usable)
        return self._lru(
            self._precedents, (version, rid, limit, passage, matches), self.PRECEDENT_CACHE,
            lambda: index.precedents(
                rid, limit, removed(index), passage=passage, matches=matches
            ),
        )  # fmt: skip
