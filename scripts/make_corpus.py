#!/usr/bin/env python3
"""Generate synthetic township reports on 法治政府建设 for benchmarks and tests.

Usage::

    .venv/bin/python scripts/make_corpus.py N OUT_DIR [--seed S] [--extra-text DIR]
                                            [--pdf-share F] [--docx-share F]

Each report looks like one a township publishes: a title and issuing body,
sometimes a document head (版头) with a document number, a preamble, the parts
that 《法治政府建设与责任落实督察工作规定》 Art. 25 asks for under varied heading
styles, a signature block and an issue date. Paragraphs are recombined from
the seed reports in ``corpus/`` with sentence-level variation, and sentences
from ``--extra-text`` (for instance a directory of statutes) widen the
vocabulary. Townships are invented; their counties, cities and provinces come
from the gazetteer ``indexer/data/divisions.tsv``.

Text files carry the furniture real ones do (wrapped lines, page breaks inside
sentences, page numbers, spaces around digits, Markdown residue). A share of
the reports is written as PDF and as ``.docx`` so extraction is exercised.
``OUT_DIR/manifest.json`` records each file's ground truth.

The output depends only on the arguments: the same arguments give
byte-identical files.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import math
import random
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "corpus"
GAZETTEER = ROOT / "indexer" / "data" / "divisions.tsv"
YEARS = tuple(range(2019, 2026))
#: province codes whose townships do not publish these reports (Taiwan, Hong Kong, Macao)
OUTSIDE = ("71", "81", "82")
MIN_CHARS, MAX_CHARS = 3000, 6000
MAX_PARAGRAPH = 650
#: at most this many files of --extra-text are read (a seeded sample)
MAX_EXTRA_FILES = 400
MANIFEST = "manifest.json"

CJK = "\u4e00-\u9fff"
_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
_PLACEHOLDER = re.compile(r"〖(\w+)〗")
_CN_DIGITS = "〇一二三四五六七八九"


# ---------------------------------------------------------------- gazetteer


@dataclass(frozen=True)
class County:
    name: str
    city: str | None
    province: str
    #: another county-level division has the same name (the text must name the city)
    ambiguous: bool

    @property
    def unit(self) -> str:
        """县, 区, 市 or 旗: the word its own offices use (县委, 区委 …)."""
        return self.name[-1]

    @property
    def short(self) -> str:
        return self.name[:-1] if len(self.name) == 3 else self.name


def load_counties(path: Path = GAZETTEER) -> list[County]:
    """County-level divisions of the gazetteer with their city and province."""
    names: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")[:2]
            names[code] = name.strip()
    county_codes = [c for c in sorted(names) if c[4:] != "00" and c[:2] not in OUTSIDE]
    seen: dict[str, int] = {}
    for code in county_codes:
        seen[names[code]] = seen.get(names[code], 0) + 1
    counties = []
    for code in county_codes:
        name = names[code]
        if len(name) < 3 or name[-1] not in "县区市旗":
            continue
        province = names.get(code[:2] + "0000")
        if province is None:
            continue
        city = names.get(code[:4] + "00")
        counties.append(County(name, city, province, seen[name] > 1))
    return counties


def place_names(path: Path = GAZETTEER) -> set[str]:
    """Every name in the gazetteer (provinces, cities, counties)."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.add(line.split("\t")[1].strip())
    return out


def mentions_place(text: str, names: set[str]) -> bool:
    """Whether ``text`` names a division of the gazetteer (by its full name)."""
    for i, ch in enumerate(text):
        if ch in "省市县区州旗盟":
            for j in range(max(0, i - 9), i - 1):
                if text[j : i + 1] in names:
                    return True
    return False


# ---------------------------------------------------------------- seed pool

