"""The query language: a small hand-written grammar, bounded before parsing.

::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := unary (["AND"] unary)*
    unary    := ("-" | "NOT") unary | primary
    primary  := "(" or_expr ")" | QUOTED | WORD
    filter   := NAME ":" value      (top level only)

A WORD is a run of characters without spaces, ASCII parentheses or quotes; a
QUOTED string is delimited by "…" or “…”. Each WORD or QUOTED string must
occur verbatim (after folding) in one passage. Field filters (``township:``,
``county:``, ``province:``, ``year:2022`` or ``year:2021-2023``, ``section:``,
``level:township``, ``kind:annual_report``)
narrow the set of reports and may only stand at the top level. There are no
wildcards or regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import QueryError
from ..model import REPORT_KINDS, REPORT_LEVELS, SECTION_LABELS, resolve_section
from ..text import expand_ligatures, fold, segment, to_simplified

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MAX_DEPTH = 8
#: values listed per township, county and province facet (most reports first); the
#: rest are counted in a result's ``facets_omitted``. Selected values are always listed.
FACET_LIMIT = 100
MAX_FACET_LIMIT = 10_000
YEAR_MIN, YEAR_MAX = 1949, 2100

FILTER_FIELDS = ("township", "county", "province", "year", "section", "level", "kind")
#: filters whose values are a fixed vocabulary: key or Chinese label
VOCABULARIES = {"level": REPORT_LEVELS, "kind": REPORT_KINDS}


@dataclass(frozen=True)
class Term:
    text: str  # as typed (without quotes)
    folded: str
    quoted: bool = False


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass
class Filters:
    township: list[str] = field(default_factory=list)
    county: list[str] = field(default_factory=list)
    province: list[str] = field(default_factory=list)
    year: list[tuple[int, int]] = field(default_factory=list)
    section: list[str] = field(default_factory=list)
    level: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        value = value.strip()
        if not value:
            raise QueryError(
                f"empty value for filter '{shown(name)}'", code="empty_filter", value=name
            )
        if name == "year":
            rng = parse_year(value)
            if rng not in self.year:
                self.year.append(rng)
        elif name == "section":
            key = resolve_section(value)
            if key is None:
                known = ", ".join(SECTION_LABELS)
                raise QueryError(
                    f"unknown section '{shown(value)}' (use one of: {known}, or a label)",
                    code="unknown_section",
                    value=value,
                )
            if key not in self.section:
                self.section.append(key)
        elif name in VOCABULARIES:
            key = resolve_term(VOCABULARIES[name], value)
            if key is None:
                known = ", ".join(VOCABULARIES[name])
                raise QueryError(f"unknown {name} '{shown(value)}' (use one of: {known})")
            if key not in getattr(self, name):
                getattr(self, name).append(key)
        elif name in FILTER_FIELDS:
            value = to_simplified(value)  # place names are read in simplified form: 美湖鎮 → 美湖镇
            values = getattr(self, name)
            if value not in values:
                values.append(value)
        else:
            raise QueryError(
                f"unknown field '{shown(name)}' (known fields: {', '.join(FILTER_FIELDS)})",
                code="unknown_field",
                value=name,
            )

    def to_json(self) -> dict:
        out: dict = {}
        for name in ("township", "county", "province", "section", "level", "kind"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.year:
            out["year"] = [str(a) if a == b else f"{a}-{b}" for a, b in self.year]
        return out

    def without(self, name: str) -> Filters:
        f = Filters(**{k: list(getattr(self, k)) for k in FILTER_FIELDS})
        setattr(f, name, [])
        return f


@dataclass
class Query:
    text: str
    expr: object  # Term | And | Or | Not
    filters: Filters

    def terms(self) -> list[Term]:
        """Positive terms (those to highlight), in query order, without duplicates."""
        out: list[Term] = []

        def walk(node, negated: bool) -> None:
            if isinstance(node, Term):
                if not negated and node not in out:
                    out.append(node)
            elif isinstance(node, Not):
                walk(node.item, not negated)
            else:
                for item in node.items:
                    walk(item, negated)

        walk(self.expr, False)
        return out


def resolve_term(vocabulary: dict[str, str], value: str) -> str | None:
    """The key of a vocabulary value given as its key or its Chinese label."""
    v = to_simplified(value.strip())
    if v.lower() in vocabulary:
        return v.lower()
    return next((k for k, label in vocabulary.items() if v == label), None)


def shown(value: str, limit: int = 40) -> str:
    """A user's value as quoted in a one-line message: no line breaks, bounded length."""
    value = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", " ", str(value))
    return value if len(value) <= limit else value[:limit] + "…"


