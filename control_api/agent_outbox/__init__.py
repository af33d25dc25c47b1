"""What the agent's outbox could not deliver: dead letters reported by the agent workers.

The agent sets aside a row the API refused for good (a 4xx other than 401/403) and
reports it here, so a refusal is visible at the API (listed, counted in ``/metrics``)
instead of only in a file on a worker's disk.
"""
