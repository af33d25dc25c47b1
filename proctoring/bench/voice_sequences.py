"""``proctorai bench voice-sequences [--json]``: voice anomalies as the proctor would see them.

The EER of ``bench voices`` says how often one 3-s verdict is wrong; a proctor sees
``voice_mismatch`` and ``second_speaker`` anomalies, after VAD segmentation and the
smoother. This replays microphone streams built from LibriSpeech utterances offline:

* each speaker is enrolled (:func:`proctoring.voice.enroll_voice`, as the baseline page
  does) on some of their utterances, chosen by ``--seed``; their OTHER utterances, with
  pauses between them, make the genuine streams;
* impostor streams: a genuine stretch of ``--genuine-seconds`` (drawn), then another
  speaker's utterances, for every ordered pair of speakers (``--trials-per-pair`` each).

Counted: false ``voice_mismatch`` / ``second_speaker`` per hour of genuine audio (exact
Poisson 95%), and, from the first sample of the other voice, the latency to the confirmed
``voice_mismatch`` start as the proctor receives it (the end of the audio chunk whose
reading confirmed it) and by its ``confirmed_at``, p50/p95/max, and misses within
``--bound`` seconds (Wilson 95%).

The feed is the agent's: 90 ms reads gathered into chunks of at least 1 s
(``agent.proctor.media``) pushed with their end time to the agent's voice adapter, whose
readings go to ``ProctoringMonitor.observe``; a heartbeat ``tick`` every 3 s. The domain
core may not import the agent, so the adapter is passed in (``proctorai bench
voice-sequences``). Nothing here chooses a threshold; ``--max-segment-seconds`` only lets
a variant of the VAD be measured beside the product's.
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from contracts.anomaly import AnomalyState, AnomalyType
from proctoring.bench.sequence_replay import Replay, Timeline, false_starts
from proctoring.bench.stats import percentile, rate_per_hour, wilson
from proctoring.bench.voices import read_manifest
from proctoring.monitor import ProctoringMonitor
from proctoring.smoothing import Reading
from proctoring.voice.analyzer import VoiceConfig
from proctoring.voice.audio_io import SAMPLE_RATE, load_audio, to_int16
from proctoring.voice.enroll import EnrollmentRejected, VoiceEnrollment, enroll_voice
from proctoring.voice.ge2e import GE2EEncoder

INTERVIEW_ID = "00000000-0000-4000-8000-00000000be9d"
SIGNALS = ("voice_mismatch", "second_speaker")
READ_SECONDS = 0.09  # the agent reads 90 ms of audio at a time
CHUNK_SECONDS = 1.0  # ... and hands the voice engine at least this much
ENROLL_SECONDS = 12.0  # about a baseline reading (the baseline asks for 10 s of speech)
PAUSE_SECONDS = (0.5, 2.0)  # between two utterances of a stream
NOISE_DBFS = -65.0  # room noise in the pauses, so that they are not digital silence


class SignalReadingLike(Protocol):
    signal: AnomalyType
    t: float
    reading: Reading
    confidence: float
    evidence: Any


class VoicePusher(Protocol):
    """The agent's voice adapter: ``push(pcm, t_end, gap_before) -> readings``."""

    def push(self, pcm: np.ndarray, t_end: float, gap_before: bool = False) -> Sequence[Any]: ...


PusherFactory = Callable[[VoiceEnrollment, VoiceConfig], VoicePusher]


@dataclass(frozen=True)
class Piece:
    """One utterance placed in a stream, from ``start`` (seconds)."""

    file: str
    speaker: str
    start: float
    seconds: float


@dataclass(frozen=True)
class StreamPlan:
    """A stream for ``target``; ``switch_at`` is where ``impostor`` starts (None: genuine)."""

    target: str
    impostor: str | None
    pieces: tuple[Piece, ...]
    duration: float
    switch_at: float | None = None