#: Names in the bundled seed reports and what they become. Longest first.
SEED_NAMES = (
    ("美湖镇", "〖T〗"), ("新乡镇", "〖T〗"), ("雷高镇", "〖T〗"), ("湖上乡", "〖T〗"),
    ("周庄镇", "〖T〗"), ("德化县", "〖C〗"), ("万州区", "〖C〗"), ("雷州市", "〖C〗"),
    ("安溪县", "〖C〗"), ("宝丰县", "〖C〗"), ("重庆市", "〖P〗"), ("美湖", "〖t〗"),
    ("雷高", "〖t〗"), ("湖上", "〖t〗"), ("德化", "〖c〗"), ("万州", "〖c〗"),
    ("王科栋", "〖N〗"), ("谢晓锋", "〖N〗"), ("郑水来", "〖N〗"), ("宋同珂", "〖N〗"),
    ("赵丽丽", "〖N〗"), ("吴鹏冲", "〖N〗"),
)  # fmt: skip
#: Words for the township's and the county's own offices.
UNIT_WORDS = (
    (re.compile(r"(?<![乡城])镇"), "〖u〗"),
    (re.compile(r"(?<![城故家下])乡(?![镇村])"), "〖u〗"),
    (re.compile(r"(?<!社)[县区](?=委|政府|民呼必应)"), "〖cu〗"),
    (re.compile(r"(?<=全)区|(?<!社)区(?=级)"), "〖cu〗"),
    (re.compile(r"(?<=法治)县"), "〖cu〗"),
)
#: Seed text that is a heading, a document head or a signature, not a paragraph.
_YEAR = r"(?:\d{4}|〖Y1?〗)"
_FURNITURE = re.compile(
    rf"(文件|〔{_YEAR}〕\d+号|委员会|人民政府|政府：|{_YEAR}年\d+月\d+日)$|^签发人"
)
_TITLE_END = re.compile(r"(报告|总结)$")
#: sub-headings of a combined part, not topics
_GENERIC_HEADINGS = {"存在问题", "存在的不足", "下一步工作计划", "下一步工作打算"}
_TOP_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．]\s*)"
)
_SENTENCE_END = "。！？；：”）)"
SECTIONS = ("preamble", "measures", "leadership", "shortcomings", "plans")


@dataclass
class Pool:
    """Seed material by section: paragraphs (as sentences), sub-headings, sentences."""

    paragraphs: dict[str, list[list[str]]] = field(
        default_factory=lambda: {s: [] for s in SECTIONS}
    )
    headings: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in SECTIONS})

    def sentences(self, section: str) -> list[str]:
        return [s for p in self.paragraphs[section] for s in p]


def _clean_line(line: str) -> str:
    line = re.sub(r"^#+\s*", "", line.replace("**", "")).strip(" \t\u3000")
    line = line.replace(" and ", "和")
    return re.sub(rf"(?<=[\d{CJK}])\s+(?=[\d{CJK}])", "", line)


def _is_heading(line: str) -> bool:
    ends_sentence = "。" in line or line.endswith("；")
    return not ends_sentence or (bool(_TOP_HEADING.match(line)) and len(line) < 60)


def _seed_lines(text: str) -> list[str]:
    """Non-empty lines, with paragraphs that a page break cut joined back together."""
    out: list[str] = []
    for line in (c for c in (_clean_line(x) for x in text.splitlines()) if c):
        if out and _was_cut(out[-1], line):
            out[-1] += line
        else:
            out.append(line)
    return out


def _was_cut(prev: str, line: str) -> bool:
    """Whether ``line`` continues ``prev``, a paragraph a page break cut in two."""
    if len(prev) < 20 or prev[-1] in _SENTENCE_END or _NUMBERING.match(line):
        return False
    if _FURNITURE.search(prev) or _TITLE_END.search(prev) or _TOP_HEADING.match(prev):
        return False
    if _NUMBERING.match(prev) and "。" not in prev:  # a numbered heading, unless very long
        return "，" in prev and len(prev) >= 25
    return True


def _section_of(heading: str, current: str) -> str:
    if "第一责任人" in heading:
        return "leadership"
    if any(k in heading for k in ("不足", "问题", "短板")):
        return "shortcomings"  # also a combined 存在问题及下一步工作计划, until its sub-headings
    if any(k in heading for k in ("安排", "计划", "打算", "思路", "下一步")):
        return "plans"
    return "measures" if _TOP_HEADING.match(heading) or current == "preamble" else current


def _placeholders(text: str, year: int) -> str:
    for name, token in SEED_NAMES:
        text = text.replace(name, token)
    for pattern, token in UNIT_WORDS:
        text = pattern.sub(token, text)
    for y, token in ((year, "〖Y〗"), (year + 1, "〖Y1〗")):
        text = re.sub(rf"(?<![\d\-—－~]){y}(?![\d\-—－~])", token, text)
    return text


def split_sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.findall(paragraph) if s.strip("。！？；，、 ")]


