"""docs/report-schema.md documents every field of the report and every setting."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from control_api.reports import schema as report_schema
from control_api.reports.schema import ReportDocument
from control_api.reports.settings import ReportSettings
from proctoring.scorecard import Scorecard

DOC = (Path(__file__).parents[2] / "docs" / "report-schema.md").read_text(encoding="utf-8")


def _report_models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    """The report's own models (the scorecard is documented in scorecard.md)."""
    if model in seen or model is Scorecard:
        return
    seen.add(model)
    for field in model.model_fields.values():
        for kind in re.findall(r"\w+", str(field.annotation)):
            nested = getattr(report_schema, kind, None)
            if isinstance(nested, type) and issubclass(nested, BaseModel):
                _report_models(nested, seen)


def test_every_report_field_is_documented() -> None:
    models: set[type[BaseModel]] = set()
    _report_models(ReportDocument, models)
    assert len(models) >= 10
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in models
        for name in model.model_fields
        if f"`{name}`" not in DOC
    )
    assert missing == []


def test_every_setting_is_documented() -> None:
    missing = [name.upper() for name in ReportSettings.model_fields if name.upper() not in DOC]
    assert missing == []


def test_the_json_schema_exports_and_carries_the_version() -> None:
    schema = ReportDocument.model_json_schema()
    assert schema["properties"]["schema_version"]["const"] == 1
    assert {"Competency", "Evidence", "TimelineItem", "Decision"} <= set(schema["$defs"])
    assert f"(schema version {schema['properties']['schema_version']['const']})" in DOC
