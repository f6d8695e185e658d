"""The run's summary: what a user reads at the end of `infoplane run`."""

import pandas as pd
import pytest

from infoplane.run import RunResult, summary


def _result(tmp_path, train_accuracy: float, chance: float | None) -> RunResult:
    training = pd.DataFrame({
        "seed": [0, 1, 0, 1], "epoch": [0, 0, 50, 50], "train_loss": 0.7,
        "train_accuracy": [0.5, 0.5, train_accuracy, train_accuracy], "test_loss": 0.7,
        "test_accuracy": [0.5, 0.5, 0.5, 0.5],
    })
    empty = pd.DataFrame()
    return RunResult(out=tmp_path, information=empty, training=training, gradients=empty,
                     epochs_trained=50, interrupted=False, seconds={"total": 1.0},
                     chance_accuracy=chance)


@pytest.mark.parametrize("accuracy", [0.50, 0.517, 0.525])
def test_a_run_at_chance_level_is_told_so(tmp_path, accuracy):
    text = summary(_result(tmp_path, accuracy, chance=0.517))
    assert (f"warning: final train accuracy {accuracy:.2f} is at chance level (majority "
            "class 0.52); the run may have diverged (lower --lr)") in text


@pytest.mark.parametrize("accuracy, chance", [(0.9, 0.517), (0.55, 0.517), (0.5, None)])
def test_a_run_above_chance_has_no_warning(tmp_path, accuracy, chance):
    assert "warning" not in summary(_result(tmp_path, accuracy, chance))
