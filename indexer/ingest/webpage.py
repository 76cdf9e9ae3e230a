"""Government web pages (``.html`` ``.htm``): the article body, without the site's furniture."""

from __future__ import annotations

import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

#: Elements that are never article text.
_DROP_ALWAYS = (
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "object",
    "embed", "button", "select", "textarea", "input", "head",
)  # fmt: skip
#: Page furniture (and forms), dropped unless it wraps most of the page's text.
_DROP_FURNITURE = ("nav", "header", "footer", "aside")
#: class/id words of page furniture on government sites.
_FURNITURE_WORDS = re.compile(
    r"(?:^|[-_])(?:nav|navbar|menu|breadcrumbs?|crumbs?|position|location|dqwz|header|"
    r"footer|foot|copyright|sidebar|side|share|fenxiang|related|search|login|friendlinks?|"
    r"pager)(?:$|[-_\d])",
)
#: Known article containers, most specific first: (attribute, lower-cased value).
_CONTENT_CONTAINERS = (
    ("id", "zoom"),
    ("class", "trs_editor"),
    ("id", "ucap-content"),
    ("class", "article-content"),
    ("class", "article_content"),
    ("class", "pages_content"),
    ("class", "news_content"),
    ("id", "content"),
    ("class", "content"),
    ("tag", "article"),
    ("tag", "main"),
)
_CONTAINER_RANK = {key: rank for rank, key in enumerate(_CONTENT_CONTAINERS)}
_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section "
    "summary table tbody td tfoot th thead tr ul".split()
)
_PARAGRAPH_TAGS = frozenset("p li h1 h2 h3 h4 h5 h6".split())
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜| - | – | — |－)\s*")
#: Least CJK characters, and least share of the page's, that a known container
#: must hold to count as the article.
_MIN_ARTICLE_CJK = 20
_MIN_ARTICLE_SHARE = 0.25


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else None


def _cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


def html_to_text(html: str) -> str:
    """The article of a web page as plain text, one block per line.

    Scripts, navigation, headers, footers, sidebars and forms are dropped; a
    known content container (``#zoom``, ``.TRS_Editor``, ``.article-content``,
    ``.content``, ``article``, ``main``…) is preferred, else the element whose
    paragraphs hold the most Chinese text. The page title (``<title>``, or an
    ``<h1>`` outside the article) comes first unless the article repeats it.
    Every walk over the tree is iterative and linear: deeply nested markup
    neither recurses nor rescans subtrees.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = _page_title(soup)
    _remove(soup, lambda tag: tag.name in _DROP_ALWAYS)
    counts = _cjk_counts(soup)
    total = counts[id(soup)]
    body = _known_container(soup, counts, total)
    if body is None:
        _remove(soup, lambda tag: _is_furniture(tag) and counts[id(tag)] <= 0.5 * total)
        body = _densest_element(soup)
    text = _block_text(body) if body is not None else ""
    if title and _squeeze(title) not in _squeeze(text):
        text = f"{title}\n{text}" if text else title
    return text


def _tags(root) -> list:
    """``root`` and every tag below it, in document order (no recursion)."""
    from bs4 import Tag

    out = []
    stack = [root]
    while stack:
        tag = stack.pop()
        out.append(tag)
        stack.extend(c for c in reversed(tag.contents) if isinstance(c, Tag))
    return out


def _remove(root, doomed) -> None:
    """Decompose the outermost tags for which ``doomed(tag)`` is true."""
    from bs4 import Tag

    found = []
    stack = list(root.contents)
    while stack:
        node = stack.pop()
        if not isinstance(node, Tag):
            continue
        if doomed(node):
            found.append(node)  # its subtree goes with it: don't look inside
        else:
            stack.extend(node.contents)
    for tag in found:
        tag.decompose()


def _cjk_counts(root) -> dict[int, int]:
    """CJK characters under each tag (by ``id``), computed bottom-up in one pass."""
    from bs4 import NavigableString, Tag

    counts: dict[int, int] = {}
    for tag in reversed(_tags(root)):
        counts[id(tag)] = sum(
            counts[id(c)]
            if isinstance(c, Tag)
            else _cjk_count(c)
            if type(c) is NavigableString
            else 0
            for c in tag.contents
        )
    return counts


def _is_furniture(tag) -> bool:
    if tag.name in ("html", "body"):
        return False
    if tag.name in _DROP_FURNITURE or tag.name == "form":
        return True
    return any(_FURNITURE_WORDS.search(w) for w in _class_words(tag))


def _page_title(soup) -> str:
    tag = soup.find("title")
    title = ""
    if tag is not None:
        parts = [p for p in _TITLE_SEPARATORS.split(tag.get_text(" ", strip=True)) if p]
        if parts:
            title = max(parts, key=_cjk_count)
    for h1 in soup.find_all("h1"):
        text = _HTML_SPACE.sub(" ", h1.get_text(" ", strip=True)).strip()
        if text and (not title or (title in text and len(text) > len(title))):
            return text  # no <title>, or the <title> was cut short
    return _HTML_SPACE.sub(" ", title).strip()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _class_words(tag) -> list[str]:
    words = [str(w).lower() for w in tag.get("class") or []]
    if tag.get("id"):
        words.append(str(tag["id"]).lower())
    return words


def _known_container(soup, counts: dict[int, int], total: int):
    """The first known article container (in order of preference) that holds a
    good share of the page's Chinese text."""
    candidates: list[list] = [[] for _ in _CONTENT_CONTAINERS]
    for tag in _tags(soup):
        keys = [("tag", tag.name)]
        if tag.get("id"):
            keys.append(("id", str(tag["id"]).lower()))
        keys.extend(("class", str(c).lower()) for c in tag.get("class") or ())
        for key in keys:
            rank = _CONTAINER_RANK.get(key)
            if rank is not None:
                candidates[rank].append(tag)
    least = max(_MIN_ARTICLE_CJK, _MIN_ARTICLE_SHARE * total)
    for found in candidates:
        best = max(found, key=lambda t: counts[id(t)], default=None)
        if best is not None and counts[id(best)] >= least:
            return best
    return None


def _densest_element(soup):
    """The element whose own text blocks hold the most CJK characters."""
    from bs4 import NavigableString

    scores: dict[int, tuple[int, object]] = {}
    for node in soup.find_all(string=True):
        if type(node) is not NavigableString:  # comments, doctype, CDATA
            continue
        n = _cjk_count(node)
        if not n:
            continue
        block = node.parent
        while block is not None and block.name not in _BLOCK_TAGS and block.name != "body":
            block = block.parent
        if block is None:
            continue
        # a paragraph's text belongs to the element that holds the paragraphs
        holder = block.parent if block.name in _PARAGRAPH_TAGS else block
        if holder is None or holder.name == "[document]":
            holder = block
        prev = scores.get(id(holder), (0, holder))[0]
        scores[id(holder)] = (prev + n, holder)
    if scores:
        return max(scores.values(), key=lambda s: s[0])[1]
    return soup.body or soup


def _block_text(root) -> str:
    """Text of ``root`` with block elements on their own lines (iterative: no recursion)."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            parts.append(node)  # a line-break marker pushed below
        elif isinstance(node, NavigableString):
            if type(node) is NavigableString:
                parts.append(_HTML_SPACE.sub(" ", str(node)))
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name == "pre":
                parts.append("\n" + node.get_text() + "\n")
            else:
                block = node.name in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                    stack.append("\n")
                stack.extend(reversed(node.contents))
    lines = (line.strip(" \t") for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)
