"""The ensemble engines: seeds independent, the CPU kernel equal to autograd."""

import dataclasses

import numpy as np
import pytest
import torch

from infoplane.config import RunConfig
from infoplane.datasets import Dataset, tishby12
from infoplane.nets.activations import ACTIVATIONS
from infoplane.nets.ensemble import CpuEnsemble, layer_activations, make_setup
from infoplane.nets.torch_engine import TorchEnsemble, torch_layer_activations


def _small_data(n_classes: int = 2) -> Dataset:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = (rng.integers(0, n_classes, 300)).astype(np.int64)
    return Dataset("small", X, y, np.eye(n_classes)[y])


def test_three_seed_ensemble_equals_seeds_trained_alone():
    data = tishby12()
    config = RunConfig(seeds=3, seed=7, epochs=4, batch_size=512)
    together = CpuEnsemble(make_setup(config, data), config, data)
    stats = together.train(4)
    for k in range(3):
        alone_cfg = config.replace(seeds=1, seed=7 + k)
        alone = CpuEnsemble(make_setup(alone_cfg, data), alone_cfg, data)
        alone_stats = alone.train(4)
        np.testing.assert_allclose(together.params[k], alone.params[0], rtol=0, atol=1e-6)
        np.testing.assert_allclose(stats[:, k], alone_stats[:, 0], rtol=1e-5)


def test_torch_ensemble_equals_seeds_trained_alone():
    data = _small_data()
    config = RunConfig(seeds=3, epochs=3, batch_size=64, widths=(6, 4))
    together = TorchEnsemble(make_setup(config, data), config, data)
    together.train(3)
    for k in range(3):
        alone_cfg = config.replace(seeds=1, seed=k)
        alone = TorchEnsemble(make_setup(alone_cfg, data), alone_cfg, data)
        alone.train(3)
        np.testing.assert_allclose(together.params[k], alone.params[0], atol=1e-5)


@pytest.mark.parametrize("engine", [CpuEnsemble, TorchEnsemble])
@pytest.mark.parametrize("optimizer, momentum", [("adam", 0.0), ("sgd", 0.9)])
def test_state_round_trip_continues_exactly(engine, optimizer, momentum):
    """A fresh engine loaded with another's state trains on bit for bit (resume)."""
    data = _small_data()
    config = RunConfig(seeds=2, epochs=5, batch_size=64, optimizer=optimizer,
                       momentum=momentum, lr=0.01)
    setup = make_setup(config, data)
    first = engine(setup, config, data)
    first.train(3)
    state = first.state()
    assert state.params.shape == state.m.shape == state.v.shape == setup.params.shape
    assert state.steps.tolist() == [3 * 4] * 2  # 255 training samples, batches of 64
    expected_stats = first.train(2)
    second = engine(setup, config, data)
    second.load_state(state)
    assert np.array_equal(second.train(2), expected_stats)
    assert np.array_equal(second.params, first.params)


def test_torch_state_has_the_cpu_engine_layout():
    data = _small_data()
    config = RunConfig(seeds=2, epochs=3, batch_size=64)
    setup = make_setup(config, data)
    cpu, torch_engine = CpuEnsemble(setup, config, data), TorchEnsemble(setup, config, data)
    cpu.train(3)
    torch_engine.train(3)
    a, b = cpu.state(), torch_engine.state()
    np.testing.assert_allclose(a.m, b.m, atol=1e-5)
    np.testing.assert_allclose(a.v, b.v, atol=1e-7)
    assert np.array_equal(a.steps, b.steps) and np.array_equal(a.order_states, b.order_states)


def test_seeds_differ_in_init_split_and_order():
    data = tishby12()
    setup = make_setup(RunConfig(seeds=2), data)
    assert not np.allclose(setup.params[0], setup.params[1])
    assert not np.array_equal(setup.train_idx[0], setup.train_idx[1])
    assert setup.order_states[0] != setup.order_states[1]
    assert setup.train_idx.shape == (2, round(0.85 * 4096))
    assert setup.train_mask.sum(axis=1).tolist() == [3482, 3482]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_cpu_kernel_matches_torch_autograd(activation, optimizer):
    data = _small_data()
    config = RunConfig(
        seeds=2, widths=(6, 4), activation=activation, optimizer=optimizer, lr=0.01,
        momentum=0.9 if optimizer == "sgd" else 0.0, weight_decay=1e-3, batch_size=64,
        epochs=3,
    )
    setup = make_setup(config, data)
    cpu, ref = CpuEnsemble(setup, config, data), TorchEnsemble(setup, config, data)
    stats_cpu, stats_ref = cpu.train(3), ref.train(3)
    assert not np.allclose(cpu.params, setup.params)  # it did train
    np.testing.assert_allclose(cpu.params, ref.params, atol=2e-5, rtol=1e-4)
    np.testing.assert_allclose(stats_cpu, stats_ref, rtol=2e-3, atol=1e-6)


def test_cpu_kernel_matches_torch_with_three_classes():
    data = _small_data(n_classes=3)
    config = RunConfig(seeds=2, widths=(5,), batch_size=50, epochs=2, lr=0.01)
    setup = make_setup(config, data)
    cpu, ref = CpuEnsemble(setup, config, data), TorchEnsemble(setup, config, data)
    cpu.train(2)
    ref.train(2)
    np.testing.assert_allclose(cpu.params, ref.params, atol=2e-5, rtol=1e-4)


