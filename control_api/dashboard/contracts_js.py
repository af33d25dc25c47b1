"""``control_api/dashboard/js/contracts.js``: the wire contract's names for the pages.

The proctor page reads the agent's data-channel messages and the API's history in the
shape :mod:`contracts.anomaly` defines. Rather than spell the topics, the states and the
severities' order a second time by hand, the page imports them from a module generated
here from the pydantic models; the field lists are there for the check that every wire
field the page reads exists. ``tests/test_contracts_js.py`` fails when the committed
file is not what this renders (run ``uv run python -m control_api.dashboard.contracts_js``
after changing the contract).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from contracts.anomaly import (
    TOPIC_ANOMALY,
    TOPIC_STATUS,
    AnomalyEvent,
    AnomalyState,
    JudgedTracks,
    Severity,
    StatusHeartbeat,
)
from contracts.statuses import FINISHED_STATUSES

TARGET = Path(__file__).parent / "js" / "contracts.js"


def _fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def render() -> str:
    """The module's text (deterministic: same contract, same bytes)."""
    constants: dict[str, object] = {
        "TOPIC_ANOMALY": TOPIC_ANOMALY,
        "TOPIC_STATUS": TOPIC_STATUS,
        "ANOMALY_STATES": [s.value for s in AnomalyState],
        "SEVERITIES": [s.value for s in sorted(Severity, key=lambda s: s.rank)],  # lowest first
        "ANOMALY_FIELDS": _fields(AnomalyEvent),
        "HEARTBEAT_FIELDS": _fields(StatusHeartbeat),
        "JUDGED_FIELDS": _fields(JudgedTracks),
        "FINISHED_STATUSES": sorted(s.value for s in FINISHED_STATUSES),
    }
    lines = [
        "// Generated from contracts/ by control_api/dashboard/contracts_js.py:",
        "// do not edit (run `uv run python -m control_api.dashboard.contracts_js`).",
        "",
    ]
    for name, value in constants.items():
        frozen = json.dumps(value)
        if isinstance(value, list):
            frozen = f"Object.freeze({frozen})"
        lines.append(f"export const {name} = {frozen};")
    return "\n".join(lines) + "\n"


def main() -> None:
    TARGET.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")


if __name__ == "__main__":
    main()
