"""The query mix, which depends only on the corpus and the seed.

Fixed queries, phrases sampled from the reports, phrases that line breaks cut
in two in a text file, and filtered variants of some of them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer.text import fold

from ..corpus import paragraphs_of

SECTIONS = ("measures", "leadership", "shortcomings", "plans")
#: characters a sampled phrase may consist of: no query syntax, unchanged by fold()
PHRASE_CHARS = frozenset(chr(c) for c in range(0x4E00, 0xA000)) | {"、"}


#: (query, kind): the fixed part of the query mix
FIXED_QUERIES: tuple[tuple[str, str], ...] = (
    ("法", "1 char"),
    ("镇", "1 char"),
    ("执法", "2 chars"),
    ("普法", "2 chars"),
    ("依法行政", "frequent"),
    ("法治政府建设", "frequent"),
    ("行政执法", "frequent"),
    ("习近平法治思想", "frequent"),
    ("一支队伍管执法", "rare"),
    ("枫桥经验", "rare"),
    ("谁执法谁普法", "rare"),
    ("三项制度", "rare"),
    ("法律明白人", "rare"),
    ("依法行政 枫桥经验", "two terms"),
    ("区块链存证平台", "absent"),
)


@dataclass
class Query:
    text: str
    kind: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    #: the corpus file the phrase was taken from (it must match there)
    source: str | None = None

    @property
    def terms(self) -> list[str]:
        return [fold(t) for t in self.text.split()]

    def label(self) -> str:
        flt = " ".join(f"{k}={','.join(v)}" for k, v in self.filters.items())
        return f"{self.text} [{flt}]" if flt else self.text


def _phrase_window(text: str, rng: random.Random, length: int, tries: int = 40) -> str | None:
    """A random run of ``length`` phrase characters from ``text`` (or None)."""
    if len(text) < length:
        return None
    for _ in range(tries):
        start = rng.randrange(len(text) - length + 1)
        window = text[start : start + length]
        if all(c in PHRASE_CHARS for c in window):
            return window
    return None


def sample_phrases(
    paragraphs: dict[int, list[str]], files: list[dict], rng: random.Random, n: int
) -> list[Query]:
    """Phrases of 3–12 characters from random positions of random paragraphs."""
    out: list[Query] = []
    indices = sorted(paragraphs)
    for _ in range(n * 5):
        if len(out) >= n or not indices:
            break
        i = rng.choice(indices)
        if not paragraphs[i]:
            continue
        phrase = _phrase_window(rng.choice(paragraphs[i]), rng, rng.randint(3, 12))
        if phrase:
            out.append(Query(phrase, "sampled", source=files[i]["file"]))
    return out


def _line_breaks(raw: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each whitespace run holding a line break between two Chinese characters."""
    pos = raw.find("\n")
    while pos >= 0:
        a = pos
        while a > 0 and raw[a - 1] in " \t\r\u3000\n":
            a -= 1
        b = pos
        while b < len(raw) and raw[b] in " \t\r\u3000\n":
            b += 1
        if 0 < a and b < len(raw) and raw[a - 1] in PHRASE_CHARS and raw[b] in PHRASE_CHARS:
            yield a, b
        pos = raw.find("\n", b)


def line_broken_phrases(
    corpus_dir: Path,
    paragraphs: dict[int, list[str]],
    files: list[dict],
    rng: random.Random,
    n: int,
) -> list[Query]:
    """Phrases that line breaks cut in two everywhere in a text file, not in the paragraph written.

    The paragraphs are the generator's ground truth, so a break between a
    heading and its text, or at a page number, is never taken; grep cannot
    find the phrase in its own file.
    """
    out: list[Query] = []
    order = sorted(paragraphs)
    rng.shuffle(order)
    for i in order:
        if len(out) >= n:
            break
        if files[i]["kind"] != "txt":
            continue
        raw = (corpus_dir / files[i]["file"]).read_bytes().decode("utf-8-sig")
        folded_paragraphs = [fold(p) for p in paragraphs[i]]
        breaks = list(_line_breaks(raw))
        rng.shuffle(breaks)
        for a, b in breaks[:20]:
            left, right = rng.randint(1, 6), rng.randint(1, 6)
            phrase = raw[max(0, a - left) : a] + raw[b : b + right]
            if not all(c in PHRASE_CHARS for c in phrase) or len(phrase) < 3 or phrase in raw:
                continue
            if any(phrase in p for p in folded_paragraphs):
                out.append(Query(phrase, "line-broken", source=files[i]["file"]))
                break
    return out


def _random_filters(truth: dict, rng: random.Random, *, section: bool = True) -> dict:
    """Year, province and/or section filters that the report ``truth`` (a manifest entry) passes."""
    choice = rng.choice(
        ("year", "province", "section", "year+section") if section else ("year", "province")
    )
    out: dict[str, list[str]] = {}
    if "year" in choice:
        out["year"] = [str(truth["year"])]
    if choice == "province":
        out["province"] = [truth["province"]]
    if "section" in choice:
        out["section"] = [rng.choice(SECTIONS)]
    return out


def build_query_mix(corpus_dir: Path, manifest: dict, n: int, seed: int) -> list[Query]:
    """The fixed queries, phrases sampled from the reports, and filtered variants: ``n`` in all.

    Depends only on the corpus and the seed. A sampled phrase is filtered by
    the year or province of its own report, so that report must still match.
    """
    rng = random.Random(f"{seed}:queries")
    files = manifest["files"]
    by_file = {f["file"]: f for f in files}
    queries = [Query(text, kind) for text, kind in FIXED_QUERIES][:n]
    filtered = min(len(queries), max(0, (n - len(queries)) // 4))
    for q in rng.sample(queries, filtered):
        flt = _random_filters(rng.choice(files), rng)
        queries.append(Query(q.text, q.kind + " +filter", flt))
    rest = max(0, n - len(queries))
    picked = rng.sample(range(len(files)), min(len(files), max(1, rest) * 2))
    paragraphs = paragraphs_of(manifest["params"], picked)
    broken = line_broken_phrases(corpus_dir, paragraphs, files, rng, rest // 3)
    sampled = sample_phrases(paragraphs, files, rng, rest - len(broken))
    for q in rng.sample(sampled, len(sampled) // 5):
        q.filters = _random_filters(by_file[q.source], rng, section=False)
        q.kind += " +filter"
    return queries + broken + sampled
