"""Practices: a curated lexicon plus phrases quoted in several reports.

A curated lexicon (``data/practices.txt``: a name and its spelling
variants) plus phrases quoted “…” in at least two reports: 3–12 CJK
characters, not inside a 《document title》, and not a generic slogan
(see :func:`is_generic`). Quotes whose characters (punctuation ignored)
equal a lexicon variant join that entry. Counts come from an exact search
for the OR of the variants, so every occurrence counts, quoted or not.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from ..text import fold
from ..wording import report_quotes

# ---------------------------------------------------------------- practices

LEXICON = "practices.txt"
#: a quoted phrase outside the lexicon must be quoted in at least this many reports
MIN_QUOTED_REPORTS = 2
SORT_KEYS = ("townships", "reports", "first_year", "name")

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


# ---------------------------------------------------------------- the catalogue


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
