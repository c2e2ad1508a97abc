"""The layering in docs/ARCHITECTURE holds: checked on the source, not on good intentions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_CORE = ("bot/market", "bot/risk", "bot/signals", "bot/rules")
# Core modules allowed to touch Telegram: the composition root, the offline Bot API stand-in,
# the process runner and delivery.
TELEGRAM_IN_CORE = {"bot/app.py", "bot/runtime/offline.py", "bot/runtime/runner.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", PURE_CORE)
def test_pure_core_imports_neither_telegram_nor_storage(folder: str) -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in _files(folder) if _imports(p) & {"telegram", "storage"}
    ]
    assert offenders == []


def test_storage_never_imports_telegram_or_handlers() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _files("storage")
        if _imports(p) & {"telegram", "handlers"}
    ]
    assert offenders == []


def test_only_the_composition_root_imports_handlers() -> None:
    importers = {str(p.relative_to(ROOT)) for p in _files("bot") if "handlers" in _imports(p)}
    assert importers == {"bot/app.py"}


def test_telegram_stays_in_handlers_app_and_delivery() -> None:
    offenders = [
        rel
        for p in _files("bot")
        if "telegram" in _imports(p)
        and (rel := str(p.relative_to(ROOT))) not in TELEGRAM_IN_CORE
        and not rel.startswith("bot/delivery/")
    ]
    assert offenders == []
