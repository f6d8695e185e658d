import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from infoplane.nets import _kernel
from infoplane.nets.activations import tanh_rational_coefficients


def test_fast_tanh_accuracy_and_range():
    x = np.linspace(-30, 30, 200_001, dtype=np.float32)
    approx = _kernel.fast_tanh_array(x)
    assert np.abs(approx - np.tanh(x.astype(np.float64))).max() < 5e-7
    assert np.abs(approx).max() <= 1.0 + 3e-7
    assert np.all(np.diff(approx) >= -5e-7)  # monotone up to rounding


def test_fast_tanh_keeps_nan_and_saturates_at_infinity():
    """A NaN pre-activation stays NaN (it read as 1.0 when the clamp was two conditional
    expressions), in the vectorised loop and its scalar remainder alike."""
    special = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30], dtype=np.float32)
    for x in (special, np.tile(special, 13)):
        out = _kernel.fast_tanh_array(x)
        assert np.array_equal(np.isnan(out), np.isnan(x))
        assert np.array_equal(out[~np.isnan(x)], np.sign(x[~np.isnan(x)]))


def test_rational_coefficients_give_exact_tanh_to_float64():
    P, Q = tanh_rational_coefficients(16)
    x = np.linspace(0, 9, 10_001)
    u = x * x
    approx = x * np.polyval(P[::-1], u) / np.polyval(Q[::-1], u)
    assert np.abs(approx - np.tanh(x)).max() < 1e-11


def test_shuffles_are_permutations_and_reproducible():
    source = np.arange(100, dtype=np.int64)
    states = np.array([1, 2], dtype=np.uint64)
    orders = _kernel.epoch_orders(states.copy(), np.stack([source, source]), 5)
    assert orders.shape == (5, 2, 100)
    for e in range(5):
        for s in range(2):
            assert np.array_equal(np.sort(orders[e, s]), source)
    assert not np.array_equal(orders[0, 0], orders[1, 0])
    assert not np.array_equal(orders[0, 0], orders[0, 1])
    again = _kernel.epoch_orders(states.copy(), np.stack([source, source]), 5)
    assert np.array_equal(orders, again)


def test_shuffle_positions_are_uniform():
    source = np.arange(4, dtype=np.int64)
    orders = _kernel.epoch_orders(np.array([9], dtype=np.uint64), source[None], 20_000)[:, 0]
    counts = np.stack([(orders == v).sum(axis=0) for v in range(4)])  # value x position
    assert np.abs(counts / 20_000 - 0.25).max() < 0.02


def test_kernels_are_compiled_per_activation_not_for_all():
    """The activation code reaches numba as a literal, so a run compiles (and caches)
    the kernels for its own activation only (issue 15: the first run's compiling)."""
    from numba import typeof, types

    from infoplane.config import RunConfig
    from infoplane.datasets import Dataset
    from infoplane.nets.ensemble import layer_activations, make_setup

    assert typeof(_kernel.ActivationCode(_kernel.RELU)) == types.IntegerLiteral(_kernel.RELU)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.integers(0, 2, 40).astype(np.int64)
    data = Dataset("tiny", X, y, np.eye(2)[y])
    setup = make_setup(RunConfig(seeds=1, widths=(3,), activation="relu"), data)
    layer_activations(setup.layout, setup.params, X, "relu", "cpu")
    acts = [sig[7] for sig in _kernel._forward_seeds.signatures]  # the ``act`` argument
    assert types.IntegerLiteral(_kernel.RELU) in acts
    assert all(isinstance(a, types.IntegerLiteral) for a in acts)


def test_the_training_kernels_own_helpers_are_inlined_not_compiled_apart():
    """Numba links each separately compiled callee into its caller and optimises it again
    there (issue 15): the helpers only the training kernel calls are inlined into it, and
    only those it shares with the forward kernel compile as functions of their own."""
    from numba.core.registry import CPUDispatcher

    entries = {"_train_seeds", "_forward_seeds", "epoch_orders", "fast_tanh_array"}
    shared = {"_combine", "_activate", "_softmax"}
    helpers = {name: obj for name, obj in vars(_kernel).items()
               if isinstance(obj, CPUDispatcher) and name not in entries | shared}
    assert {"_weight_grad", "_update", "_scale_by_derivative", "shuffle_into"} <= set(helpers)
    assert all(h.targetoptions.get("inline") == "always" for h in helpers.values())


CACHE_PROBE = """
import sys
from numba.core import event
from infoplane.config import RunConfig
from infoplane.datasets import load_dataset
from infoplane.nets import _kernel
from infoplane.nets.ensemble import CpuEnsemble, make_setup

code = _kernel.LINEAR
before = _kernel.training_compiled(code)
_kernel.compile_training(code)
after = _kernel.training_compiled(code), _kernel.training_compiled(_kernel.TANH)
compiled = []
class Seen(event.Listener):
    def on_start(self, ev):
        compiled.append(str(ev.data["dispatcher"].py_func.__name__))
    def on_end(self, ev):
        pass
config = RunConfig(activation="linear", seeds=2, epochs=2, log_epochs=2, widths=(6, 3))
data = load_dataset(config.dataset)
with event.install_listener("numba:compile", Seen()):
    CpuEnsemble(make_setup(config, data), config, data).train(1)
print(before, *after, "_train_seeds" in compiled)
"""


def test_the_compiled_tiny_training_serves_a_real_ensemble(tmp_path):
    """compile_training (the first run's compiling child) compiles the training kernel
    for exactly the types a real ensemble passes, and training_compiled sees it in an
    empty disk cache only once it is there, per activation."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run([sys.executable, "-c", CACHE_PROBE], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "False", "False"]


def test_the_parts_benchmark_finds_every_part_it_removes(monkeypatch):
    """benchmarks/bench_kernel_parts.py times the kernel without each of its parts by
    removing their code from this source: each piece must still be there, once."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import bench_kernel_parts

    source = Path(_kernel.__file__).read_text()
    for edits in bench_kernel_parts.PARTS.values():
        for old, _ in edits:
            assert source.count(old) == 1, old
    for old, _ in bench_kernel_parts.ZEROED:
        assert old in source, old
