"""The whole demo, in order, through the public API and a real LiveKit room.

1. Check the inputs (exit code 2 on a bad one), start the stack if it is not running.
2. As a recruiter: create an interview. As the candidate's page: record the baseline
   (face pictures, a reading) behind the join link.
3. A hidden proctor client opens the proctor link and listens; the proctor link is
   printed, so a person can watch in a browser too.
4. The simulated candidate opens the join link (which dispatches the interviewer agent)
   and joins with a real camera and microphone; once the agent judges its face, the
   script runs (:mod:`proctorai.demo.script`), then the candidate keeps answering as
   itself until the interviewer has asked its last question.
5. The report: the status is polled until ``evaluated``; the report page is saved.
6. The received anomalies are matched against the script (:mod:`proctorai.demo.matching`)
   and summarised (:mod:`proctorai.demo.summary`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from contracts.anomaly import TOPIC_ANOMALY, TOPIC_STATUS, AnomalyState
from contracts.statuses import FINISHED_STATUSES
from control_api.settings import Settings, get_settings
from proctorai.demo.api import DemoAPI, DemoError
from proctorai.demo.inputs import DemoInputs, InputError, load_inputs
from proctorai.demo.matching import Received, match
from proctorai.demo.script import DEMO_SCRIPT, Face, PlayedStep, Step, Voice
from proctorai.demo.services import DemoStack
from proctorai.demo.summary import DemoResult, json_line, readable
from proctorai.resources import DEMO_DIR
from proctorai.sim.candidate import CandidateScript, FaceCue, SimulatedCandidate
from proctorai.sim.media import AUDIO_RATE
from proctorai.sim.proctor import SimulatedProctor
from proctorai.stack import StackError

SAMPLE_DIR = DEMO_DIR
QUESTIONS = 4
"""Enough questions that the interview outlasts the script (about 2.3 minutes)."""
DURATION_MINUTES = 5
ANSWER_SECONDS = 6.0
CAMERA_FPS = 5.0
"""The agent samples 2 frames per second (5 in a burst); a higher camera rate only costs
the shared cores encoding and decoding frames nobody judges."""
AGENT_WAIT = 180.0
"""For the agent to join and judge the face (a worker starting on a busy machine)."""
VOICE_WAIT = 90.0
"""For the agent to judge the candidate's voice before the voice step."""
REPORT_WAIT = 180.0
SWITCH_PAUSE_SECONDS = 1.0
"""Silence before a continuous recording, so a voice switch is a new speech segment."""


@dataclass(frozen=True)
class DemoConfig:
    face: Path | None = None
    impostor_face: Path | None = None
    second_face: Path | None = None
    voice: Path | None = None
    impostor_voice: Path | None = None
    json: bool = False


def _say(line: str) -> None:
    print(line, flush=True)


