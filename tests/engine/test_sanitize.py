"""The edge's cleaning of text from outside: valid Unicode, no control characters, tabs and newlines kept."""

from __future__ import annotations

import pytest

from bot.engine.sanitize import clean_input, clean_line, clean_tree, has_surrogates


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("张三", "张三"),
        ("plain ascii", "plain ascii"),
        ("\ud800", "\ufffd"),
        ("张\udfff三", "张\ufffd三"),
        ("\udc80\udcff", "\ufffd\ufffd"),  # surrogateescape'd bytes from a terminal
        ("a\x00b\x07c\x1bd\x7fe\x85f\x9fg", "abcdefg"),
        ("第一行\r\n第二行\r第三行\n\t缩进", "第一行\n第二行\n第三行\n\t缩进"),
        ("\x0b\x0c\x1c", ""),
        ("\u202e三张\u202c \u2066x\u2069", "三张 x"),
        ("👨‍👩‍👧‍👦", "👨‍👩‍👧‍👦"),  # zero-width joiners are kept: emoji sequences need them
        ("{{ 7*7 }}<script>", "{{ 7*7 }}<script>"),  # markup is data, escaped where it is shown
        ("\ufffd", "\ufffd"),
    ],
)
def test_clean_input(raw: str, clean: str) -> None:
    assert clean_input(raw) == clean
    assert clean_input(clean) == clean
    assert not has_surrogates(clean)


def test_clean_line_puts_everything_on_one_line() -> None:
    assert clean_line("a\r\nb\tc\x00") == "a b c"


def test_clean_tree_cleans_strings_and_keys_and_keeps_the_rest() -> None:
    value = {"te\x00xt": ["\ud800", 1, 2.5, None, True, {"k": "\x1b"}]}
    assert clean_tree(value) == {"text": ["\ufffd", 1, 2.5, None, True, {"k": ""}]}
