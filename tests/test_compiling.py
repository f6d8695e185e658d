"""The progress bar says that numba is compiling, and only while it compiles."""

import numpy as np
from numba import njit

from infoplane._compiling import COMPILING, compiling_notice


class _Bar:
    """Records the descriptions a tqdm bar is given."""

    def __init__(self) -> None:
        self.desc = "training: "
        self.shown: list[str] = []

    def set_description(self, desc: str) -> None:
        self.desc = desc + ": "
        self.shown.append(desc)


def test_a_compilation_shows_the_notice_then_restores_the_description():
    @njit(cache=False)
    def fresh(x):  # a new function: compiled on its first call, never cached
        return x * 2.0

    bar = _Bar()
    with compiling_notice(bar) as notice:
        assert fresh(np.float64(1.5)) == 3.0
    assert notice.compiled
    assert bar.shown == [COMPILING, "training"]
    assert COMPILING == "compiling (first run only)"


def test_nothing_compiled_nothing_shown():
    @njit(cache=False)
    def once(x):
        return x + 1

    once(1)  # compiled before the block
    bar = _Bar()
    with compiling_notice(bar) as notice:
        assert once(2) == 3
    assert not notice.compiled
    assert bar.shown == []


def test_a_disabled_bar_is_left_alone():
    from tqdm.auto import tqdm

    @njit(cache=False)
    def other(x):
        return x - 1

    with tqdm(total=3, disable=True) as bar, compiling_notice(bar) as notice:
        assert other(3) == 2
    assert notice.compiled
