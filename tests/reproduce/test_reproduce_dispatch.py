"""reproduce's dispatch on Dask: the progress bar follows the tasks."""

import pytest
from tqdm.auto import tqdm

from infoplane.reproduce import QUICK, reproduce
from infoplane.reproduce._plan import estimated_seconds, make_plan


def test_workers_n_advances_the_bar_as_tasks_finish(monkeypatch, tmp_path):
    # was: on Dask the runs were made quiet and the bar moved once, after all of them
    seen: list[tuple[float, str]] = []

    class Recording(tqdm):
        def update(self, n=1):
            shown = super().update(n)
            seen.append((self.n, self.desc))
            return shown

    class Stop(Exception):
        pass

    plan = make_plan(QUICK)
    first = plan.runs[:3]

    def three_runs_then_stop(configs, root, *, progress=None, **kwargs):
        assert progress is not None, "no progress asked of the Dask runs"
        assert list(configs) == [s.key for s in plan.runs]
        for spec in first:  # each run's tasks: training, then the rest
            progress(spec.key, 0.25)
            progress(spec.key, 0.75)
        raise Stop

    monkeypatch.setattr("infoplane.reproduce._reproduce.tqdm", Recording)
    monkeypatch.setattr("infoplane.sweep._runs.run_configs", three_runs_then_stop)
    with pytest.raises(Stop):
        reproduce(tmp_path / "r", scale=QUICK, quiet=False, workers=2)
    positions = [n for n, _ in seen]
    assert len(positions) == 2 * len(first)
    assert all(b >= a for a, b in zip(positions, positions[1:], strict=False))
    assert positions[-1] > positions[0]
    want = sum(estimated_seconds(s, plots=QUICK.run_plots) for s in first)
    assert positions[-1] == pytest.approx(want, abs=1)
    assert f": {len(first)}/{len(plan.runs)} runs on Dask" in seen[-1][1]
    assert f": {len(first) - 1}/{len(plan.runs)} runs on Dask" in seen[-2][1]
