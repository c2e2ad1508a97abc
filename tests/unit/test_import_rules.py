"""The layering in docs/architecture.md holds, and a venue lives in one module (docs/venues.md):
checked on the source, not on good intentions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.market.models import Venue
from bot.market.venues.registry import REGISTRY
from tests.fakes.venues import FAKES

ROOT = Path(__file__).resolve().parents[2]
PURE_CORE = ("bot/market", "bot/risk", "bot/signals", "bot/rules")
# Core modules allowed to touch Telegram: the composition root, the offline Bot API stand-in,
# the process runner and delivery.
TELEGRAM_IN_CORE = {"bot/app.py", "bot/runtime/offline.py", "bot/runtime/runner.py"}
# The use cases, and the service container that holds them (importing it is importing them).
APPLICATION_LAYER = ("bot.usecases", "bot.services")
# Under bot/ and storage/, the application layer is imported by itself, the process (runner,
# CLI), the service container and the composition root, and by nothing else.
USECASE_IMPORTERS = ("bot/usecases/", "bot/runtime/", "bot/services.py", "bot/app.py")


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _modules(path: Path) -> set[str]:
    """Every module `path` imports, dotted in full (`from bot import usecases` names
    bot.usecases)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imports(path: Path) -> set[str]:
    """The top-level packages `path` imports."""
    return {module.split(".")[0] for module in _modules(path)}


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


def test_only_the_process_and_the_container_call_the_application_layer() -> None:
    """The core's jobs (polls, pipeline, guard, pictures) must not lean on the use cases built
    on top of them; handlers and the CLI call the use cases, the process wires them."""
    offenders = {
        rel: sorted(used)
        for folder in ("bot", "storage")
        for p in _files(folder)
        if not (rel := str(p.relative_to(ROOT))).startswith(USECASE_IMPORTERS)
        and (used := {m for m in _modules(p) if m.startswith(APPLICATION_LAYER)})
    }
    assert offenders == {}


def test_telegram_stays_in_handlers_app_and_delivery() -> None:
    offenders = [
        rel
        for p in _files("bot")
        if "telegram" in _imports(p)
        and (rel := str(p.relative_to(ROOT))) not in TELEGRAM_IN_CORE
        and not rel.startswith("bot/delivery/")
    ]
    assert offenders == []


# -- venues: one module each (docs/venues.md) ------------------------------------------------

VENUE_MODULES = {str(venue) for venue in Venue}
VENUES_PACKAGE = "bot.market.venues"
OUTSIDE_THE_VENUES = ("bot", "handlers", "storage")


def _concrete_venue_imports(path: Path) -> set[str]:
    """The venue modules (bot/market/venues/<venue>.py) that `path` names."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parent, _, leaf = module.rpartition(".")
            if parent == VENUES_PACKAGE and leaf in VENUE_MODULES:
                named.add(leaf)
    return named


def test_no_module_outside_the_venues_package_names_a_venue_module() -> None:
    """Everything else goes through the protocol (base) and the registry, so adding a venue
    touches no caller and no caller picks a venue by its class."""
    offenders = {
        rel: sorted(named)
        for folder in OUTSIDE_THE_VENUES
        for p in _files(folder)
        if not (rel := str(p.relative_to(ROOT))).startswith("bot/market/venues/")
        and (named := _concrete_venue_imports(p))
    }
    assert offenders == {}


def test_every_venue_has_a_module_a_registry_entry_and_a_fake() -> None:
    assert sorted(p.stem for p in (ROOT / "bot/market/venues").glob("*.py")) == sorted(
        VENUE_MODULES | {"__init__", "base", "registry"}
    )
    assert sorted(p.stem for p in (ROOT / "tests/fakes/venues").glob("*.py")) == sorted(
        VENUE_MODULES | {"__init__", "base"}
    )
    assert set(REGISTRY) == set(FAKES) == set(Venue)


def test_venue_names_are_listed_only_by_the_enum() -> None:
    """A tuple, list or set of venue names anywhere else goes stale when a venue is added. A
    migration is the exception: it rewrites the rows of the venues that were there when it was
    written, and stays right when one is added."""
    offenders = []
    for folder in OUTSIDE_THE_VENUES:
        for p in _files(folder):
            if p.is_relative_to(ROOT / "storage" / "migrations"):
                continue
            for node in ast.walk(ast.parse(p.read_text(), filename=str(p))):
                if isinstance(node, ast.Tuple | ast.List | ast.Set):
                    names = [
                        e.value
                        for e in node.elts
                        if isinstance(e, ast.Constant) and e.value in VENUE_MODULES
                    ]
                    if len(names) >= 2:
                        offenders.append(f"{p.relative_to(ROOT)}:{node.lineno} {names}")
    assert offenders == []
