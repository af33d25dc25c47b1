"""``proctorai demo``: the whole scripted interview a newcomer runs, and its check.

* :mod:`control_api.demo.inputs`: the faces and voices (defaults in ``demo/media``),
  checked before anything starts.
* :mod:`control_api.demo.script`: the scripted timeline and what each step must raise.
* :mod:`control_api.demo.matching`: received anomalies against the script (pure).
* :mod:`control_api.demo.api`: the public HTTP calls a recruiter and a candidate make.
* :mod:`control_api.demo.services`: the stack, started when it is not running.
* :mod:`control_api.demo.run`: the orchestration.
* :mod:`control_api.demo.summary`: the readable summary and the JSON line.
"""