def test_cpu_kernel_matches_torch_for_every_width_remainder():
    """The kernel takes 4 units per pass, then 2, then 1: widths 1-9 hit every remainder
    in the forward, input-gradient and weight-gradient loops (inputs: 5 = 4 + 1)."""
    data = _small_data()
    config = RunConfig(seeds=2, widths=(9, 7, 6, 3, 8, 1), batch_size=61, epochs=2, lr=0.01)
    setup = make_setup(config, data)
    cpu, ref = CpuEnsemble(setup, config, data), TorchEnsemble(setup, config, data)
    stats_cpu, stats_ref = cpu.train(2), ref.train(2)
    assert not np.allclose(cpu.params, setup.params)
    np.testing.assert_allclose(cpu.params, ref.params, atol=2e-5, rtol=1e-4)
    np.testing.assert_allclose(stats_cpu, stats_ref, rtol=2e-3, atol=1e-6)


def test_full_batch_statistics_closed_case():
    """With one minibatch per epoch the gradient std is 0 and the mean is the
    gradient at the weights before the update (computed here with autograd)."""
    data = _small_data()
    config = RunConfig(seeds=2, widths=(6, 4), batch_size=10_000, epochs=1)
    setup = make_setup(config, data)
    stats = CpuEnsemble(setup, config, data).train(1)
    assert np.all(stats[0, :, :, 1] < 1e-6)
    train = setup.train_idx
    for s in range(2):
        layers = [
            (torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
            for w, b in setup.layout.unflatten(setup.params[s])
        ]
        h = torch.tensor(data.X[train[s]])
        for k, (w, b) in enumerate(layers):
            h = h @ w + b
            if k < len(layers) - 1:
                h = torch.tanh(h)
        torch.nn.functional.cross_entropy(h, torch.tensor(data.y[train[s]])).backward()
        for k, (w, _) in enumerate(layers):
            assert stats[0, s, k, 0] == pytest.approx(w.grad.norm().item(), rel=1e-4)
        # the weight norm is the one after the update: it moved away from the init
        assert stats[0, s, 0, 2] != pytest.approx(layers[0][0].norm().item(), rel=1e-7)


def test_layer_activations_shapes_and_softmax():
    data = tishby12()
    setup = make_setup(RunConfig(seeds=2), data)
    acts = layer_activations(setup.layout, setup.params, data.X, "tanh")
    assert [a.shape for a in acts] == [(2, 4096, w) for w in (10, 7, 5, 4, 3, 2)]
    assert np.allclose(acts[-1].sum(axis=2), 1, atol=1e-6)
    assert all(np.abs(a).max() <= 1 for a in acts)


@pytest.mark.parametrize("activation", ["tanh", "relu", "elu"])
def test_cpu_activations_match_torch(activation):
    data = _small_data(n_classes=3)
    setup = make_setup(RunConfig(seeds=2, widths=(6, 4), activation=activation), data)
    fast = layer_activations(setup.layout, setup.params, data.X, activation, "cpu")
    ref = torch_layer_activations(setup.layout, setup.params, data.X, activation, "cpu")
    assert len(fast) == len(ref) == 3
    for a, b in zip(fast, ref, strict=True):
        np.testing.assert_allclose(a, b, atol=2e-6)


def test_a_fixed_test_split_is_every_seeds_split():
    d = tishby12()
    test_mask = np.arange(d.n_samples) % 4 == 0
    data = Dataset("fixed", d.X, d.y, d.p_y_given_x, test_mask=test_mask)
    setup = make_setup(RunConfig(seeds=3, widths=(4,), train_fraction=0.05), data)
    assert setup.train_idx.shape == (3, 3072)  # train_fraction does not apply
    assert all(np.array_equal(rows, np.flatnonzero(~test_mask)) for rows in setup.train_idx)
    assert np.array_equal(setup.train_mask, np.tile(~test_mask, (3, 1)))
    assert setup.batch_size == 512

@pytest.mark.parametrize("engine", [CpuEnsemble, TorchEnsemble])
def test_norms_are_float64_and_finite_for_weights_beyond_float32_squares(engine):
    """Weights of 1e25 are finite in float32, their squares are not: the weight norm
    must still be the finite float64 norm (a diverging run is then told apart from a
    norm that overflowed)."""
    data = _small_data()
    config = RunConfig(seeds=2, widths=(4, 3), optimizer="sgd", lr=1e-30, batch_size=300)
    setup = make_setup(config, data)
    huge = setup.params * np.float32(1e25)
    setup = dataclasses.replace(setup, params=huge)
    stats = engine(setup, config, data).train(1)
    assert stats.dtype == np.float64
    assert np.isfinite(stats).all()
    for layer, (w, _) in enumerate(setup.layout.unflatten(torch.as_tensor(huge))):
        expected = np.sqrt((w.double().numpy() ** 2).sum(axis=(1, 2)))
        np.testing.assert_allclose(stats[0, :, layer, 2], expected, rtol=1e-5)


def test_training_zero_epochs_changes_nothing():
    data = _small_data()
    config = RunConfig(seeds=2, widths=(4, 3))
    engine = CpuEnsemble(make_setup(config, data), config, data)
    before = engine.params
    assert engine.train(0).shape == (0, 2, 3, 3)
    np.testing.assert_array_equal(engine.params, before)
    np.testing.assert_array_equal(engine.train(1), CpuEnsemble(
        make_setup(config, data), config, data).train(1))
