"""Claim 3 (Figure 6): the layers lie close to the IB bound, each at its own beta.

Runs: the tanh network with soft labels and ``--ib`` (the run writes
``ib_layers.parquet`` and ``ib_curve.parquet``). Measures: per layer at the last
epoch, medians over seeds of the gap to the bound, beta* and the fit's residual.
Rule: :data:`RULE`. Section: Figure 6 and the per-layer table.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd

from infoplane import store
from infoplane.analysis import input_label_information, seed_resamples
from infoplane.datasets import load_dataset
from infoplane.ib._layers import BETA_BOUNDS
from infoplane.reproduce import _figures
from infoplane.reproduce._context import Context, Measured
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import RunSpec, base_config
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._tables import layer_labels
from infoplane.reproduce._verdict import (
    UNCERTAINTY_RULE,
    Verdict,
    count_interval,
    fmt,
    fmt_epoch,
    with_interval,
)

KEY = "claim3"
RUN = "ib-soft"

IB_GAMMA = 10.0
"""gamma of the soft labels for the IB experiment: I(X;Y) ~ 0.91 bits on ico12 (and
on tishby12). With deterministic labels the IB curve is trivial (Kolchinsky et al.,
ICLR 2019)."""

GAP_TOLERANCE = 0.1
"""A layer lies "close" to the IB bound when its distance to the bound (the ``gap`` of
``ib_layers.parquet``) is at most this fraction of I(X;Y)."""

KL_TOLERANCE = 0.1
"""A layer satisfies the IB self-consistent equations at its beta* when the residual of
the fit above its floor, ``kl_at_beta - kl_floor``, is at most this fraction of the same
excess for the trivial encoder p(t) (beta = 0), ``ixt - kl_floor``."""

IB_COLUMNS = ("ixt", "ity", "gap", "beta", "kl_at_beta", "kl_floor")
"""The ib_layers columns summarised (median over seeds) at the last epoch."""

RULE = (
    "With soft labels (deterministic labels make the IB curve trivial: Kolchinsky et "
    "al. 2019), each layer's distance to the IB bound at the last epoch (gap, bits, "
    "median over seeds) is compared with I(X;Y), and the residual of its beta fit, "
    "E_x KL[p_layer(t|x) || p_beta*(t|x)] (kl_at_beta, bits), with its floor. A binned "
    "layer is a deterministic encoder (p(t|x) a delta), while the IB encoder at any "
    "finite beta is soft and sees x only through p(y|x): it must spread each input over "
    "every code that inputs of the same p(y|x) use, so the residual is at least "
    "kl_floor = H(T | class of p(y|x)) bits, large by construction for a wide layer "
    "that keeps such inputs apart (that is why kl_at_beta alone reads 5-10 bits). The "
    "rule compares the excess over the floor, kl_at_beta - kl_floor, with the excess of "
    "the trivial encoder p(t) (beta = 0), I(X;T) - kl_floor. The claim is supported "
    f"when more than half of the hidden layers lie within {100 * GAP_TOLERANCE:g}% of "
    "I(X;Y) of the bound and more than half satisfy the self-consistent equations at "
    f"their beta* (excess at most {100 * KL_TOLERANCE:g}% of the trivial encoder's); the "
    "per-layer beta* is reported. Where kl_at_beta was not measured (a run written "
    "before it existed) only the gap decides; where kl_floor was not measured it is "
    "taken as 0."
) + UNCERTAINTY_RULE


def ib_unavailable(*, plots: bool) -> str | None:
    """Why ``RunConfig(ib=True)`` cannot run in this installation, or None if it can.

    The IB solver (``infoplane.ib``) and, for the run's own figures,
    ``infoplane.plots.ib_bound`` are written separately and may not be there yet.
    """
    needed = [("infoplane.ib", ("ib_curve_from_conditional", "layers_against_bound"))]
    if plots:
        needed.append(("infoplane.plots.ib_bound", ("plot_ib_bound",)))
    for module, names in needed:
        try:
            loaded = importlib.import_module(module)
        except ImportError:
            return f"{module} is not available"
        absent = [n for n in names if not hasattr(loaded, n)]
        if absent:
            return f"{module} lacks {', '.join(absent)}"
    return None


def runs(scale: Scale) -> list[RunSpec]:
    missing = ib_unavailable(plots=scale.run_plots)
    return [
        RunSpec(
            RUN,
            "ib",
            f"tanh, soft labels (gamma {IB_GAMMA:g}), IB bound",
            base_config(scale).replace(soft_labels=IB_GAMMA, ib=missing is None),
        )
    ]


def self_consistency(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(excess, reference) in bits: kl_at_beta - kl_floor and ixt - kl_floor, rowwise.

    A missing or NaN ``kl_floor`` counts as 0 (the floor is >= 0); NaN ``kl_at_beta``
    gives a NaN excess (not measured).
    """
    floor = table["kl_floor"] if "kl_floor" in table else pd.Series(0.0, index=table.index)
    floor = floor.fillna(0.0)
    excess = (table["kl_at_beta"] - floor).clip(lower=0.0)
    return excess, (table["ixt"] - floor).clip(lower=0.0)


