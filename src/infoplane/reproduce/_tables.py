"""Formatted tables for the report and the terminal: "value [95% interval]" cells."""

from __future__ import annotations

import numpy as np
import pandas as pd

from infoplane.reproduce._verdict import fmt, fmt_epoch


def iqr(df: pd.DataFrame, name: str, digits: int | None = 2) -> list[str]:
    """ "median [q25, q75]" of the columns ``name_*``; ``digits=None`` formats epochs."""

    def f(x: float) -> str:
        return fmt_epoch(x) if digits is None else fmt(x, digits)

    return [
        f"{f(m)} [{f(a)}, {f(b)}]"
        for m, a, b in zip(df[f"{name}_median"], df[f"{name}_q25"], df[f"{name}_q75"], strict=True)
    ]


def ci(df: pd.DataFrame, column: str, name: str, digits: int | None = 2) -> list[str]:
    """ "value [low, high]": ``column`` with the 95% interval ``name_ci_low/high``."""

    def f(x: float) -> str:
        return fmt_epoch(x) if digits is None else fmt(x, digits)

    if f"{name}_ci_low" not in df:
        return [f(x) for x in df[column]]
    return [
        f"{f(x)} [{f(a)}, {f(b)}]"
        for x, a, b in zip(df[column], df[f"{name}_ci_low"], df[f"{name}_ci_high"], strict=True)
    ]


def layer_labels(df: pd.DataFrame) -> list[str]:
    """ "L3", or "L6 (output)" for the last layer."""
    return [
        f"L{int(x)}" + ("" if h else " (output)")
        for x, h in zip(df["layer"], df["hidden"], strict=True)
    ]


def _band(phases: pd.DataFrame) -> list[str]:
    if "transition_early" not in phases:
        return ["n/a"] * len(phases)
    return [
        f"{fmt_epoch(a)}-{fmt_epoch(b)}"
        for a, b in zip(phases["transition_early"], phases["transition_late"], strict=True)
    ]


def phases_display(phases: pd.DataFrame) -> pd.DataFrame:
    """The phases table with readable, formatted columns (for the report and terminal).

    "value [low, high]" cells give the 95% bootstrap interval over seeds.
    """
    clear = phases.get("clear_transition", pd.Series(True, index=phases.index))
    return pd.DataFrame(
        {
            "layer": layer_labels(phases),
            "transition epoch [95% CI]": ci(phases, "transition_epoch", "transition", None),
            "transition at SNR 2..0.5": _band(phases),
            "clear regime change": ["yes" if c else "no" for c in clear],
            "transition per seed: median [IQR]": iqr(phases, "transition", None),
            "compression onset [95% CI]": ci(phases, "onset_epoch", "onset", None),
            "onset per seed: median [IQR]": iqr(phases, "onset", None),
            "log2 onset / transition": [fmt(x) for x in phases["onset_octaves"]],
            "compression (bits) [95% CI]": ci(phases, "compression_bits", "compression_bits"),
            "compression per seed: median [IQR]": iqr(phases, "compression_bits"),
            "compresses": ["yes" if c else "no" for c in phases["compresses"]],
            "epochs compressing": [f"{100 * x:.0f}%" for x in phases["compression_fraction"]],
            "log-epoch axis": [f"{100 * x:.0f}%" for x in phases["compression_fraction_log"]],
            "train error at transition": [
                f"{100 * x:.0f}%" if np.isfinite(x) else "n/a"
                for x in phases.get(
                    "train_error_at_transition", pd.Series(np.nan, index=phases.index)
                )
            ],
        }
    )


def layers_display(df: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    """Per-layer compression rows (``layer_summary``) with ``first`` columns kept."""
    out = df[first].copy()
    out["layer"] = layer_labels(df)
    out["peak I(X;T)"] = [fmt(x) for x in df["peak_ixt"]]
    out["final I(X;T)"] = [fmt(x) for x in df["final_ixt"]]
    out["final I(T;Y)"] = [fmt(x, 3) for x in df["final_ity"]]
    out["onset epoch"] = [fmt_epoch(x) for x in df["onset_epoch"]]
    out["compression (bits) [95% CI]"] = ci(df, "compression_bits", "compression_bits")
    out["compression per seed: median [IQR]"] = iqr(df, "compression_bits")
    out["compresses"] = ["yes" if c else "no" for c in df["compresses"]]
    out["epochs compressing"] = [f"{100 * x:.0f}%" for x in df["compression_fraction"]]
    out["log-epoch axis"] = [f"{100 * x:.0f}%" for x in df["compression_fraction_log"]]
    return out
