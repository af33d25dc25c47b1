"""Voice benchmark: equal error rate and speed of a speaker embedding on a manifest of clips.

``python -m proctoring.bench voices --manifest MANIFEST.csv --segment-seconds S --json``

Each file is cut into non-overlapping S-second segments (the remainder dropped); every pair of
segments is a trial, genuine when the speakers match. ``--method ge2e`` (default) measures the
numpy GE2E encoder exactly as the live verifier uses it (volume normalised, then embedded);
``--method original`` measures the seeds' MFCC statistics on the same segments. The last stdout line
is one JSON object: segments, trials, eer, threshold_at_eer, x_realtime (audio seconds embedded
per wall-clock second).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from proctoring.voice.audio_io import SAMPLE_RATE, load_audio
from proctoring.voice.ge2e import GE2EEncoder
from proctoring.voice.levels import normalise_volume
from proctoring.voice.original_method import original_embedding

METHODS = ("ge2e", "original")


def read_manifest(manifest: Path) -> list[tuple[Path, str]]:
    """``(absolute path, speaker)`` rows of a ``path,speaker`` CSV (paths relative to it)."""
    with manifest.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"path", "speaker"} <= set(reader.fieldnames):
            raise ValueError("manifest needs the header path,speaker")
        return [(manifest.parent / row["path"], row["speaker"]) for row in reader]


def cut_segments(wav: np.ndarray, seconds: float) -> list[np.ndarray]:
    """Non-overlapping segments of ``seconds`` each; the remainder is dropped."""
    size = round(seconds * SAMPLE_RATE)
    return [wav[k * size : (k + 1) * size] for k in range(len(wav) // size)]


def equal_error_rate(scores: np.ndarray, genuine: np.ndarray) -> tuple[float, float]:
    """EER and the threshold where false accepts and false rejects balance.

    A trial is accepted when its score is at or above the threshold. Sweeps every score as a
    threshold and returns the mean of the two rates where they are closest.
    """
    if genuine.all() or not genuine.any():
        raise ValueError("need both genuine and impostor trials")
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    sorted_genuine = genuine[order]
    n_gen = int(sorted_genuine.sum())
    n_imp = len(sorted_genuine) - n_gen
    # Threshold k accepts sorted positions k.. : rejects k genuine-or-impostor below it.
    rejected_genuine = np.concatenate([[0], np.cumsum(sorted_genuine)])
    rejected_impostor = np.concatenate([[0], np.cumsum(~sorted_genuine)])
    frr = rejected_genuine / n_gen
    far = (n_imp - rejected_impostor) / n_imp
    best = int(np.argmin(np.abs(far - frr)))
    threshold = float(sorted_scores[min(best, len(sorted_scores) - 1)])
    return float((far[best] + frr[best]) / 2), threshold


def _embedder(method: str) -> Callable[[list[np.ndarray]], np.ndarray]:
    if method == "original":
        return lambda segments: np.stack([original_embedding(s) for s in segments])
    encoder = GE2EEncoder.load()

    def embed(segments: list[np.ndarray]) -> np.ndarray:
        normalised = [normalise_volume(s) for s in segments]
        return np.stack([u.embedding for u in encoder.embed_utterances(normalised)])

    return embed


def evaluate(manifest: Path, segment_seconds: float, method: str) -> dict[str, float | int | str]:
    """Run the benchmark and return its figures."""
    segments: list[np.ndarray] = []
    speakers: list[str] = []
    for path, speaker in read_manifest(manifest):
        for segment in cut_segments(load_audio(path), segment_seconds):
            segments.append(segment)
            speakers.append(speaker)
    if len(segments) < 2:
        raise ValueError("fewer than two segments: nothing to compare")
    embed = _embedder(method)
    started = time.perf_counter()
    embeddings = embed(segments)
    elapsed = time.perf_counter() - started
    rows, cols = np.triu_indices(len(segments), k=1)
    scores = np.einsum("ij,ij->i", embeddings[rows], embeddings[cols])
    labels = np.asarray(speakers)
    genuine = labels[rows] == labels[cols]
    eer, threshold = equal_error_rate(scores, genuine)
    audio_seconds = sum(len(s) for s in segments) / SAMPLE_RATE
    return {
        "method": method,
        "segments": len(segments),
        "trials": len(scores),
        "genuine": int(genuine.sum()),
        "impostor": int((~genuine).sum()),
        "eer": round(eer, 5),
        "threshold_at_eer": round(threshold, 4),
        "x_realtime": round(audio_seconds / elapsed, 2),
    }


def run(args: argparse.Namespace) -> int:
    """Entry point of the ``voices`` sub-command."""
    result = evaluate(Path(args.manifest), args.segment_seconds, args.method)
    if not args.json:
        print(f"method            {result['method']}")
        print(f"segments          {result['segments']}")
        print(
            f"trials            {result['trials']} "
            f"({result['genuine']} genuine, {result['impostor']} impostor)"
        )
        print(f"EER               {100 * float(result['eer']):.2f}%")
        print(f"threshold at EER  {result['threshold_at_eer']}")
        print(f"speed             {result['x_realtime']}x real time")
    else:
        print(json.dumps(result))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``voices`` sub-command to ``python -m proctoring.bench``."""
    parser = subparsers.add_parser(
        "voices", help="speaker-verification EER and speed on a manifest of audio files"
    )
    parser.add_argument("--manifest", required=True, help="CSV with header path,speaker")
    parser.add_argument(
        "--segment-seconds",
        type=float,
        default=3.0,
        help="length of the non-overlapping segments compared (default 3)",
    )
    parser.add_argument(
        "--method",
        choices=METHODS,
        default="ge2e",
        help="ge2e: numpy GE2E encoder; original: the seeds. MFCC mean+std baseline",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures")
    parser.set_defaults(run=run)
