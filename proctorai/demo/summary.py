"""The demo's result: a summary a person reads, and one JSON object for machines.

The JSON object (the last line of stdout with ``--json``) has ``interview_id``,
``report_url``, ``expected`` (the scripted steps that must raise an anomaly: step, type,
start and end in seconds from the start of the script), ``detected`` (type, step and
latency in seconds of each expected anomaly received), ``missed``, ``false_anomalies``
(received anomalies matching no step: type and time), ``tolerated`` (received anomalies
a step may raise besides its own, see :mod:`proctorai.demo.script`),
``candidate_received`` (proctoring messages that reached the candidate: must be 0),
``impact_score``, ``passed``, plus where the report was saved and how long it all took.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctorai.demo.matching import Outcome
from proctorai.demo.script import PlayedStep


@dataclass(frozen=True)
class DemoResult:
    interview_id: str
    report_url: str
    report_file: Path | None
    played: list[PlayedStep]
    outcome: Outcome
    candidate_received: int
    impact_score: float | None
    transcript_answers: int
    duration_seconds: float

    @property
    def passed(self) -> bool:
        return self.outcome.passed and self.candidate_received == 0


def _r(value: float) -> float:
    return round(value, 2)


def to_json(result: DemoResult) -> dict[str, Any]:
    """The machine-readable result (see the module docstring)."""
    outcome = result.outcome
    return {
        "interview_id": result.interview_id,
        "report_url": result.report_url,
        "report_file": None if result.report_file is None else str(result.report_file),
        "expected": [
            {
                "step": p.step.name,
                "type": p.step.expect.value if p.step.expect else None,
                "start": _r(p.start),
                "end": _r(p.end),
            }
            for p in result.played
            if p.step.expect is not None
        ],
        "detected": [
            {"type": d.anomaly.type.value, "step": d.step.step.name, "latency": _r(d.latency)}
            for d in outcome.detected
        ],
        "missed": [
            {"type": p.step.expect.value if p.step.expect else None, "step": p.step.name}
            for p in outcome.missed
        ],
        "false_anomalies": [{"type": a.type.value, "at": _r(a.at)} for a in outcome.false],
        "tolerated": [
            {"type": d.anomaly.type.value, "step": d.step.step.name, "latency": _r(d.latency)}
            for d in outcome.tolerated
        ],
        "candidate_received": result.candidate_received,
        "impact_score": result.impact_score,
        "transcript_answers": result.transcript_answers,
        "passed": result.passed,
        "duration_seconds": _r(result.duration_seconds),
    }


def json_line(result: DemoResult) -> str:
    return json.dumps(to_json(result), separators=(",", ":"))


def readable(result: DemoResult) -> str:
    """The summary printed at the end of the demo."""
    outcome = result.outcome
    found = {id(d.step): d for d in outcome.detected}
    lines = ["", "What happened, step by step (seconds from the start of the script):"]
    for played in result.played:
        span = f"{played.start:6.1f} - {played.end:6.1f} s"
        step = played.step
        if step.expect is None:
            lines.append(f"  {span}  {step.name:<24} nothing to flag")
            continue
        detection = found.get(id(played))
        verdict = (
            f"DETECTED {step.expect.value} after {detection.latency:.1f} s"
            if detection
            else f"MISSED   {step.expect.value}"
        )
        lines.append(f"  {span}  {step.name:<24} {verdict}")
    for tolerated in outcome.tolerated:
        lines.append(
            f"  also {tolerated.anomaly.type.value} during {tolerated.step.step.name!r} "
            f"(allowed: see proctorai/demo/script.py)"
        )
    if outcome.false:
        lines.append("False anomalies (matching no scripted step):")
        lines += [f"  {a.type.value} at {a.at:.1f} s" for a in outcome.false]
    else:
        lines.append("False anomalies: none")
    lines.append(
        f"Proctoring messages that reached the candidate: {result.candidate_received}"
        + (" (must be 0)" if result.candidate_received else "")
    )
    lines.append(f"Candidate answers in the transcript: {result.transcript_answers}")
    score = "not available" if result.impact_score is None else f"{result.impact_score:g} / 100"
    lines.append(f"Proctoring impact score: {score}")
    lines.append(f"Report: {result.report_url}  (recruiter key needed; or open it from /app)")
    if result.report_file is not None:
        lines.append(f"Report saved to: {result.report_file}")
    verdict = "PASSED" if result.passed else "FAILED"
    lines.append(f"Demo {verdict} in {result.duration_seconds / 60:.1f} minutes.")
    return "\n".join(lines)