def main(options: DemoConfig, settings: Settings | None = None) -> int:
    """Run the demo; 0 when its check passes, 1 when not (or on a failure), 2 on bad input."""
    began = time.monotonic()
    try:
        _say("Checking the demo's faces and voices...")
        inputs = load_inputs(
            options.face,
            options.impostor_face,
            options.second_face,
            options.voice,
            options.impostor_voice,
        )
        settings = settings or get_settings()
        demo_dir = settings.data_dir / "demo"
        with DemoStack(settings, demo_dir / "stack.log", _say):
            result = asyncio.run(run_demo(settings, inputs, demo_dir, began))
    except InputError as exc:
        print(f"proctorai demo: {exc}", file=sys.stderr, flush=True)
        return 2
    except (DemoError, StackError) as exc:
        print(f"proctorai demo: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("proctorai demo: interrupted", file=sys.stderr, flush=True)
        return 130
    _say(readable(result))
    if options.json:
        _say(json_line(result))
    return 0 if result.passed else 1


def _continuous(speech: NDArray[np.int16]) -> NDArray[np.int16]:
    pause = np.zeros(int(SWITCH_PAUSE_SECONDS * AUDIO_RATE), dtype=np.int16)
    return np.concatenate([pause, speech])


class ScriptPlayer:
    """Plays :data:`DEMO_SCRIPT` on the candidate and prints what the proctor receives."""

    def __init__(
        self,
        api: DemoAPI,
        interview_id: str,
        candidate: SimulatedCandidate,
        proctor: SimulatedProctor,
        inputs: DemoInputs,
    ) -> None:
        self.api = api
        self.interview_id = interview_id
        self.candidate = candidate
        self.proctor = proctor
        self.speech = {
            Voice.ANSWERS: None,
            Voice.CANDIDATE: _continuous(inputs.candidate_speech),
            Voice.OTHER: _continuous(inputs.other_speech),
        }
        self.t0 = 0.0
        self.played: list[PlayedStep] = []

    def now(self) -> float:
        return time.time() - self.t0

    async def _printer(self) -> None:
        shown = 0
        while True:
            anomalies = self.proctor.log.anomalies
            for received in anomalies[shown:]:
                event = received.event
                _say(
                    f"  [{received.at - self.t0:6.1f} s] proctor received: "
                    f"{event.type.value} {event.state.value}"
                )
            shown = len(anomalies)
            await asyncio.sleep(0.25)

    async def _apply(self, step: Step) -> None:
        self.candidate.show(step.face.value)
        self.candidate.speak(self.speech[step.voice])

    async def play(self) -> None:
        """Run the steps; stop early (the rest counted as not run) if the interview ends."""
        self.t0 = time.time()
        printer = asyncio.create_task(self._printer())
        try:
            current: tuple[Step, float] | None = None
            for index, step in enumerate(DEMO_SCRIPT):
                if step.wait_for_voice:
                    await self._wait_voice()
                if await self.api.status(self.interview_id) in FINISHED_STATUSES:
                    _say("The interview ended before the script did; the rest is not run.")
                    self._not_run(list(DEMO_SCRIPT[index:]), current)
                    return
                start = self.now()
                if current is not None:
                    self.played.append(PlayedStep(current[0], current[1], start))
                await self._apply(step)
                expect = f" (expected: {step.expect.value})" if step.expect else ""
                _say(f"[{start:6.1f} s] {step.name}{expect}")
                current = (step, start)
                await asyncio.sleep(step.seconds)  # the script's own timeline
            if current is not None:
                self.played.append(PlayedStep(current[0], current[1], self.now()))
            self.candidate.show(Face.GENUINE.value)
            self.candidate.speak(None)
            _say(f"[{self.now():6.1f} s] end of the script: the candidate answers as themself")
        finally:
            await asyncio.sleep(0.3)  # let the printer show the last arrivals
            printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await printer

    def _not_run(self, steps: list[Step], current: tuple[Step, float] | None) -> None:
        now = self.now()
        if current is not None:
            self.played.append(PlayedStep(current[0], current[1], now))
        self.played += [PlayedStep(step, now, now) for step in steps]

    async def _wait_voice(self) -> None:
        """The voice step waits until the agent judges the candidate's voice."""
        try:
            await self.proctor.wait_for_signal("voice_mismatch", "clean", timeout=VOICE_WAIT)
        except TimeoutError:
            _say("  (the agent is not judging the voice yet; the voice step starts anyway)")

    def received(self) -> list[Received]:
        return [
            Received(r.event.type, r.at - self.t0, r.event.id)
            for r in self.proctor.log.anomalies
            if r.event.state is AnomalyState.STARTED
        ]


async def run_demo(
    settings: Settings, inputs: DemoInputs, demo_dir: Path, began: float
) -> DemoResult:
    """Steps 2 to 6 of the module docstring, against a running stack."""
    api = DemoAPI(settings.public_url, settings.recruiter_api_key.get_secret_value())
    try:
        interview = await api.create_interview(
            SAMPLE_DIR, question_count=QUESTIONS, duration_minutes=DURATION_MINUTES
        )
        interview_id = str(interview["id"])
        _say(
            f"Interview {interview_id} created.\n"
            f"  Watch it live (proctor page): {interview['proctor_link']}\n"
            f"  Candidate's join link:        {interview['candidate_link']}"
        )
        await api.baseline_face(interview["candidate_link"], inputs.baseline_photos)
        await api.baseline_voice(interview["candidate_link"], inputs.baseline_voice)
        _say("Baseline recorded (face pictures and a reading), as the join page does.")
        player = await _join_and_play(api, interview, inputs)
        status = await api.wait_status(
            interview_id, frozenset({"evaluated", "failed"}), REPORT_WAIT
        )
        if status != "evaluated":
            raise DemoError(f"the report could not be produced (interview {status})")
        report = await api.report(interview_id)
        demo_dir.mkdir(parents=True, exist_ok=True)
        report_file = demo_dir / f"report-{interview_id}.html"
        report_file.write_bytes(await api.report_html(interview_id))
    finally:
        await api.aclose()
    scorecard = report.get("proctoring", {}).get("scorecard", {})
    score = scorecard.get("score")
    return DemoResult(
        interview_id=interview_id,
        report_url=api.report_url(interview_id),
        report_file=report_file.resolve(),
        played=player.played,
        outcome=match(player.played, player.received()),
        candidate_received=_proctoring_messages(player.candidate),
        impact_score=None if score is None else float(score),
        transcript_answers=int(report.get("interview", {}).get("candidate_turns", 0)),
        duration_seconds=time.monotonic() - began,
    )


def _proctoring_messages(candidate: SimulatedCandidate) -> int:
    return sum(1 for r in candidate.log.received if r.topic in (TOPIC_ANOMALY, TOPIC_STATUS))


async def _join_and_play(
    api: DemoAPI, interview: dict[str, object], inputs: DemoInputs
) -> ScriptPlayer:
    interview_id = str(interview["id"])
    proctor_session = await api.open_link(str(interview["proctor_link"]))
    proctor = SimulatedProctor(proctor_session["livekit_url"], proctor_session["livekit_token"])
    await proctor.start()
    candidate: SimulatedCandidate | None = None
    try:
        session = await api.open_link(str(interview["candidate_link"]))
        script = CandidateScript(
            frames=inputs.frames,
            faces=[FaceCue(0, Face.GENUINE.value)],
            speech=inputs.candidate_speech,
            answer_seconds=ANSWER_SECONDS,
            fps=CAMERA_FPS,
        )
        candidate = SimulatedCandidate(session["livekit_url"], session["livekit_token"], script)
        await candidate.start()
        _say("The simulated candidate joined; waiting for the interviewer agent...")
        await _wait(
            proctor.wait_for_signal("face_mismatch", "clean", timeout=AGENT_WAIT),
            f"the interviewer agent did not start judging within {AGENT_WAIT:.0f} s: "
            "is the agent worker running? (`proctorai up` starts it)",
        )
        player = ScriptPlayer(api, interview_id, candidate, proctor, inputs)
        _say("The agent judges the candidate's face: the script starts.")
        await player.play()
        await api.wait_status(interview_id, FINISHED_STATUSES, DURATION_MINUTES * 60 + 60)
        await _agent_gone(candidate)
        _say(f"[{player.now():6.1f} s] the interview is over; waiting for the report...")
        return player
    finally:
        if candidate is not None:
            await candidate.stop()
        await proctor.stop()


async def _wait(awaitable: Awaitable[None], message: str) -> None:
    try:
        await awaitable
    except TimeoutError as exc:
        raise DemoError(message) from exc


async def _agent_gone(candidate: SimulatedCandidate, timeout: float = 20.0) -> None:
    """Wait until the interviewer agent has left the room (its proctoring closed), so the
    candidate leaving afterwards is not an anomaly of the interview."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        identities = list(candidate.room.remote_participants)
        if not any(identity.startswith("agent-") for identity in identities):
            return
        await asyncio.sleep(0.2)