def load_seed_pool(seed_dir: Path = SEED_DIR) -> Pool:
    """Paragraphs and headings of the seed reports, names turned into placeholders."""
    pool = Pool()
    for path in sorted(seed_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        m = re.search(r"(\d{4})\s*年度?\s*法治政府", text) or re.search(r"(\d{4})\s*年", text)
        year = int(m.group(1)) if m else 0
        section = "preamble"
        for line in (_placeholders(x, year) for x in _seed_lines(text)):
            if _FURNITURE.search(line) or _TITLE_END.search(line):
                continue
            if line.endswith(("：", ":")):  # "…，现将工作情况汇报如下：" introduces what follows
                if len(line) < 40 or "，" not in line:
                    continue
                end = line.rfind("。") + 1 or line.rfind("，")
                line = line[:end].rstrip("。") + "。"
            if _is_heading(line):
                section = _section_of(line, section)
                heading = _NUMBERING.sub("", line).strip()
                if _is_topic(line, heading):
                    pool.headings[section].append(heading)
                continue
            body = _NUMBERING.sub("", line).strip()
            sentences = [s for s in split_sentences(body) if _usable(s)]
            if _NUMBERING.match(line) and len(sentences) > 1 and len(sentences[0]) <= 30:
                pool.headings[section].append(sentences.pop(0).rstrip("。；"))  # a run-in lead
            if sentences:
                pool.paragraphs[section].append(sentences)
    return pool


def _is_topic(line: str, heading: str) -> bool:
    """A sub-heading worth reusing: not a part heading, not generic, not too long."""
    if _TOP_HEADING.match(line) or heading in _GENERIC_HEADINGS:
        return False
    return 4 <= len(heading) <= 30


_STRAY_NAME = re.compile(rf"[{CJK}]{{2}}[镇乡](?:人民政府|党委)")


def _usable(sentence: str) -> bool:
    """Not a sentence that announces what follows, nor one naming a township we don't know."""
    stripped = _PLACEHOLDER.sub("", sentence)
    if len(stripped) < 4 or "如下" in stripped:
        return False
    return not _STRAY_NAME.search(stripped)


# ---------------------------------------------------------------- extra sentences

#: an extra sentence must speak of government work to sit well in a report
GOVERNANCE_WORDS = ("行政", "执法", "政府", "监督", "依法", "法治", "普法", "调解", "公开", "信访")
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇]+条\s*")
_SELF_REFERENCE = re.compile(r"本(?:法|条例|办法|规定|细则|决定|解释|章|节|条)|前款|下列")


def load_extra_sentences(directory: Path, seed: int, names: set[str]) -> list[str]:
    """Sentences from text files under ``directory`` that read well inside a report.

    Statute files (Markdown with a ``<!-- INFO END -->`` line) contribute only
    their articles. Sentences that name a place, refer to the statute itself or
    are not mostly Chinese are left out.
    """
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".md", ".txt") and p.is_file())
    rng = random.Random(f"{seed}:extra")
    if len(files) > MAX_EXTRA_FILES:
        files = sorted(rng.sample(files, MAX_EXTRA_FILES))
    out: list[str] = []
    seen: set[str] = set()
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        text = text.split("<!-- INFO END -->", 1)[-1]
        for line in text.splitlines():
            line = _ARTICLE.sub("", _NUMBERING.sub("", line.strip(" \t\u3000")))
            if not line or line.startswith(("#", "<", "|")):
                continue
            for sentence in split_sentences(line):
                if sentence not in seen and _reads_well(sentence, names):
                    seen.add(sentence)
                    out.append(sentence)
    return out


def _reads_well(sentence: str, names: set[str]) -> bool:
    if not 15 <= len(sentence) <= 80 or sentence[-1] != "。" or sentence.endswith("的。"):
        return False
    cjk = sum(1 for c in sentence if "\u4e00" <= c <= "\u9fff")
    if cjk < 0.75 * len(sentence) or "〖" in sentence or "〗" in sentence:
        return False
    if _SELF_REFERENCE.search(sentence) or _STRAY_NAME.search(sentence):
        return False
    if not any(word in sentence for word in GOVERNANCE_WORDS):
        return False
    return not mentions_place(sentence, names)


# ---------------------------------------------------------------- townships

FIRST = "东西南北上下大小新老金银石青白黄红龙凤马桃李杨柳梅竹松柏花云平安和兴华丰宝永福康隆昌盛泰"
SECOND = "山水河湖江溪泉塘坪岭坑岗岩林田口桥店集营庄寨坝沟湾洲埠铺圩渡冲垭坊园堡"
UNITS = ("镇", "镇", "镇", "乡", "乡", "街道")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志文海斌红玉兰晓东雪梅林峰辉鹏飞凯宁"


@dataclass(frozen=True)
class Township:
    base: str  # e.g. 雷高
    unit: str  # 镇, 乡 or 街道
    county: County

    @property
    def name(self) -> str:
        return self.base + self.unit

    @property
    def office(self) -> str:
        """The issuing body: X镇人民政府, X乡人民政府 or X街道办事处."""
        return self.name + ("办事处" if self.unit == "街道" else "人民政府")


def township_bases(names: set[str]) -> list[str]:
    """Invented two-character township names that no gazetteer name starts with."""
    stems = {n[:2] for n in names}
    return [a + b for a in FIRST for b in SECOND if a != b and a + b not in stems]


def plan_reports(n: int, counties: list[County], bases: list[str], seed: int):
    """``n`` (township, report year) pairs: each township reports on a few years."""
    rng = random.Random(f"{seed}:plan")
    towns: set[tuple[str, str, County]] = set()
    pairs: list[tuple[Township, int]] = []
    while len(pairs) < n:
        key = (rng.choice(bases), rng.choice(UNITS), rng.choice(counties))
        if key in towns:
            continue
        towns.add(key)
        town = Township(*key)
        for year in sorted(rng.sample(YEARS, rng.randint(1, 6))):
            pairs.append((town, year))
    rng.shuffle(pairs)
    return pairs[:n]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