Corpus = dict[str, list[tuple[str, np.ndarray]]]
"""Speaker -> their utterances (file name, 16 kHz float32), in manifest order."""


def load_corpus(manifest: Path) -> Corpus:
    corpus: Corpus = {}
    for path, speaker in read_manifest(manifest):
        corpus.setdefault(speaker, []).append((path.name, load_audio(path)))
    return corpus


def key(speaker: str) -> int:
    """A speaker's stable number for seeding: a subset of speakers gets the same streams
    (and the same enrollment) as in the full run."""
    return zlib.crc32(speaker.encode())


def enroll_speaker(
    corpus: Corpus,
    speaker: str,
    split: dict[str, tuple[list[int], list[int]]],
    encoder: GE2EEncoder,
) -> VoiceEnrollment:
    """``enroll_voice`` on the speaker's enrollment utterances; when it refuses (too little
    speech), the next utterance moves from the stream to the enrollment, as a candidate
    asked to read on would."""
    enroll, rest = split[speaker]
    while True:
        try:
            return enroll_voice(np.concatenate([corpus[speaker][i][1] for i in enroll]), encoder)
        except EnrollmentRejected:
            if len(rest) < 3:
                raise
            enroll.append(rest.pop(0))


def split_enrollment(
    lengths: dict[str, list[float]], seed: int, seconds: float = ENROLL_SECONDS
) -> dict[str, tuple[list[int], list[int]]]:
    """Per speaker, utterance indices (enroll, rest): in a seeded order, utterances go to
    the enrollment until it holds ``seconds`` of audio; the rest are never enrolled on."""
    split: dict[str, tuple[list[int], list[int]]] = {}
    for speaker in sorted(lengths):
        rng = np.random.default_rng([seed, key(speaker)])
        order = [int(i) for i in rng.permutation(len(lengths[speaker]))]
        enroll: list[int] = []
        total = 0.0
        while order and total < seconds:
            enroll.append(order.pop(0))
            total += lengths[speaker][enroll[-1]]
        split[speaker] = (enroll, order)
    return split


def _place(
    items: Iterable[tuple[str, str, float]], rng: np.random.Generator, start: float
) -> tuple[list[Piece], float]:
    pieces: list[Piece] = []
    t = start
    for file, speaker, seconds in items:
        pieces.append(Piece(file, speaker, round(t, 3), seconds))
        t += seconds + float(rng.uniform(*PAUSE_SECONDS))
    return pieces, t


def plan_streams(
    lengths: dict[str, list[float]],
    names: dict[str, list[str]],
    split: dict[str, tuple[list[int], list[int]]],
    seed: int,
    genuine_seconds: tuple[float, float] = (15.0, 30.0),
    bound: float = 30.0,
    trials_per_pair: int = 1,
) -> list[StreamPlan]:
    """Genuine streams (each speaker's non-enrolled utterances, once, in a seeded order)
    and impostor streams (for each ordered pair: the target's non-enrolled utterances
    until a drawn genuine length, a pause, then the other speaker's utterances for at
    least ``bound`` + 5 s). Deterministic for ``seed``."""
    speakers = sorted(lengths)
    plans: list[StreamPlan] = []
    for target in speakers:
        rng = np.random.default_rng([seed, 1, key(target)])
        rest = split[target][1]
        order = [rest[i] for i in rng.permutation(len(rest))]
        items = [(names[target][i], target, lengths[target][i]) for i in order]
        pieces, end = _place(items, rng, 0.0)
        plans.append(StreamPlan(target, None, tuple(pieces), round(end, 3)))
    for target in speakers:
        rest = split[target][1]
        for impostor in speakers:
            if impostor == target:
                continue
            for trial in range(trials_per_pair):
                rng = np.random.default_rng([seed, 2, key(target), key(impostor), trial])
                want = float(rng.uniform(*genuine_seconds))
                order = [rest[i] for i in rng.permutation(len(rest))]
                genuine: list[tuple[str, str, float]] = []
                while order and sum(s for _, _, s in genuine) < want:
                    i = order.pop(0)
                    genuine.append((names[target][i], target, lengths[target][i]))
                pieces, switch = _place(genuine, rng, 0.0)
                other = [int(i) for i in rng.permutation(len(lengths[impostor]))]
                tail_items: list[tuple[str, str, float]] = []
                while other and sum(s for _, _, s in tail_items) < bound + 5.0:
                    i = other.pop(0)
                    tail_items.append((names[impostor][i], impostor, lengths[impostor][i]))
                tail, end = _place(tail_items, rng, switch)
                plans.append(
                    StreamPlan(
                        target,
                        impostor,
                        tuple(pieces + tail),
                        round(min(end, switch + bound + 5.0), 3),
                        round(switch, 3),
                    )
                )
    return plans


