"""The seed-vectorised ensemble: all seeds of a run train as one computation.

Each seed s has its own streams, derived from ``numpy.random.SeedSequence(s)``:
its initialisation, its train/test split and its minibatch order. A seed's
training therefore does not depend on which other seeds share the ensemble.

Two interchangeable engines train the ensemble: :class:`CpuEnsemble` (a compiled
kernel, the fast path on CPUs) and :class:`~infoplane.nets.torch_engine.TorchEnsemble`
(batched PyTorch with autograd; runs on CUDA and serves as the reference), whose module
alone imports PyTorch. Both take the gradient
statistics before each update and return them per epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from infoplane.config import RunConfig
from infoplane.datasets import Dataset
from infoplane.errors import InfoplaneError
from infoplane.nets import _kernel
from infoplane.nets.activations import activation_code
from infoplane.nets.layout import Layout

if TYPE_CHECKING:  # PyTorch is imported only where a run asks for it (--device cuda)
    from infoplane.nets.torch_engine import TorchEnsemble

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
"""torch.optim.Adam's defaults, used by both engines."""
FORWARD_CHUNK = 512
"""Samples per block when the CPU kernel computes activations on all inputs."""


@dataclass(frozen=True)
class Setup:
    """What every engine starts from: shapes, each seed's split, init and order state."""

    layout: Layout
    seeds: tuple[int, ...]
    train_idx: np.ndarray  # (seeds, n_train) int64, rows of the data set
    train_mask: np.ndarray  # (seeds, n_samples) bool
    params: np.ndarray  # (seeds, n_params) float32, the initialisation
    order_states: np.ndarray  # (seeds,) uint64
    batch_size: int


@dataclass(frozen=True)
class EngineState:
    """Everything an engine needs to continue training exactly where it stopped.

    Every array has the seeds on its first axis, so a subset of seeds is a slice.
    ``m`` and ``v`` are Adam's first and second moments (``m`` is SGD's momentum
    buffer; ``v`` unused), laid out like ``params``; ``steps`` counts the updates.
    """

    params: np.ndarray  # (seeds, n_params) float32
    m: np.ndarray  # (seeds, n_params) float32
    v: np.ndarray  # (seeds, n_params) float32
    steps: np.ndarray  # (seeds,) int64
    order_states: np.ndarray  # (seeds,) uint64, each seed's minibatch-order generator


def make_setup(config: RunConfig, data: Dataset, seeds: range | None = None) -> Setup:
    """Derive each seed's initialisation, split and order stream from its seed alone.

    A data set with a fixed test split (``Dataset.test_mask``) trains every seed on
    its other rows and ignores ``config.train_fraction``. ``seeds`` (default: the
    config's ``seed .. seed + seeds - 1``) trains a subset, a shard of the run: each
    seed's network is the same whichever seeds train beside it.
    """
    layout = Layout((data.n_inputs, *config.widths, data.n_classes))
    n = data.n_samples
    fixed = None if data.test_mask is None else np.flatnonzero(~data.test_mask)
    n_train = int(round(config.train_fraction * n)) if fixed is None else fixed.size
    if n_train < 1:
        raise InfoplaneError(
            f"--train-fraction {config.train_fraction} leaves no training sample of {n}"
        )
    seeds = tuple(range(config.seed, config.seed + config.seeds) if seeds is None else seeds)
    params, splits, states = [], [], []
    for seed in seeds:
        init_seq, split_seq, order_seq = np.random.SeedSequence(seed).spawn(3)
        params.append(layout.initial_parameters(np.random.default_rng(init_seq)))
        if fixed is None:
            splits.append(np.sort(np.random.default_rng(split_seq).permutation(n)[:n_train]))
        else:  # the data set's own test split (e.g. MNIST's t10k files), for every seed
            splits.append(fixed)
        states.append(order_seq.generate_state(1, dtype=np.uint64)[0])
    train_idx = np.array(splits, dtype=np.int64)
    mask = np.zeros((len(seeds), n), dtype=bool)
    np.put_along_axis(mask, train_idx, True, axis=1)
    return Setup(
        layout=layout,
        seeds=seeds,
        train_idx=train_idx,
        train_mask=mask,
        params=np.array(params),
        order_states=np.array(states, dtype=np.uint64),
        batch_size=min(config.batch_size, n_train),
    )