# ---------------------------------------------------------------- composing one report


@dataclass
class Block:
    """One line of the document: title, head, heading, paragraph or signature."""

    kind: str  # "head", "title", "h1", "h2", "p", "sign"
    text: str


@dataclass
class Truth:
    """Ground truth of one generated report (one entry of the manifest)."""

    file: str
    kind: str
    township: str
    county: str
    city: str | None
    province: str
    year: int
    date: str
    title: str
    issuer: str
    doc_number: str | None
    parts: list[str]
    chars: int = 0


TOP_HEADINGS = {
    "measures": ("〖Y〗年度推进法治政府建设的主要举措和成效", "主要举措和成效", "主要做法和成效",
                 "〖Y〗年法治政府建设工作开展情况", "〖Y〗年度法治政府建设主要工作及成效"),
    "leadership": ("党政主要负责人履行推进法治建设第一责任人职责情况",
                   "〖Y〗年党政主要负责人履行推进法治建设第一责任人职责，加强法治政府建设的有关情况",
                   "党政主要负责人履行推进法治建设第一责任人职责的情况"),
    "shortcomings": ("存在的不足和原因", "〖Y〗年度推进法治政府建设存在的不足和原因",
                     "存在的问题和不足", "存在问题及原因分析"),
    "plans": ("下一年度工作安排", "〖Y1〗年度推进法治政府建设的主要安排", "下一步工作打算",
              "〖Y1〗年推进法治政府建设的工作思路", "〖Y1〗年推进法治政府建设的初步安排"),
}  # fmt: skip
COMBINED = ("存在问题及下一步工作计划", "存在的不足及下一步工作打算")
PREAMBLE_OPENERS = (
    "〖Y〗年，在〖CC〗委、〖cu〗人民政府的坚强领导下，〖T〗坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻习近平法治思想。",
    "根据〖CC〗关于〖Y〗年度法治政府建设工作的部署要求，〖T〗认真落实法治政府建设各项任务。",
    "按照《〖CC〗人民政府〖Y〗年度法治政府建设重点工作安排》文件要求，〖T〗严格按照上级部署，扎实推进依法行政。",
    "〖Y〗年以来，〖T〗全面贯彻中央依法治国基本方略，根据〖CC〗有关要求和部署，大力加强法治建设。",
)  # fmt: skip
PREAMBLE_OPENERS_NO_COUNTY = (
    "〖Y〗年以来，〖T〗全面贯彻中央依法治国基本方略，根据上级有关要求和部署，大力加强法治建设。",
    "〖Y〗年，〖T〗以习近平新时代中国特色社会主义思想为指导，认真贯彻落实习近平法治思想。",
)  # fmt: skip
PREAMBLE_CLOSERS = ("现将有关情况报告如下：", "现将工作情况汇报如下：",
                    "现将〖Y〗年度法治政府建设情况报告如下：")  # fmt: skip
TITLES = (
    "〖O〗关于〖Y〗年度法治政府建设情况的报告",
    "〖T〗关于〖Y〗年度法治政府建设工作情况的报告",
    "〖T〗〖Y〗年度法治政府建设工作总结",
    "〖T〗〖Y〗年法治政府建设年度报告",
    "〖T〗关于〖Y〗年法治政府建设情况的报告",
)


def _cn_number(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "") if n else "〇"


def chinese_date(year: int, month: int, day: int) -> str:
    """二〇二四年二月二十七日."""
    return "".join(_CN_DIGITS[int(d)] for d in str(year)) + (
        f"年{_cn_number(month)}月{_cn_number(day)}日"
    )


class Composer:
    """Builds the blocks of one report from the pool, deterministically from its rng."""

    def __init__(self, pool: Pool, extra: Sequence[str], rng: random.Random) -> None:
        self.pool = pool
        self.extra = extra
        self.rng = rng
        self.sentences = {s: pool.sentences(s) for s in SECTIONS}
        self._decks: dict[tuple[str, str], list] = {}

    def _draw(self, kind: str, section: str):
        """The next item of a shuffled deck, so one report repeats itself only when it must."""
        deck = self._decks.setdefault((kind, section), [])
        if not deck:
            items = getattr(self.pool, kind)[section] or getattr(self.pool, kind)["measures"]
            deck.extend(items)
            self.rng.shuffle(deck)
        return deck.pop()

    def paragraph(self, section: str) -> str:
        """A seed paragraph of ``section`` with its sentences shuffled, replaced or added to."""
        rng = self.rng
        sentences = list(self._draw("paragraphs", section))
        if len(sentences) > 2 and rng.random() < 0.3:
            head, rest = sentences[0], sentences[1:]
            rng.shuffle(rest)
            sentences = [head, *rest]
        pool = self.sentences[section] or self.sentences["measures"]
        for k in range(len(sentences)):
            if rng.random() < 0.15:
                sentences[k] = rng.choice(pool)
        if len(sentences) > 2 and rng.random() < 0.2:
            del sentences[rng.randrange(1, len(sentences))]
        if self.extra:
            for _ in range(rng.choice((0, 1, 1, 2))):
                sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(self.extra))
        while len(sentences) > 1 and sum(map(len, sentences)) > MAX_PARAGRAPH:
            sentences.pop()
        return "".join(sentences)

    def heading(self, section: str) -> str:
        return self._draw("headings", section)