def render(plan: StreamPlan, audio: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """The stream's samples (float32): its utterances over low seeded room noise."""
    total = round(plan.duration * SAMPLE_RATE)
    rng = np.random.default_rng([seed, 3, _render_seed(plan)])
    noise = 10 ** (NOISE_DBFS / 20) * rng.standard_normal(total)
    out = noise.astype(np.float32)
    for piece in plan.pieces:
        at = round(piece.start * SAMPLE_RATE)
        if at >= total:
            break
        samples = audio[piece.file][: total - at]
        out[at : at + samples.size] += samples
    return np.clip(out, -1.0, 1.0)


def _render_seed(plan: StreamPlan) -> int:
    """A stable integer for a plan (``hash`` of strings changes between processes)."""
    text = "|".join(f"{p.file}@{p.start}" for p in plan.pieces)
    return int.from_bytes(text.encode()[-8:].rjust(8, b"\0"), "big") % (2**31)


@dataclass
class VoiceReplay(Replay):
    """The face replay's record (events with the simulated time the proctor received
    them: a chunk's end), counting voice readings instead of frames."""

    readings: int = 0


def replay(
    pusher: VoicePusher,
    pcm: np.ndarray,
    monitor: ProctoringMonitor,
    heartbeat_seconds: float = 3.0,
    stop: Callable[[Timeline], bool] | None = None,
) -> VoiceReplay:
    """Feed ``pcm`` as the agent does: 90 ms reads gathered into >= 1 s chunks pushed
    with their end time (the first with ``gap_before``, as the agent's first chunk is);
    heartbeat ticks at their times; readings observed at their own ``t``."""
    result = VoiceReplay()
    samples = to_int16(pcm)
    read = round(READ_SECONDS * SAMPLE_RATE)
    next_heartbeat = heartbeat_seconds
    chunk: list[np.ndarray] = []
    gap = True
    position = 0
    t = 0.0
    while position < samples.size:
        piece = samples[position : position + read]
        position += piece.size
        t = position / SAMPLE_RATE
        while next_heartbeat <= t:
            result.add(next_heartbeat, monitor.tick(next_heartbeat))
            next_heartbeat += heartbeat_seconds
        chunk.append(piece)
        if sum(c.size for c in chunk) < CHUNK_SECONDS * SAMPLE_RATE and position < samples.size:
            continue
        readings = pusher.push(np.concatenate(chunk), t, gap)
        chunk, gap = [], False
        for r in readings:
            result.readings += 1
            result.add(t, monitor.observe(r.signal, r.t, r.reading, r.confidence, r.evidence))
        if stop is not None and stop(result.timeline):
            break
    result.duration = t
    result.add(t, monitor.close(t))
    return result


@dataclass(frozen=True)
class SwitchOutcome:
    """One impostor stream: latencies (to the proctor, and by ``confirmed_at``) or a miss."""

    latency: float | None
    confirmed_latency: float | None
    open_at_switch: bool


def switch_outcome(timeline: Timeline, switch_at: float, bound: float) -> SwitchOutcome:
    """From the first sample of the other voice to the first ``voice_mismatch`` start
    confirmed at or after it (``confirmed_at``), if it reached the proctor within
    ``bound`` seconds. A mismatch still open at the switch was a false one: the trial is
    reported apart and has no latency."""
    mismatches = [(t, e) for t, e in timeline if e.type is AnomalyType.VOICE_MISMATCH]
    started = {
        e.id
        for _, e in mismatches
        if e.state is AnomalyState.STARTED and e.confirmed_at < switch_at
    }
    ended = {e.id for t, e in mismatches if e.state is AnomalyState.ENDED and t < switch_at}
    if started - ended:
        return SwitchOutcome(None, None, True)
    for t, e in mismatches:
        if e.state is AnomalyState.STARTED and e.confirmed_at >= switch_at:
            if t - switch_at <= bound:
                return SwitchOutcome(
                    round(t - switch_at, 3), round(e.confirmed_at - switch_at, 3), False
                )
            break
    return SwitchOutcome(None, None, False)


def _stop_after(switch_at: float) -> Callable[[Timeline], bool]:
    def stop(timeline: Timeline) -> bool:
        return any(
            e.type is AnomalyType.VOICE_MISMATCH
            and e.state is AnomalyState.STARTED
            and e.confirmed_at >= switch_at
            for _, e in timeline[-4:]
        )

    return stop


@dataclass
class Tally:
    """Genuine time and false anomalies; impostor outcomes."""

    seconds: float = 0.0
    false: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    confirmed: list[float] = field(default_factory=list)
    trials: int = 0
    missed: int = 0
    open_at_switch: int = 0

    def add_genuine(self, seconds: float, counts: dict[str, int]) -> None:
        self.seconds += seconds
        for signal, count in counts.items():
            self.false[signal] = self.false.get(signal, 0) + count

    def add_trial(self, outcome: SwitchOutcome) -> None:
        self.trials += 1
        if outcome.open_at_switch:
            self.open_at_switch += 1
        elif outcome.latency is None:
            self.missed += 1
        else:
            self.latencies.append(outcome.latency)
            assert outcome.confirmed_latency is not None
            self.confirmed.append(outcome.confirmed_latency)

    def summary(self) -> dict[str, Any]:
        hours = self.seconds / 3600.0
        judged = self.trials - self.open_at_switch
        low, high = wilson(self.missed, judged)
        row: dict[str, Any] = {
            "genuine_hours": round(hours, 4),
            **{f"false_{s}": rate_per_hour(self.false.get(s, 0), hours) for s in SIGNALS},
            "impostor_trials": self.trials,
            "impostor_open_at_switch": self.open_at_switch,
            "impostor_missed": self.missed,
            "miss_rate": round(self.missed / judged, 4) if judged else None,
            "miss_rate_ci95": [round(low, 4), round(high, 4)],
        }
        for prefix, values in (("latency", self.latencies), ("confirmed_latency", self.confirmed)):
            for name, q in (("p50", 50), ("p95", 95), ("max", 100)):
                value = percentile(values, q)
                row[f"{prefix}_{name}"] = None if value is None else round(value, 2)
        return row


def measure(args: argparse.Namespace, factory: PusherFactory) -> dict[str, Any]:
    started = time.process_time()
    corpus = load_corpus(args.manifest)
    if args.speakers:
        wanted = set(args.speakers.split(","))
        corpus = {s: u for s, u in corpus.items() if s in wanted}
    lengths = {s: [a.size / SAMPLE_RATE for _, a in u] for s, u in corpus.items()}
    names = {s: [n for n, _ in u] for s, u in corpus.items()}
    audio = {n: a for u in corpus.values() for n, a in u}
    split = split_enrollment(lengths, args.seed)
    encoder = GE2EEncoder.load()
    enrollments = {s: enroll_speaker(corpus, s, split, encoder) for s in sorted(corpus)}
    config = VoiceConfig()
    if args.max_segment_seconds:
        config = replace(
            config, vad=replace(config.vad, max_segment_seconds=args.max_segment_seconds)
        )
    plans = plan_streams(
        lengths, names, split, args.seed, bound=args.bound, trials_per_pair=args.trials_per_pair
    )
    overall = Tally()
    for plan in plans:
        monitor = ProctoringMonitor(INTERVIEW_ID, args.sensitivity)
        pusher = factory(enrollments[plan.target], config)
        pcm = render(plan, audio, args.seed)
        if plan.switch_at is None:
            result = replay(pusher, pcm, monitor)
            overall.add_genuine(result.duration, false_starts(result.events))
            continue
        result = replay(pusher, pcm, monitor, stop=_stop_after(plan.switch_at))
        overall.add_genuine(plan.switch_at, false_starts(result.events, before=plan.switch_at))
        overall.add_trial(switch_outcome(result.timeline, plan.switch_at, args.bound))
    return {
        "benchmark": "voice-sequences",
        "seed": args.seed,
        "sensitivity": args.sensitivity,
        "speakers": sorted(corpus),
        "max_segment_seconds": config.vad.max_segment_seconds,
        "bound_seconds": args.bound,
        "enrolled_seconds": {s: e.speech_seconds for s, e in enrollments.items()},
        "enrolled_files": {s: [corpus[s][i][0] for i in split[s][0]] for s in sorted(corpus)},
        "streams": len(plans),
        **overall.summary(),
        "cpu_seconds": round(time.process_time() - started, 1),
    }


def line(row: dict[str, Any]) -> str:
    parts = []
    for s in SIGNALS:
        rate = row[f"false_{s}"]
        low, high = rate["per_hour_ci95"]
        parts.append(
            f"false_{s}={rate['count']} ({rate['per_hour']:.2f}/h, 95% {low:.2f}-{high:.2f})"
        )
    miss = "-" if row["miss_rate"] is None else f"{row['miss_rate']:.3f}"
    return (
        f"hours={row['genuine_hours']:.3f} {' '.join(parts)} | trials={row['impostor_trials']} "
        f"open={row['impostor_open_at_switch']} miss={miss} "
        f"[{row['miss_rate_ci95'][0]:.3f}-{row['miss_rate_ci95'][1]:.3f}] "
        f"latency p50={row['latency_p50']} p95={row['latency_p95']} max={row['latency_max']} "
        f"(confirmed_at p50={row['confirmed_latency_p50']} p95={row['confirmed_latency_p95']})"
    )


def run(args: argparse.Namespace, factory: PusherFactory) -> int:
    report = measure(args, factory)
    if not args.json or args.verbose:
        print(
            f"sensitivity={report['sensitivity']} seed={report['seed']} "
            f"streams={report['streams']} max_segment={report['max_segment_seconds']} s "
            f"speakers={','.join(report['speakers'])}"
        )
        print(line(report))
    print(json.dumps(report) if args.json else "")
    return 0


def register(subparsers: Any, factory: PusherFactory) -> None:
    parser = subparsers.add_parser(
        "voice-sequences", help="false voice anomalies per hour and impostor latency, replayed"
    )
    parser.add_argument("--manifest", type=Path, default=Path("../shared/data/voices/manifest.csv"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sensitivity", choices=("lenient", "standard", "strict"), default="standard"
    )
    parser.add_argument("--speakers", default="", help="comma-separated subset of speakers")
    parser.add_argument("--trials-per-pair", type=int, default=1)
    parser.add_argument("--bound", type=float, default=30.0, help="seconds to detect a switch")
    parser.add_argument(
        "--max-segment-seconds", type=float, default=0.0, help="VAD variant (0: the product's)"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--verbose", action="store_true", help="with --json, also the table")
    parser.set_defaults(run=lambda args: run(args, factory))
