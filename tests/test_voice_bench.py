"""The voices benchmark command on a small real manifest, and its EER arithmetic."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from proctoring.bench import voices

DATA = Path(__file__).parent / "data" / "voices" / "librispeech"


def test_equal_error_rate_on_known_scores() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    perfect = np.array([True, True, True, True, False, False, False, False])
    eer, threshold = voices.equal_error_rate(scores, perfect)
    assert eer == 0.0 and 0.5 < threshold <= 0.6
    # One genuine trial scored below one impostor: one error of four on each side.
    swapped = np.array([True, True, True, False, True, False, False, False])
    eer, _ = voices.equal_error_rate(scores, swapped)
    assert eer == pytest.approx(0.25)
    with pytest.raises(ValueError):
        voices.equal_error_rate(scores, np.ones(8, dtype=bool))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    voices.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    assert args.run(args) == 0
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    result: dict[str, object] = json.loads(last_line)
    return result


@pytest.mark.parametrize("method", ["ge2e", "original"])
def test_voices_command_on_a_small_manifest(
    tmp_path: Path, method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "manifest.csv"
    (tmp_path / "audio").mkdir()
    rows = ["path,speaker"]
    for name in ("1688-142285-0000.flac", "1688-142285-0001.flac", "2609-156975-0000.flac"):
        (tmp_path / "audio" / name).symlink_to(DATA / name)
        rows.append(f"audio/{name},{name.split('-')[0]}")  # relative to the manifest
    manifest.write_text("\n".join(rows) + "\n")
    result = _run(
        [
            "voices",
            "--manifest",
            str(manifest),
            "--segment-seconds",
            "2",
            "--method",
            method,
            "--json",
        ],
        capsys,
    )
    # 15 s -> 7 segments, 12.6 s -> 6, 4.5 s -> 2: 15 segments, 105 pairs.
    assert result["segments"] == 15
    assert result["trials"] == 105
    assert set(result) >= {"segments", "trials", "eer", "threshold_at_eer", "x_realtime"}
    assert isinstance(result["x_realtime"], float) and result["x_realtime"] > 0
    assert isinstance(result["eer"], float) and 0.0 <= result["eer"] <= 0.5
    if method == "ge2e":
        assert result["eer"] <= 0.05