@dataclass
class Style:
    """How one report numbers and lays out its headings."""

    top: str  # "cn" 一、 | "bare"
    sub: str  # "paren" （一） | "ascii" (一) | "dot" 1. | "dun" 1、 | "bare" | "runin"
    bold: bool  # **…** around run-in leads (Markdown residue)

    @classmethod
    def pick(cls, rng: random.Random) -> Style:
        top = rng.choices(("cn", "bare"), (0.93, 0.07))[0]
        sub = rng.choice(("paren", "paren", "ascii", "dot", "dun", "bare", "runin", "runin"))
        return cls(top, sub, rng.random() < 0.15)

    def top_label(self, n: int, text: str) -> str:
        return text if self.top == "bare" else f"{_cn_number(n)}、{text}"

    def sub_label(self, n: int, text: str) -> str:
        return {
            "paren": f"（{_cn_number(n)}）{text}",
            "ascii": f"({_cn_number(n)}) {text}",
            "dot": f"{n}. {text}",
            "dun": f"{n}、{text}",
            "bare": text,
        }[self.sub]

    def run_in(self, n: int, lead: str, body: str) -> str:
        lead = lead.rstrip("。") + "。"
        if self.bold:
            return f"**{n}. {lead}**{body}"
        return f"{n}、{lead}{body}"


def compose(
    index: int, town: Township, year: int, pool: Pool, extra: Sequence[str], seed: int
) -> tuple[list[Block], Truth]:
    """The blocks and ground truth of report number ``index``."""
    rng = random.Random(f"{seed}:report:{index}")
    county = town.county
    # where the county (and, when its name is shared, the city) is named
    sign_county = rng.random() < 0.6
    name_city = county.ambiguous or rng.random() < 0.3
    prefix = (county.city or county.province if name_city else "") + county.name

    blocks, doc_number = _document_head(town, year, rng)
    title_blocks = _title(town, prefix, rng)
    blocks += title_blocks
    if rng.random() < 0.2:
        blocks.append(Block("head", rng.choice(("〖cu〗委、〖cu〗政府：", "〖C〗人民政府："))))
    # the preamble names the county unless the signature does
    openers = PREAMBLE_OPENERS_NO_COUNTY if sign_county and rng.random() < 0.5 else PREAMBLE_OPENERS
    composer = Composer(pool, extra, rng)
    preamble = rng.choice(openers) + composer.paragraph("preamble") + rng.choice(PREAMBLE_CLOSERS)
    blocks.append(Block("p", preamble))
    parts = _part_order(rng)
    blocks += _body(composer, parts, _size(blocks) + 120)

    date = _issue_date(year, rng)
    if rng.random() < 0.1:
        blocks.append(Block("sign", f"中共{county.name}{town.name}委员会"))
    blocks.append(Block("sign", (prefix if sign_county else "") + town.office))
    blocks.append(Block("sign", date[1]))

    names = {
        "T": town.name, "t": town.base, "u": town.unit, "C": county.name, "c": county.short,
        "cu": county.unit, "P": county.province, "Y": str(year), "Y1": str(year + 1),
        "CC": prefix,
    }  # fmt: skip
    fill = _filler(names, rng, town.unit)
    for b in blocks:
        b.text = fill(b.text)
    truth = Truth(
        file="",
        kind="txt",
        township=town.name,
        county=county.name,
        city=county.city,
        province=county.province,
        year=year,
        date=date[0],
        title="".join(b.text for b in title_blocks),
        issuer=town.office,
        doc_number=doc_number,
        parts=parts,
    )
    return blocks, truth


def _document_head(town: Township, year: int, rng: random.Random) -> tuple[list[Block], str | None]:
    """The 版头 of a quarter of the reports: issuing body, document number, signer."""
    if rng.random() >= 0.25:
        return [], None
    office = "街" if town.unit == "街道" else "府"
    doc_number = f"{town.base}{office}{rng.choice('发函')}〔{year + 1}〕{rng.randint(1, 120)}号"
    blocks = [Block("head", f"{town.office}文件"), Block("head", doc_number)]
    if rng.random() < 0.5:
        blocks.append(Block("head", f"签发人：{person(rng)}"))
    return blocks, doc_number