_YEAR_RE = re.compile(r"^(\d{4})(?:\s*[-–—~～至]\s*(\d{4}))?$")


def parse_year(value: str) -> tuple[int, int]:
    m = _YEAR_RE.match(fold(value).replace("年", "") if value else "")
    if not m:
        raise QueryError(
            f"malformed year '{shown(value)}' (use YYYY or YYYY-YYYY, e.g. 2021-2023)",
            code="bad_year",
            value=value,
        )
    lo = int(m.group(1))
    hi = int(m.group(2) or lo)
    if lo > hi:
        lo, hi = hi, lo
    if lo < YEAR_MIN or hi > YEAR_MAX:
        raise QueryError(
            f"year '{shown(value)}' is out of range ({YEAR_MIN}-{YEAR_MAX})",
            code="bad_year",
            value=value,
        )
    return lo, hi


# ---------------------------------------------------------------- lexer

_QUOTES = {'"': '"', "“": "”", "”": "”"}
_FIELD_RE = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD QUOTED LPAREN RPAREN OR AND NOT MINUS FIELD
    value: str = ""
    name: str = ""


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("LPAREN"))
            i += 1
        elif c == ")":
            toks.append(_Tok("RPAREN"))
            i += 1
        elif c in _QUOTES:
            close = _QUOTES[c]
            j = text.find(close, i + 1)
            if c == "“" and j < 0:
                j = text.find('"', i + 1)
            if j < 0:
                raise QueryError(
                    "unbalanced quote: a quoted phrase is not closed", code="unbalanced_quote"
                )
            toks.append(_Tok("QUOTED", text[i + 1 : j]))
            i = j + 1
        elif c == "-" and (not toks or toks[-1].kind != "WORD" or text[i - 1].isspace()):
            toks.append(_Tok("MINUS"))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"“':
                j += 1
            word = text[i:j]
            i = j
            m = _FIELD_RE.match(word)
            if word in ("OR", "AND", "NOT"):
                toks.append(_Tok(word))
            elif m:
                value = m.group(2)
                if not value and i < n and text[i] in _QUOTES:
                    close = _QUOTES[text[i]]
                    k = text.find(close, i + 1)
                    if k < 0:
                        raise QueryError(
                            "unbalanced quote: a quoted phrase is not closed",
                            code="unbalanced_quote",
                        )
                    value = text[i + 1 : k]
                    i = k + 1
                toks.append(_Tok("FIELD", value, m.group(1).lower()))
            else:
                toks.append(_Tok("WORD", word))
    return toks


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, toks: list[_Tok], filters: Filters) -> None:
        self.toks = toks
        self.i = 0
        self.filters = filters
        self.terms = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self):
        expr = self.or_expr(0, top=True)
        if self.peek() is not None:
            tok = self.peek()
            if tok.kind == "RPAREN":
                raise QueryError(
                    "unbalanced parentheses: ')' without '('", code="unbalanced_parentheses"
                )
            raise QueryError(
                f"unexpected '{shown(tok.value or tok.kind)}'",
                code="unexpected",
                value=tok.value or "",
            )
        return expr

    def or_expr(self, depth: int, top: bool = False):
        items = [self.and_expr(depth, top)]
        while self.peek() is not None and self.peek().kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in ("OR", "AND", "RPAREN"):
                raise QueryError(
                    "dangling operator 'OR': it needs a term on both sides",
                    code="dangling_operator",
                    value="OR",
                )
            items.append(self.and_expr(depth, top=False))
        if len(items) > 1 and any(x is None for x in items):
            raise QueryError(
                "field filters cannot be combined with OR; use several filters", code="filter_in_or"
            )
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, depth: int, top: bool):
        items = []
        while True:
            tok = self.peek()
            if tok is None or tok.kind in ("OR", "RPAREN"):
                break
            if tok.kind == "AND":
                self.take()
                if not items and tok is self.toks[0]:
                    raise QueryError(
                        "dangling operator 'AND': it needs a term on both sides",
                        code="dangling_operator",
                        value="AND",
                    )
                nxt = self.peek()
                if nxt is None or nxt.kind in ("OR", "AND", "RPAREN"):
                    raise QueryError(
                        "dangling operator 'AND': it needs a term on both sides",
                        code="dangling_operator",
                        value="AND",
                    )
                continue
            if tok.kind == "FIELD":
                self.take()
                if not top:
                    raise QueryError(
                        f"filter '{tok.name}:' must stand at the top level of the query "
                        "(not inside parentheses, OR or NOT)",
                        code="filter_in_or",
                    )
                self.filters.add(tok.name, tok.value)
                continue
            items.append(self.unary(depth))
        if not items:
            if self.i == 0 or (self.peek() is not None and self.peek().kind == "OR"):
                raise QueryError(
                    "dangling operator 'OR': it needs a term on both sides",
                    code="dangling_operator",
                    value="OR",
                )
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, depth: int):
        tok = self.take()
        if tok.kind in ("MINUS", "NOT"):
            nxt = self.peek()
            if nxt is None or nxt.kind in ("OR", "AND", "RPAREN", "MINUS", "NOT"):
                op = "-" if tok.kind == "MINUS" else "NOT"
                raise QueryError(
                    f"dangling operator '{op}': it needs a term after it",
                    code="dangling_operator",
                    value=op,
                )
            if nxt.kind == "FIELD":
                raise QueryError("a field filter cannot be negated", code="filter_in_or")
            return Not(self.unary(depth))
        if tok.kind == "LPAREN":
            if depth + 1 > MAX_DEPTH:
                raise QueryError(
                    f"too deeply nested parentheses (the limit is {MAX_DEPTH})", code="too_deep"
                )
            if self.peek() is not None and self.peek().kind == "RPAREN":
                raise QueryError("empty parentheses", code="empty_parentheses")
            inner = self.or_expr(depth + 1)
            if self.peek() is None or self.peek().kind != "RPAREN":
                raise QueryError(
                    "unbalanced parentheses: '(' is not closed", code="unbalanced_parentheses"
                )
            self.take()
            if inner is None:
                raise QueryError("empty parentheses", code="empty_parentheses")
            return inner
        if tok.kind in ("WORD", "QUOTED"):
            folded = fold(tok.value)
            if not folded:
                raise QueryError("empty quoted phrase", code="empty_quote")
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QueryError(
                    f"too many terms (the limit is {MAX_TERMS})", code="too_many_terms"
                )
            return Term(tok.value, folded, tok.kind == "QUOTED")
        if tok.kind == "RPAREN":
            raise QueryError(
                "unbalanced parentheses: ')' without '('", code="unbalanced_parentheses"
            )
        raise QueryError(f"unexpected '{tok.kind}'", code="unexpected")