def satisfies(table: pd.DataFrame) -> pd.Series:
    """Whether each row satisfies the self-consistent equations by :data:`RULE`."""
    excess, reference = self_consistency(table)
    return excess <= KL_TOLERANCE * reference


def claim3(
    ib_final: pd.DataFrame | None,
    i_xy: float,
    *,
    note: str = "",
    replicates: pd.DataFrame | None = None,
) -> Verdict:
    """Claim 3 from the IB run's last-epoch table (layer, hidden, gap, beta, kl_at_beta,
    optionally ixt and kl_floor).

    ``replicates``: the same medians on resamples of the seeds (a ``replicate`` column).
    """
    title = "Layers lie close to the IB bound, each at its own beta"
    if ib_final is None or ib_final.empty:
        return Verdict(
            KEY, title, None, note or "The IB run wrote no ib_layers.parquet: not tested.", RULE
        )
    layers = ib_final[ib_final["hidden"]] if ib_final["hidden"].any() else ib_final
    close = layers["gap"] <= GAP_TOLERANCE * i_xy
    k, n = int(close.sum()), len(layers)
    gaps = ", ".join(f"L{int(r.layer)} {fmt(r.gap, 3)}" for r in layers.itertuples())
    betas = ", ".join(f"L{int(r.layer)} {fmt(r.beta)}" for r in layers.itertuples())
    boot = None
    if replicates is not None:
        boot = replicates[replicates["layer"].isin(layers["layer"])]
    interval = count_interval(boot, None if boot is None else boot["gap"] <= GAP_TOLERANCE * i_xy)
    supported, undecided, span = with_interval(k > n / 2, interval, n / 2)
    finding = (
        f"{k} of {n} hidden layers{span} lie within {100 * GAP_TOLERANCE:g}% of I(X;Y) = "
        f"{fmt(i_xy, 3)} bits of the bound (gaps in bits: {gaps}); fitted beta: {betas}"
    )
    measured = "kl_at_beta" in layers and layers["kl_at_beta"].notna().any()
    if not measured:
        finding += (
            "; the fit's residual kl_at_beta was not measured (an ib_layers.parquet "
            "written before it existed), so only the gap decides"
        )
    else:
        j = int(satisfies(layers).sum())
        excess, reference = self_consistency(layers)
        kls = ", ".join(
            f"L{int(r.layer)} {fmt(r.kl_at_beta, 2)} - {fmt(f, 2)} = {fmt(e, 2)} of {fmt(ref, 2)}"
            for r, f, e, ref in zip(
                layers.itertuples(),
                layers.get("kl_floor", pd.Series(np.nan, index=layers.index)),
                excess,
                reference,
                strict=True,
            )
        )
        kl_interval = count_interval(boot, None if boot is None else satisfies(boot))
        kl_supported, _, kl_span = with_interval(j > n / 2, kl_interval, n / 2)
        finding += (
            f"; {j} of {n}{kl_span} satisfy the self-consistent equations at their beta* "
            f"(residual minus floor = excess, of the trivial encoder's excess, bits: {kls})"
        )
        parts = (supported, kl_supported)
        if False in parts:  # one part failing decides
            supported, undecided = False, False
        elif None in parts:
            supported, undecided = None, True
    return Verdict(KEY, title, None if undecided else supported, f"{finding}.", RULE, undecided)


