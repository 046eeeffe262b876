"""Logging with structlog: readable on a terminal, JSON lines with ``--log-format json``.

Secrets never reach a log line: values under secret-looking keys are masked, and every
secret registered with ``register_secret`` (the config's tokens, passwords and keys) is cut
out of any string that would be written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

_SECRET_KEYS = re.compile(r"token|password|secret|session_id|private_?key|authorization",
                          re.IGNORECASE)
_SECRETS: set[str] = set()
MASK = "***"


def register_secret(value: str | None) -> None:
    """Never write ``value`` to a log (short values are ignored: they would mask too much)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: MASK if _SECRET_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def _redact_processor(logger: Any, method: str, event: MutableMapping[str, Any]
                      ) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = MASK if _SECRET_KEYS.search(key) else _scrub(event[key])
    return event


def configure_logging(fmt: str = "console", level: str = "info",
                      stream: TextIO | None = None) -> None:
    """Set up structlog for the CLI; logs go to stderr so stdout stays for results."""
    stream = stream or sys.stderr
    renderer: Any = (structlog.processors.JSONRenderer() if fmt == "json"
                     else structlog.dev.ConsoleRenderer(colors=stream.isatty()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
