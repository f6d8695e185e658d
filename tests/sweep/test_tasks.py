"""Sweep tasks in a worker: thread limits that survive numba compiling there."""

from __future__ import annotations

import numba
import torch
from numba.core import config as numba_config
from numba.np.ufunc import parallel

from infoplane.sweep._tasks import limit_threads


def test_a_task_can_compile_after_the_worker_environment_pinned_numba_threads(monkeypatch):
    # A Dask worker's environment says NUMBA_NUM_THREADS=1 while numba's pool (launched
    # by the warm-up) has another size; numba re-reads the environment on every compile.
    parallel._launch_threads()
    pool = numba.config.NUMBA_NUM_THREADS
    monkeypatch.setenv("NUMBA_NUM_THREADS", str(pool + 1))
    threads, torch_threads = numba.get_num_threads(), torch.get_num_threads()
    try:
        limit_threads(1)
        numba_config.reload_config()  # what compiling a kernel does first
        assert numba.config.NUMBA_NUM_THREADS == pool
        assert numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(threads)
        torch.set_num_threads(torch_threads)
