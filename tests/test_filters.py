"""Inline filter parsing and date bounds."""

from __future__ import annotations

from datetime import date

import pytest

from bot.filters import describe_filters, make_filters, parse_date_bound, parse_inline_filters
from core.errors import InputError
from core.types import SearchFilters


def test_all_inline_filters_are_stripped_and_parsed() -> None:
    text, filters = parse_inline_filters(
        "publisher:CISA after:2024-01-01 before:2024-06 source:foo.md lang:NL what changed?"
    )
    assert text == "what changed?"
    assert filters == SearchFilters(
        publisher="CISA",
        source="foo.md",
        after=date(2024, 1, 1),
        before=date(2024, 6, 30),
        language="nl",
    )


def test_quoted_values_may_contain_spaces() -> None:
    text, filters = parse_inline_filters("What did publisher:\"Army Recognition\" report? source:'a b.txt'")
    assert text == "What did report?"
    assert filters.publisher == "Army Recognition"
    assert filters.source == "a b.txt"


def test_keys_are_case_insensitive_and_aliases_work() -> None:
    _, filters = parse_inline_filters("PUBLISHER:mitre Since:2023 until:2023-02 language:de x")
    assert filters.publisher == "mitre"
    assert filters.after == date(2023, 1, 1)
    assert filters.before == date(2023, 2, 28)
    assert filters.language == "de"


def test_text_that_only_looks_like_a_filter_is_kept() -> None:
    question = "What was the TWINSCAN EXE:5200 and a ratio 3:1 at http://x.org?"
    text, filters = parse_inline_filters(question)
    assert text == question
    assert filters.is_empty()


def test_filter_inside_a_word_is_not_a_filter() -> None:
    text, filters = parse_inline_filters("the subsource:foo thing")
    assert text == "the subsource:foo thing"
    assert filters.is_empty()


def test_later_occurrence_of_a_key_wins() -> None:
    _, filters = parse_inline_filters("publisher:A publisher:B q")
    assert filters.publisher == "B"


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2024", False, date(2024, 1, 1)),
        ("2024", True, date(2024, 12, 31)),
        ("2024-02", True, date(2024, 2, 29)),
        ("2023-02", True, date(2023, 2, 28)),
        ("2024-3", False, date(2024, 3, 1)),
        ("2024-03-15", True, date(2024, 3, 15)),
        ("2024/03/15", False, date(2024, 3, 15)),
    ],
)
def test_date_bounds_cover_the_whole_period(value: str, end: bool, expected: date) -> None:
    assert parse_date_bound(value, end=end) == expected


@pytest.mark.parametrize("question", ["after:2024-13 q", "before:yesterday q", "after:2023-02-30 q"])
def test_invalid_date_is_an_input_error_naming_the_filter(question: str) -> None:
    key = question.split(":")[0]
    with pytest.raises(InputError) as err:
        parse_inline_filters(question)
    assert f"{key}:" in str(err.value)
    assert "YYYY" in str(err.value)


def test_empty_range_is_rejected() -> None:
    with pytest.raises(InputError, match="empty"):
        parse_inline_filters("after:2024-06 before:2024-01 q")


def test_empty_quoted_value_is_rejected() -> None:
    with pytest.raises(InputError, match="publisher"):
        parse_inline_filters('publisher:"" q')


def test_invalid_language_is_rejected() -> None:
    with pytest.raises(InputError, match="language"):
        make_filters(language="not a language")


def test_make_filters_from_cli_strings() -> None:
    filters = make_filters(publisher=" CISA ", after="2024", before=date(2024, 5, 1), source="")
    assert filters == SearchFilters(publisher="CISA", after=date(2024, 1, 1), before=date(2024, 5, 1))
    assert describe_filters(filters) == "publisher=CISA, after 2024-01-01, before 2024-05-01"
    assert describe_filters(SearchFilters()) == ""
