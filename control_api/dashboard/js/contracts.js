// Generated from contracts/ by control_api/dashboard/contracts_js.py:
// do not edit (run `uv run python -m control_api.dashboard.contracts_js`).

export const TOPIC_ANOMALY = "proctoring.anomaly";
export const TOPIC_STATUS = "proctoring.status";
export const ANOMALY_STATES = Object.freeze(["started", "ended"]);
export const SEVERITIES = Object.freeze(["low", "medium", "high"]);
export const ANOMALY_FIELDS = Object.freeze(["id", "interview_id", "type", "severity", "confidence", "started_at", "ended_at", "confirmed_at", "evidence", "v", "state"]);
export const HEARTBEAT_FIELDS = Object.freeze(["v", "interview_id", "sent_at", "signals", "active", "judged"]);
export const JUDGED_FIELDS = Object.freeze(["camera", "microphone"]);
export const FINISHED_STATUSES = Object.freeze(["cancelled", "completed", "evaluated", "failed"]);
