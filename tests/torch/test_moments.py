"""The monitor's gradient moments against a direct float64 computation, on both paths."""

import pytest
import torch

from infoplane.torch._moments import GradientMoments


def _direct(grads: list[torch.Tensor], weight: torch.Tensor) -> list[float]:
    g = torch.stack([x.double() for x in grads])
    mean, std = g.mean(dim=0), g.var(dim=0, unbiased=False).sqrt()
    return [mean.norm().item(), std.norm().item(), weight.double().norm().item()]


@pytest.mark.parametrize(
    "make",
    [
        lambda g: g,  # float32, contiguous: the compiled pass
        lambda g: g.double(),  # float64, contiguous: the compiled pass
        lambda g: g.t().contiguous().t(),  # not contiguous: torch ops on the buffer
        lambda g: g.to(torch.bfloat16),  # another dtype: torch ops on the buffer
    ],
    ids=["float32", "float64", "strided", "bfloat16"],
)
def test_moments_equal_a_direct_float64_computation_over_two_epochs(make):
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(37, 29, generator=gen)
    moments = GradientMoments(weight)
    for epoch, steps in enumerate((7, 3)):
        grads = [make(torch.randn(37, 29, generator=gen) * 1e-3 + 1e-3 * epoch)
                 for _ in range(steps)]
        for g in grads:
            moments.add(g)
        assert moments.count == steps
        stats = moments.statistics(weight).tolist()
        assert stats == pytest.approx(_direct(grads, weight), rel=1e-12)
        assert moments.count == 0


def test_one_gradient_has_zero_std():
    weight = torch.ones(4, 3)
    moments = GradientMoments(weight)
    moments.add(torch.full((4, 3), 0.1))
    assert moments.statistics(weight)[1].item() == 0.0
