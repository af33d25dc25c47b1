"""Adapters from the biometric engines in :mod:`proctoring` to the live pipeline.

Voice: :class:`LiveVoiceSignals` turns each speech segment's observation into the voice
mismatch and second speaker signals, the same way (baseline recording, else the first
seconds of live speech).

Face: :class:`LiveFaceSignals` turns each :class:`~proctoring.face.FaceObservation` into the
three smoothed signals (face mismatch, multiple faces, no face). The enrollment comes
from the interview's baseline (reference photo and baseline images from the API); when
there is none, or it is refused (possible only where ``ALLOW_LIVE_ENROLLMENT`` lets an
unverified candidate in), the adapter enrolls from the first good frames of the live
stream, checked against the reference photo, and every event's evidence says which
(``enrollment``: ``baseline``, ``live`` or ``reference_photo``). Until enrolled, identity
readings are "uncertain": nothing is judged against nobody.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray
from pydantic import JsonValue

from agent.api_client import APIError, ControlAPIClient
from agent.proctor.signals import SignalReading
from agent.settings import AgentSettings
from contracts.anomaly import AnomalyType
from contracts.interview_context import InterviewContext
from proctoring.face import (
    FaceEnrollConfig,
    FaceEnrollment,
    FaceObservation,
    FaceVerifier,
    Verdict,
    enroll,
)
from proctoring.face.enroll import NO_REFERENCE_FACE, REFERENCE_MISMATCH, EnrollmentResult
from proctoring.face_signals import face_evidence, face_readings
from proctoring.imaging import image_to_rgb
from proctoring.smoothing import Reading
from proctoring.voice.analyzer import VoiceAnalyzer, VoiceObservation
from proctoring.voice.audio_io import resample_to_16k, to_float32
from proctoring.voice.enroll import (
    EnrollmentRejected,
    VoiceEnrollConfig,
    VoiceEnrollment,
    enroll_voice,
)
from proctoring.voice.ge2e import GE2EEncoder
from proctoring.voice.verify import Verdict as VoiceVerdict

if TYPE_CHECKING:
    from proctoring.face.original_method import OriginalFaceVerifier

logger = logging.getLogger("proctorai.agent.engines")

_Enrollment = TypeVar("_Enrollment")

BASELINE = "baseline"
LIVE = "live"
REFERENCE_PHOTO = "reference_photo"


def _readings(
    observation: FaceObservation, t: float, evidence: dict[str, JsonValue]
) -> list[SignalReading]:
    """The three face signals' readings, mapped by :func:`proctoring.face_signals.face_readings`
    (the one mapping shared with the tests and benchmarks)."""
    return [
        SignalReading(signal, t, reading, 1.0, evidence)
        for signal, reading in face_readings(observation).items()
    ]


class LiveFaceSignals:
    """Face verdicts for one interview; enrolls from the live stream when needed.

    A live enrollment (no accepted baseline: only where the deployment allows it) is
    checked against the recruiter's reference photo when there is one, as the baseline
    would have been: live frames that do not look like the photo are not enrolled; the
    candidate is then judged against the photo itself (``enrollment``:
    ``reference_photo``), so an impostor present from the first second raises
    face_mismatch instead of becoming the enrolled face.
    """

    def __init__(
        self,
        enrollment: FaceEnrollment | None,
        live_frames: int = 5,
        method: str = "tracked",
        reference: NDArray[np.uint8] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._method = method
        self._verifier = self._verifier_for(enrollment) if enrollment is not None else None
        self.enrollment_source = BASELINE if enrollment is not None else LIVE
        self._live_frames = max(live_frames, FaceEnrollConfig().min_frames)
        self._pending: list[NDArray[np.uint8]] = []
        self._reference = reference
        # a throwaway verifier only counts faces until the live enrollment exists
        self.enrolled_at: float | None = None

    def _verifier_for(self, enrollment: FaceEnrollment) -> FaceVerifier | OriginalFaceVerifier:
        """The live verifier, or the original per-frame method for benchmark comparisons."""
        if self._method == "original":
            from proctoring.face.original_method import OriginalFaceVerifier

            return OriginalFaceVerifier(enrollment)
        return FaceVerifier(enrollment)

    @property
    def enrolled(self) -> bool:
        return self._verifier is not None

    def analyze(self, rgb: NDArray[np.uint8], t: float) -> list[SignalReading]:
        verifier = self._verifier
        if verifier is None:
            return self._analyze_unenrolled(rgb, t)
        observation = verifier.analyze(rgb)
        return _readings(observation, t, self._evidence(observation))

    def _evidence(self, observation: FaceObservation) -> dict[str, JsonValue]:
        evidence: dict[str, JsonValue] = {
            **face_evidence(observation),
            "enrollment": self.enrollment_source,
        }
        if self.enrollment_source != BASELINE:
            evidence["reference_checked"] = self._reference is not None
        return evidence

    def _enroll_live(self, t: float) -> None:
        """Enroll from the pending frames, checked against the reference photo if any."""
        result: EnrollmentResult = enroll(self._pending, self._reference)
        self._pending = []
        if result.enrollment is not None:
            self._verifier = self._verifier_for(result.enrollment)
            self.enrolled_at = t
            logger.info("face enrolled from the live stream")
            return
        if REFERENCE_MISMATCH in result.reasons:
            photo = self._reference_enrollment()
            if photo is not None:
                self._verifier = self._verifier_for(photo)
                self.enrollment_source = REFERENCE_PHOTO
                self.enrolled_at = t
                logger.warning("live face does not match the reference photo; judging against it")
        elif NO_REFERENCE_FACE in result.reasons:
            logger.warning("reference photo unusable; enrolling live without it")
            self._reference = None

    def _reference_enrollment(self) -> FaceEnrollment | None:
        from proctoring.face import inspect_frame

        assert self._reference is not None
        inspection = inspect_frame(self._reference, max_encoded=1)
        if len(inspection.encoded) != 1 or inspection.encoded[0].embedding is None:
            return None
        return FaceEnrollment((inspection.encoded[0].embedding,))

    def _analyze_unenrolled(self, rgb: NDArray[np.uint8], t: float) -> list[SignalReading]:
        from proctoring.face import inspect_frame

        inspection = inspect_frame(rgb, max_encoded=0)
        count = len(inspection.boxes)
        with self._lock:
            if count == 1 and self._verifier is None:
                self._pending.append(rgb)
                if len(self._pending) >= self._live_frames:
                    self._enroll_live(t)
        evidence: dict[str, JsonValue] = {
            "face_count": count,
            "distance": None,
            "verdict": "not_enrolled",
            "enrollment": self.enrollment_source,
        }
        observation = FaceObservation(count, inspection.boxes, Verdict.UNCERTAIN, "not enrolled")
        return _readings(observation, t, evidence)


def _stored(
    parse: Callable[[str], _Enrollment],
    text: str | None,
    context: InterviewContext,
    modality: str,
) -> _Enrollment | None:
    """The enrollment the API stored at baseline, or None when there is none or it cannot
    be read (another model version): the caller then enrolls another way."""
    if not text:
        return None
    try:
        return parse(text)
    except (ValueError, KeyError, TypeError):
        logger.warning(
            "stored enrollment unusable; enrolling another way",
            extra={"interview_id": context.interview_id, "modality": modality},
        )
        return None


async def build_face_signals(
    context: InterviewContext, client: ControlAPIClient, settings: AgentSettings
) -> LiveFaceSignals:
    """The baseline's enrollment as the API accepted it; else enroll from the baseline
    images; else from the live stream."""
    accepted = _stored(FaceEnrollment.from_json, context.face_enrollment, context, "face")
    if accepted is not None:
        return LiveFaceSignals(accepted, settings.enrollment_frames, settings.face_method)
    reference = await _reference_photo(context, client)

    def live() -> LiveFaceSignals:
        return LiveFaceSignals(
            None, settings.enrollment_frames, settings.face_method, reference=reference
        )

    baseline = context.files("baseline_image")
    if not baseline:
        return live()
    try:
        frames = [image_to_rgb(await client.download(f.download_path)) for f in baseline]
    except (APIError, OSError, ValueError):
        logger.warning(
            "baseline download failed; enrolling live", extra={"interview_id": context.interview_id}
        )
        return live()
    result = await asyncio.to_thread(enroll, frames, reference)
    if result.enrollment is None:
        logger.warning(
            "baseline refused; enrolling live", extra={"interview_id": context.interview_id}
        )
        return live()
    return LiveFaceSignals(result.enrollment, settings.enrollment_frames, settings.face_method)


async def _reference_photo(
    context: InterviewContext, client: ControlAPIClient
) -> NDArray[np.uint8] | None:
    """The recruiter's reference photo, which every live enrollment is checked against."""
    references = context.files("reference_photo")
    if not references:
        return None
    try:
        return image_to_rgb(await client.download(references[0].download_path))
    except (APIError, OSError, ValueError):
        logger.warning(
            "reference photo download failed", extra={"interview_id": context.interview_id}
        )
        return None


