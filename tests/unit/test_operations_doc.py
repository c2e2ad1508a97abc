"""docs/operations.md documents every setting the code reads: a new one without a line there
fails here."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    missing = [name for name in Settings.model_fields if f"OIWATCH_{name.upper()}`" not in text]
    assert missing == []
