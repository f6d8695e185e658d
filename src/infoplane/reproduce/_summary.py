"""The terminal's summary of a reproduction: the phases table and the verdicts."""

from __future__ import annotations

from infoplane.reproduce._result import ReproduceResult
from infoplane.reproduce._tables import phases_display

TERMINAL_COLUMNS = {
    "layer": "layer",
    "transition epoch [95% CI]": "transition [95% CI]",
    "transition at SNR 2..0.5": "SNR 2..0.5",
    "clear regime change": "clear",
    "compression onset [95% CI]": "onset [95% CI]",
    "log2 onset / transition": "log2(onset/tr.)",
    "compression (bits) [95% CI]": "compression [95% CI]",
    "epochs compressing": "%epochs",
    "log-epoch axis": "%log-axis",
    "train error at transition": "train err at tr.",
}
"""The phases table's columns printed in the terminal, and their short names there."""


def summary(result: ReproduceResult) -> str:
    """The phases table and the verdicts, for the terminal."""
    table = phases_display(result.phases)[list(TERMINAL_COLUMNS)].rename(columns=TERMINAL_COLUMNS)
    lines = [
        "phases of the main run (phases.parquet; epochs, bits; [95% interval over seeds]):",
        table.to_string(index=False),
        "",
    ]
    for v in result.verdicts:
        lines.append(f"{v.title}: {v.label.upper()}. {v.finding}")
    lines += [*result.notes, f"report: {result.report} ({result.seconds / 60:.1f} min)"]
    return "\n".join(lines)