def parse(text: str, filters: Filters | None = None) -> Query:
    """Parse a user query. Raises :class:`QueryError` with a one-line reason."""
    if text is None:
        text = ""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})",
            code="too_long",
        )
    text = expand_ligatures(_CONTROL.sub(" ", text))  # as ingestion does: ﬁ → fi
    if not text.strip():
        raise QueryError("empty query: type a word or phrase to search for", code="empty")
    filters = filters or Filters()
    toks = _lex(text)
    parser = _Parser(toks, filters)
    expr = parser.parse()
    if expr is None:
        raise QueryError("the query has filters but no words to search for", code="only_filters")
    if _only_negative(expr):
        raise QueryError(
            "the query only excludes terms; add a word or phrase to search for",
            code="only_negative",
        )
    return Query(text=text.strip(), expr=expr, filters=filters)


def _only_negative(node) -> bool:
    if isinstance(node, Not):
        return True
    if isinstance(node, And):
        return all(_only_negative(x) for x in node.items)
    if isinstance(node, Or):
        return any(_only_negative(x) for x in node.items)
    return False


def words_expr(node):
    """A query for words mode: each unquoted term becomes the AND of its jieba words;
    quoted terms stay phrases."""
    if isinstance(node, Term):
        if node.quoted:
            return node
        words = [fold(w) for w, _, _ in segment(node.text)]
        words = [w for w in dict.fromkeys(words) if w]
        if len(words) <= 1:
            return node
        return And(tuple(Term(w, w) for w in words))
    if isinstance(node, Not):
        return Not(words_expr(node.item))
    return type(node)(tuple(words_expr(x) for x in node.items))
