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
