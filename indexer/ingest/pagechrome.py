"""A government web page's chrome and its own metadata block, recognised in clean lines.

Pages (``.html`` files, or page text pasted into a ``.txt``) wrap the report in
site chrome — the site's name, breadcrumbs (``您当前的位置：首页>…``), share,
print, font-size and audio controls (``打印`` ``关闭`` ``大 中 小`` ``语音播报``),
counters (``浏览量:1``), publish timestamps (``发布时间:2024-03-28 09:18``) and
footers — and often show a metadata block (``[索引号] …`` ``[发布机构] …``
``成文日期:`` ``发文字号:`` ``-标题:``) that states exactly the facts a report's
text leaves to guesswork.

:func:`split_page` drops the chrome, lifts the metadata block out of the text
(its lines stay searchable as header lines) and reads its facts. Pure
functions over lines; nothing here guesses: a line is chrome only when it is
nothing but chrome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .metadata import find_doc_number, parse_date

# -- the metadata block ----------------------------------------------------------

#: label (spaces removed) → fact it gives; None: shown but not a fact kept
_LABELS: dict[str, str | None] = {
    "标题": "title",
    "题名": "title",
    "文件名称": "title",
    "发布机构": "issuer",
    "发文机关": "issuer",
    "发文机构": "issuer",
    "发文单位": "issuer",
    "制发机关": "issuer",
    "成文日期": "date",
    "公文生成日期": "date",
    "发文日期": "date",
    "印发日期": "date",
    "签发日期": "date",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "备注/文号": "doc_number",
    "索引号": "index_number",
    "主题分类": "subject",
    "主题词": None,
    "体裁分类": None,
    "信息类别": None,
    "公开范围": None,
    "公开方式": None,
    "公开形式": None,
    "有效性": None,
    "效力状态": None,
    "时效": None,
    "发布日期": None,
    "生效日期": None,
    "废止日期": None,
    "内容概述": None,
    "所属机构": None,
    "组配分类": None,
    "服务对象": None,
    "来源": None,
    "信息来源": None,
}
_LABEL_ALT = "|".join(
    sorted(("".join(rf"{re.escape(c)}\s*" for c in label) for label in _LABELS), key=len)[::-1]
)
#: one ``label: value`` or ``[label] value`` item; a line may hold several
_ITEM = re.compile(
    rf"[-•·*]?\s*(?:[\[【［]\s*(?P<b>{_LABEL_ALT})[\]】］]|(?P<c>{_LABEL_ALT})\s*[:：])"
)
_BULLET = re.compile(r"^[-•·*]\s*")


def is_meta_line(line: str) -> bool:
    """A line of a page's metadata block (``[索引号] …``, ``发文字号：…``)."""
    return _ITEM.match(_BULLET.sub("", line.strip())) is not None


