"""The query grammar: what parses into what, and every bad query's message."""

from __future__ import annotations

import pytest

from indexer.errors import QueryError
from indexer.search.query import MAX_QUERY_CHARS, And, Filters, Not, Or, Term, parse


def terms(q: str) -> list[str]:
    return [t.folded for t in parse(q).terms()]


def test_cjk_run_is_one_verbatim_term():
    assert parse("一支队伍管执法").expr == Term("一支队伍管执法", "一支队伍管执法")


def test_width_and_space_variants_fold_to_one_term():
    # full-width parentheses are text; ASCII ones group, unless quoted
    assert terms("（2021-2025年）") == terms('"(2021-2025年)"') == ["(2021-2025年)"]
    assert terms('"（2021-2025 年）"') == ["(2021-2025年)"]
    assert terms('"依法 行政"') == ["依法行政"]
    assert terms("ＡＢＣ１２") == ["abc12"]


def test_implicit_and_or_not_and_groups():
    q = parse("(依法行政 OR 法治) -枫桥 NOT 短板")
    assert isinstance(q.expr, And)
    group, neg1, neg2 = q.expr.items
    assert isinstance(group, Or) and [t.folded for t in group.items] == ["依法行政", "法治"]
    assert neg1 == Not(Term("枫桥", "枫桥")) and neg2 == Not(Term("短板", "短板"))
    assert terms("(依法行政 OR 法治) -枫桥") == ["依法行政", "法治"]


def test_chinese_quotes_delimit_a_phrase():
    assert terms("“谁执法谁普法”") == ["谁执法谁普法"]


def test_hyphen_inside_a_word_is_literal():
    assert terms("2021-2025") == ["2021-2025"]


def test_field_filters():
    q = parse("依法 township:美湖镇 year:2021-2023 year:2024 section:不足 province:福建省")
    assert q.filters.township == ["美湖镇"]
    assert q.filters.year == [(2021, 2023), (2024, 2024)]
    assert q.filters.section == ["shortcomings"]
    assert q.filters.to_json() == {
        "township": ["美湖镇"],
        "province": ["福建省"],
        "section": ["shortcomings"],
        "year": ["2021-2023", "2024"],
    }


def test_section_accepts_key_label_and_alias():
    for value in ("shortcomings", "存在的不足和原因", "不足"):
        assert parse(f"x section:{value}").filters.section == ["shortcomings"]


def test_filters_from_options_merge_with_query_filters():
    f = Filters()
    f.add("year", "2022")
    q = parse("法治 year:2023", f)
    assert q.filters.year == [(2022, 2022), (2023, 2023)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty query: type a word or phrase to search for"),
        ("   ", "empty query: type a word or phrase to search for"),
        ('"一支队伍', "unbalanced quote: a quoted phrase is not closed"),
        ("“一支队伍", "unbalanced quote: a quoted phrase is not closed"),
        ("(依法 OR 法治", "unbalanced parentheses: '(' is not closed"),
        ("依法)", "unbalanced parentheses: ')' without '('"),
        ("()", "empty parentheses"),
        ("依法 OR", "dangling operator 'OR': it needs a term on both sides"),
        ("OR 依法", "dangling operator 'OR': it needs a term on both sides"),
        ("依法 AND", "dangling operator 'AND': it needs a term on both sides"),
        ("依法 NOT", "dangling operator 'NOT': it needs a term after it"),
        ("依法 -", "dangling operator '-': it needs a term after it"),
        ("-依法", "the query only excludes terms; add a word or phrase to search for"),
        ("year:2022", "the query has filters but no words to search for"),
        (
            "foo:bar 依法",
            "unknown field 'foo' (known fields: township, county, province, year, section)",
        ),
        ("依法 year:22", "malformed year '22' (use YYYY or YYYY-YYYY, e.g. 2021-2023)"),
        ("依法 year:2023-abc", "malformed year '2023-abc' (use YYYY or YYYY-YYYY, e.g. 2021-2023)"),
        ("依法 year:1066", "year '1066' is out of range (1949-2100)"),
        (
            "依法 section:foo",
            "unknown section 'foo' (use one of: measures, shortcomings, "
            "leadership, plans, other_matters, other, or a label)",
        ),  # fmt: skip
        (
            "(依法 year:2022)",
            "filter 'year:' must stand at the top level of the query "
            "(not inside parentheses, OR or NOT)",
        ),  # fmt: skip
        ("依法 township:", "empty value for filter 'township'"),
        ("(" * 9 + "依法" + ")" * 9, "too deeply nested parentheses (the limit is 8)"),
        (" ".join(f"词{i}" for i in range(33)), "too many terms (the limit is 32)"),
        ("法" * 5000, f"query too long (5000 characters; the limit is {MAX_QUERY_CHARS})"),
    ],
)
def test_bad_queries_get_one_line_reasons(query, message):
    with pytest.raises(QueryError) as info:
        parse(query)
    assert str(info.value) == message
    assert "\n" not in str(info.value)


def test_control_characters_are_treated_as_spaces():
    assert terms("依法\x00行政") == ["依法", "行政"]


@pytest.mark.parametrize("value", ["0\n0", "x\r\ny", "\u2028", "a" * 300])
def test_messages_quoting_a_value_stay_on_one_bounded_line(value):
    """Regression (found by fuzzing the web API): a year with a line break broke the message."""
    for field in ("year", "section"):
        with pytest.raises(QueryError) as info:
            Filters().add(field, value)
        message = str(info.value)
        assert "\n" not in message and "\r" not in message and "\u2028" not in message
        assert len(message) < 160
