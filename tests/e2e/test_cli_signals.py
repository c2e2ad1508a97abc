"""`oiwatch replay` keeps its JSON (one object per warning) with the stage added, and
`oiwatch evaluate` prints the scorecard an operator checks a threshold change with."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import oiwatch
from tests.fakes.exchange import TEST_DATA

REAL = TEST_DATA / "real"


def test_replay_json_is_one_object_per_warning_with_its_stage() -> None:
    files = [
        REAL / "ipf_binance_um_BTCUSDT_metrics_5m_2025-11-20_selloff.csv",
        REAL / "ipf_binance_um_BTCUSDT_klines_5m_2025-11-20_selloff.csv",
        REAL / "ipf_binance_um_BTCUSDT_funding_8h_windows.csv",
    ]
    result = oiwatch("replay", *map(str, files), "--json")
    assert result.returncode == 0, result.stderr
    squeezes = [w for w in json.loads(result.stdout) if w["kind"].endswith("squeeze")]
    assert [(w["ts"], w["kind"], w["severity"], w["stage"]) for w in squeezes] == [
        ("2025-11-21T07:35:00+00:00", "long_squeeze", "moderate", "confirmed"),
        ("2025-11-21T08:55:00+00:00", "long_squeeze", "moderate", "over"),
        # -1.5 % in 10 min, OI -1.1 % over the next rows (the rule's per-row OI says -0.6 %)
        ("2025-11-21T12:35:00+00:00", "long_squeeze", "moderate", "early"),
        ("2025-11-21T13:10:00+00:00", "long_squeeze", "moderate", "over"),
    ]
    assert squeezes[0]["event_start"] == "2025-11-21T07:30:00+00:00"


def test_evaluate_prints_the_scorecard_and_refuses_a_folder_without_windows(
    tmp_path: Path,
) -> None:
    result = oiwatch("evaluate", str(REAL), "--json")
    assert result.returncode == 0, result.stderr
    totals = json.loads(result.stdout)["totals"]
    assert (totals["events"], totals["warned"], totals["warned_within_10_min"]) == (33, 31, 27)
    assert totals["wrong_side"] == 0
    assert totals["false_squeeze_per_calm_day"] == 0
    table = oiwatch("evaluate", str(REAL)).stdout
    assert "| 2024-04-13_iran | 1 | 1 (1) | 10 | 10 | 0 | 0 | - | 0 |" in table
    empty = oiwatch("evaluate", str(tmp_path))
    assert empty.returncode == 2
    assert "e.g. oiwatch evaluate tests/data/real" in empty.stderr


def _blanked(source: Path, target: Path, stamp: str, column: str) -> Path:
    """The file as an export may hand it over: a byte-order mark, CRLF line ends, one cell of
    the row at `stamp` left empty and a blank line at the end."""
    lines = source.read_text().splitlines()
    index = lines[0].split(",").index(column)
    for n, line in enumerate(lines):
        if line.startswith(stamp):
            cells = line.split(",")
            cells[index] = ""
            lines[n] = ",".join(cells)
    target.write_text("\ufeff" + "\r\n".join(lines) + "\r\n\r\n", newline="")
    return target


def test_replay_reads_empty_cells_as_unknown_and_refuses_hourly_klines(tmp_path: Path) -> None:
    window = "2025-11-20_selloff"
    metrics = REAL / f"ipf_binance_um_BTCUSDT_metrics_5m_{window}.csv"
    klines = REAL / f"ipf_binance_um_BTCUSDT_klines_5m_{window}.csv"
    funding = REAL / "ipf_binance_um_BTCUSDT_funding_8h_windows.csv"
    clean = oiwatch("replay", str(metrics), str(klines), str(funding), "--json")
    gappy = oiwatch(
        "replay",
        str(_blanked(metrics, tmp_path / "metrics.csv", "2025-11-20 22:00", "oi")),
        str(_blanked(klines, tmp_path / "klines.csv", "2025-11-20 22:00", "v")),
        str(funding),
        "--json",
    )
    # An unknown OI and volume in a quiet evening row change no message; before, one empty
    # cell stopped the whole replay ("could not convert string to float").
    assert gappy.returncode == 0, gappy.stderr
    assert json.loads(gappy.stdout) == json.loads(clean.stdout)

    hourly = REAL / "gravestone_binance_um_BTCUSDT_klines_1h_2025-11-17_to_2025-11-24.csv"
    (tmp_path / "hourly.csv").write_text(
        hourly.read_text().replace("timestamp,open,high,low,close,volume", "t,o,h,l,c,v", 1)
    )
    refused = oiwatch("replay", str(metrics), str(tmp_path / "hourly.csv"), "--json")
    assert refused.returncode == 2
    assert "hourly.csv: klines 1:00:00 apart; replay reads 5-minute klines" in refused.stderr
