"""``proctorai demo``: the whole scripted interview a newcomer runs, and its check.

* :mod:`proctorai.demo.inputs`: the faces and voices (defaults in ``demo/media``),
  checked before anything starts.
* :mod:`proctorai.demo.script`: the scripted timeline and what each step must raise.
* :mod:`proctorai.demo.matching`: received anomalies against the script (pure).
* :mod:`proctorai.demo.api`: the public HTTP calls a recruiter and a candidate make.
* :mod:`proctorai.demo.services`: the stack, started when it is not running.
* :mod:`proctorai.demo.run`: the orchestration.
* :mod:`proctorai.demo.summary`: the readable summary and the JSON line.
"""
