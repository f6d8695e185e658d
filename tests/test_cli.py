"""The command line as a user meets it: files written, one-line errors, exit codes."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infoplane import store
from infoplane.cli import main

TABLES = ("information", "training", "gradients")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    code = main(["run", "--epochs", "60", "--seeds", "3", "--log-epochs", "15", "--quiet",
                 "--out", str(out)])
    assert code == 0
    return out


def test_run_writes_every_file_with_its_columns(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.toml", "information.parquet", "training.parquet", "gradients.parquet",
            "information_plane.png", "snr.png", "training.png"} <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left
    for name in TABLES:
        df = pd.read_parquet(run_dir / f"{name}.parquet")
        assert list(df.columns[: len(store.SCHEMAS[name])]) == list(store.SCHEMAS[name])
    info = pd.read_parquet(run_dir / "information.parquet")
    assert set(info["layer"]) == {1, 2, 3, 4, 5, 6}
    assert set(info["seed"]) == {0, 1, 2}
    assert info["epoch"].min() == 0 and info["epoch"].max() == 60
    assert (info["ixt"] <= 12 + 1e-9).all() and (info["ity"] >= 0).all()
    assert (info["ity"] <= info["ixt"] + 1e-9).all()
    grads = pd.read_parquet(run_dir / "gradients.parquet")
    assert len(grads) == 60 * 3 * 6
    assert np.allclose(grads["snr"], grads["grad_mean_norm"] / grads["grad_std_norm"])


def test_information_at_init_matches_estimator_on_recomputed_activations(run_dir):
    """The stored numbers are the estimator's on the layer activations of the stored
    config (recomputed here through the public API)."""
    from infoplane import estimate_information
    from infoplane.config import RunConfig
    from infoplane.datasets import load_dataset
    from infoplane.nets.ensemble import layer_activations, make_setup

    config = RunConfig.from_toml(run_dir / "config.toml")
    data = load_dataset(config.dataset)
    setup = make_setup(config, data)
    acts = layer_activations(setup.layout, setup.params, data.X, config.activation)
    info = pd.read_parquet(run_dir / "information.parquet")
    row = info[(info.epoch == 0) & (info.seed == 1) & (info.layer == 3)].iloc[0]
    expected = estimate_information(acts[2][1], data.y, bins=30)
    assert row.ixt == pytest.approx(expected.ixt) and row.ity == pytest.approx(expected.ity)


def test_config_toml_reruns_the_same_numbers(run_dir, tmp_path):
    out = tmp_path / "again"
    assert main(["run", "--config", str(run_dir / "config.toml"), "--quiet",
                 "--out", str(out)]) == 0
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(run_dir / f"{name}.parquet"), pd.read_parquet(out / f"{name}.parquet")
        )


def test_plot_redraws_figures(run_dir, capsys):
    for png in run_dir.glob("*.png"):
        png.unlink()
    assert main(["plot", str(run_dir)]) == 0
    assert (run_dir / "information_plane.png").stat().st_size > 10_000
    assert "snr.png" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--epochs", "0"], "--epochs must be > 0"),
        (["run", "--epochs", "-5"], "--epochs must be > 0"),
        (["run", "--train-fraction", "1.5"], "--train-fraction must be in (0, 1]"),
        (["run", "--train-fraction", "0"], "--train-fraction must be in (0, 1]"),
        (["run", "--widths", ""], "--widths must name at least one hidden layer"),
        (["run", "--widths", "10,x"], "comma-separated integers"),
        (["run", "--widths", "10,0"], "--widths must be positive"),
        (["run", "--activation", "swish"], "unknown --activation 'swish'"),
        (["run", "--optimizer", "lbfgs"], "unknown --optimizer"),
        (["run", "--estimator", "magic"], "unknown estimator 'magic'"),
        (["run", "--estimator-option", "binning.colour=3"], "takes no option 'colour'"),
        (["run", "--device", "tpu"], "unknown --device"),
        (["run", "--lr", "nan"], "--lr must be a finite number > 0"),
        (["run", "--seeds", "0"], "--seeds must be > 0"),
        (["run", "--log-epochs", "1"], "--log-epochs must be >= 2"),
        (["run", "--dataset", "/no/such/file.npz"], "no such data file"),
        (["run", "--config", "/no/such/config.toml"], "no such config file"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["plot", "/no/such/run"], "no such file"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_one_line_exit_2(argv, message, capsys, tmp_path):
    code = main([*argv, "--out", str(tmp_path / "o")] if argv[0] == "run" else argv)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o" / "information.parquet").exists()


def test_config_file_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = 10\ncolour = 'red'\n")
    assert main(["run", "--config", str(bad)]) == 2
    assert "unknown key(s) colour" in capsys.readouterr().err
    bad.write_text("epochs = [oops\n")
    assert main(["run", "--config", str(bad)]) == 2
    assert "not a valid TOML file" in capsys.readouterr().err
    bad.write_text('epochs = "ten"\n')
    assert main(["run", "--config", str(bad)]) == 2
    assert f"{bad}: epochs must be an integer, got 'ten'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "body, message",
    [
        ('ib = "no"', "ib must be true or false, got 'no'"),
        ('quiet = "no"', "quiet must be true or false, got 'no'"),
        ("estimator_options = 5", "estimator_options must be a table of option tables"),
        ("dataset = 5", "dataset must be a string, got 5"),
        ('widths = "10,7"', "widths must be a list of integers, got '10,7'"),
        ("estimators = 5", "estimators must be a list of strings, got 5"),
        ("out = 5", "out must be a string, got 5"),
        ('out = ""', "out must not be empty"),
    ],
)
def test_config_file_types_one_line_exit_2(tmp_path, capsys, monkeypatch, body, message):
    monkeypatch.chdir(tmp_path)  # out = "" must not mean the current directory
    cfg = tmp_path / "c.toml"
    cfg.write_text(body + "\nepochs = 4\nseeds = 1\nlog_epochs = 2\n")
    code = main(["run", "--config", str(cfg), "--quiet", "--out", str(tmp_path / "o")]
                if "out" not in body else ["run", "--config", str(cfg), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{cfg}: {message}" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [cfg]


def test_ints_where_floats_are_declared_still_load(tmp_path):
    from infoplane.cli import build_parser, resolve_config

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'lr = 1\nquiet = false\nout = "{tmp_path / "o"}"\n')
    config, out, quiet = resolve_config(build_parser().parse_args(["run", "--config", str(cfg)]))
    assert (config.lr, out, quiet) == (1, tmp_path / "o", False)


@pytest.mark.parametrize(
    "argv",
    [  # small settings, so that a regression is a short run, not a paper-scale one
        ["run", "--epochs", "2", "--seeds", "1", "--log-epochs", "2", "--quiet"],
        ["ib-curve", "--betas", "2", "--quiet"],
        ["reproduce", "--quick", "--seeds", "1", "--epochs", "2", "--log-epochs", "2",
         "--critique-seeds", "1", "--critique-log-epochs", "2", "--quiet"],
    ],
)
def test_out_must_be_a_directory(tmp_path, capsys, argv, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--out", ""]) == 2
    err = capsys.readouterr().err
    assert "argument --out: expected a directory, got an empty path" in err
    assert err.count("\n") == 1
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    assert main([*argv, "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert f"argument --out: {a_file} exists and is not a directory" in err
    assert err.count("\n") == 1
    assert a_file.read_text() == "keep me"
    assert list(tmp_path.iterdir()) == [a_file]


def test_flags_override_config_file(tmp_path):
    cfg = tmp_path / "c.toml"
    out = tmp_path / "a"
    cfg.write_text(f'epochs = 500\nseeds = 2\nlog_epochs = 5\nquiet = true\nout = "{out}"\n')
    assert main(["run", "--config", str(cfg), "--epochs", "8"]) == 0
    written = (tmp_path / "a" / "config.toml").read_text()
    assert "epochs = 8" in written and "seeds = 2" in written


def test_user_dataset_and_relu_range(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path = tmp_path / "mine.npz"
    np.savez(path, X=X, y=y)
    out = tmp_path / "mine"
    assert main(["run", "--dataset", str(path), "--widths", "6,3", "--activation", "relu",
                 "--epochs", "60", "--lr", "0.05", "--seeds", "2", "--quiet", "--out", str(out),
                 "--estimator-option", "binning.bins=10", "--train-fraction", "1.0"]) == 0
    info = pd.read_parquet(out / "information.parquet")
    assert (info["ixt"] <= np.log2(200) + 1e-9).all()
    training = pd.read_parquet(out / "training.parquet")
    assert training["test_accuracy"].isna().all()  # no test set at fraction 1
    assert training["train_accuracy"].iloc[-1] > 0.5


def test_divergence_is_a_user_error(tmp_path, capsys):
    out = tmp_path / "d"
    code = main(["run", "--lr", "1e30", "--optimizer", "sgd", "--epochs", "20", "--seeds", "2",
                 "--quiet", "--out", str(out), "--activation", "linear"])
    assert code == 2
    assert "training diverged" in capsys.readouterr().err
    assert (out / "config.toml").exists()


def test_interrupt_keeps_what_was_trained(tmp_path, monkeypatch, capsys):
    from infoplane.nets import ensemble

    calls = {"n": 0}
    original = ensemble.CpuEnsemble.train

    def train_then_interrupt(self, n_epochs):
        calls["n"] += n_epochs > 0  # not the warm-up call, train(0), that compiles
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, n_epochs)

    monkeypatch.setattr(ensemble.CpuEnsemble, "train", train_then_interrupt)
    out = tmp_path / "i"
    code = main(["run", "--epochs", "100", "--seeds", "2", "--log-epochs", "20", "--quiet",
                 "--out", str(out)])
    assert code == 130
    err = capsys.readouterr().err
    # one wording whether the interrupt lands in training or after it
    assert err.strip() == (f"infoplane: interrupted; what was trained and measured is kept in "
                           f"{out} (3 epochs trained): infoplane run --resume {out} continues it")
    info = pd.read_parquet(out / "information.parquet")
    grads = pd.read_parquet(out / "gradients.parquet")
    assert 0 < info["epoch"].max() < 100
    assert grads["epoch"].max() == 3  # three one-epoch chunks trained before the interrupt


def _resolved(argv: list[str]):
    from infoplane.cli import build_parser, resolve_config

    return resolve_config(build_parser().parse_args(["run", *argv]))[0]


def test_bins_flag_beats_the_config_files_binning_bins(tmp_path):
    # was: [estimator_options.binning] bins in the file beat --bins on the command line
    from infoplane.recorder import binning_options

    cfg = tmp_path / "c.toml"
    cfg.write_text("bins = 30\n[estimator_options.binning]\nbins = 4\nbin_size = 0.5\n")
    assert binning_options(_resolved(["--config", str(cfg)])).bins == 4
    flagged = binning_options(_resolved(["--config", str(cfg), "--bins", "8"]))
    assert (flagged.bins, flagged.bin_size) == (8, 0.5)
    option = _resolved(["--config", str(cfg), "--estimator-option", "binning.bins=6"])
    assert binning_options(option).bins == 6
    assert binning_options(_resolved(["--bins", "5"])).bins == 5


def test_bins_flag_and_binning_bins_option_must_agree(capsys, tmp_path):
    code = main(["run", "--bins", "5", "--estimator-option", "binning.bins=4", "--quiet",
                 "--epochs", "2", "--seeds", "1", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--bins 5 and --estimator-option binning.bins=4 disagree" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--estimator", "kde", "--estimator-option", "kde.sigma2=-1"],
         "The 'sigma2' option of estimator 'kde' must be > 0, got -1."),
        (["--estimator-option", "binning.bins=abc"],
         "The 'bins' option of estimator 'binning' must be an int >= 1, got 'abc'."),
        (["--estimator-option", "binning.bin_size=big"], "The 'bin_size' option"),
        (["--estimator-option", "binning.bins=2.5"], "got 2.5."),
        (["--estimator-option", "kde.sigma2=1"], "which this run does not use"),
    ],
)
def test_bad_estimator_options_stop_the_run_before_training(argv, message, capsys, tmp_path):
    out = tmp_path / "o"
    small = ["--epochs", "2", "--seeds", "1", "--log-epochs", "2", "--widths", "3"]
    assert main(["run", *argv, *small, "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()  # nothing written: stopped before training


def test_ib_analysis_bins_as_the_information_table(tmp_path):
    # was: ib_layers binned with 30 bins while information.parquet used binning.bins = 4
    out = tmp_path / "ib"
    assert main(["run", "--ib", "--estimator-option", "binning.bins=4", "--epochs", "8",
                 "--seeds", "2", "--log-epochs", "3", "--quiet", "--out", str(out)]) == 0
    info = pd.read_parquet(out / "information.parquet")
    layers = pd.read_parquet(out / "ib_layers.parquet")
    both = layers.merge(info, on=["seed", "epoch", "layer"], suffixes=("_ib", ""))
    assert len(both) == len(layers) > 0
    np.testing.assert_allclose(both["ixt_ib"], both["ixt"], atol=1e-9)

def test_plot_on_a_malformed_column_is_one_line(run_dir, tmp_path, capsys):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in TABLES:
        (copy / f"{name}.parquet").write_bytes((run_dir / f"{name}.parquet").read_bytes())
    info = pd.read_parquet(copy / "information.parquet")
    info["ixt"] = info["ixt"].astype(str)
    info.to_parquet(copy / "information.parquet")
    assert main(["plot", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "information.parquet: column(s) ixt" in err and "should be numbers" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_plot_into_an_unwritable_place_is_one_line(run_dir, tmp_path, capsys):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in TABLES:
        (copy / f"{name}.parquet").write_bytes((run_dir / f"{name}.parquet").read_bytes())
    (copy / "snr.png").mkdir()  # a directory where a figure goes (unwritable even for root)
    assert main(["plot", str(copy)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {copy / 'snr.png'}" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not [p for p in copy.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_plot_into_a_read_only_directory_is_one_line(run_dir, tmp_path, capsys):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in TABLES:
        (copy / f"{name}.parquet").write_bytes((run_dir / f"{name}.parquet").read_bytes())
    copy.chmod(0o555)
    try:
        assert main(["plot", str(copy)]) == 2
    finally:
        copy.chmod(0o755)
    err = capsys.readouterr().err
    assert "cannot write" in err and err.count("\n") == 1


def test_first_estimator_named_is_the_main_figure(tmp_path):
    out = tmp_path / "two"
    assert main(["run", "--estimator", "binning", "--estimator", "adaptive", "--epochs", "20",
                 "--seeds", "2", "--log-epochs", "5", "--quiet", "--out", str(out)]) == 0
    assert (out / "information_plane_adaptive.png").exists()
    assert not (out / "information_plane_binning.png").exists()
    info = pd.read_parquet(out / "information.parquet")
    assert list(dict.fromkeys(info["estimator"])) == ["binning", "adaptive"]
    # a table sorted by name (as older versions wrote it): the config's order still rules
    info.sort_values("estimator", kind="stable").to_parquet(out / "information.parquet")
    for png in out.glob("*.png"):
        png.unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "information_plane_adaptive.png").exists()
    assert not (out / "information_plane_binning.png").exists()


@pytest.mark.parametrize("flags", [["--lr", "1e30", "--optimizer", "sgd"], ["--lr", "1e6"]])
def test_a_run_at_chance_says_so_and_its_norms_are_finite(tmp_path, capsys, flags):
    out = tmp_path / "c"
    assert main(["run", *flags, "--epochs", "20", "--seeds", "2", "--log-epochs", "5",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "is at chance level (majority class 0.5" in printed and "lower --lr" in printed
    grads = pd.read_parquet(out / "gradients.parquet")
    assert np.isfinite(grads[["grad_mean_norm", "grad_std_norm", "weight_norm"]]).all().all()
    assert (grads["weight_norm"] > 1e5).all()


def test_reproduce_help_states_the_scales_defaults(capsys):
    from infoplane.cli import build_parser
    from infoplane.reproduce import FULL, QUICK

    with pytest.raises(SystemExit):
        build_parser().parse_args(["reproduce", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"run (default {FULL.critique_seeds}," in text
    assert f"quick {QUICK.critique_seeds})" in text
    assert f"measures (default {FULL.critique_log_epochs}:" in text
    assert f"quick {QUICK.critique_log_epochs})" in text
    assert f"{FULL.seeds} seeds x {FULL.epochs} epochs" in text


@pytest.mark.parametrize("command", ["sweep", "reproduce"])
@pytest.mark.parametrize(("flags", "problem"), [
    (["--scheduler", "garbage"], "--scheduler 'garbage' is not a Dask scheduler address"),
    (["--scheduler", "foo://host:1"], "unknown address scheme 'foo'"),
    (["--workers", "-1"], "--workers must be >= 0, got -1"),
    (["--out-under-a-file"], "is a file, not a directory"),
    (["--out-in-proc"], "cannot create --out"),
])
def test_sweep_and_reproduce_refuse_bad_places_in_one_line_before_any_work(
        tmp_path, capsys, command, flags, problem):
    # was: a traceback (--scheduler garbage), or the report's progress bar and every run
    # started and failed before the one-line error (--workers -1, --out under a file or
    # where nothing can be created)
    spec = tmp_path / "SWEEP.toml"
    spec.write_text('[base]\nepochs = 20\nseeds = 1\nlog_epochs = 3\n'
                    '[grid]\nactivation = ["tanh", "relu"]\n')
    (tmp_path / "a_file").write_text("")
    before = sorted(p.name for p in tmp_path.iterdir())
    out = {"--out-under-a-file": tmp_path / "a_file" / "out",
           "--out-in-proc": Path("/proc/infoplane-no-such-dir/out")}.get(flags[0], tmp_path / "out")
    if flags[0] == "--out-in-proc" and not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc: a place where nothing can be created, even by root")
    if flags[0].startswith("--out-"):
        flags = ["--workers", "0"]
    args = (["sweep", str(spec)] if command == "sweep"
            else ["reproduce", "--quick", "--seeds", "1", "--epochs", "20"])
    assert main([*args, "--out", str(out), *flags]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("infoplane: error: ")
    assert problem in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing left behind


def test_sweep_refuses_an_empty_out(tmp_path, capsys, monkeypatch):
    # was: --out "" meant the current directory
    monkeypatch.chdir(tmp_path)
    (tmp_path / "SWEEP.toml").write_text('[grid]\nactivation = ["tanh", "relu"]\n')
    assert main(["sweep", "SWEEP.toml", "--out", "", "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out: expected a directory, got an empty path" in err
    assert [p.name for p in tmp_path.iterdir()] == ["SWEEP.toml"]
