"""The evaluation report: an evidence-checked rubric plus the deterministic proctoring score.

Modules, one job each:

- :mod:`.schema`: the versioned report document (JSON), documented in docs/report-schema.md;
- :mod:`.evidence`: quote normalisation and the evidence check every claim must pass;
- :mod:`.requirements`: competencies extracted from the job description (offline path);
- :mod:`.offline`: the deterministic evaluation used when no OpenAI key is set;
- :mod:`.openai_eval`: the Chat Completions evaluation with a strict JSON schema;
- :mod:`.proctoring_section`: the scorecard and timeline built from stored anomalies only;
- :mod:`.integrity`: the integrity verdict that opens the report (proctoring facts only);
- :mod:`.transcript`: the transcript with each proctoring event placed at its time;
- :mod:`.timeline`, :mod:`.render_html`, :mod:`.render_pdf`: the HTML and PDF renderings;
- :mod:`.service`: generate, store and read reports; proctor decisions;
- :mod:`.webhook`: the signed ATS notification with retries and a delivery log;
- :mod:`.retention`: media retention and full erasure of a candidate's data.
"""
