"""A run's layers against the Information Bottleneck bound (the paper's Figure 6).

Each layer's encoder p(t|x) is the deterministic map from an input to the layer's
binned pattern (the binning estimator's T). With the data set's exact p(y|x) the IB
module gives the layer's I(X;T), I(T;Y), its gap to the bound and its beta*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infoplane.datasets import Dataset
from infoplane.estimators.binning import binned_pattern_codes
from infoplane.recorder import Recorder

IB_EPOCHS = 12
"""Logged epochs (log-spaced among them, always the last) placed against the bound."""


def curve_table(data: Dataset, *, n_betas: int = 200):
    """The IB curve of ``data``'s p(y|x) (uniform p(x)) and its table (beta, ixt, ity)."""
    from infoplane.ib import ib_curve_from_conditional

    curve = ib_curve_from_conditional(data.p_y_given_x, n_betas=n_betas)
    table = pd.DataFrame({"beta": curve.beta, "ixt": curve.ixt, "ity": curve.ity})
    return curve, table


def describe(curve) -> str:
    """One line on the bound: trivial for deterministic labels (Kolchinsky et al. 2019)."""
    if curve.deterministic_labels:
        return ("IB bound: labels are a deterministic function of the inputs, so the bound is "
                "the trivial min(I(X;T), H(Y)) (Kolchinsky et al., ICLR 2019); "
                "use --soft-labels GAMMA for a non-trivial one")
    return (f"IB bound: I(X;Y) = {curve.ixy:.3f} bits, H(X) = {curve.hx:.2f} bits, "
            f"{len(curve.beta)} points on the curve")


def chosen_epochs(epochs: list[int], count: int = IB_EPOCHS) -> list[int]:
    """About ``count`` of the logged ``epochs``, log-spaced, with the first and last."""
    positions = np.unique(np.round(np.geomspace(1, len(epochs), count)).astype(int) - 1)
    return [epochs[k] for k in positions]


def layers_table(recorder: Recorder, curve) -> pd.DataFrame:
    """seed, epoch, layer, ixt, ity, gap, beta, kl_at_beta, kl_floor for the chosen epochs
    of a run (bits), one row per (seed, epoch, layer), ordered by epoch, layer, seed.

    The layers are binned as the binning estimator bins them in the run
    (``recorder.binning``, whether or not binning is among the run's estimators).
    Activations are computed one chosen epoch at a time for the seeds in chunks of
    :meth:`~infoplane.recorder.Recorder.seed_chunks` (within the recorder's
    ``activation_budget``, as estimation), so memory does not grow with the seeds.
    """
    from infoplane.ib import layers_against_bound

    binning = recorder.binning.as_dict()
    ranges = recorder.value_ranges()
    seeds = np.array(recorder.setup.seeds)
    chosen = set(chosen_epochs(recorder.epochs))
    parts: dict[tuple[int, int], list[pd.DataFrame]] = {}
    for chunk in recorder.seed_chunks(1):
        for (epoch,), layers in recorder.activations(chosen, reuse=True, seeds=chunk):
            for layer, acts in enumerate(layers, start=1):
                low_high = ranges[layer - 1]
                view = recorder.binning_view(acts, None if low_high is None
                                             else low_high[chunk])
                codes = binned_pattern_codes(view, **binning)
                r = layers_against_bound(codes, recorder.data.p_y_given_x, curve)
                parts.setdefault((epoch, layer), []).append(pd.DataFrame({
                    "seed": seeds[chunk], "epoch": epoch, "layer": layer, "ixt": r.ixt,
                    "ity": r.ity, "gap": r.gap, "beta": r.beta, "kl_at_beta": r.kl_at_beta,
                    "kl_floor": r.kl_floor}))
    return pd.concat([frame for key in sorted(parts) for frame in parts[key]],
                     ignore_index=True)
