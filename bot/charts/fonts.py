"""The typefaces chart text is set in. matplotlib's own DejaVu Sans writes Latin, Cyrillic and
Turkish; Chinese glyphs fall back to Noto Sans CJK SC (OFL, from the noto-cjk-sans-otc
package), registered with matplotlib only when a Chinese picture is first drawn: the font
collection is 19 MB, and the other languages never need it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import matplotlib
from matplotlib import font_manager

from bot.i18n import Language

BASE = "DejaVu Sans"
CJK = "Noto Sans CJK SC"
NEEDS_CJK = frozenset({"zh"})


@cache
def _register_cjk() -> None:
    from noto_cjk_sans_otc import FONT_PATH  # type: ignore[import-untyped]

    font_manager.fontManager.addfont(str(FONT_PATH))


@contextmanager
def typeface(language: Language) -> Iterator[None]:
    """Draw within this for `language`'s glyphs. Latin stays in DejaVu Sans in every language,
    so a Chinese picture's numbers look like everyone else's."""
    if language.code not in NEEDS_CJK:
        yield
        return
    _register_cjk()
    with matplotlib.rc_context({"font.family": [BASE, CJK]}):
        yield
