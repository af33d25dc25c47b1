"""The proctor page and the contract agree: names generated from it, one merge rule.

``control_api/dashboard/js/contracts.js`` must be what the contract renders today, and
the page's ``mergeAnomaly`` (run in Node, as the browser runs it) must fold an anomaly's
versions exactly as :meth:`contracts.anomaly.AnomalyRecord.merged` does, in every order.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from contracts.anomaly import AnomalyEvent, AnomalyRecord, JudgedTracks, StatusHeartbeat
from control_api.dashboard import contracts_js
from control_api.routes.proctor import AnomalyHistory, AnomalyView, DecisionView
from control_api.schemas import LinkInterview, LinkSession

JS = Path(contracts_js.__file__).parent / "js"
T0 = 1_740_823_205.0


def _version(**fields: Any) -> AnomalyRecord:
    base: dict[str, Any] = {
        "id": "a1",
        "interview_id": "i1",
        "type": "face_mismatch",
        "severity": "medium",
        "confidence": 0.8,
        "started_at": T0,
        "confirmed_at": T0 + 2,
        "evidence": {"distance": 0.7},
    }
    return AnomalyRecord.model_validate(base | fields)


CASES: dict[str, list[AnomalyRecord]] = {
    "start and end": [
        _version(evidence={"distance": 0.7, "snapshot_url": "https://s/1.jpg"}),
        _version(ended_at=T0 + 9, severity="high", confidence=0.95, evidence={"distance": 0.8}),
    ],
    "a repeated start": [_version(), _version(), _version(ended_at=T0 + 4)],
    "two starts, the surer one wins": [
        _version(confidence=0.8, evidence={"distance": 0.7}),
        _version(confidence=0.9, evidence={"frames": 4}),
    ],
    "two starts, the more severe one wins": [
        _version(severity="high", evidence={"distance": 0.7}),
        _version(severity="medium", evidence={"frames": 4}),
    ],
    "two ends, the later one wins": [
        _version(ended_at=T0 + 4, evidence={"frames": 3}),
        _version(ended_at=T0 + 6, confidence=0.9, evidence={"frames": 5}),
        _version(evidence={"distance": 0.7, "snapshot_url": "https://s/2.jpg"}),
    ],
}


def _wire(record: AnomalyRecord) -> dict[str, Any]:
    return record.model_dump(mode="json")  # its state included


def _node_fold(sequences: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the page's merge (scripts/setup.sh installs it)")
    script = (
        f'import {{ mergeAnomaly }} from "{(JS / "anomaly-merge.js").as_uri()}";\n'
        'let text = ""; for await (const chunk of process.stdin) text += chunk;\n'
        "const fold = (seq) => seq.reduce((m, v) => mergeAnomaly(m, v), null);\n"
        "const out = JSON.parse(text).map(fold);\n"
        "process.stdout.write(JSON.stringify(out));\n"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(sequences),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return list(json.loads(done.stdout))


def test_the_generated_names_are_current() -> None:
    assert (JS / "contracts.js").read_text(encoding="utf-8") == contracts_js.render(), (
        "run `uv run python -m control_api.dashboard.contracts_js` and commit the result"
    )


PROCTOR_PAGE = ("anomaly-merge.js", "anomaly-list.js", "proctor.js", "camera-view.js")
EVIDENCE_KEYS_SHOWN = {"snapshot_url"}
"""Evidence keys the page reads by name (evidence is free-form in the contract)."""


def _models_read_by_the_page() -> list[type[BaseModel]]:
    return [
        AnomalyEvent,
        StatusHeartbeat,
        JudgedTracks,
        AnomalyView,
        DecisionView,
        AnomalyHistory,
        LinkSession,
        LinkInterview,
    ]


def test_every_wire_field_the_proctor_page_reads_exists() -> None:
    """A snake_case property in the page's code is a field of a message or response (the
    browser's own APIs are camelCase): it must be one the models define."""
    known = {name for model in _models_read_by_the_page() for name in model.model_fields}
    known |= EVIDENCE_KEYS_SHOWN
    read = {
        name
        for page in PROCTOR_PAGE
        for name in re.findall(r"\.([a-z]+(?:_[a-z]+)+)\b", (JS / page).read_text("utf-8"))
    }
    assert read, "the check found no field at all: the pattern is wrong"
    assert read - known == set()


def test_the_field_check_sees_a_misspelt_field() -> None:
    misspelt = "const t = anomaly.started_time;"
    assert re.findall(r"\.([a-z]+(?:_[a-z]+)+)\b", misspelt) == ["started_time"]


def test_a_record_reads_back_its_own_dump() -> None:
    record = _version(ended_at=T0 + 3)
    assert AnomalyRecord.model_validate(record.model_dump()) == record


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_page_merges_as_the_contract_does_in_every_order(case: str) -> None:
    orders = list(itertools.permutations(CASES[case]))
    expected = []
    for order in orders:
        merged = order[0]
        for version in order[1:]:
            merged = merged.merged(version)
        expected.append(_wire(merged) | {"decision": None})
    assert len({json.dumps(e, sort_keys=True) for e in expected}) == 1  # order-independent
    folded = _node_fold([[_wire(v) for v in order] for order in orders])
    assert folded == expected
