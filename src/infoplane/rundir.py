"""A run directory you can trust: one run, its state, its files, one writer at a time.

Besides the tables and figures (:mod:`infoplane.store`) a run directory holds

- ``status.json``: the run's state, written atomically: ``running`` (host, process id,
  start time, phase, epochs trained so far), ``complete``, ``interrupted`` (epochs
  trained, last measured epoch) or ``failed`` (a one-line reason). A ``running``
  status whose process is gone (same host) reads as ``killed``.
- ``manifest.json``: the run's own files and folders. ``--overwrite`` removes exactly
  these, so no table or figure of an older run survives beside a newer one, and
  nothing else in the directory is touched.
- ``.infoplane.lock`` while a process writes it: an advisory lock (``flock``) that
  holds the writer's host and process id. The operating system drops it when the
  process dies, so a lock left by a killed run is taken over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from infoplane.errors import InfoplaneError, os_error

STATUS = "status.json"
MANIFEST = "manifest.json"
LOCK = ".infoplane.lock"
CONFIG = "config.toml"
STATES = ("running", "complete", "interrupted", "failed")
LEGACY_FILES = (
    CONFIG, "information.parquet", "training.parquet", "gradients.parquet", "ib_curve.parquet",
    "ib_layers.parquet", "information_plane.png", "snr.png", "training.png", "ib_bound.png",
)
"""What a run directory written before manifests held (removed by ``--overwrite``)."""


class DirectoryInUse(InfoplaneError):
    """The run directory is locked by another live process (``holder`` names it)."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is in use by {holder}")
        self.path, self.holder = path, holder


@dataclass(frozen=True)
class Status:
    """The content of ``status.json``; ``state`` is ``killed`` when read back from a
    ``running`` status whose process no longer exists on this host."""

    state: str
    host: str = ""
    pid: int = 0
    started: str = ""
    updated: str = ""
    phase: str = ""
    epochs: int = 0
    epochs_trained: int = 0
    last_measured_epoch: int | None = None
    checkpoint_epoch: int | None = None
    reason: str = ""

    def describe(self) -> str:
        """One phrase for messages, e.g. ``interrupted after 37 of 300 epochs``."""
        trained = f"after {self.epochs_trained} of {self.epochs} epochs"
        measured = (f", last measured epoch {self.last_measured_epoch}"
                    if self.last_measured_epoch is not None else "")
        if self.state == "complete":
            return "complete"
        if self.state == "failed":
            return f"failed {trained}: {self.reason}"
        if self.state == "killed":
            return (f"killed during {self.phase or 'the run'} {trained} "
                    f"(process {self.pid} on {self.host} is gone)")
        if self.state == "running":
            return f"running (process {self.pid} on {self.host}, {self.phase}) {trained}"
        return f"{self.state} during {self.phase} {trained}{measured}"


def read_status(run_dir: str | Path) -> Status | None:
    """The run's status, or None if the directory has no (readable) ``status.json``."""
    try:
        raw = json.loads((Path(run_dir) / STATUS).read_text(encoding="utf-8"))
        known = {k: v for k, v in raw.items() if k in Status.__dataclass_fields__}
        status = Status(**known)
    except (OSError, ValueError, TypeError):
        return None
    if status.state == "running" and status.host == socket.gethostname():
        if not _alive(status.pid):
            status = replace(status, state="killed")
    return status