def _label(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _meta_items(line: str) -> list[tuple[str, str]] | None:
    """``[(label, value), …]`` when the whole line is metadata items, else None."""
    body = _BULLET.sub("", line.strip())
    matches = list(_ITEM.finditer(body))
    if not matches or matches[0].start() != 0:
        return None
    items = []
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        value = body[m.end() : nxt.start() if nxt else len(body)]
        items.append((_label(m.group("b") or m.group("c")), value.strip(" \u3000:：]】")))
    return items


# -- chrome ----------------------------------------------------------------------

_BREADCRUMB = re.compile(
    r"^\d?\s*(?:您(?:当前|现在)?(?:所在|所处)?的?位置|当前位置|所在位置|现在位置)\s*[:：]"
    r"|首页\s*(?:>|＞|»|›|>>|/|→|\\)"
)
_CONTROL_WORDS = (
    "语音播报|进入播报模式|退出播报模式|语音合成中|请耐心等待|打印本页|打印|关闭窗口|关闭|"
    "返回顶部|返回|收藏|分享到|分享|扫一扫|二维码|微信|微博|无障碍|长者模式|简体|繁体|"
    "字号|字体|大|中|小|默认|放大|缩小|保存|纠错|我要纠错"
)
_CONTROLS = re.compile(rf"^(?:[\s【】\[\]（）()|｜/:：,，.。\-•·*]|{_CONTROL_WORDS})*$")
_FIELD_WORDS = (
    "来源|信息来源|文章来源|稿件来源|发布时间|发布日期|发表时间|更新时间|更新日期|时间|日期|"
    "作者|编辑|责任编辑|审核|供稿|浏览量|浏览次数|浏览|点击数|点击量|点击|阅读量|阅读|访问量|"
    "字号|字体|字体大小|发布者|发布人|信息提供"
)
_FIELD = re.compile(rf"(?:^|(?<=[\s\]】|｜]))(?:{_FIELD_WORDS})\s*[:：]")
#: a publish timestamp: 2026-02-10, 2021/03/29 11:30:01, 2024年04月06日 16:40 (a date in
#: words alone, 2024年2月27日, is a signature's date and stays)
_TIMESTAMP = re.compile(
    r"^(?:(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|(?:19|20)\d{2}年\d{1,2}月\d{1,2}日\s*\d{1,2}:\d{2}(?::\d{2})?)\s*$"
)
_TODAY = re.compile(r"^(?:今天是|今日)|星期[一二三四五六日天]|农历")
_SITE = re.compile(r"(?:门户网站|政府网|网站|www\.[\w.]+)")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")


def _field_line(line: str) -> bool:
    """``时间:2023-02-28 15:36 浏览量:1``, ``来源:本网 发布日期:…【打印】``: fields only."""
    m = _FIELD.search(line)
    if not m:
        return False
    head = line[: m.start()].strip()
    # a site name may come first: "芷江侗族自治县人民政府 发布时间: …"
    return not head or (len(head) <= 30 and ("，" not in head and "。" not in head))


def is_chrome(line: str) -> bool:
    """A line that is nothing but page chrome (breadcrumb, controls, counters, timestamps)."""
    s = line.strip()
    if not s:
        return True
    if _BREADCRUMB.search(s) or _CONTROLS.match(s) or _URL.match(s):
        return True
    if _TIMESTAMP.match(s) or (_TODAY.search(s) and len(s) <= 40):
        return True
    if _field_line(s):
        return True
    return bool(
        _SITE.search(s)
        and len(s) <= 50
        and not re.search(r"[，。]|报告|总结|方案|通知|意见|办法|规则|要点", s)
    )


# -- the whole step ----------------------------------------------------------------


@dataclass
class PageParts:
    """The report's lines without chrome, and the page's own facts."""

    lines: list[str]
    #: title, issuer, date (ISO), doc_number, index_number, subject
    facts: dict[str, str] = field(default_factory=dict)
    #: the metadata block's lines as written (kept as header passages)
    meta_lines: list[str] = field(default_factory=list)
    chrome: list[str] = field(default_factory=list)


#: lines from the top in which site chrome is looked for (and from the end, footers)
_TOP = 40
_BOTTOM = 12


def _fact(name: str, value: str) -> str | None:
    value = value.strip()
    if not value or value in ("无", "-", "—", "/"):
        return None
    if name == "date":
        return parse_date(value)
    if name == "doc_number":
        return find_doc_number(value) or (value if len(value) <= 30 else None)
    if name == "issuer" and ("网站" in value or len(value) > 40):
        return None
    return value


def split_page(lines: list[str]) -> PageParts:
    """Drop chrome from the top and bottom of a page's lines and read its metadata block."""
    n = len(lines)
    facts: dict[str, str] = {}
    meta: list[str] = []
    chrome: list[str] = []
    keep: list[str] = []
    pending: str | None = None  # a label whose value is on the next line
    seen_body = False
    for i, line in enumerate(lines):
        top = not seen_body and i < _TOP
        bottom = i >= n - _BOTTOM
        items = _meta_items(line) if (top or bottom) else None
        if items is not None:
            meta.append(line)
            for label, value in items:
                name = _LABELS.get(label)
                if not value:
                    # "• 发文字号：" alone on its line: the value is on the next one
                    pending = label if len(items) == 1 else None
                    continue
                pending = None
                if name and name not in facts:
                    fact = _fact(name, value)
                    if fact:
                        facts[name] = fact
            continue
        if pending is not None and top and len(line) <= 60:
            name = _LABELS.get(pending)
            pending = None
            if not is_chrome(line) or name == "date":
                meta.append(line)
                if name and name not in facts:
                    fact = _fact(name, line)
                    if fact:
                        facts[name] = fact
                continue
        pending = None
        if (top or bottom) and is_chrome(line):
            chrome.append(line)
            continue
        if len(line) > 60 or re.search(r"[。；]", line):
            seen_body = True
        keep.append(line)
    keep = _drop_site_name(keep, chrome)
    return PageParts(_drop_repeats(keep), facts, meta, chrome)


def _drop_site_name(lines: list[str], chrome: list[str]) -> list[str]:
    """A site's name above a breadcrumb (禄丰市人民政府 ⏎ 首页 >> …) is chrome too."""
    if lines and chrome and any(_BREADCRUMB.search(c) for c in chrome):
        first = lines[0]
        if len(first) <= 20 and re.search(r"(?:人民政府|政府|网)$", first):
            if len(lines) > 1 and not lines[1].startswith("关于"):
                chrome.insert(0, first)
                return lines[1:]
    return lines


def _drop_repeats(lines: list[str]) -> list[str]:
    """Near the top, a title shown twice (page heading and article) is kept once; so is a
    title that the article then sets on two lines."""
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        if i < _TOP and len(line) <= 80:
            squeezed = re.sub(r"\s+", "", line)
            if squeezed in seen:
                i += 1
                continue
            if i + 1 < len(lines) and squeezed + re.sub(r"\s+", "", lines[i + 1]) in seen:
                i += 2
                continue
            seen.add(squeezed)
        out.append(line)
        i += 1
    return out
