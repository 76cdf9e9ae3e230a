"""Material for the reports: paragraphs and headings of the seed reports, extra sentences.

The seed reports in ``corpus/`` are cut into paragraphs (as sentences) and
sub-headings by section, their names and years turned into placeholders
(``〖T〗``, ``〖Y〗`` …) that :mod:`devtools.corpus.compose` fills in again.
Sentences of ``--extra-text`` files that read well inside a report widen the
vocabulary.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import ROOT
from .places import mentions_place

SEED_DIR = ROOT / "corpus"
#: at most this many files of --extra-text are read (a seeded sample)
MAX_EXTRA_FILES = 400

CJK = "\u4e00-\u9fff"
_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
_PLACEHOLDER = re.compile(r"〖(\w+)〗")


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