class CpuEnsemble:
    """Trains the ensemble with the compiled CPU kernel (:mod:`infoplane.nets._kernel`)."""

    def __init__(self, setup: Setup, config: RunConfig, data: Dataset) -> None:
        self.setup = setup
        self._config = config
        self._X = np.ascontiguousarray(data.X, dtype=np.float32)
        self._y = np.ascontiguousarray(data.y, dtype=np.int64)
        self._params = setup.params.copy()
        self._m = np.zeros_like(self._params)
        self._v = np.zeros_like(self._params)
        self._steps = np.zeros(len(setup.seeds), dtype=np.int64)
        self._states = setup.order_states.copy()
        self._sizes = np.array(setup.layout.sizes, dtype=np.int64)

    @property
    def params(self) -> np.ndarray:
        """The current parameters, (seeds, n_params) float32 (a copy)."""
        return self._params.copy()

    def state(self) -> EngineState:
        """A copy of the training state (see :class:`EngineState`)."""
        return EngineState(
            params=self._params.copy(), m=self._m.copy(), v=self._v.copy(),
            steps=self._steps.copy(), order_states=self._states.copy(),
        )

    def load_state(self, state: EngineState) -> None:
        """Continue from ``state`` (as :meth:`state` returned it)."""
        self._params[...] = state.params
        self._m[...] = state.m
        self._v[...] = state.v
        self._steps[...] = state.steps
        self._states[...] = state.order_states

    def train(self, n_epochs: int) -> np.ndarray:
        """Train ``n_epochs`` epochs; returns (n_epochs, seeds, layers, 3) gradient stats.

        The statistics (float64) are the norms of the mean and of the elementwise std of
        each layer's weight gradients over the epoch's minibatches, and the weight norm.
        ``train(0)`` trains nothing: it compiles (or loads) the kernel.
        """
        c = self._config
        stats = np.zeros(
            (n_epochs, len(self.setup.seeds), self.setup.layout.n_layers, 3), dtype=np.float64
        )
        _kernel.train_epochs(
            self._params, self._m, self._v, self._steps, self._states, self._X, self._y,
            self.setup.train_idx, self._sizes, self.setup.layout.off_w,
            self.setup.layout.off_b, activation_code(c.activation), self.setup.batch_size,
            n_epochs, _kernel.ADAM if c.optimizer == "adam" else _kernel.SGD, c.lr,
            ADAM_BETAS[0], ADAM_BETAS[1], ADAM_EPS, c.momentum, c.weight_decay, stats,
        )
        return stats


def make_engine(setup: Setup, config: RunConfig, data: Dataset) -> CpuEnsemble | TorchEnsemble:
    """The CPU kernel for ``--device cpu``, PyTorch for ``--device cuda``."""
    if config.device == "cuda":
        import torch

        from infoplane.nets.torch_engine import TorchEnsemble

        if not torch.cuda.is_available():
            raise InfoplaneError("--device cuda was asked for but no CUDA device is available")
        return TorchEnsemble(setup, config, data)
    return CpuEnsemble(setup, config, data)


def layer_activations(
    layout: Layout,
    params: np.ndarray,
    X: np.ndarray,
    activation: str,
    device: str = "cpu",
    *,
    buffer: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Every layer's activations on all inputs, for every seed.

    Returns a list over layers (hidden layers, then the output's softmax
    probabilities), each float32 of shape (seeds, n_samples, units). On the CPU the
    compiled kernel computes them (with the kernel's tanh, within 4e-7 of torch's).
    It writes them into ``buffer`` if that is given and large enough (a flat float32
    array; see :func:`activation_buffer_size`): the result is then a view of it,
    overwritten by the next call, and no fresh memory is touched.
    """
    if device == "cpu":
        params = np.ascontiguousarray(params, dtype=np.float32)
        shape = (params.shape[0], sum(layout.sizes[1:]), X.shape[0])
        size = math.prod(shape)
        if buffer is None or buffer.dtype != np.float32 or buffer.size < size:
            buffer = np.empty(size, dtype=np.float32)
        both = _kernel.forward_all(
            params, np.ascontiguousarray(X, dtype=np.float32),
            np.array(layout.sizes, dtype=np.int64), layout.off_w, layout.off_b,
            activation_code(activation), FORWARD_CHUNK, buffer[:size].reshape(shape),
        )
        bounds = np.cumsum((0, *layout.sizes[1:]))
        return [
            both[:, a:b, :].transpose(0, 2, 1)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    from infoplane.nets.torch_engine import torch_layer_activations

    return torch_layer_activations(layout, params, X, activation, device)


def activation_buffer_size(layout: Layout, n_seeds: int, n_samples: int) -> int:
    """float32 elements :func:`layer_activations` writes on the CPU."""
    return n_seeds * sum(layout.sizes[1:]) * n_samples
