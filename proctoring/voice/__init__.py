"""Voice identity for the proctor: who is speaking, and is anyone else speaking?

Pure domain code (numpy, scipy, webrtcvad; no PyTorch, no LiveKit). Typical use::

    encoder = GE2EEncoder.load()                      # once per process; thread-safe
    enrollment = enroll_voice(baseline_pcm, encoder)  # may raise EnrollmentRejected
    stored = enrollment.to_json()                     # what the control API keeps
    analyzer = VoiceAnalyzer(VoiceEnrollment.from_json(stored), encoder=encoder)
    for observation in analyzer.push(pcm_16k_mono):   # from a worker thread
        ...                                           # observation.verdict, .second_speaker
"""

from proctoring.voice.analyzer import VoiceAnalyzer, VoiceConfig, VoiceObservation
from proctoring.voice.audio_io import SAMPLE_RATE, load_audio
from proctoring.voice.enroll import (
    EnrollmentRejected,
    VoiceEnrollConfig,
    VoiceEnrollment,
    enroll_voice,
)
from proctoring.voice.ge2e import GE2EEncoder
from proctoring.voice.second_speaker import (
    SecondSpeakerConfig,
    SecondSpeakerResult,
    second_speaker_in_audio,
)
from proctoring.voice.vad import SpeechSegment, VadConfig, detect_speech
from proctoring.voice.verify import SegmentVerdict, Verdict, VoiceVerifyConfig, verify_segment

__all__ = [
    "SAMPLE_RATE",
    "EnrollmentRejected",
    "GE2EEncoder",
    "SecondSpeakerConfig",
    "SecondSpeakerResult",
    "SegmentVerdict",
    "SpeechSegment",
    "VadConfig",
    "Verdict",
    "VoiceAnalyzer",
    "VoiceConfig",
    "VoiceEnrollConfig",
    "VoiceEnrollment",
    "VoiceObservation",
    "VoiceVerifyConfig",
    "detect_speech",
    "enroll_voice",
    "load_audio",
    "second_speaker_in_audio",
    "verify_segment",
]
