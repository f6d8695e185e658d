"""The project's exception for user errors (bad input, impossible settings)."""

from __future__ import annotations


class InfoplaneError(ValueError):
    """A user error: the CLI prints its one-line message and exits with code 2."""


def check(condition: bool, message: str) -> None:
    """Raise :class:`InfoplaneError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise InfoplaneError(message)
