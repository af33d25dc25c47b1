"""The interviewer: an interview plan, and the two ways to conduct it (realtime, offline)."""
