"""The control API benchmark (issue 6): interviews and events per second, 50 clients.

``python -m proctorai.bench.api`` serves the real API with uvicorn on a fresh SQLite and
PostgreSQL database, creates interviews as a recruiter and posts proctoring events as
the agent does, from many concurrent clients, then checks that every event is stored
exactly once. See ``docs/benchmarks-api.md``.
"""
