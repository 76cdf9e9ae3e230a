"""Clean text → :class:`~indexer.model.Report`: metadata, outline and passages.

The input is what :func:`indexer.ingest.normalize.normalize` returns: one paragraph or
heading per line. A report is read in three blocks:

* the **header** (版头 "…文件", document number, 签发人, title, addressee "县委、县政府："),
  which yields title, issuer and document number and no passages;
* the **body**, where each line is a heading or a passage. A numbered line is a heading
  when it is a short phrase ("（一）加强组织领导，落实法治责任"); a numbered line written
  as sentences ("1、落实党政班子领导法治责任。一是…") is a passage. Heading levels come
  from the numbering style (一、 > （一） > 1. > （1） > ①), not from markdown; an
  unnumbered heading line takes its level from its neighbours;
* the **signature block** at the end (issuing bodies and the issue date), which yields
  issuer and date and no passages.

Each top-level part gets a canonical key (``model.SECTION_LABELS``) from its wording;
parts that name two keys ("存在问题及下一步工作计划") hand them to their subsections.
Metadata is taken from the text only; anything not found is None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model import Passage, Report, Section
from ..text import to_simplified
from .facts import Framing, fill
from .metadata import OPENING_YEAR, date_line, find_doc_number, years_in
from .normalize import (
    STYLE_RANK,
    Numbering,
    ends_sentence,
    has_inner_stop,
    heading_like,
    numbering,
)
from .pagechrome import split_page

# -- header and signature lines ----------------------------------------------------

_ORG_SUFFIX = (
    r"(?:人民政府|人民代表大会|人大主席团|委员会|党委|党工委|党组|办事处|管委会|管理委员会|政府)"
)
_ISSUER_LINE = re.compile(rf"^(?:中共|中国共产党)?[\u4e00-\u9fff（）()]{{2,40}}?{_ORG_SUFFIX}$")
_SIGNATURE = re.compile(
    rf"^(?P<issuer>(?:中共|中国共产党)?[\u4e00-\u9fff（）()]{{2,40}}?{_ORG_SUFFIX})\s*(?P<date>.+日)$"
)
_BANNER = re.compile(r"^(?P<issuer>.{2,40}?)文件$")
_SIGNER = re.compile(r"^(?:签发人|签发|审核人|审核|拟稿|核稿)\s*[：:]")
_NOTE = re.compile(r"^[（(][^（）()]{1,40}[)）]$")
#: the 版记 after a signature: copies, printing office, attachments, contacts
_RECORD = re.compile(r"^(?:抄送|抄报|附件|联系人|联系电话)|印发$")
_TITLE_WORDS = re.compile(r"报告|总结|汇报|述职|情况$")
_CLOSING = re.compile(r"^(?:特此(?:报告|汇报|说明)|以上(?:报告|汇报))[。.！!]?$")


def _issuer_line(line: str) -> bool:
    return len(line) <= 40 and _ISSUER_LINE.match(line) is not None


def _addressee(line: str) -> bool:
    """An addressee line: "县委、县政府：", "中共渠县县委、渠县人民政府："; short, ends with a
    colon, no comma unless it lists bodies ("中共将乐县委员会，将乐县人民政府：")."""
    if len(line) > 30 or not line.endswith(("：", ":")):
        return False
    if "，" not in line and "," not in line:
        return True
    return all(
        re.search(r"(?:委|委员会|政府|人大|常委会|办公室|局)$", part)
        for part in re.split(r"[，,、]", line[:-1])
    )


def _signature_line(line: str) -> tuple[str | None, str | None] | None:
    """(issuer, date) of a signature-block line, or None if it is not one."""
    if len(line) > 60:
        return None
    date = date_line(line)
    if date:
        return None, date
    if _issuer_line(line):
        return line, None
    m = _SIGNATURE.match(line)
    if m:
        date = date_line(m.group("date"))
        if date:
            return m.group("issuer"), date
    if _NOTE.match(line) or _RECORD.search(line):
        return None, None
    return None


def _header_kind(line: str) -> str:
    if _BANNER.match(line):
        return "banner"
    if find_doc_number(line) and len(line) <= 40:
        return "doc_number"
    if _SIGNER.match(line):
        return "signer"
    if date_line(line):
        return "date"
    if _NOTE.match(line):
        return "note"
    if _addressee(line):
        return "addressee"
    if _issuer_line(line):
        return "issuer"
    if _TITLE_WORDS.search(line):
        return "title"
    return "plain"


def _starts_body(line: str) -> bool:
    """A line that can only belong to the body: numbered, a sentence, or long."""
    if numbering(line) is not None or len(line) > 60:
        return True
    return ends_sentence(line) and not _addressee(line)


@dataclass
class _Layout:
    header: list[tuple[str, str]]  # (kind, line)
    title: str | None
    body: list[str]
    signature: list[tuple[str | None, str | None]]  # (issuer, date) per line
    #: indices in ``header`` of the line(s) the title was read from
    title_lines: tuple[int, ...] = ()
    #: the signature block's lines as written
    signature_lines: list[str] = field(default_factory=list)


def _layout(lines: list[str]) -> _Layout:
    # the signature block: trailing issuer, date and note lines
    end = len(lines)
    signature: list[tuple[str | None, str | None]] = []
    while end > 0:
        sig = _signature_line(lines[end - 1])
        if sig is None:
            break
        signature.insert(0, sig)
        end -= 1
    if end == 0:  # nothing but signature-like lines: treat them as text
        end, signature = len(lines), []

    # the header: lines before the first body line, up to and including the title
    prefix = 0
    while prefix < end and not _starts_body(lines[prefix]):
        prefix += 1
    kinds = [_header_kind(line) for line in lines[:prefix]]
    titles = [i for i, k in enumerate(kinds) if k == "title"]
    # "…关于…的报告" beats other lines naming a report (a running header left on one page)
    about = [i for i in titles if "关于" in lines[i] or (i > 0 and "关于" in lines[i - 1])]
    # else one naming a year (a site's column name "工作报告" is not the title)
    dated = [i for i in titles if years_in(lines[i])]
    title_at = (about or dated or titles or [None])[0]
    if title_at is None:
        title_at = next((i for i, k in enumerate(kinds) if k in ("plain", "issuer")), None)
        if title_at is not None and kinds[title_at] == "issuer":
            if title_at + 1 < prefix and lines[title_at + 1].startswith("关于"):
                title_at += 1
    title = None
    head_end = 0
    title_lines: tuple[int, ...] = ()
    if title_at is not None:
        title = lines[title_at]
        title_lines = (title_at,)
        before = lines[title_at - 1] if title_at > 0 else ""
        kind_before = kinds[title_at - 1] if title_at > 0 else ""
        # "重庆市万州区新乡镇人民政府⏎关于…的报告", or a title set on two lines
        if (kind_before == "issuer" and title.startswith("关于")) or (
            kind_before == "plain" and "关于" in before
        ):
            title = before + title
            title_lines = (title_at - 1, title_at)
        head_end = title_at + 1
    # addressee, date and notes right after the title (or leading special lines)
    special = ("banner", "doc_number", "signer", "date", "note", "addressee")
    while head_end < prefix and kinds[head_end] in special:
        head_end += 1
    header = list(zip(kinds[:head_end], lines[:head_end], strict=True))
    return _Layout(header, title, lines[head_end:end], signature, title_lines, lines[end:])


# -- section keys ------------------------------------------------------------------

_LEADERSHIP = re.compile(r"第一责任人|主要负责人|党政主要领导|党政一把手")
_SHORTCOMINGS = re.compile(
    r"不足|短板|差距|薄弱|弱项|存在(?:的)?(?:主要)?问题|主要问题|问题(?:和|及|与)?(?:原因|整改)|"
    r"困难和问题|问题和困难"
)
_PLANS_STRONG = re.compile(r"下一步|下步|下一年|下年度|明年|来年|今后")
_PLANS_WEAK = re.compile(r"安排|打算|计划|思路|设想|展望|谋划")
_MEASURES = re.compile(r"举措|成效|做法|情况|成绩|主要工作|工作开展|进展|亮点|经验")
_OTHER_PART = re.compile(r"^其[他它]")


def section_keys(heading: str, report_year: int | None = None) -> list[str]:
    """The canonical keys a part's heading names, in the order they appear.

    "二、存在问题及下一步工作计划" → ["shortcomings", "plans"]; a heading naming none → [].
    安排/打算/计划/思路 mean plans unless the heading's year is not after the report year.
    """
    num = numbering(heading)
    text = heading[num.end :] if num else heading
    if _LEADERSHIP.search(text):
        return ["leadership"]
    if _OTHER_PART.search(text):
        return ["other_matters"]
    hits: list[tuple[int, str]] = []
    m = _SHORTCOMINGS.search(text)
    if m:
        hits.append((m.start(), "shortcomings"))
    m = _PLANS_STRONG.search(text)
    weak = _PLANS_WEAK.search(text)
    if m:
        hits.append((m.start(), "plans"))
    elif weak:
        years = years_in(text)
        if report_year is None or not years or max(years) > report_year:
            hits.append((weak.start(), "plans"))
    m = _MEASURES.search(text)
    if m and not (weak and any(k == "plans" for _, k in hits) and m.start() > weak.start()):
        hits.append((m.start(), "measures"))
    return [k for _, k in sorted(hits)]


# -- the outline -------------------------------------------------------------------


@dataclass
class _Entry:
    text: str
    heading: bool
    num: Numbering | None = None
    level: int = 0


def _numbered_heading(
    line: str, num: Numbering, nxt: str | None, sibling_was_heading: bool | None
) -> bool:
    body = line[num.end :]
    if num.style == "part":
        return len(body) <= 40 and not has_inner_stop(body)
    if not body or len(body) > 60 or has_inner_stop(body):
        return False
    if not ends_sentence(body):
        return True
    # one short sentence ("（一）强化党的领导，法治意识树得更加牢固。"): a heading only
    # if text follows under it and its siblings are headings too
    if len(body) > 40 or sibling_was_heading is False or nxt is None:
        return False
    following = numbering(nxt)
    return following is None or following.rank > num.rank


def _bare_heading(line: str, nxt: str | None) -> bool:
    if nxt is None or not heading_like(line, max_len=50):
        return False
    if _CLOSING.match(line) or date_line(line) or _issuer_line(line):
        return False
    return re.match(r"^[一二三四五六七八九十]+是", line) is None


def _entries(body: Sequence[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    sibling: dict[str, bool] = {}  # numbering style -> whether the last such line was a heading
    for i, line in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else None
        num = numbering(line)
        if num is None:
            entries.append(_Entry(line, _bare_heading(line, nxt)))
            continue
        is_heading = _numbered_heading(line, num, nxt, sibling.get(num.style))
        for style in [s for s in sibling if STYLE_RANK[s] > num.rank]:
            del sibling[style]
        sibling[num.style] = is_heading
        entries.append(_Entry(line, is_heading, num))
    styles = sorted({e.num.style for e in entries if e.heading and e.num}, key=STYLE_RANK.get)
    for e in entries:
        if e.heading and e.num:
            e.level = styles.index(e.num.style) + 1
    return entries


@dataclass
class _Outline:
    sections: list[Section] = field(default_factory=list)
    part_keys: dict[int, list[str]] = field(default_factory=dict)  # top-level index -> keys
    #: (section, text, kind) in reading order; a heading is a passage of its own section
    passages: list[tuple[int | None, str, str]] = field(default_factory=list)


def _bare_level(
    entry: _Entry, nxt: _Entry | None, stack: list[int], out: _Outline, year: int | None
) -> int:
    if nxt is not None and nxt.heading and nxt.num is not None and nxt.level >= 2:
        return nxt.level - 1
    keys = section_keys(entry.text, year)
    if keys and keys[0] != "measures":
        top = out.part_keys.get(stack[0], []) if stack else []
        if not top or top[0] != keys[0]:
            return 1
    if not stack:
        return 1
    last = out.sections[stack[-1]]
    return last.level if numbering(last.heading) is None else last.level + 1


def _outline(entries: list[_Entry], year: int | None) -> _Outline:
    out = _Outline()
    stack: list[int] = []
    for i, entry in enumerate(entries):
        if not entry.heading:
            if _CLOSING.match(entry.text):
                out.passages.append((None, entry.text, "body"))
            else:
                out.passages.append((stack[-1] if stack else None, entry.text, "body"))
            continue
        nxt = entries[i + 1] if i + 1 < len(entries) else None
        level = entry.level or _bare_level(entry, nxt, stack, out, year)
        while stack and out.sections[stack[-1]].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        out.sections.append(Section(key="other", heading=entry.text, level=level, parent=parent))
        index = len(out.sections) - 1
        if parent is None:
            out.part_keys[index] = section_keys(entry.text, year)
        stack.append(index)
        out.passages.append((index, entry.text, "heading"))
    return out


def _assign_keys(out: _Outline, report_like: bool) -> None:
    parts = sorted(out.part_keys)
    named = [i for i in parts if out.part_keys[i] and out.part_keys[i][0] != "measures"]
    last_named = max(named) if named else None
    for i in parts:
        keys = out.part_keys[i]
        if keys:
            out.sections[i].key = keys[0]
        elif report_like and (last_named is None or i < last_named):
            out.sections[i].key = "measures"
        else:
            out.sections[i].key = "other"
    for i, section in enumerate(out.sections):
        if section.parent is None:
            continue
        parent = out.sections[section.parent]
        offered = _offered_keys(out, i)
        own = section_keys(section.heading)
        if len(offered) > 1:
            section.key = next((k for k in own if k in offered), parent.key)
        elif own[:1] == ["leadership"] and parent.key == "measures":
            section.key = "leadership"
        else:
            section.key = parent.key


def _offered_keys(out: _Outline, index: int) -> list[str]:
    """The keys a combined top-level part hands down to the section at ``index``."""
    while out.sections[index].parent is not None:
        index = out.sections[index].parent  # type: ignore[assignment]
        if out.sections[index].parent is None:
            return out.part_keys.get(index, [])
    return []


# -- the whole step ----------------------------------------------------------------


def structure(clean: str, source: str) -> Report:
    """Read one report's clean text into a :class:`Report`. Never raises on odd input.

    The text is read in simplified characters (a 繁體 page's 報告 and 情況 are
    words like any other): its metadata comes out in simplified form, its
    passages, headings and outline keep the characters as written. A web
    page's chrome is left out and its metadata block read (:mod:`.pagechrome`).
    """
    written = [line.strip() for line in clean.split("\n")]
    written = [line for line in written if line]
    report = Report(source=source)
    if not written:
        return report
    simple = [to_simplified(line) for line in written]
    as_written = _restorer(simple, written)
    page = split_page(simple)
    lines = page.lines
    if not lines:
        lines = simple
    layout = _layout(lines)
    title = page.facts.get("title") or layout.title

    entries = _entries(layout.body)
    opening = entries[0].text if entries and not entries[0].heading else None
    parts = [e for e in entries if e.heading and e.level == 1]
    report.year = _report_year(title, opening, parts)

    outline = _outline(entries, report.year)
    report_like = not layout.title or re.search(r"报告|总结|汇报|情况|法治", layout.title)
    _assign_keys(outline, bool(report_like) or any(outline.part_keys.values()))
    _fill_sections(report, outline, layout, page.meta_lines)

    named_parts = any(k and k[0] != "measures" for k in outline.part_keys.values()) or any(
        re.search(r"举措|成效", e.text) for e in parts
    )
    framing = Framing(layout.title, layout.header, layout.signature, opening or "", named_parts)
    fill(report, framing, page.facts, "\n".join(lines))
    # the metadata stays in simplified form (facets and filters compare it so);
    # the passages and the outline keep the characters as written
    report.title = title or None
    for passage in report.passages:
        passage.text = as_written(passage.text)
        passage.heading = as_written(passage.heading)
        passage.path = [as_written(h) for h in passage.path]
    for section in report.sections:
        section.heading = as_written(section.heading)
    return report


def _restorer(simple: list[str], written: list[str]):
    """Maps a line (or two joined lines, a title) read in simplified characters back to
    the characters as written; other text is returned as it is."""
    back: dict[str, str] = {}
    if simple != written:
        for i, (s, w) in enumerate(zip(simple, written, strict=True)):
            back.setdefault(s, w)
            if i + 1 < len(simple):
                back.setdefault(s + simple[i + 1], w + written[i + 1])
    return lambda text: back.get(text, text)


#: "2023年，清波街道…" or "现将大顺镇2025年法治政府建设情况报告如下" inside an opening
_OPENING_REPORT_YEAR = re.compile(
    r"((?:19|20)\d{2})\s*年(?:度)?(?:以来)?(?:[，,]|法治|推进法治|工作|的相关工作)"
)


def _report_year(title: str | None, opening: str | None, parts: list[_Entry]) -> int | None:
    if title:
        years = years_in(title)
        if years:
            return years[0]
    if opening:
        m = OPENING_YEAR.match(opening) or _OPENING_REPORT_YEAR.search(
            re.sub(r"《[^》]*》|[（(][^）)]*[)）]", "", opening)
        )
        if m:
            return int(m.group(1))
    years = [y for e in parts if not _PLANS_STRONG.search(e.text) for y in years_in(e.text)]
    return min(years) if years else None


def _framing(
    layout: _Layout, meta_lines: Sequence[str] = ()
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(text, kind) of the lines before the body (a page's metadata block, header lines
    and the title, in order) and after it (the signature block)."""
    before: list[tuple[str, str]] = [(line, "header") for line in meta_lines]
    for i, (_, line) in enumerate(layout.header):
        if i in layout.title_lines:
            if i == layout.title_lines[-1]:
                before.append((layout.title or line, "title"))
        else:
            before.append((line, "header"))
    return before, [(line, "signature") for line in layout.signature_lines]


def _fill_sections(
    report: Report, outline: _Outline, layout: _Layout, meta_lines: Sequence[str] = ()
) -> None:
    sections = list(outline.sections)
    shift = 0
    if any(sec is None for sec, _, _ in outline.passages):
        # the preamble (and closing formulas) form an unnamed part of their own
        sections.insert(0, Section(key="other", heading="", level=1, parent=None))
        shift = 1
        for s in sections[1:]:
            if s.parent is not None:
                s.parent += 1
    report.sections = sections
    before, after = _framing(layout, meta_lines)
    items = [(None, text, kind) for text, kind in before]
    items += outline.passages
    items += [(None, text, kind) for text, kind in after]
    for number, (sec, text, kind) in enumerate(items, start=1):
        if sec is None:
            report.passages.append(Passage(number, "other", "", text, [], kind))
            continue
        index = sec + shift
        path = []
        walk: int | None = index
        while walk is not None:
            path.append(sections[walk].heading)
            walk = sections[walk].parent
        path.reverse()
        report.passages.append(
            Passage(number, sections[index].key, sections[index].heading, text, path, kind)
        )