_encoder_lock = threading.Lock()
_encoder: GE2EEncoder | None = None


def shared_voice_encoder() -> GE2EEncoder:
    """The GE2E encoder (read-only weights), loaded once per process and shared."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = GE2EEncoder.load()
        return _encoder


def _voice_readings(
    observation: VoiceObservation, t: float, evidence: dict[str, JsonValue]
) -> list[SignalReading]:
    verdict = observation.verdict
    identity = {
        VoiceVerdict.DIFFERENT: Reading.ANOMALOUS,
        VoiceVerdict.SAME: Reading.CLEAN,
    }.get(verdict, Reading.UNCERTAIN)
    if observation.second_speaker:
        second = Reading.ANOMALOUS
    else:
        second = Reading.UNCERTAIN if verdict is VoiceVerdict.UNCERTAIN else Reading.CLEAN
    return [
        SignalReading(AnomalyType.VOICE_MISMATCH, t, identity, 1.0, evidence),
        SignalReading(AnomalyType.SECOND_SPEAKER, t, second, 1.0, evidence),
    ]


class LiveVoiceSignals:
    """Voice verdicts for one interview; enrolls from the first speech when needed.

    Live enrollment buffers the candidate's microphone until it holds enough speech for
    :func:`enroll_voice` (about ``speech_seconds`` of voice), bounded to a minute of
    audio; from then on every finished speech segment is judged.
    """

    MAX_ENROLL_BUFFER_SECONDS = 60.0

    def __init__(self, enrollment: VoiceEnrollment | None, speech_seconds: float = 10.0) -> None:
        self.enrollment_source = BASELINE if enrollment is not None else LIVE
        self._speech_seconds = speech_seconds
        self._analyzer = (
            VoiceAnalyzer(enrollment, encoder=shared_voice_encoder()) if enrollment else None
        )
        self._buffer: list[NDArray[np.int16]] = []
        self._buffered = 0
        self._stream_start: float | None = None
        self.enrolled_at: float | None = None

    def push(
        self, pcm: NDArray[np.int16], t_end: float, gap_before: bool = False
    ) -> list[SignalReading]:
        if self._analyzer is None:
            self._enroll_from(pcm, t_end)
            return []
        if gap_before:
            # never judge the audio on both sides of a gap as one stretch of speech
            self._analyzer.restart_stream()
            self._stream_start = None
        if self._stream_start is None:
            self._stream_start = t_end - pcm.size / 16000
        readings: list[SignalReading] = []
        for observation in self._analyzer.push(pcm):
            evidence: dict[str, JsonValue] = {
                "similarity": None
                if observation.similarity is None
                else round(observation.similarity, 4),
                "speech_seconds": round(observation.speech_seconds, 2),
                "voice_verdict": observation.verdict.value,
                "enrollment": self.enrollment_source,
            }
            readings += _voice_readings(observation, self._stream_start + observation.end, evidence)
        return readings

    def _enroll_from(self, pcm: NDArray[np.int16], t_end: float) -> None:
        self._buffer.append(pcm)
        self._buffered += pcm.size
        while self._buffered > self.MAX_ENROLL_BUFFER_SECONDS * 16000 and len(self._buffer) > 1:
            self._buffered -= self._buffer.pop(0).size
        if self._buffered < self._speech_seconds * 16000:
            return
        audio = np.concatenate(self._buffer)
        try:
            enrollment = enroll_voice(
                audio,
                shared_voice_encoder(),
                VoiceEnrollConfig(min_speech_seconds=self._speech_seconds * 0.8),
            )
        except EnrollmentRejected:
            return  # not enough speech yet: keep listening
        self._analyzer = VoiceAnalyzer(enrollment, encoder=shared_voice_encoder())
        self._buffer, self._buffered = [], 0
        self.enrolled_at = t_end
        logger.info("voice enrolled from the live stream")


async def build_voice_signals(
    context: InterviewContext, client: ControlAPIClient, settings: AgentSettings
) -> LiveVoiceSignals:
    """The baseline's voice embedding as the API accepted it; else enroll from a baseline
    recording file (older interviews); else from live speech."""
    baseline = context.files("baseline_audio")
    enrollment = _stored(VoiceEnrollment.from_json, context.voice_enrollment, context, "voice")
    if enrollment is None and baseline:
        try:
            data = await client.download(baseline[0].download_path)
            enrollment = await asyncio.to_thread(_enroll_recording, data)
        except (APIError, OSError, ValueError, RuntimeError):
            logger.warning(
                "voice baseline unusable; enrolling live",
                extra={"interview_id": context.interview_id},
            )
    return await asyncio.to_thread(LiveVoiceSignals, enrollment, settings.enrollment_speech_seconds)


def _enroll_recording(data: bytes) -> VoiceEnrollment:
    """A baseline recording (WAV or FLAC, any rate) as a voice enrollment."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    audio = resample_to_16k(to_float32(samples), int(rate))
    return enroll_voice(audio, shared_voice_encoder())
