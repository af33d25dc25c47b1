"""Whether an interview's candidate has been verified before joining, in one place.

Verified means the API accepted both baselines: face photos (checked against the
recruiter's reference photo by :func:`proctoring.face.enroll` when there is one) and a
voice reading. The link endpoint issues a candidate LiveKit token only then, unless the
deployment allows live enrollment (``ALLOW_LIVE_ENROLLMENT``); the proctor's session, the
recruiter's interview detail and the report read the same answer from here, so they can
never disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from control_api.enrollment.models import BiometricEnrollment, Modality
from control_api.models import FileKind, StoredFile


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    """Which baselines were accepted before the interview."""

    face_baseline: bool
    voice_baseline: bool
    reference_photo: bool

    @property
    def verified(self) -> bool:
        return self.face_baseline and self.voice_baseline

    @property
    def missing(self) -> list[str]:
        """The baselines still to record, in the words the candidate's page uses."""
        return [
            name
            for name, done in (("face", self.face_baseline), ("voice", self.voice_baseline))
            if not done
        ]

    def summary(self) -> str:
        """One sentence for the report and the proctor's page; it starts with the verdict."""
        if self.verified:
            against = ", the face matched the reference photo" if self.reference_photo else ""
            return (
                "Identity verified before the interview: face and voice baselines "
                f"accepted{against}."
            )
        live: list[str] = []
        if not self.face_baseline:
            live.append(
                "the face was enrolled from the candidate's first seconds on camera, "
                + (
                    "compared with the reference photo"
                    if self.reference_photo
                    else "with no reference photo to compare against"
                )
            )
        if not self.voice_baseline:
            live.append("the voice from their first speech")
        return (
            f"Identity not verified: no accepted {' and '.join(self.missing)} baseline before "
            f"the interview; {'; '.join(live)}. Anomalies are judged against that live "
            "enrollment."
        )


def identity_check(session: Session, interview_id: str) -> IdentityCheck:
    """The interview's accepted baselines (two small indexed reads)."""
    modalities = set(
        session.exec(
            select(BiometricEnrollment.modality).where(
                BiometricEnrollment.interview_id == interview_id
            )
        ).all()
    )
    reference = session.exec(
        select(col(StoredFile.id)).where(
            StoredFile.interview_id == interview_id,
            StoredFile.kind == FileKind.REFERENCE_PHOTO.value,
        )
    ).first()
    return IdentityCheck(
        face_baseline=Modality.FACE.value in modalities,
        voice_baseline=Modality.VOICE.value in modalities,
        reference_photo=reference is not None,
    )
