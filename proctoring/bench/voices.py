"""Voice benchmark: equal error rate and speed of a speaker embedding on a manifest of clips.

``python -m proctoring.bench voices --manifest MANIFEST.csv --segment-seconds S --json``

Each file is cut into non-overlapping S-second segments (the remainder dropped); every pair of
segments is a trial, genuine when the speakers match. ``--method ge2e`` (default) measures the
numpy GE2E encoder exactly as the live verifier uses it (volume normalised, then embedded);
``--method original`` measures the seeds' MFCC statistics on the same segments. The last stdout line
is one JSON object: segments, trials, eer, threshold_at_eer, x_realtime (audio seconds embedded
per wall-clock second).

``--protocol leave-speakers-out`` reports on speakers the threshold was not chosen on: every
pair of speakers is held out in turn, the threshold (and, for AS-norm, the cohort and its K)
is chosen on the other speakers, and the held-out trials are judged with it (see
``voice_cv``). Besides segment-against-segment trials it measures enrolment on one whole
file and on the mean of that file's segment embeddings. The same JSON fields come first
(``eer`` is then the pooled held-out EER of the raw scores, ``threshold_at_eer`` the median of
the thresholds chosen on the calibration speakers), followed by the detailed figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from proctoring.bench.voice_cv import Cohort, TrialSet, cross_validate
from proctoring.bench.voice_folds import leave_n_out
from proctoring.voice.audio_io import SAMPLE_RATE, load_audio
from proctoring.voice.ge2e import GE2EEncoder
from proctoring.voice.levels import normalise_volume
from proctoring.voice.original_method import original_embedding

METHODS = ("ge2e", "original")
PROTOCOLS = ("all-pairs", "leave-speakers-out")


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


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def evaluate_cv(manifest: Path, segment_seconds: float, method: str) -> dict[str, Any]:
    """The leave-two-speakers-out protocol: segment pairs, then two kinds of enrolment."""
    wavs: list[np.ndarray] = []
    file_speakers: list[str] = []
    segments: list[np.ndarray] = []
    segment_file: list[int] = []
    for path, speaker in read_manifest(manifest):
        wav = load_audio(path)
        cut = cut_segments(wav, segment_seconds)
        if not cut:
            continue  # a file shorter than one segment can neither enrol nor be tested
        segment_file.extend([len(wavs)] * len(cut))
        segments.extend(cut)
        wavs.append(wav)
        file_speakers.append(speaker)
    names = sorted(set(file_speakers))
    code = {name: i for i, name in enumerate(names)}
    folds = leave_n_out(names, 2)
    embed = _embedder(method)
    started = time.perf_counter()
    seg_emb = embed(segments)
    elapsed = time.perf_counter() - started
    whole_emb = embed(wavs)
    seg_file = np.asarray(segment_file)
    seg_spk = np.asarray([code[file_speakers[f]] for f in segment_file])
    file_spk = np.asarray([code[s] for s in file_speakers])
    mean_emb = _unit(np.stack([seg_emb[seg_file == f].mean(axis=0) for f in range(len(wavs))]))
    cohort = Cohort(seg_emb, seg_spk)
    rows, cols = np.triu_indices(len(segments), k=1)
    pairs = cross_validate(
        TrialSet(seg_emb, seg_spk, seg_emb, seg_spk, rows, cols), cohort, names, folds
    )
    # Enrolment on file f, tested on every segment of every other file.
    enrol_f, test_s = np.nonzero(seg_file[None, :] != np.arange(len(wavs))[:, None])
    enrolments = {
        name: cross_validate(
            TrialSet(emb, file_spk, seg_emb, seg_spk, enrol_f, test_s), cohort, names, folds
        )
        for name, emb in (("enrol_whole_file", whole_emb), ("enrol_mean_segments", mean_emb))
    }
    audio_seconds = sum(len(s) for s in segments) / SAMPLE_RATE
    return {
        "method": method,
        "protocol": "leave-speakers-out",
        "segments": len(segments),
        "trials": pairs["genuine"] + pairs["impostor"],
        "genuine": pairs["genuine"],
        "impostor": pairs["impostor"],
        "eer": pairs["raw"]["eer"],
        "threshold_at_eer": pairs["raw"]["threshold_median"],
        "x_realtime": round(audio_seconds / elapsed, 2),
        "speakers": len(names),
        "held_out_per_fold": 2,
        "segment_pairs": pairs,
        **enrolments,
    }


def _pct(rate: dict[str, Any]) -> str:
    low, high = rate["ci95"]
    return f"{100 * rate['rate']:.2f}% [{100 * low:.2f}-{100 * high:.2f}]"


def run_cv(args: argparse.Namespace) -> int:
    """Print the leave-speakers-out figures (a table, or one JSON line)."""
    result = evaluate_cv(Path(args.manifest), args.segment_seconds, args.method)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"method {result['method']}, {result['segments']} segments of {args.segment_seconds} s")
    print(
        f"{result['speakers']} speakers, every pair held out in turn "
        f"({result['segment_pairs']['folds']} folds)"
    )
    for block in ("segment_pairs", "enrol_whole_file", "enrol_mean_segments"):
        figures = result[block]
        print(
            f"{block}: {figures['genuine']} genuine, {figures['impostor']} impostor trials held out"
        )
        for scoring in ("raw", "as_norm"):
            f = figures[scoring]
            print(
                f"  {scoring:8s} EER {100 * f['eer']:.2f}%  at the other speakers' threshold: "
                f"false reject {_pct(f['false_reject'])}, false accept {_pct(f['false_accept'])}; "
                f"worst pair {f['worst_fold']} {100 * f['fold_eer_max']:.2f}%"
            )
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point of the ``voices`` sub-command."""
    if args.protocol == "leave-speakers-out":
        return run_cv(args)
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
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="all-pairs",
        help="all-pairs: EER over every pair (default); leave-speakers-out: thresholds, "
        "AS-norm cohort and K chosen on other speakers, figures on held-out ones",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures")
    parser.set_defaults(run=run)
