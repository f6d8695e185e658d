"""The package imports little up front: ``infoplane`` and its config load neither the
estimators (SciPy, numba) nor PyTorch, and a CPU run never loads PyTorch, so every
command and the first run's compiling children start fast (issue 15); the estimators'
names still come from the package."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import infoplane

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.mark.parametrize("module, absent", [
    ("infoplane", ("numba", "scipy", "torch", "infoplane.estimators")),
    ("infoplane.cli", ("numba", "scipy", "torch", "pandas")),
    ("infoplane.config", ("torch", "scipy")),
    ("infoplane._prewarm", ("torch", "scipy")),
    ("infoplane.run", ("torch",)),  # a CPU run: the compiled kernels, no PyTorch
])
def test_importing_loads_no_heavy_module(module, absent):
    probe = f"import sys, {module}; print(*[m for m in {absent!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []


def test_the_estimators_names_come_from_the_package():
    from infoplane import InformationEstimate, available_estimators, estimate_information
    from infoplane.estimators import estimate_information as direct

    assert estimate_information is direct
    assert "binning" in available_estimators()
    assert InformationEstimate.__name__ == "InformationEstimate"
    assert sorted(infoplane.__all__) == sorted(
        ["InfoplaneError", "InformationEstimate", "__version__", "available_estimators",
         "estimate_information"])
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        infoplane.nonsense  # noqa: B018
    assert set(infoplane.__all__) <= set(dir(infoplane))  # tab completion


def test_subpackages_are_reached_from_the_package():
    import infoplane.estimators
    import infoplane.nets

    assert infoplane.estimators is sys.modules["infoplane.estimators"]
    assert infoplane.nets.__name__ == "infoplane.nets"
