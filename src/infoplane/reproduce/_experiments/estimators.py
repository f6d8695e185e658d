"""Critique (Saxe; Chelombiev; Goldfeld): whether layers compress depends on the estimator.

Runs: the tanh network measured with binning, kde and noisy at once (the same
networks; as many seeds as the binning runs, fewer logged epochs: see
:data:`SECONDS_PER_POINT`). Measures: per estimator, claim 1's count with its 95%
interval over seeds. Rule: :data:`RULE`. Section: text, the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infoplane.analysis import MIN_COMPRESSION_BITS, compression_replicates, decide
from infoplane.estimators import available_estimators, get_estimator
from infoplane.nets.schedule import log_spaced_epochs
from infoplane.reproduce._context import Context, Measured
from infoplane.reproduce._report import Section
from infoplane.reproduce._runs import RunSpec, base_config
from infoplane.reproduce._scale import Scale
from infoplane.reproduce._tables import layers_display
from infoplane.reproduce._verdict import Verdict, count_interval, span

KEY = "estimators"
RUN = "estimators"

CRITIQUE_ESTIMATORS = ("kde", "noisy")
"""Estimators of the critique's run (Saxe et al. 2018; Goldfeld et al. 2019), if registered."""

SECONDS_PER_POINT = {"kde": 0.13, "noisy": 0.28}
"""Measured cost of one information point (a seed, layer and logged epoch) at 4096 inputs
x 10 units on this project's 2-core machine under load, default options."""

RULE = (
    "Saxe et al. (2018) and Chelombiev et al. (2019): whether layers compress depends on "
    "the estimator. The same tanh networks are measured with binning and with the kde "
    "(Kolchinsky-Tracey upper bound on the noisy network) and noisy (Goldfeld et al. "
    "2019: I(X;T+Z) of the noisy network, the principled quantity) estimators. The "
    "critique is supported when claim 1's rule (more than half of the hidden layers "
    "mostly compressing) gives different answers for different estimators. "
    "Uncertainty: each estimator's count of mostly compressing layers is recomputed on "
    "1000 resamples of the seeds; an estimator whose 95% interval straddles half the "
    "hidden layers has no answer, and the critique is 'not decided' unless two "
    "estimators with an answer disagree."
)


def present() -> tuple[str, ...]:
    return tuple(e for e in CRITIQUE_ESTIMATORS if e in available_estimators())


def missing() -> tuple[str, ...]:
    return tuple(e for e in CRITIQUE_ESTIMATORS if e not in available_estimators())


def runs(scale: Scale) -> list[RunSpec]:
    names = present()
    if not names:
        return []
    options = {}
    if (
        "noisy" in names
        and scale.noisy_samples is not None
        and "n_samples" in get_estimator("noisy").defaults
    ):
        options["noisy"] = {"n_samples": scale.noisy_samples}
    return [
        RunSpec(
            RUN,
            "critiques",
            f"tanh, binning vs {' and '.join(names)}",
            base_config(scale).replace(
                seeds=scale.critique_seeds,
                log_epochs=scale.critique_log_epochs,
                estimators=("binning", *names),
                estimator_options=options,
            ),
        )
    ]


def estimated_seconds(scale: Scale, layers: int = 6) -> float:
    """The kde and noisy estimates' cost at ``scale`` by :data:`SECONDS_PER_POINT`.

    noisy's cost scales with its Monte Carlo draws (default 4 per input, 4 x 4096).
    """
    logged = len(log_spaced_epochs(scale.epochs, scale.critique_log_epochs))
    points = scale.critique_seeds * logged * layers
    cost = 0.0
    for name in present():
        each = SECONDS_PER_POINT.get(name, 0.5)
        if name == "noisy" and scale.noisy_samples is not None:
            each *= scale.noisy_samples / (4 * 4096)
        cost += each
    return points * cost


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _mostly(table: pd.DataFrame) -> pd.Series:
    return table["compresses"].astype(bool) & (table["compression_fraction"] > 0.5)


def critique_estimators(
    table: pd.DataFrame,
    missing: tuple[str, ...] = (),
    replicates: pd.DataFrame | None = None,
) -> Verdict:
    """The estimator critique from per-estimator, per-layer compression rows.

    ``replicates``: per (estimator, replicate, layer), ``hidden``, ``compresses`` and
    ``compression_fraction`` on resamples of the seeds.
    """
    title = "Critique: compression depends on the estimator (Saxe; Chelombiev; Goldfeld)"
    skipped = (
        f" The estimator(s) {', '.join(missing)} are not registered in this "
        "installation and were skipped."
        if missing
        else ""
    )
    if table.empty or table["estimator"].nunique() < 2:
        return Verdict(
            KEY, title, None, "Only the binning estimator is available: not tested." + skipped, RULE
        )
    parts, answers = [], {}
    for name, rows in table.groupby("estimator", sort=False):
        hidden = rows[rows["hidden"]]
        n = len(hidden)
        k = int(_mostly(hidden).sum())
        answer: bool | None = k > n / 2
        interval = ""
        if replicates is not None:
            boot = replicates[(replicates["estimator"] == name) & replicates["hidden"]]
            low, high = count_interval(boot, _mostly(boot))
            answer = decide(low, high, n / 2)
            none = "" if answer is not None else ", no answer"
            interval = f" (95% interval {span(low, high)}{none})"
        answers[name] = answer
        parts.append(
            f"{name}: {k} of {n}{interval} hidden layers mostly compressing "
            f"({int(hidden['compresses'].sum())} compress)"
        )
    decided = {a for a in answers.values() if a is not None}
    undecided = False
    if len(decided) > 1:
        supported: bool | None = True
        end = ": the estimators disagree on claim 1."
    elif None in answers.values():
        supported, undecided = None, True
        end = ": no two estimators with an answer disagree, and some have none."
    else:
        supported = False
        end = ": the estimators agree on claim 1."
    return Verdict(KEY, title, supported, "; ".join(parts) + end + skipped, RULE, undecided)