def _title(town: Township, prefix: str, rng: random.Random) -> list[Block]:
    """The title line(s); a title set under the issuer's name spans two lines."""
    layout = rng.random()
    if layout < 0.15:
        return [
            Block("title", prefix + town.office),
            Block("title", "关于〖Y〗年度法治政府建设情况的报告"),
        ]
    if layout < 0.2:  # no township in the title at all
        return [Block("title", "关于〖Y〗年法治政府建设情况的报告")]
    return [Block("title", rng.choice(TITLES).replace("〖O〗", town.office))]


def _part_order(rng: random.Random) -> list[str]:
    parts = ["measures", "leadership", "shortcomings", "plans"]
    if rng.random() < 0.15:
        parts.remove("leadership")
    elif rng.random() < 0.3:
        parts[0], parts[1] = "leadership", "measures"
    return parts


def _body(c: Composer, parts: list[str], used: int) -> list[Block]:
    """The numbered parts; 主要举措和成效 grows until the report has its target length."""
    rng = c.rng
    style = Style.pick(rng)
    target = rng.randint(MIN_CHARS + 300, MAX_CHARS - 500)
    combined = "shortcomings" in parts and rng.random() < 0.15
    sections = {p: _part_body(c, style, p, rng.randint(250, 700)) for p in parts if p != "measures"}
    used += sum(_size(bs) for bs in sections.values())
    items: list[list[Block]] = []
    while not items or used < target:
        items.append(_sub_part(c, style, "measures", len(items) + 1))
        used += _size(items[-1])
    while len(items) > 1 and used > MAX_CHARS - 150:
        used -= _size(items.pop())
    sections["measures"] = [b for item in items for b in item]

    blocks: list[Block] = []
    number = 0
    for part in parts:
        if combined and part == "plans":
            continue
        number += 1
        if combined and part == "shortcomings":
            blocks.append(Block("h1", style.top_label(number, rng.choice(COMBINED))))
            blocks.append(Block("h2", f"（一）{rng.choice(('存在问题', '存在的不足'))}"))
            blocks.extend(b for b in sections["shortcomings"] if b.kind == "p")
            blocks.append(Block("h2", f"（二）{rng.choice(('下一步工作计划', '下一步工作打算'))}"))
            blocks.extend(b for b in sections["plans"] if b.kind == "p")
        else:
            blocks.append(Block("h1", style.top_label(number, rng.choice(TOP_HEADINGS[part]))))
            blocks.extend(sections[part])
    return blocks


def _issue_date(year: int, rng: random.Random) -> tuple[str, str]:
    """(ISO date, date as written): early next year, sometimes December of the same year."""
    if rng.random() < 0.85:
        y, month, day = year + 1, rng.randint(1, 4), rng.randint(1, 28)
    else:
        y, month, day = year, 12, rng.randint(1, 28)
    written = chinese_date(y, month, day) if rng.random() < 0.2 else f"{y}年{month}月{day}日"
    return f"{y:04d}-{month:02d}-{day:02d}", written


def _size(blocks: list[Block]) -> int:
    return sum(len(b.text) + 1 for b in blocks)


def _part_body(c: Composer, style: Style, part: str, chars: int) -> list[Block]:
    """Numbered items of ``part`` until it holds about ``chars`` characters."""
    out: list[Block] = []
    n = size = 0
    while not out or size < chars:
        n += 1
        item = _sub_part(c, style, part, n)
        out += item
        size += _size(item)
    return out


def _sub_part(c: Composer, style: Style, part: str, n: int) -> list[Block]:
    """One numbered item of a part: a sub-heading and one or two paragraphs, or a run-in item."""
    if style.sub == "runin":
        return [Block("p", style.run_in(n, c.heading(part), c.paragraph(part)))]
    out = [Block("h2", style.sub_label(n, c.heading(part)))]
    for _ in range(c.rng.choice((1, 1, 2))):
        out.append(Block("p", c.paragraph(part)))
    return out


#: what a 街道 (a subdistrict, run by an office, not a government) calls its bodies
SUBDISTRICT_WORDS = (
    ("街道党委", "街道党工委"),
    ("街道长", "街道办主任"),
    ("街道政府", "街道办事处"),
    ("街道村", "街道社区"),
    ("街道、村", "街道、社区"),
)


def _filler(names: dict[str, str], rng: random.Random, unit: str) -> Callable[[str], str]:
    def replace(m: re.Match) -> str:
        key = m.group(1)
        return person(rng) if key == "N" else names.get(key, "")

    def fill(text: str) -> str:
        text = _PLACEHOLDER.sub(replace, text)
        if unit == "街道":
            for word, subdistrict_word in SUBDISTRICT_WORDS:
                text = text.replace(word, subdistrict_word)
        return text

    return fill


