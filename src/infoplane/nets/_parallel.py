"""Running a compiled, GIL-free kernel over independent rows on all of numba's threads.

The CPU kernels work on rows that do not interact (the seeds of an ensemble), so a
plain ``@njit(nogil=True)`` function over a range of rows, run on a few Python threads,
uses every core as ``prange`` would, without ``parallel=True``: numba's parallel
transform costs several seconds of compilation per kernel on the first run, and buys
nothing for loops that split into equal, independent parts. The thread count follows
numba's (``NUMBA_NUM_THREADS``, :func:`numba.set_num_threads`), so sweeps that pin
numba to one thread per worker are obeyed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba


def over_rows(n_rows: int, body: Callable[[int, int], object]) -> None:
    """Call ``body(lo, hi)`` on contiguous, near-equal row ranges covering ``range(n_rows)``.

    One range per thread of numba's pool (at most one per row); the ranges run
    concurrently when ``body`` releases the GIL. Exceptions raised by ``body`` propagate.
    """
    parts = max(1, min(n_rows, numba.get_num_threads()))
    bounds = [n_rows * k // parts for k in range(parts + 1)]
    if parts == 1:
        body(0, n_rows)
        return
    with ThreadPoolExecutor(max_workers=parts - 1) as pool:
        ranges = zip(bounds[1:-1], bounds[2:], strict=True)
        futures = [pool.submit(body, lo, hi) for lo, hi in ranges]
        body(bounds[0], bounds[1])  # the calling thread takes the first range
        for future in futures:
            future.result()
