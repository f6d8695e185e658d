"""A claim's verdict, and the helpers every experiment's rule uses to state it.

A verdict is decided by an explicit rule on the measured numbers; where the numbers
come with a 95% bootstrap interval over seeds, the verdict is "not decided" when the
interval straddles the rule's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from infoplane.analysis import CONFIDENCE, decide, percentile_interval

UNCERTAINTY_RULE = (
    f" Uncertainty: the rule's count (or correlation) is recomputed on 1000 resamples of "
    f"the seeds; the verdict is 'not decided' when its {100 * CONFIDENCE:g}% interval "
    "straddles the rule's threshold."
)


@dataclass(frozen=True)
class Verdict:
    """Whether this reproduction supports a claim, and why.

    ``supported`` is True or False, or None where the claim could not be tested or,
    with ``undecided``, where the evidence does not decide it (the 95% interval over
    seeds straddles the rule's threshold, or the answer changes within the transition's
    band of thresholds).
    """

    key: str
    title: str
    supported: bool | None
    finding: str
    rule: str
    undecided: bool = False

    @property
    def label(self) -> str:
        if self.undecided:
            return "not decided"
        return {True: "supported", False: "not supported", None: "not tested"}[self.supported]

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "supported": self.supported,
            "verdict": self.label,
            "finding": self.finding,
            "rule": self.rule,
        }


def fmt(value: float, digits: int = 2) -> str:
    """A number for a sentence or a table: "n/a" for NaN, "not reached" for inf."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if np.isinf(value):
        return "not reached"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def fmt_epoch(value: float) -> str:
    """An epoch (or a number of epochs) for a sentence or a table, rounded to an integer."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if np.isinf(value):
        return "not reached"
    return f"{value:.0f}"


def count_interval(
    replicates: pd.DataFrame | None, passes: pd.Series | None
) -> tuple[float, float] | None:
    """The 95% interval of the number of layers passing a test, over the replicates."""
    if replicates is None or passes is None:
        return None
    return percentile_interval(passes.groupby(replicates["replicate"]).sum().to_numpy())


def with_interval(
    point: bool, interval: tuple[float, float] | None, threshold: float, *, strict: bool = True
) -> tuple[bool | None, bool, str]:
    """(supported, undecided, text) from the point answer and the count's interval."""
    if interval is None:
        return point, False, ""
    low, high = interval
    decided = decide(low, high, threshold, strict=strict)
    text = f" (95% interval over seeds: {span(low, high)})"
    return decided, decided is None, text


def span(low: float, high: float) -> str:
    """A count's interval: "3" or "2-3"."""
    return fmt_epoch(low) if low == high else f"{fmt_epoch(low)}-{fmt_epoch(high)}"
