"""Many named runs (what ``reproduce --workers`` uses): made once, read back, failures."""

import pandas as pd
import pytest

from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError
from infoplane.sweep._runs import run_configs

TINY = RunConfig(epochs=30, seeds=2, log_epochs=5)


def test_runs_are_made_then_read_back_not_run_again(tmp_path):
    configs = {"tanh": TINY, "relu": TINY.replace(activation="relu")}
    results, seconds = run_configs(configs, tmp_path, workers=0, quiet=True, plots=False)
    assert set(results) == set(configs) and all(s > 0 for s in seconds.values())
    assert results["relu"].out == tmp_path / "runs" / "relu"
    again, seconds = run_configs(configs, tmp_path, workers=0, quiet=True, plots=False)
    assert seconds == {"tanh": 0.0, "relu": 0.0}  # complete: skipped
    for name in configs:
        for table in ("information", "training", "gradients"):
            pd.testing.assert_frame_equal(getattr(again[name], table),
                                          getattr(results[name], table))


def test_a_failed_run_is_one_line_error(tmp_path):
    bad = TINY.replace(activation="relu", optimizer="sgd", lr=1e30)
    with pytest.raises(InfoplaneError, match=r"run bad failed: training diverged") as info:
        run_configs({"bad": bad}, tmp_path, workers=0, quiet=True, plots=False)
    assert "\n" not in str(info.value)


def test_reproduce_takes_workers_or_a_scheduler_not_both(tmp_path):
    from infoplane.cli import main

    args = ["reproduce", "--out", str(tmp_path / "r"), "--workers", "2",
            "--scheduler", "tcp://127.0.0.1:8786"]
    assert main(args) == 2
    assert not (tmp_path / "r").exists()


class _TwoSlots:
    """Stands for a Dask client of 2 worker threads (all make_jobs asks of it)."""

    def nthreads(self):
        return {"w1": 1, "w2": 1}


def _jobs_by_run(todo, tmp_path, client, split=True):
    from infoplane.sweep._runs import RunTask, make_jobs

    runs = [RunTask(name, c, tmp_path / "runs" / name) for name, c in todo.items()]
    jobs = make_jobs(runs, {r.name: "new" for r in runs}, client,
                     shards_dir=tmp_path / "shards", plots=False, shard=False, split=split)
    return {name: [j for j in jobs if j.args[0] == name] for name in todo}


def test_slow_estimators_are_tasks_of_their_own_on_dask(tmp_path):
    from infoplane.sweep import _tasks

    configs = {"kde": TINY.replace(estimators=("binning", "kde", "knn")), "bin": TINY}
    by_run = _jobs_by_run(configs, tmp_path, _TwoSlots())
    kde = by_run["kde"]
    train, *estimates, assemble = kde
    assert train.fn is _tasks.train and train.kwargs["defer"] == ("kde", "knn")
    assert {j.args[2] for j in estimates} == {"kde", "knn"}
    assert all(j.fn is _tasks.estimate and j.deps == (train.key,) for j in estimates)
    assert assemble.fn is _tasks.assemble
    assert set(assemble.deps) == {train.key, *(j.key for j in estimates)}
    covered = sorted(e for j in estimates if j.args[2] == "kde" for g in j.args[3] for e in g)
    from infoplane.nets.schedule import log_spaced_epochs

    assert covered == log_spaced_epochs(TINY.epochs, TINY.log_epochs).tolist()
    assert [j.fn for j in by_run["bin"]] == [_tasks.train]  # binning only: one task
    assert all(len(jobs) == 1 for jobs in _jobs_by_run(configs, tmp_path, None).values())


def test_units_already_written_get_no_task(tmp_path):
    from infoplane.sweep._rundir import pending_units

    config = TINY.replace(estimators=("kde",))
    by_run = _jobs_by_run({"kde": config}, tmp_path, _TwoSlots())
    first = [j for j in by_run["kde"] if j.args[2:3] == ("kde",)][0]
    group = first.args[3][0]
    unit = tmp_path / "runs" / "kde" / "information.partial" / (
        f"kde-e{group[0]:06d}-e{group[-1]:06d}.parquet")
    unit.parent.mkdir(parents=True)
    unit.write_bytes(b"")
    assert group not in pending_units(tmp_path / "runs" / "kde", config, "kde")
    again = _jobs_by_run({"kde": config}, tmp_path, _TwoSlots())["kde"]
    assert all(group not in j.args[3] for j in again if j.args[2:3] == ("kde",))


