"""The npm packages the pages load, found in a checkout or in an installed wheel.

A checkout has them in ``node_modules`` (``npm ci``, versions pinned in
``package-lock.json``); the wheel carries copies of the few files served, under
``control_api/dashboard/vendor/`` (``[tool.hatch.build.targets.wheel.force-include]`` in
pyproject.toml), so an installed ``proctorai up`` serves the same pages with no npm.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
WHEEL_VENDOR = PACKAGE / "dashboard" / "vendor"
NODE_MODULES = PACKAGE.parent / "node_modules"


def vendored(path: str) -> Path:
    """``<npm package>/<file or folder>``: the wheel's copy if there is one, else the
    checkout's ``node_modules``."""
    shipped = WHEEL_VENDOR / path
    return shipped if shipped.exists() else NODE_MODULES / path