class RunDir:
    """An open run directory: locked by this process until :meth:`close`.

    Use :meth:`open`; then :meth:`claim` names before writing them and
    :meth:`set_status` at each change of state.
    """

    def __init__(self, path: Path, lock_fd: int, status: Status, files: list[str]) -> None:
        self.path = path
        self._lock_fd: int | None = lock_fd
        self.status = status
        self._files = files

    @classmethod
    def open(
        cls, path: str | Path, *, config_toml: str, epochs: int,
        overwrite: bool = False, resume: bool = False, advice: str | None = None,
    ) -> RunDir:
        """Lock ``path`` for a new run (``config_toml`` written) or to ``resume`` one.

        Raises
        ------
        InfoplaneError
            If ``path`` cannot be made a directory, another process uses it
            (:class:`DirectoryInUse`), it holds
            another run (without ``overwrite``), or there is no run to ``resume``.
            ``advice`` replaces the CLI's advice (--overwrite, --resume) in the
            message refusing a directory that holds another run.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise InfoplaneError(f"--out {path} exists and is not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
            fd = _lock(path)
        except OSError as exc:
            raise os_error(exc, f"cannot create the run directory {path}") from None
        try:
            files = _read_manifest(path)
            old = read_status(path)
            if resume:
                files = _check_resumable(path, old, files)
            else:
                if _holds_run(path, files, old):
                    what = f" ({old.describe()})" if old is not None else ""
                    if not overwrite:
                        raise InfoplaneError(
                            f"--out {path} holds another run{what}; " + (advice or (
                                f"add --overwrite to replace it, or continue it with: "
                                f"infoplane run --resume {path}"))
                        )
                    _remove(path, files or list(LEGACY_FILES))
                files = []
            host, pid, now = socket.gethostname(), os.getpid(), _now()
            status = Status(state="running", host=host, pid=pid, started=now, updated=now,
                            phase="training", epochs=epochs)
            run = cls(path, fd, status, files)
            run.claim(MANIFEST, STATUS, CONFIG)
            if not resume:
                from infoplane.store import write_text

                write_text(path / CONFIG, config_toml)
            run.set_status("running", phase="training")
            return run
        except OSError as exc:
            _unlock(path, fd)
            raise os_error(exc, f"cannot write the run directory {path}") from None
        except BaseException:
            _unlock(path, fd)
            raise

    def claim(self, *names: str) -> None:
        """Record ``names`` (files or folders, relative) as this run's, before writing."""
        new = [n for n in names if n not in self._files]
        if new:
            self._files = [*self._files, *new]
            text = json.dumps({"files": self._files}, indent=1) + "\n"
            _write_quietly(self.path / MANIFEST, text)

    def set_status(self, state: str, **fields: Any) -> None:
        """Write ``status.json`` with ``state`` and changed ``fields``."""
        self.status = replace(self.status, state=state, updated=_now(), **fields)
        _write_quietly(self.path / STATUS, json.dumps(asdict(self.status), indent=1) + "\n")

    def close(self) -> None:
        """Release the lock (idempotent)."""
        if self._lock_fd is not None:
            _unlock(self.path, self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> RunDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back (main thread only) until the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _write_quietly(path: Path, text: str) -> None:
    """Write a small bookkeeping file atomically, a pending Ctrl-C held back meanwhile."""
    from infoplane.store import write_text

    with signals_held():
        write_text(path, text)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock(path: Path) -> int:
    """Take the directory's lock, or raise naming the process that holds it."""
    lock = path / LOCK
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace")
            os.close(fd)
            try:
                who = json.loads(holder)
                by = f"process {who['pid']} on {who['host']}"
            except (ValueError, KeyError, TypeError):
                by = "another process"
            raise DirectoryInUse(path, by) from None
        try:  # the lock file may have been removed by its last holder meanwhile
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"host": socket.gethostname(), "pid": os.getpid()})
                      .encode(), 0)
            return fd
        os.close(fd)


def _unlock(path: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        (path / LOCK).unlink()
    os.close(fd)


def _read_manifest(path: Path) -> list[str]:
    try:
        files = json.loads((path / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [f for f in files if isinstance(f, str) and _inside(f)]


def _inside(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def _holds_run(path: Path, files: list[str], status: Status | None) -> bool:
    if files or status is not None:
        return True
    return any((path / name).exists() for name in LEGACY_FILES)


def _check_resumable(path: Path, old: Status | None, files: list[str]) -> list[str]:
    if old is None or not (path / CONFIG).is_file():
        raise InfoplaneError(f"{path} holds no run to resume (no {STATUS} and {CONFIG})")
    if old.state == "complete":
        raise InfoplaneError(f"{path} is already complete; nothing to resume")
    return files


def _remove(path: Path, files: list[str]) -> None:
    """Delete the listed files and folders of an old run (and their temporary files)."""
    for name in files:
        target = path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        for tmp in target.parent.glob(f".{target.name}.*.tmp"):
            tmp.unlink(missing_ok=True)