def _final(ib_layers: pd.DataFrame, information: pd.DataFrame) -> pd.DataFrame:
    """The IB table at its last epoch: per layer, medians over seeds."""
    last = ib_layers[ib_layers["epoch"] == ib_layers["epoch"].max()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column not measured: all NaN
        table = last.groupby("layer", as_index=False)[list(IB_COLUMNS)].median()
    table.insert(1, "hidden", table["layer"] < information["layer"].max())
    table.insert(1, "epoch", int(last["epoch"].max()))
    return table


def _replicates(ib_layers: pd.DataFrame) -> pd.DataFrame:
    """The last epoch's per-layer medians over seeds, on resamples of the seeds."""
    last = ib_layers[ib_layers["epoch"] == ib_layers["epoch"].max()]
    seeds = np.sort(last["seed"].unique())
    picks = seed_resamples(seeds.size)
    parts = []
    for layer, rows in last.groupby("layer", sort=True):
        values = rows.set_index("seed").reindex(seeds)[list(IB_COLUMNS)].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            medians = np.nanmedian(values[picks], axis=1)  # (n_boot, columns)
        parts.append(
            pd.DataFrame(medians, columns=list(IB_COLUMNS)).assign(
                replicate=np.arange(picks.shape[0]), layer=int(layer)
            )
        )
    return pd.concat(parts, ignore_index=True)


def measure(ctx: Context) -> Measured:
    spec = ctx.spec(RUN).config
    i_xy = input_label_information(load_dataset(spec.dataset).p_y_given_x)
    i_xy_soft = input_label_information(
        load_dataset(spec.dataset, soft_labels=IB_GAMMA).p_y_given_x
    )
    run_dir = ctx.out / "runs" / RUN
    data = {"i_xy": i_xy, "i_xy_soft": i_xy_soft}
    if not (run_dir / "ib_layers.parquet").is_file():
        missing = ib_unavailable(plots=ctx.scale.run_plots)
        why = (
            f"the IB analysis is not implemented in this installation ({missing}),"
            " so the soft-label run was made without --ib"
            if missing
            else "the IB run wrote no ib_layers.parquet"
        )
        note = f"Claim 3 was not tested: {why}."
        return Measured(claim3(None, i_xy_soft, note=note), data=data)
    ib_layers = store.read_table(run_dir, "ib_layers")
    if (run_dir / "ib_curve.parquet").is_file():
        data["curve"] = store.read_table(run_dir, "ib_curve")
    data["layers"] = ib_layers
    final = _final(ib_layers, ctx.run(RUN).information)
    verdict = claim3(final, i_xy_soft, replicates=_replicates(ib_layers))
    return Measured(verdict, tables={"ib": final}, data=data)


def _display(ib: pd.DataFrame) -> pd.DataFrame:
    excess, reference = self_consistency(ib)
    measured = ib["kl_at_beta"].notna()
    return pd.DataFrame(
        {
            "layer": layer_labels(ib),
            "epoch": [fmt_epoch(x) for x in ib["epoch"]],
            "I(X;T) (bits)": [fmt(x) for x in ib["ixt"]],
            "I(T;Y) (bits)": [fmt(x, 3) for x in ib["ity"]],
            "gap to the bound (bits)": [fmt(x, 3) for x in ib["gap"]],
            "beta*": [fmt(x) for x in ib["beta"]],
            "residual E_x KL at beta* (bits)": [
                fmt(x, 3) if m else "not measured"
                for x, m in zip(ib["kl_at_beta"], measured, strict=True)
            ],
            "floor H(T|class) (bits)": [
                fmt(x, 3) if np.isfinite(x) else "not measured" for x in ib["kl_floor"]
            ],
            "excess / trivial encoder's": [
                f"{fmt(e, 3)} / {fmt(r, 3)}" if m else "not measured"
                for e, r, m in zip(excess, reference, measured, strict=True)
            ],
            "self-consistent": [
                ("yes" if s else "no") if m else "not measured"
                for s, m in zip(satisfies(ib), measured, strict=True)
            ],
        }
    )


def section(ctx: Context, measured: Measured) -> Section:
    data = measured.data
    figures = []
    if "layers" in data and "curve" in data:
        try:
            drawn = _figures.ib_bound(
                data["curve"], data["layers"], ctx.figures / "fig6_ib_bound.png"
            )
        except Exception as exc:  # another module's figure must not sink hours of runs
            warnings.warn(
                f"plot_ib_bound failed ({exc!r}); using the run's ib_bound.png", stacklevel=2
            )
            drawn = None
        run_figure = ctx.out / "runs" / RUN / "ib_bound.png"
        if drawn is None and run_figure.is_file():
            drawn = run_figure
        if drawn is not None:
            figures.append((drawn, "Figure 6: the layers against the IB bound"))
    tables = []
    if "ib" in measured.tables:
        tables.append(
            (
                "Per layer at the last epoch, medians over seeds (ib.parquet)",
                _display(measured.tables["ib"]),
            )
        )
    return Section(
        KEY,
        "Claim 3: layers lie close to the IB bound, each at its own beta",
        measured.verdict,
        f"Run with soft labels p(y=1|x) = sigmoid({IB_GAMMA:g} (score(x) - theta)), I(X;Y) = "
        f"{data['i_xy_soft']:.3f} bits: with the deterministic labels (I(X;Y) = "
        f"{data['i_xy']:.3f} bits) the IB curve is the trivial line I(T;Y) = min(I(X;T), "
        "H(Y)) (Kolchinsky et al., ICLR 2019). The self-consistency test: a binned layer "
        "is deterministic, the IB encoder soft, and the IB encoder cannot tell apart "
        "inputs of the same p(y|x), so E_x KL[p_layer(t|x) || p_beta*(t|x)] is at least "
        "H(T | class of p(y|x)) (the floor) whatever beta is; only the excess over the "
        "floor says how well beta* fits, and it is compared with the excess of the "
        "trivial encoder p(t). A layer that keeps all of I(X;Y) is fitted by beta -> inf "
        "(beta* shown as the bracket's end) and gets that limit's residual; a layer "
        f"whose beta* is {BETA_BOUNDS[1]:g} but keeps slightly less would be fitted by a "
        "larger beta than the bracket allows, so its residual is an upper bound.",
        figures,
        tables,
    )
