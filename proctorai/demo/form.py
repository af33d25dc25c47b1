"""The recruiter's ``POST /interviews`` form, built once: field names, files, defaults.

The demo, the benchmarks and the tests all create interviews the way a recruiter's client
does, with a multipart form; each used to spell out the same fields, so a renamed field
or a new required one meant editing every copy. They now start from
:func:`interview_form` (the tests through ``tests/support/interviews.py``) and override
only what they mean to say.
"""

from __future__ import annotations

import functools
from typing import Any

from proctorai.resources import DEMO_DIR

FILE_FIELDS = frozenset({"resume", "reference_photo", "job_description_file"})
"""The form's file parts; every other key is a text field."""

FileParts = dict[str, tuple[Any, ...]]
"""httpx's ``files=``: part name to (file name, bytes[, content type])."""


@functools.cache
def sample_file(name: str) -> bytes:
    """A file of the sample interview (``resume.txt``, ``job_description.txt``), read
    once per process: the API benchmark posts it thousands of times."""
    return (DEMO_DIR / name).read_bytes()


def interview_form(**overrides: Any) -> tuple[dict[str, str], FileParts]:
    """(text fields, files) of a valid interview: the sample job description as text
    and the sample resume, for "Jordan Example".

    Any field or file part may be overridden by name (numbers become text), or dropped
    with None; the API's defaults apply to what is not sent (duration, question count,
    sensitivity).
    """
    data: dict[str, str] = {
        "title": "Senior Backend Engineer",
        "candidate_name": "Jordan Example",
        "candidate_email": "jordan@example.com",
        "job_description": sample_file("job_description.txt").decode("utf-8"),
    }
    files: FileParts = {"resume": ("resume.txt", sample_file("resume.txt"), "text/plain")}
    for key, value in overrides.items():
        if key in FILE_FIELDS:
            if value is None:
                files.pop(key, None)
            else:
                files[key] = value
        elif value is None:
            data.pop(key, None)
        else:  # as httpx writes a value: booleans in lower case
            data[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return data, files
