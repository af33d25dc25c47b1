"""A real-looking interview to evaluate: job description, resume, transcript, anomalies.

The transcript is a twelve-minute first-round interview for a backend role, written the
way speech-to-text returns it (fillers, no perfect punctuation). Times are seconds after
the interview's start. Snapshots are real photos from the face_recognition examples
(``data/LICENSE.face_recognition``).
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
FACE_SNAPSHOT = DATA / "obama_small.jpg"
TWO_FACES_SNAPSHOT = DATA / "two_people_small.jpg"

TITLE = "Backend engineer, first round"
CANDIDATE_NAME = "Ada Lovelace-Okafor"
INTERVIEW_SECONDS = 720.0

JOB_DESCRIPTION = """Senior Backend Engineer (Python)

About the role
You will join a team of six building the payment services behind our checkout.

Requirements:
- 5+ years of experience building REST APIs in Python
- Strong PostgreSQL data modelling and query tuning
- Experience running services on Kubernetes in production
- Testing discipline: unit, integration and property-based tests
- Clear written and spoken communication

Nice to have
- Kafka or another event streaming platform
"""

RESUME = """Ada Lovelace-Okafor
Senior Software Engineer, Finch Payments (2018-2025)
Built the refunds API in Python (FastAPI) on PostgreSQL; led a team of four.
Skills: Python, PostgreSQL, Docker, pytest, Hypothesis
"""

# (turn id, role, start second, end second, text)
TURNS: list[tuple[str, str, float, float, str]] = [
    (
        "t01",
        "interviewer",
        5,
        18,
        "Thanks for joining. Could you walk me through an API you "
        "designed recently and the decisions behind it?",
    ),
    (
        "t02",
        "candidate",
        20,
        95,
        "Sure. At Finch I designed the refunds API in Python with "
        "FastAPI. We exposed about twelve REST endpoints and I chose idempotency keys on every "
        "POST so retries from the checkout could never refund twice. I built the pagination "
        "with cursors because offset pagination got slow past a million rows.",
    ),
    (
        "t03",
        "interviewer",
        97,
        110,
        "How did you model the data behind it, and did you have to tune any queries?",
    ),
    (
        "t04",
        "candidate",
        112,
        210,
        "The refunds table was partitioned by month in PostgreSQL. "
        "I rewrote the reconciliation query to use a covering index and it went from four "
        "seconds to about eighty milliseconds. Um, we also moved the ledger to a separate "
        "schema so the data model stayed clean.",
    ),
    (
        "t05",
        "interviewer",
        212,
        225,
        "What about testing? How do you make sure a payments change is safe?",
    ),
    (
        "t06",
        "candidate",
        227,
        320,
        "I write unit tests with pytest for the logic, and I "
        "introduced property-based tests with Hypothesis for the money arithmetic, which found "
        "two rounding bugs. For integration tests we ran a real PostgreSQL in CI.",
    ),
    ("t07", "interviewer", 322, 335, "Have you run services on Kubernetes?"),
    (
        "t08",
        "candidate",
        337,
        360,
        "Not really, honestly. Our platform team handled that, I mostly wrote the Dockerfiles.",
    ),
    (
        "t09",
        "interviewer",
        362,
        380,
        "Tell me about a time you had to explain a technical "
        "decision to people outside engineering.",
    ),
    (
        "t10",
        "candidate",
        382,
        470,
        "When we changed the refund cut-off I wrote a one page "
        "note for the finance team and walked them through it in a short meeting. I kept the "
        "language plain and we agreed on the new cut-off the same week.",
    ),
    ("t11", "interviewer", 472, 480, "Great, thank you. Any questions for me?"),
    (
        "t12",
        "candidate",
        482,
        520,
        "Yes, how big is the on-call rotation and how often does it page at night?",
    ),
]

# Anomalies as the agent delivers them: (id, type, severity, confidence, start s, end s | None)
ANOMALY_IDS = {
    "no_face": "6f1d9a52-4c1e-4d6b-9d55-0a3c1f2b7e01",
    "multiple_faces": "6f1d9a52-4c1e-4d6b-9d55-0a3c1f2b7e02",
    "second_speaker": "6f1d9a52-4c1e-4d6b-9d55-0a3c1f2b7e03",
}
ANOMALIES: list[tuple[str, str, str, float, float, float | None]] = [
    (ANOMALY_IDS["no_face"], "no_face", "low", 0.62, 130.0, 142.0),
    (ANOMALY_IDS["multiple_faces"], "multiple_faces", "high", 0.91, 400.0, 455.0),
    (ANOMALY_IDS["second_speaker"], "second_speaker", "medium", 0.74, 600.0, None),
]
