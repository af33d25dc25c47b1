"""Where the files shipped inside the ``proctorai`` package are, in one place.

They are package data (the wheel carries them), so the demo, the benchmarks and
``proctorai up`` find them wherever the package is installed, never through the
repository's layout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DEMO_DIR = PACKAGE / "demo"
"""The sample resume (``resume.txt``) and job description (``job_description.txt``)."""
MEDIA_DIR = DEMO_DIR / "media"
"""Real faces (``faces/``) and real speech (``voices/``), with their licenses."""
LIVEKIT_CONFIG = PACKAGE / "livekit.yaml"
"""The livekit-server configuration ``proctorai up`` and the private servers render."""
