"""What several test packages need the same way: builders (interviews, baselines, rooms)
and the test-only servers (livekit-server, PostgreSQL, the served control API, face
images made from real photos)."""
