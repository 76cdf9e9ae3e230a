"""Composing one report: its blocks (title, head, headings, paragraphs, signature) and truth.

A report is built from the seed pool, deterministically from its own random
generator: document head, title, preamble, the parts under varied heading
styles, signature and issue date; the placeholders are then filled with the
report's township, county and year.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .places import Township, person
from .pool import _PLACEHOLDER, SECTIONS, Pool

MIN_CHARS, MAX_CHARS = 3000, 6000
MAX_PARAGRAPH = 650
_CN_DIGITS = "〇一二三四五六七八九"


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
