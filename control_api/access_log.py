"""Keep link tokens and media signatures out of uvicorn's access log.

Join and proctor links carry their token in the path (``/join/<token>``,
``/proctor/<token>``, and the pages' API calls ``/links/<token>/...``), and signed media
URLs carry their signature in the query; uvicorn's access log writes every path it
serves, so anyone reading the logs could open the candidate's interview or the
proctor's view. The app installs :class:`RedactTokens` on the ``uvicorn.access``
logger when it is built, so every way of serving it (``proctorai up``, a hand-run
``uvicorn``, the tests) gets it; a filter on the logger survives uvicorn's own logging
configuration, which replaces handlers but keeps filters.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "<redacted>"
_LINK_PATH = re.compile(r"(/(?:links|join|proctor)/)[^/?#\s\"]+")
_SIGNATURE = re.compile(r"([?&]signature=)[^&#\s\"]*")


def redact(text: str) -> str:
    """``text`` with link tokens in paths and ``signature=`` query values replaced."""
    return _SIGNATURE.sub(rf"\g<1>{REDACTED}", _LINK_PATH.sub(rf"\g<1>{REDACTED}", text))


class RedactTokens(logging.Filter):
    """Redacts the string arguments (uvicorn passes the path as one) and the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_access_log_redaction() -> None:
    """Put the filter on uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
        logger.addFilter(RedactTokens())
