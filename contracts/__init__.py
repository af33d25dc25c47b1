"""What the control API and the agent share, defined once: both import it, it imports neither.

- :mod:`contracts.anomaly`: the anomaly and status messages (data channel and HTTP) and
  the stored record they merge into;
- :mod:`contracts.interview_context`: what the API tells the agent about an interview
  (and its sensitivity);
- :mod:`contracts.identities`: LiveKit identities and room names of an interview;
- :mod:`contracts.statuses`: the interview's statuses;
- :mod:`contracts.dev_secrets`: the development secrets file both read under ``DATA_DIR``.

The two services never import each other (they talk over HTTP and LiveKit); what must
agree on both sides of that wire lives here (docs/architecture.md).
"""
