"""The project's exception for user errors (bad input, impossible settings)."""

from __future__ import annotations

import errno
from pathlib import Path


class InfoplaneError(ValueError):
    """A user error: the CLI prints its one-line message and exits with code 2."""


def check(condition: bool, message: str) -> None:
    """Raise :class:`InfoplaneError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise InfoplaneError(message)


def wrapped_interrupt(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that ``exc`` stands for, if any, else None.

    A signal handler raises KeyboardInterrupt wherever Python code runs; inside a Python
    callback of compiled (numba) code, the compiled caller turns it into a SystemError
    whose cause is the interrupt. Such an error is the interrupt, not a failure.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while isinstance(cause, SystemError) and id(cause) not in seen:
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return cause if isinstance(cause, KeyboardInterrupt) and cause is not exc else None


class StorageError(InfoplaneError):
    """A file could not be written (full disk, read-only path, a file in the way)."""


def os_error(exc: OSError, what: str) -> StorageError:
    """A one-line user error for an operating-system error while ``what``."""
    reasons = {
        errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a part of the path is a file, not a directory",
        errno.EEXIST: "a part of the path is a file, not a directory",
    }
    where = f" ({exc.filename})" if exc.filename else ""
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and exc.filename:
        blocking = _file_in_the_way(Path(exc.filename))
        if blocking is not None:
            reason, where = f"{blocking} is a file, not a directory", ""
    return StorageError(f"{what}: {reason}{where}")


def _file_in_the_way(path: Path) -> Path | None:
    """The first part of ``path`` (from the root) that exists and is not a directory."""
    for part in (*reversed(path.parents), path):
        if part.exists() and not part.is_dir():
            return part
    return None


def check_directory(path: str | Path, flag: str = "--out") -> None:
    """Refuse ``path`` as a directory to write in if it, or a folder above it, is a file.

    Nothing is created. Raises InfoplaneError naming the file in the way.
    """
    path = Path(path)
    blocking = _file_in_the_way(path.absolute())
    if blocking is None:
        return
    if blocking == path.absolute():
        raise InfoplaneError(f"{flag} {path} exists and is not a directory")
    raise InfoplaneError(f"{flag} {path}: {blocking} is a file, not a directory")


def make_directory(path: str | Path, flag: str = "--out") -> None:
    """Create the directory ``path`` (and folders above it) to write in, after
    :func:`check_directory`; an impossible place (a file in the way, a read-only or
    virtual file system) raises a one-line InfoplaneError and creates nothing."""
    check_directory(path, flag)
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, f"cannot create {flag} {path}") from None
