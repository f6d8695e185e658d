"""Rows split over threads: every row once, in contiguous ranges, errors propagate."""

import threading

import numba
import pytest

from infoplane.nets import _kernel, _metrics
from infoplane.nets._parallel import over_rows


@pytest.mark.parametrize("n_rows", [1, 2, 3, 50])
def test_ranges_cover_every_row_once(n_rows):
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def body(lo: int, hi: int) -> None:
        with lock:
            seen.append((lo, hi))

    over_rows(n_rows, body)
    rows = sorted(r for lo, hi in seen for r in range(lo, hi))
    assert rows == list(range(n_rows))
    assert len(seen) == min(n_rows, numba.get_num_threads())
    sizes = [hi - lo for lo, hi in seen]
    assert max(sizes) - min(sizes) <= 1


def test_numbas_thread_count_is_obeyed():
    before = numba.get_num_threads()
    seen: list[tuple[int, int]] = []
    try:
        numba.set_num_threads(1)
        over_rows(10, lambda lo, hi: seen.append((lo, hi)))
    finally:
        numba.set_num_threads(before)
    assert seen == [(0, 10)]


def test_an_error_in_any_range_propagates():
    def body(lo: int, hi: int) -> None:
        if hi == 7:
            raise ValueError("last range")

    with pytest.raises(ValueError, match="last range"):
        over_rows(7, body)


def test_no_kernel_uses_numbas_parallel_transform():
    """parallel=True costs seconds of compilation on the first run (issue 15)."""
    for module in (_kernel, _metrics):
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, numba.core.registry.CPUDispatcher):
                assert not obj.targetoptions.get("parallel"), name
