from __future__ import annotations

from bot.delivery.render import split_message


def test_short_text_is_one_message() -> None:
    assert split_message("a\nb") == ["a\nb"]


def test_long_text_splits_on_lines_within_the_limit() -> None:
    lines = [f"<b>line {i}</b> " + "x" * 40 for i in range(300)]
    parts = split_message("\n".join(lines))
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    assert len(parts) == 5  # 16,989 characters


def test_a_line_longer_than_the_limit_is_cut() -> None:
    parts = split_message("y" * 9000, limit=4096)
    assert [len(p) for p in parts] == [4096, 4096, 808]
