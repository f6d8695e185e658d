"""Telling the user that numba is compiling, instead of showing a frozen progress bar.

The compiled kernels are cached on disk (``cache=True``), so they are compiled once,
on the first run after installing (or after the cache is cleared): about 20 s on two
cores, during which a progress bar would otherwise read "19 s/epoch, 53 hours left".
Numba announces each compilation (a cache miss only) as a ``numba:compile`` event;
:func:`compiling_notice` turns those into a progress-bar description, and pauses
Python's cyclic garbage collector while numba compiles (issue 15): numba's typing and
lowering build many short-lived IR objects, and the collections they trigger scan
every object alive (numba keeps the IR of what it compiled): 1.9 of 23.7 CPU seconds
of a small first run's compiling were collections. The collector is
restored as soon as the outermost compilation ends, so the garbage is collected then.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from numba.core import event

COMPILING = "compiling (first run only)"


class _Notice(event.Listener):
    """Sets a bar's description while a (possibly nested) compilation runs."""

    def __init__(self, bar: Any, text: str, on_first: Callable[[], None] | None) -> None:
        self.bar = bar
        self.text = text
        self.on_first = on_first
        self.original = getattr(bar, "desc", "").rstrip(": ")  # a disabled bar has none
        self.depth = 0
        self.compiled = False
        self._collecting = False  # whether the collector was on when compiling began

    def on_start(self, event: event.Event) -> None:
        self.depth += 1
        if self.depth == 1:
            if not self.compiled and self.on_first is not None:
                self.on_first()
            self.compiled = True
            self.bar.set_description(self.text)
            self._collecting = gc.isenabled()
            gc.disable()

    def on_end(self, event: event.Event) -> None:
        self.depth -= 1
        if self.depth == 0:
            if self._collecting:
                gc.enable()
            self.bar.set_description(self.original)


@contextmanager
def compiling_notice(
    bar: Any, text: str = COMPILING, *, on_first: Callable[[], None] | None = None
) -> Iterator[_Notice]:
    """Within the block, show ``text`` on the tqdm ``bar`` while numba compiles, with
    the cyclic garbage collector paused (see the module's docstring); ``on_first`` is
    called when the block's first compilation starts (a cold cache).

    Yields the listener; its ``compiled`` attribute says whether anything was compiled
    (a cold cache). Loading compiled code from the cache shows nothing.
    """
    notice = _Notice(bar, text, on_first)
    try:
        with event.install_listener("numba:compile", notice):
            yield notice
    finally:
        if notice.depth > 0 and notice._collecting:  # left in the middle of a compilation
            gc.enable()


def is_cached(dispatcher: Any, args: tuple) -> bool:
    """Whether numba's disk cache holds ``dispatcher`` (a ``cache=True`` njit function)
    compiled for the types of ``args``, without loading or compiling anything.

    This reads the cache's index as numba's own lookup does (its ``Cache`` internals:
    the key of the signature and the index file, which numba checks against the
    source file's stamp). Anything unexpected (another numba, a cache that cannot be
    read) answers True, so a caller falls back to compiling on first use.
    """
    try:
        signature = tuple(dispatcher.typeof_pyval(a) for a in args)
        if signature in dispatcher.overloads:  # compiled or loaded in this process
            return True
        cache = dispatcher._cache
        key = cache._index_key(signature, dispatcher.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:  # noqa: BLE001 -- an answer that only costs time if wrong
        return True
