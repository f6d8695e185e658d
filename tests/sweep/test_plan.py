"""SWEEP.toml into run configs: grid and zip expansion, dotted keys, names, bad files."""

import tomllib

import pytest

from infoplane.cli import main
from infoplane.config import RunConfig
from infoplane.errors import InfoplaneError
from infoplane.sweep import config_hash, load_plan, make_plan

BASE = {"epochs": 30, "seeds": 2, "log_epochs": 5}


def plan_of(text: str):
    return make_plan(tomllib.loads(text), source="SWEEP.toml")


def test_grid_is_the_product_and_zip_moves_together():
    plan = plan_of("""
        [base]
        epochs = 30
        [grid]
        activation = ["tanh", "relu"]
        train_fraction = [0.05, 0.45, 0.85]
        [zip]
        lr = [1e-3, 4e-4]
        batch_size = [64, 512]
    """)
    assert plan.axes == ("activation", "train_fraction", "lr", "batch_size")
    assert len(plan.points) == 2 * 3 * 2
    combos = [(p.config.activation, p.config.train_fraction, p.config.lr, p.config.batch_size)
              for p in plan.points]
    assert len(set(combos)) == 12
    assert {(c[2], c[3]) for c in combos} == {(1e-3, 64), (4e-4, 512)}
    assert all(p.config.epochs == 30 for p in plan.points)
    assert all(p.axes["activation"] == p.config.activation for p in plan.points)


@pytest.mark.parametrize("grid", [
    'estimator_options.kde.sigma2 = [0.05, 0.1]',
    '"estimator_options.kde.sigma2" = [0.05, 0.1]',
])
def test_dotted_axes_set_nested_keys(grid):
    plan = plan_of(f"""
        [base]
        estimators = ["binning", "kde"]
        [base.estimator_options.kde]
        sigma2 = 1.0
        [grid]
        {grid}
    """)
    assert plan.axes == ("estimator_options.kde.sigma2",)
    assert [p.config.estimator_options["kde"]["sigma2"] for p in plan.points] == [0.05, 0.1]
    assert all(p.config.estimators == ("binning", "kde") for p in plan.points)


def test_list_values_and_no_axes():
    plan = plan_of('[grid]\nwidths = [[10, 7], [10, 7, 5]]')
    assert [p.config.widths for p in plan.points] == [(10, 7), (10, 7, 5)]
    assert plan.points[0].name.startswith("widths-10-7-")
    single = plan_of("[base]\nepochs = 30")
    assert len(single.points) == 1 and single.axes == ()


def test_names_are_readable_deterministic_and_hash_the_resolved_config():
    text = '[base]\nepochs = 30\n[grid]\nactivation = ["tanh", "relu"]\nlr = [0.001]'
    first, again = plan_of(text), plan_of(text)
    assert [p.name for p in first.points] == [p.name for p in again.points]
    tanh = first.points[0]
    assert tanh.name == f"activation-tanh_lr-0.001-{config_hash(tanh.config)}"
    assert config_hash(tanh.config) == config_hash(RunConfig(epochs=30, lr=0.001))
    assert config_hash(tanh.config) != config_hash(tanh.config.replace(seed=1))
    # the same options given in another order are the same run
    one = plan_of("[base]\nestimators = ['kde']\n"
                  "[base.estimator_options.kde]\nsigma2 = 0.2\nbound = 'lower'")
    two = plan_of("[base]\nestimators = ['kde']\n"
                  "[base.estimator_options.kde]\nbound = 'lower'\nsigma2 = 0.2")
    assert one.points[0].name == two.points[0].name


@pytest.mark.parametrize("text, message", [
    ("[grid]\nseed = [0, 1]", "collides with a column"),
    ("[grid]\nestimator = ['kde']", "collides with a column"),
    ("[grid]\nlayer = [1]", "collides with a column"),
    ("[grid]\nactivaton = ['tanh']", "not a run key"),
    ("[grid]\nout = ['a']", "not a run key"),
    ("[base]\nout = 'x'", "not a run key here"),
    ("[base]\nquiet = true", "not a run key here"),
    ("[grid]\nlr = []", "non-empty list"),
    ("[grid]\nlr = 0.1", "non-empty list"),
    ("[zip]\nlr = [0.1, 0.2]\nbatch_size = [64]", "equal lengths"),
    ("[grid]\nlr = [0.1]\n[zip]\nlr = [0.2]", "both [grid] and [zip]"),
    ("[grid]\nlr = [0.1, 0.1]", "same run as point 1"),
    ("[grid]\nactivation = ['tanh', 'swish']", "point 2 (activation = swish)"),
    ("[grid]\nlr = [0.1, -1.0]", "--lr must be"),
    ("[grid]\nestimators = [['binning'], ['nope']]", "unknown estimator 'nope'"),
    ("[base]\nestimators = ['kde']\n[grid]\n'estimator_options.kde.sigma' = [1.0]",
     "takes no option 'sigma'"),
    ("[grid]\n'estimator_options.kde' = [1.0]", "estimator_options.NAME.KEY"),
    ("[runs]\nlr = [0.1]", "unknown table(s) runs"),
])
def test_bad_sweep_files_are_one_line_errors(text, message):
    with pytest.raises(InfoplaneError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")) as info:
        plan_of(text)
    assert "\n" not in str(info.value)


def test_cli_bad_sweep_exits_2_before_any_work(tmp_path, capsys):
    spec = tmp_path / "SWEEP.toml"
    spec.write_text("[grid]\nseed = [0, 1]\n")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "seed" in err
    assert not out.exists()
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(out)]) == 2


def test_dry_run_lists_every_run_and_starts_nothing(tmp_path, capsys):
    spec = tmp_path / "SWEEP.toml"
    spec.write_text('[base]\nepochs = 30\n[grid]\nactivation = ["tanh", "relu"]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [p.name for p in load_plan(spec).points]
    assert [line.split()[-1] for line in lines[:2]] == [f"runs/{n}" for n in names]
    assert all(line.startswith("new") for line in lines[:2])
    assert "2 runs, 0 complete, 2 to run" in lines[-1]
    assert not out.exists()
