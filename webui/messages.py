"""What the pages say about a malformed query, in Chinese, with a literal search to try.

The JSON API and the CLI keep the English message (scripts rely on it); a page
shows :func:`query_error` instead: the mistake said in Chinese from the
error's ``code`` (:class:`indexer.errors.QueryError`), the original message as
a detail, and a link that searches what was typed literally, as one quoted
phrase (quotation marks dropped, operators and brackets taken as text).
"""

from __future__ import annotations

import re

from flask import url_for

from indexer.errors import QueryError

from .urls import SEARCH_PAGE

_ZH = {
    "unbalanced_quote": "引号没有成对：有一个引号没有闭合。",
    "unbalanced_parentheses": "括号没有成对。",
    "dangling_operator": "“{value}”前后缺少检索词：OR 两边都要有词，- 和 NOT 后面要有词。",
    "filter_in_or": "筛选条件（如 township:美湖镇）只能写在检索式的最外层，不能放在括号、OR 或 NOT 中。",
    "too_deep": "括号嵌套过深（最多 8 层）。",
    "empty_parentheses": "括号里没有检索词。",
    "empty_quote": "引号里没有检索词。",
    "too_many_terms": "检索词过多（最多 32 个）。",
    "too_long": "检索式过长（最多 500 个字符）。",
    "empty": "请输入要检索的词语或短语。",
    "only_filters": "只有筛选条件，没有检索词：请再输入要找的词语或短语。",
    "only_negative": "检索式只排除了词语：请再加上要找的词语或短语。",
    "bad_year": "年份“{value}”的写法不对：应为 2023 或 2021-2023 这样的形式。",
    "unknown_section": "没有“{value}”这个报告部分：可写 measures、shortcomings、leadership、plans、other_matters 或中文名称（如“存在的不足和原因”“不足”）。",
    "unknown_field": "没有“{value}”这个筛选字段：可用 township、county、year、section、province。",
    "empty_filter": "筛选条件“{value}:”后面没有值。",
    "unexpected": "检索式中有无法识别的“{value}”。",
}
#: mistakes a literal search of the same characters would not mend
_NO_LITERAL = {"too_long", "empty", "too_many_terms", "invalid"}
_QUOTES = re.compile('["“”]')


def query_error(exc: QueryError, typed: str) -> dict:
    """``{message, detail, literal, literal_url}`` for a page: the Chinese message, the
    original English one, and the literal search of ``typed`` (None when it cannot help)."""
    code = getattr(exc, "code", "invalid")
    template = _ZH.get(code)
    value = (getattr(exc, "value", "") or "")[:40]
    message = template.format(value=value) if template else "检索条件有误。"
    literal = literal_query(typed) if code not in _NO_LITERAL else None
    return {
        "message": message,
        "detail": exc.user_message(),
        "literal": literal,
        "literal_url": url_for(SEARCH_PAGE, q=literal) if literal else None,
    }


def literal_query(typed: str) -> str | None:
    """What was typed as one quoted phrase (None when nothing is left to search)."""
    text = " ".join(_QUOTES.sub(" ", typed).split())
    if not text or len(text) > 480:
        return None
    return f"“{text}”"