# ---------------------------------------------------------------- rendering


@dataclass
class Layout:
    """How a text file is laid out: the furniture of converted or hand-made files."""

    blank: bool  # blank line between paragraphs
    indent: bool  # paragraphs start with two U+3000
    spaced: bool  # spaces between digits and Chinese ("2023 年度")
    markdown: bool  # "#"/"##" headings and ** residue
    wrap: int  # 0, or characters per line of a converted PDF
    page_breaks: bool  # blank lines in the middle of sentences (page breaks)
    crlf: bool
    bom: bool

    @classmethod
    def pick(cls, rng: random.Random) -> Layout:
        wrap = rng.randint(24, 40) if rng.random() < 0.15 else 0
        return cls(
            blank=rng.random() < 0.6,
            indent=rng.random() < 0.3,
            spaced=rng.random() < 0.2,
            markdown=rng.random() < 0.15,
            wrap=wrap,
            page_breaks=not wrap and rng.random() < 0.35,
            crlf=rng.random() < 0.1,
            bom=rng.random() < 0.05,
        )


_DIGIT_CJK = re.compile(rf"(?<=\d)(?=[{CJK}])|(?<=[{CJK}])(?=\d)")


def plain_text(blocks: list[Block]) -> str:
    """The report as clean text, one block per line (for PDF and as the reference)."""
    return "\n".join(b.text.replace("**", "") for b in blocks) + "\n"


def render_txt(blocks: list[Block], layout: Layout, rng: random.Random) -> bytes:
    lines: list[str] = []
    for b in blocks:
        text = b.text if layout.markdown else b.text.replace("**", "")
        if layout.spaced and b.kind in ("title", "h1", "p"):
            text = _DIGIT_CJK.sub(" ", text)
        if layout.markdown and b.kind in ("title", "h1"):
            text = ("# " if b.kind == "title" else "## ") + text
        if b.kind == "p":
            lines.extend(_paragraph_lines(text, layout, rng))
        else:
            lines.append(text)
        if layout.blank or b.kind == "title":
            lines.append("")
    if layout.wrap:
        lines = _paginate(lines, rng)
    text = "\n".join(lines) + "\n"
    if layout.crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if layout.bom else "").encode() + text.encode("utf-8")


def _paragraph_lines(text: str, layout: Layout, rng: random.Random) -> list[str]:
    if layout.indent or layout.wrap:
        text = "\u3000\u3000" + text
    if layout.wrap:
        return [text[i : i + layout.wrap] for i in range(0, len(text), layout.wrap)]
    if layout.page_breaks and len(text) > 300 and rng.random() < 0.4:
        cut = _mid_sentence_cut(text, rng)
        if cut:
            return [text[:cut], "", text[cut:]]
    return [text]


def _mid_sentence_cut(text: str, rng: random.Random) -> int | None:
    """A position between two Chinese characters, away from the ends (or None)."""
    for _ in range(8):
        i = rng.randrange(60, len(text) - 60)
        if _is_cjk(text[i - 1]) and _is_cjk(text[i]):
            return i
    return None


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _paginate(lines: list[str], rng: random.Random) -> list[str]:
    """Insert page numbers every ~22 lines, as text copied out of a PDF has them."""
    per_page = rng.randint(20, 24)
    out: list[str] = []
    for i, line in enumerate(lines, 1):
        out.append(line)
        if i % per_page == 0:
            out.extend(["", f"— {i // per_page} —", ""])
    return out


#: a page header that Word repeats on every page (furniture, not report text)
DOCX_HEADER = "依法行政年度报告（公开文本）"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override PartName="/word/header1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_R}/officeDocument" '
        'Target="word/document.xml"/></Relationships>'
    ),
    "word/_rels/document.xml.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_R}/header" '
        'Target="header1.xml"/></Relationships>'
    ),
}


