import errno

import pytest

from infoplane.errors import _file_in_the_way, os_error


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_file_in_the_way_is_the_first_file_on_the_path(tmp_path, depth):
    blocking = tmp_path / "f"
    blocking.write_text("x")
    assert _file_in_the_way(blocking.joinpath(*["d"] * depth)) == blocking
    assert _file_in_the_way(tmp_path / "missing" / "x") is None


def test_os_error_names_the_file_in_the_way(tmp_path):
    blocking = tmp_path / "f"
    blocking.write_text("x")
    exc = NotADirectoryError(errno.ENOTDIR, "Not a directory", str(blocking / "a" / "b"))
    assert str(os_error(exc, "cannot create the run directory")) == (
        f"cannot create the run directory: {blocking} is a file, not a directory")


def _wrapped(interrupt: BaseException) -> SystemError:
    """What numba raises when a signal handler raised inside a Python callback."""
    try:
        try:
            raise interrupt
        except BaseException as exc:
            raise SystemError("CPUDispatcher(...) returned a result with an exception set") \
                from exc
    except SystemError as error:
        return error


def test_wrapped_interrupt_finds_the_interrupt_inside_system_errors():
    from infoplane.errors import wrapped_interrupt

    interrupt = KeyboardInterrupt()
    assert wrapped_interrupt(_wrapped(interrupt)) is interrupt
    assert wrapped_interrupt(_wrapped(_wrapped(interrupt))) is interrupt
    assert wrapped_interrupt(_wrapped(ValueError("x"))) is None
    assert wrapped_interrupt(SystemError("plain")) is None
    assert wrapped_interrupt(interrupt) is None  # not wrapped: handled as it is