def test_estimator_units_written_apart_give_the_tables_of_one_run(tmp_path):
    """Training with kde deferred, kde's units by separate calls, then the assembly:
    the tables equal those of the run done at once."""
    from infoplane import run as run_module
    from infoplane.sweep._rundir import pending_units

    config = TINY.replace(activation="relu", estimators=("binning", "kde"))
    whole = run_module.run(config, tmp_path / "whole", quiet=True, plots=False)
    out = tmp_path / "apart"
    first = run_module.reuse_or_run(config, out, quiet=True, plots=False, defer=("kde",))
    assert first.information.empty and (out / "information.partial").is_dir()
    pending = pending_units(out, config, "kde")
    assert len(pending) > 1
    for group in pending:
        assert run_module.estimate_units(out, "kde", [group]) == 1
    assert run_module.estimate_units(out, "kde", pending) == 0  # done: skipped
    done = run_module.reuse_or_run(config, out, quiet=True, plots=False)
    for table in ("information", "training", "gradients"):
        pd.testing.assert_frame_equal(getattr(done, table), getattr(whole, table))


def test_a_run_costing_more_than_an_even_share_is_split_into_shards(tmp_path):
    # was: with as many runs as worker threads or more, the biggest run stayed one task
    # and finished alone after the others
    from infoplane.sweep import _cost
    from infoplane.sweep._runs import shards

    small, big = TINY, TINY.replace(seeds=8, epochs=30000)
    runs = [small, small, small, big]
    fair = sum(_cost.run_seconds(c, plots=False) for c in runs) / 2
    assert _cost.run_seconds(big, plots=False) > fair
    n = shards(big, len(runs), 2, fair, plots=False)
    assert n >= 2 and _cost.run_seconds(big, plots=False, seeds=big.seeds // n) <= fair
    assert shards(small, len(runs), 2, fair, plots=False) == 1
    assert shards(small, 1, 2, _cost.run_seconds(small, plots=False) / 2, plots=False) == 2
    assert shards(TINY.replace(seeds=1), 1, 4, 1.0, plots=False) == 1  # one a seed at most


def test_a_slow_estimator_costing_more_than_a_share_gets_more_tasks(tmp_path):
    from infoplane.sweep import _cost
    from infoplane.sweep._dispatch import priorities

    heavy = TINY.replace(seeds=8, log_epochs=30, estimators=("binning", "kde"))
    configs = {f"bin{k}": TINY for k in range(8)} | {"heavy": heavy}
    by_run = _jobs_by_run(configs, tmp_path, _TwoSlots())
    kde = [j for j in by_run["heavy"] if j.args[2:3] == ("kde",)]
    # 9 runs on 2 threads gave each estimator one task; kde here is most of the work
    assert len(kde) >= 2
    whole = sum(j.cost for j in kde)
    assert whole == pytest.approx(
        _cost.estimate_seconds(heavy, "kde", _cost.logged_epochs(heavy)))
    jobs = [j for js in by_run.values() for j in js]
    level = priorities(jobs)
    assert max(level, key=level.get) == by_run["heavy"][0].key  # its training goes first


def test_progress_gets_each_run_s_shares_summing_to_one(tmp_path):
    from infoplane.sweep._runs import _reporter

    configs = {"kde": TINY.replace(estimators=("binning", "kde")), "bin": TINY}
    jobs = [j for js in _jobs_by_run(configs, tmp_path, _TwoSlots()).values() for j in js]
    shares: dict[str, float] = {}
    on_done = _reporter(jobs, lambda run, share: shares.update({run: shares.get(run, 0) + share}))
    for job in jobs:
        on_done(job)
    assert set(shares) == {"kde", "bin"}
    assert all(abs(s - 1.0) < 1e-9 for s in shares.values())
    assert _reporter(jobs, None) is None
