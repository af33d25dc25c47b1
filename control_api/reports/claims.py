"""One report generation per interview at a time: a ``report_claim`` row.

Why: an interview's completion has several triggers (the agent's ``completed``, the
catch-up round, a recruiter's regenerate), possibly in several API processes. Each
evaluation costs a model call and yields a different report, so exactly one may run.
The claim is taken in the transaction that holds the interview's row lock
(:func:`control_api.lifecycle.lock_interview`: ``FOR UPDATE`` on PostgreSQL, SQLite's
``BEGIN IMMEDIATE``), and the primary key refuses a second row even without it.

A claim older than the stale bound belongs to a process that died mid-evaluation: it is
taken over with a new token, and the first holder, should it still finish, finds its
token gone and discards its result (:func:`holds`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import Engine, delete
from sqlmodel import Session

from control_api.models import utcnow
from control_api.reports.models import ReportClaim

logger = logging.getLogger(__name__)


def take(session: Session, interview_id: str, stale_after: timedelta) -> str | None:
    """Claim the interview's generation in the caller's (locked) transaction.

    Returns the claim's token, or None while another generation holds a claim younger
    than ``stale_after``. The caller commits.
    """
    now = utcnow()
    claim = session.get(ReportClaim, interview_id)
    if claim is not None and claim.claimed_at > now - stale_after:
        return None
    token = str(uuid.uuid4())
    if claim is None:
        session.add(ReportClaim(interview_id=interview_id, token=token, claimed_at=now))
    else:
        logger.warning("stale report claim taken over: %s", interview_id)
        claim.token, claim.claimed_at = token, now
        session.add(claim)
    session.flush()  # a second INSERT fails here, inside the caller's transaction
    return token


def holds(session: Session, interview_id: str, token: str) -> bool:
    """Whether ``token`` still holds the claim (not taken over as stale meanwhile)."""
    claim = session.get(ReportClaim, interview_id)
    return claim is not None and claim.token == token


def drop(session: Session, interview_id: str, token: str) -> None:
    """End the claim in the caller's transaction (the report was stored)."""
    session.execute(
        delete(ReportClaim).where(
            ReportClaim.interview_id == interview_id,  # type: ignore[arg-type]
            ReportClaim.token == token,  # type: ignore[arg-type]
        )
    )


def release(engine: Engine, interview_id: str, token: str) -> None:
    """Give the claim back after a failed evaluation, so a retry need not wait it out."""
    with Session(engine) as session:
        drop(session, interview_id, token)
        session.commit()
