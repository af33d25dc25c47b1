"""``proctorai bench voice-sequences``: the replay of :mod:`proctoring.bench.voice_sequences`
through the agent's own voice adapter (:class:`agent.proctor.engines.LiveVoiceSignals`,
whose ``_voice_readings`` maps each segment's observation to the two readings). The
domain core may not import the agent, so the composition root passes the adapter in."""

from __future__ import annotations

import argparse
import sys

from agent.proctor.engines import LiveVoiceSignals, shared_voice_encoder
from proctoring.bench import voice_sequences
from proctoring.voice.analyzer import VoiceAnalyzer, VoiceConfig
from proctoring.voice.enroll import VoiceEnrollment


def agent_voice(enrollment: VoiceEnrollment, config: VoiceConfig) -> LiveVoiceSignals:
    """The agent's adapter with a baseline enrollment; a non-default ``config`` (a VAD
    variant measured by ``--max-segment-seconds``) swaps in an analyzer built with it."""
    signals = LiveVoiceSignals(enrollment)
    if config != VoiceConfig():
        signals._analyzer = VoiceAnalyzer(enrollment, config, encoder=shared_voice_encoder())
    return signals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="proctorai bench")
    subparsers = parser.add_subparsers(dest="benchmark", required=True)
    voice_sequences.register(subparsers, agent_voice)
    args = parser.parse_args(["voice-sequences", *(argv or [])])
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