def _w_paragraph(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r></w:p>'


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    """A minimal Word document (one paragraph per item, a page header), byte-stable."""
    body = "".join(_w_paragraph(p) for p in paragraphs)
    parts = dict(_DOCX_PARTS)
    parts["word/document.xml"] = (
        f'<w:document xmlns:w="{_W}" xmlns:r="{_R}"><w:body>{body}<w:sectPr>'
        '<w:headerReference w:type="default" r:id="rId1"/></w:sectPr></w:body></w:document>'
    )
    parts["word/header1.xml"] = f'<w:hdr xmlns:w="{_W}">{_w_paragraph(DOCX_HEADER)}</w:hdr>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)
    return buf.getvalue()


def write_docx(blocks: list[Block], path: Path) -> None:
    path.write_bytes(docx_bytes([b.text.replace("**", "") for b in blocks]))


def write_pdf(blocks: list[Block], path: Path) -> None:
    """An official-style PDF, laid out by the project's renderer (``tests/pdfgen.py``)."""
    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from pdfgen import render_report_pdf

    render_report_pdf(plain_text(blocks), path)


# ---------------------------------------------------------------- the corpus


def _kinds(n: int, pdf_share: float, docx_share: float, seed: int) -> list[str]:
    rng = random.Random(f"{seed}:kinds")
    order = list(range(n))
    rng.shuffle(order)
    n_pdf = min(n, round(n * pdf_share))
    n_docx = min(n - n_pdf, round(n * docx_share))
    kinds = ["txt"] * n
    for i in order[:n_pdf]:
        kinds[i] = "pdf"
    for i in order[n_pdf : n_pdf + n_docx]:
        kinds[i] = "docx"
    return kinds


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{name} must be between 0 and 1 (got {value})")


def iter_reports(
    n: int, *, seed: int = 0, extra_text: Path | None = None, only: Iterable[int] | None = None
) -> Iterator[tuple[int, list[Block], Truth]]:
    """Index, blocks and ground truth of reports 0 … n-1 (or of those in ``only``)."""
    names = place_names()
    plan = plan_reports(n, load_counties(), township_bases(names), seed)
    pool = load_seed_pool()
    extra = load_extra_sentences(extra_text, seed, names) if extra_text else []
    for i in sorted(set(only)) if only is not None else range(n):
        yield (i, *compose(i, *plan[i], pool, extra, seed))


def paragraphs_of(params: dict, indices: Iterable[int]) -> dict[int, list[str]]:
    """The paragraphs (as written, before any layout) of some reports of a generated corpus.

    ``params`` is the ``params`` entry of its manifest; the reports are composed
    again rather than read back, so this is the ground truth of their text.
    """
    extra = Path(params["extra_text"]) if params.get("extra_text") else None
    reports = iter_reports(params["n"], seed=params["seed"], extra_text=extra, only=indices)
    return {
        i: [b.text.replace("**", "") for b in blocks if b.kind == "p"] for i, blocks, _ in reports
    }


def generate(
    n: int,
    out_dir: str | Path,
    *,
    seed: int = 0,
    extra_text: str | Path | None = None,
    pdf_share: float = 0.02,
    docx_share: float = 0.03,
) -> dict:
    """Write ``n`` reports and ``manifest.json`` into ``out_dir``; return the manifest."""
    _check_share("pdf share", pdf_share)
    _check_share("docx share", docx_share)
    if n < 0:
        raise ValueError("N must not be negative")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    extra = Path(extra_text) if extra_text else None
    if extra is not None and not extra.is_dir():
        raise ValueError(f"--extra-text {extra} is not a directory")
    kinds = _kinds(n, pdf_share, docx_share, seed)
    width = max(6, len(str(max(n - 1, 0))))
    files = []
    for i, blocks, truth in iter_reports(n, seed=seed, extra_text=extra):
        truth.kind = kinds[i]
        truth.file = f"{i:0{width}d}.{kinds[i]}"
        truth.chars = len(plain_text(blocks))
        path = out / truth.file
        if kinds[i] == "pdf":
            write_pdf(blocks, path)
        elif kinds[i] == "docx":
            write_docx(blocks, path)
        else:
            rng = random.Random(f"{seed}:layout:{i}")
            path.write_bytes(render_txt(blocks, Layout.pick(rng), rng))
        files.append(asdict(truth))
    manifest = {
        "generator": "scripts/make_corpus.py",
        "params": {
            "n": n,
            "seed": seed,
            "extra_text": str(extra.resolve()) if extra else None,
            "pdf_share": pdf_share,
            "docx_share": docx_share,
        },
        "files": files,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (out / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="make_corpus.py",
        description="Write N synthetic township reports on 法治政府建设 (.txt, plus a share "
        "of .pdf and .docx) and OUT_DIR/manifest.json with each file's ground truth "
        "(township, county, city, province, report year, issue date, title, parts). "
        "The same arguments always give byte-identical files.",
    )
    p.add_argument("n", metavar="N", type=int, help="number of reports")
    p.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="directory to write into")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--extra-text",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory of .md/.txt files whose sentences are mixed into the reports for a "
        "wider vocabulary, e.g. a collection of statutes (default: none)",
    )
    p.add_argument(
        "--pdf-share",
        type=float,
        default=0.02,
        metavar="F",
        help="share of reports written as PDF (default: 0.02)",
    )
    p.add_argument(
        "--docx-share",
        type=float,
        default=0.03,
        metavar="F",
        help="share of reports written as .docx (default: 0.03)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        manifest = generate(
            args.n,
            args.out_dir,
            seed=args.seed,
            extra_text=args.extra_text,
            pdf_share=args.pdf_share,
            docx_share=args.docx_share,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kinds: dict[str, int] = {}
    for f in manifest["files"]:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
    print(f"{len(manifest['files'])} reports ({summary or 'none'}) in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
