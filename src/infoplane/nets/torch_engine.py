"""The PyTorch engine: the ensemble trained with batched PyTorch operations and autograd,
on the CPU or a CUDA device (``--device cuda``), and the layers' activations computed
with PyTorch. The reference the compiled CPU kernel (:mod:`infoplane.nets._kernel`) is
tested against; this module alone of :mod:`infoplane.nets` imports PyTorch."""

from __future__ import annotations

import numpy as np
import torch

from infoplane.config import RunConfig
from infoplane.datasets import Dataset
from infoplane.nets import _kernel
from infoplane.nets.activations import torch_activation
from infoplane.nets.ensemble import ADAM_BETAS, ADAM_EPS, EngineState, Setup
from infoplane.nets.layout import Layout


class TorchEnsemble:
    """Trains the ensemble with batched PyTorch operations and autograd (CPU or CUDA).

    Parameters are stacked over seeds, (seeds, n_in, n_out); the loss is the sum over
    seeds of each seed's mean minibatch cross-entropy, so each seed's gradient is its
    own. Adam and SGD act elementwise, so one optimizer over the stacks is exactly
    one optimizer per seed.
    """

    def __init__(self, setup: Setup, config: RunConfig, data: Dataset) -> None:
        self.setup = setup
        self._config = config
        self._device = torch.device(config.device)
        self._X = torch.as_tensor(data.X, dtype=torch.float32, device=self._device)
        self._y = torch.as_tensor(data.y, dtype=torch.int64, device=self._device)
        flat = torch.as_tensor(setup.params, device=self._device)
        self._layers = [
            (w.clone().requires_grad_(), b.clone().requires_grad_())
            for w, b in setup.layout.unflatten(flat)
        ]
        tensors = [t for pair in self._layers for t in pair]
        if config.optimizer == "adam":
            self._opt: torch.optim.Optimizer = torch.optim.Adam(
                tensors, lr=config.lr, betas=ADAM_BETAS, eps=ADAM_EPS,
                weight_decay=config.weight_decay,
            )
        else:
            self._opt = torch.optim.SGD(
                tensors, lr=config.lr, momentum=config.momentum,
                weight_decay=config.weight_decay,
            )
        self._states = setup.order_states.copy()
        self._steps = 0  # updates made, the same for every seed

    @property
    def params(self) -> np.ndarray:
        """The current parameters, (seeds, n_params) float32 (a copy)."""
        parts = [torch.cat([w.flatten(1), b], dim=1) for w, b in self._layers]
        return torch.cat(parts, dim=1).detach().cpu().numpy().copy()

    def state(self) -> EngineState:
        """A copy of the training state, in the CPU engine's layout (:class:`EngineState`)."""
        adam = self._config.optimizer == "adam"
        m = self._flat("exp_avg" if adam else "momentum_buffer")
        v = self._flat("exp_avg_sq") if adam else np.zeros_like(m)
        return EngineState(
            params=self.params, m=m, v=v,
            steps=np.full(len(self.setup.seeds), self._steps, dtype=np.int64),
            order_states=self._states.copy(),
        )

    def load_state(self, state: EngineState) -> None:
        """Continue from ``state`` (as :meth:`state` returned it)."""
        steps = int(state.steps[0])
        if not (state.steps == steps).all():
            raise ValueError("the torch engine keeps one step count for all seeds")
        with torch.no_grad():
            for layer, src in zip(self._layers, self._unflatten(state.params), strict=True):
                for t, s in zip(layer, src, strict=True):
                    t.copy_(s)
        self._opt.state.clear()
        self._steps = steps
        if steps > 0:
            tensors = [t for pair in self._layers for t in pair]
            for k, (mt, vt) in enumerate(zip(
                [t for pair in self._unflatten(state.m) for t in pair],
                [t for pair in self._unflatten(state.v) for t in pair], strict=True,
            )):
                if self._config.optimizer == "adam":
                    self._opt.state[tensors[k]] = {
                        "step": torch.tensor(float(steps)), "exp_avg": mt, "exp_avg_sq": vt,
                    }
                elif self._config.momentum != 0.0:
                    self._opt.state[tensors[k]] = {"momentum_buffer": mt}
        self._states[...] = state.order_states

    def _flat(self, key: str) -> np.ndarray:
        """Optimizer state ``key`` of every tensor, flattened like the parameters."""
        parts = []
        for w, b in self._layers:
            sw, sb = self._opt.state.get(w, {}), self._opt.state.get(b, {})
            if key not in sw:
                parts += [torch.zeros_like(w).flatten(1), torch.zeros_like(b)]
            else:
                parts += [sw[key].flatten(1), sb[key]]
        return torch.cat(parts, dim=1).detach().cpu().numpy()

    def _unflatten(self, flat: np.ndarray) -> list[tuple[torch.Tensor, torch.Tensor]]:
        t = torch.as_tensor(np.ascontiguousarray(flat), device=self._device)
        return [(w.clone(), b.clone()) for w, b in self.setup.layout.unflatten(t)]

    def train(self, n_epochs: int) -> np.ndarray:
        """Train ``n_epochs`` epochs; returns (n_epochs, seeds, layers, 3) gradient stats.

        The statistics (float64) are the norms of the mean and of the elementwise std of
        each layer's weight gradients over the epoch's minibatches, and the weight norm.
        ``train(0)`` trains nothing: it compiles (or loads) the kernel.
        """
        orders = _kernel.epoch_orders(self._states, self.setup.train_idx, n_epochs)
        orders_t = torch.as_tensor(orders, device=self._device)
        n_seeds = len(self.setup.seeds)
        out = torch.zeros((n_epochs, n_seeds, len(self._layers), 3), dtype=torch.float64,
                          device=self._device)
        batch = self.setup.batch_size
        n_train = orders.shape[2]
        n_batches = -(-n_train // batch)
        weights = [w for w, _ in self._layers]
        for e in range(n_epochs):
            g_sum = [torch.zeros_like(w, dtype=torch.float64) for w in weights]
            g_sq = [torch.zeros_like(w, dtype=torch.float64) for w in weights]
            for k in range(n_batches):
                idx = orders_t[e, :, k * batch : (k + 1) * batch]
                self._opt.zero_grad(set_to_none=False)
                logits = self._forward(self._X[idx])
                loss = torch.nn.functional.cross_entropy(
                    logits.transpose(1, 2), self._y[idx], reduction="none"
                ).mean(dim=1).sum()
                loss.backward()
                for s, sq, w in zip(g_sum, g_sq, weights, strict=True):
                    g = w.grad.double()
                    s += g
                    sq += g * g
                self._opt.step()
                self._steps += 1
            for layer, (s, sq, w) in enumerate(zip(g_sum, g_sq, weights, strict=True)):
                mean = s / n_batches
                var = (sq / n_batches - mean * mean).clamp_min(0.0)
                out[e, :, layer, 0] = mean.square().sum(dim=(1, 2)).sqrt()
                out[e, :, layer, 1] = var.sum(dim=(1, 2)).sqrt()
                out[e, :, layer, 2] = w.detach().double().square().sum(dim=(1, 2)).sqrt()
        return out.cpu().numpy()

    def _forward(self, h: torch.Tensor) -> torch.Tensor:
        for layer, (w, b) in enumerate(self._layers):
            h = torch.baddbmm(b.unsqueeze(1), h, w)
            if layer < len(self._layers) - 1:
                h = torch_activation(self._config.activation, h)
        return h


def torch_layer_activations(
    layout: Layout, params: np.ndarray, X: np.ndarray, activation: str, device: str
) -> list[np.ndarray]:
    """:func:`layer_activations` with PyTorch, on any device."""
    dev = torch.device(device)
    with torch.no_grad():
        flat = torch.as_tensor(params, device=dev)
        h = torch.as_tensor(X, dtype=torch.float32, device=dev).expand(params.shape[0], -1, -1)
        out = []
        layers = layout.unflatten(flat)
        for layer, (w, b) in enumerate(layers):
            z = torch.baddbmm(b.unsqueeze(1), h, w)
            if layer < len(layers) - 1:
                h = torch_activation(activation, z)
                out.append(h)
            else:
                out.append(torch.softmax(z, dim=-1))
        return [t.cpu().numpy() for t in out]
