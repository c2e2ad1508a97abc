"""A clone must test green with nothing beside it: no file of the project may point outside it.

The data the tests, benches and examples read lives in tests/data (with its SOURCES.md), the
venue and risk references in docs/reference.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path that climbs out of the repository, or the old sibling folder the data was copied from.
OUTSIDE = re.compile(
    r"\.\./shared|(?<![\w/.])shared/(data|fixtures|reference|seeds)/|parents\[[3-9]\]"
)


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if not name.startswith("tests/data/")]


def test_no_file_reads_a_path_outside_the_repository() -> None:
    offenders = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_data_the_tests_read_is_in_the_repository_with_its_provenance() -> None:
    data = ROOT / "tests" / "data"
    assert (data / "exchanges" / "SOURCES.md").is_file()
    assert (data / "real" / "SOURCES.md").is_file()
    assert (data / "real" / "README-analysis.md").is_file()
    assert len(list((data / "real").glob("ipf_binance_um_BTCUSDT_metrics_5m_*.csv"))) == 16