def replicates_of(information: pd.DataFrame, name: str) -> pd.DataFrame:
    """Claim 1's per-layer test of estimator ``name`` on resamples of the seeds."""
    rows = information[information["estimator"] == name]
    reps = compression_replicates(rows, estimator=name)
    e0, e1 = float(rows["epoch"].min()), float(rows["epoch"].max())
    compresses = reps["compression_bits"] >= MIN_COMPRESSION_BITS
    return reps.assign(
        estimator=name,
        hidden=reps["layer"] < reps["layer"].max(),
        compresses=compresses,
        compression_fraction=np.where(
            compresses, (e1 - reps["onset_epoch"]) / max(e1 - e0, 1.0), 0.0
        ),
    )


def measure(ctx: Context) -> Measured:
    gone = missing()
    notes = ()
    if gone:
        notes = (
            f"Estimator(s) {', '.join(gone)} are not registered in this installation "
            "(infoplane.estimators.available_estimators()); their part of the critiques "
            "was skipped.",
        )
    if RUN not in ctx.results:
        return Measured(critique_estimators(pd.DataFrame(), gone), notes=notes)
    info = ctx.run(RUN).information
    names = list(info["estimator"].unique())
    rows = pd.concat(
        [
            ctx.layer_summary(RUN, name).assign(network="tanh", estimator=name, run=RUN)
            for name in names
        ],
        ignore_index=True,
    )
    reps = pd.concat([replicates_of(info, name) for name in names], ignore_index=True)
    return Measured(
        critique_estimators(rows, gone, reps), tables={"critiques": rows}, notes=notes
    )


def panels(ctx: Context) -> dict[str, tuple[pd.DataFrame, str]]:
    """Per estimator of the critique's run: a panel title -> (information, estimator)."""
    if RUN not in ctx.results:
        return {}
    info = ctx.run(RUN).information
    n = info["seed"].nunique()
    return {
        f"tanh, {name} ({n} seed{'s' if n > 1 else ''}, critique run)": (info, name)
        for name in info["estimator"].unique()
    }


def _text(ctx: Context) -> str:
    names = present()
    if RUN not in ctx.results:
        return "Neither the kde nor the noisy estimator is registered; nothing to compare."
    spec = ctx.spec(RUN).config
    logged = log_spaced_epochs(spec.epochs, spec.log_epochs)

    def option(name: str, key: str) -> object:
        given = spec.estimator_options.get(name, {})
        return given.get(key, get_estimator(name).defaults.get(key))

    costs = " and ".join(f"{SECONDS_PER_POINT[e]:g} s" for e in names if e in SECONDS_PER_POINT)
    text = (
        f"{' and '.join(names)} cost about {costs} per information point (a seed, layer and "
        "logged epoch) at 4096 inputs x 10 units on 2 busy cores, against ~2 ms for binning. "
        + (
            f"This run measures the same {spec.seeds} seeds as the binning runs"
            if spec.seeds == ctx.scale.seeds
            else f"This run measures {spec.seeds} of the binning runs' {ctx.scale.seeds} seeds"
        )
        + f" at {len(logged)} logged epochs ({', '.join(map(str, logged))}; {spec.epochs} "
        f"epochs of training), about {_duration(estimated_seconds(ctx.scale))} for kde and "
        "noisy together by those costs. Brackets: 95% bootstrap intervals over seeds."
    )
    if "kde" in names:
        text += (
            " kde: the Kolchinsky-Tracey pairwise-distance bound "
            f"({option('kde', 'bound')}) on I(X;T+Z) of the noisy network, noise variance "
            f"{option('kde', 'sigma2')}, as Saxe et al. used it."
        )
    if "noisy" in names:
        samples = option("noisy", "n_samples")
        text += (
            " noisy: a Monte Carlo estimate of I(X;T+Z) for the noisy network T+Z, "
            f"Z ~ N(0, sigma^2 I), sigma = {option('noisy', 'sigma')} (Goldfeld et al., "
            "ICML 2019), finite and meaningful where the deterministic network's I(X;T) "
            "is constant or infinite; "
            + (f"{samples} Monte Carlo draws." if samples else "4 draws per input.")
        )
    if missing():
        text += f" Skipped (not registered): {', '.join(missing())}."
    return text


def section(ctx: Context, measured: Measured) -> Section:
    tables = []
    if "critiques" in measured.tables:
        tables.append(
            (
                "Per estimator and layer, same networks (critiques.parquet)",
                layers_display(measured.tables["critiques"], ["network", "estimator", "layer"]),
            )
        )
    return Section(
        KEY,
        "Critique: the estimator (Saxe; Chelombiev; Goldfeld)",
        measured.verdict,
        _text(ctx),
        [],
        tables,
    )
