"""``infoplane reproduce`` as a user meets it: every file, and the report in a browser."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from infoplane import store
from infoplane.cli import main
from infoplane.estimators import available_estimators
from infoplane.reproduce import Verdict
from infoplane.reproduce._experiments.compression import claim1
from infoplane.reproduce._experiments.depth import claim4
from infoplane.reproduce._experiments.estimators import critique_estimators
from infoplane.reproduce._experiments.ib import claim3, ib_unavailable
from infoplane.reproduce._experiments.relu import critique_relu
from infoplane.reproduce._experiments.transition import claim2

TINY = [
    "--quick",
    "--seeds",
    "2",
    "--epochs",
    "40",
    "--log-epochs",
    "6",
    "--critique-log-epochs",
    "2",
]
"""A reproduction of ~30 s: 2 seeds, 40 epochs, the kde/noisy run on 1 seed, 3 epochs."""

RUNS = [
    "size-05",
    "size-45",
    "size-85",
    "ib-soft",
    "depth-1",
    "depth-2",
    "depth-3",
    "depth-4",
    "depth-6",
    "relu",
]
FIGURES = [
    "fig2_layer_snapshots.png",
    "fig3_information_planes.png",
    "fig4_snr.png",
    "fig4_training.png",
    "fig5_depth_planes.png",
    "fig5_depth_times.png",
    "critiques_planes.png",
    "fig6_ib_bound.png",
]
CLAIMS = ["claim1", "claim2", "claim3", "claim4", "relu", "estimators"]
CRITIQUE_ESTIMATORS = [e for e in ("kde", "noisy") if e in available_estimators()]


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "report"
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(["reproduce", *TINY, "--out", str(out)])
    return out, code, printed.getvalue()


@pytest.fixture(scope="module")
def out(reproduced) -> Path:
    return reproduced[0]


def test_exit_code_and_terminal_summary(reproduced):
    _, code, printed = reproduced
    assert code == 0
    assert "phases of the main run (phases.parquet" in printed
    assert re.search(r"^ *L6 \(output\) ", printed, re.MULTILINE)
    for title in (
        "Most epochs are spent compressing",
        "drift-to-diffusion transition",
        "IB bound",
        "hidden layers are added",
        "ReLU",
        "estimator",
    ):
        assert title in printed
    assert re.search(r"report: .*index\.html", printed)


def test_every_run_directory(out):
    expected = RUNS + (["estimators"] if CRITIQUE_ESTIMATORS else [])
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(expected)
    for name in expected:
        run = out / "runs" / name
        assert (run / "config.toml").is_file()
        for table in ("information", "training", "gradients"):
            df = store.read_table(run, table)
            assert len(df) > 0
    info = store.read_table(out / "runs" / "depth-3", "information")
    assert sorted(info["layer"].unique()) == [1, 2, 3, 4]
    assert 'activation = "relu"' in (out / "runs" / "relu" / "config.toml").read_text()
    assert "train_fraction = 0.05" in (out / "runs" / "size-05" / "config.toml").read_text()
    if CRITIQUE_ESTIMATORS:
        est = store.read_table(out / "runs" / "estimators", "information")
        assert set(est["estimator"]) == {"binning", *CRITIQUE_ESTIMATORS}
        assert est["seed"].nunique() == 1


def test_ib_files_or_claim3_not_tested(out):
    claims = {c["key"]: c for c in json.loads((out / "claims.json").read_text())["claims"]}
    ib_run = out / "runs" / "ib-soft"
    if ib_unavailable(plots=False) is None:
        assert (ib_run / "ib_layers.parquet").is_file()
        assert (ib_run / "ib_curve.parquet").is_file()
        assert (out / "ib.parquet").is_file()
        assert claims["claim3"]["verdict"] in ("supported", "not supported")
    else:
        assert claims["claim3"]["verdict"] == "not tested"
        assert "not tested" in claims["claim3"]["finding"]


def test_figures_are_images(out):
    names = {p.name for p in (out / "figures").iterdir()}
    assert set(FIGURES) <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files
    for name in names:
        with Image.open(out / "figures" / name) as image:
            assert image.format == "PNG"
            assert image.size[0] > 300 and image.size[1] > 200


def test_tables(out):
    phases = pd.read_parquet(out / "phases.parquet")
    assert phases["layer"].tolist() == [1, 2, 3, 4, 5, 6]
    assert phases["hidden"].tolist() == [True] * 5 + [False]
    assert {
        "transition_epoch",
        "transition_median",
        "transition_q25",
        "transition_q75",
        "onset_epoch",
        "compression_bits",
        "compression_bits_q25",
        "compresses",
        "compression_fraction",
        "compression_fraction_log",
        "onset_octaves",
        "train_error_at_transition",
        "transition_early",
        "transition_late",
        "clear_transition",
        "transition_ci_low",
        "transition_ci_high",
        "onset_ci_low",
        "compression_bits_ci_low",
        "compression_bits_ci_high",
    } <= set(phases.columns)
    assert ((phases["compression_fraction"] >= 0) & (phases["compression_fraction"] <= 1)).all()
    depth = pd.read_parquet(out / "depth.parquet")
    assert depth["depth"].tolist() == [1, 2, 3, 4, 5, 6]
    assert {"error_epoch_ci_low", "error_epoch_ci_high"} <= set(depth.columns)
    assert depth.loc[depth["depth"] == 5, "run"].item() == "size-85"  # reused, not rerun
    comp = pd.read_parquet(out / "depth_compression.parquet")
    assert comp.groupby("depth")["layer"].max().tolist() == [2, 3, 4, 5, 6, 7]
    assert {"compression_time_ci_low", "compression_time_ci_high"} <= set(comp.columns)
    done = comp.dropna(subset=["compression_time"])
    assert (done["compression_time_ci_low"] <= done["compression_time"]).all()
    sizes = pd.read_parquet(out / "sizes.parquet")
    assert sorted(sizes["train_fraction"].unique()) == [0.05, 0.45, 0.85]
    critiques = pd.read_parquet(out / "critiques.parquet")
    assert {"relu", "tanh"} == set(critiques["network"])
    assert set(critiques["estimator"]) == {"binning", *CRITIQUE_ESTIMATORS}


def test_claims_json(out):
    data = json.loads((out / "claims.json").read_text())
    assert [c["key"] for c in data["claims"]] == CLAIMS
    for claim in data["claims"]:
        assert claim["verdict"] in ("supported", "not supported", "not tested", "not decided")
        assert claim["rule"] and claim["finding"]
    assert data["scale"]["seeds"] == 2 and data["scale"]["epochs"] == 40


def test_gif_is_animated(out):
    with Image.open(out / "information_plane.gif") as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 7  # epoch 0 and the 6 logged epochs


def test_html_is_self_contained(out):
    page = (out / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert len(sources) == len(FIGURES) + 1  # and the GIF
    assert all(s.startswith(("data:image/png;base64,", "data:image/gif;base64,")) for s in sources)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from the network
    for key in CLAIMS:
        assert f'id="{key}"' in page
    for name in FIGURES:
        assert name in page


def _chromium() -> str:
    """The Chromium binary, installed with apt-get where absent; skips if impossible."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip("Chromium is not installed and apt-get is not available to install it")
    try:
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "chromium"],
            check=True,
            capture_output=True,
            timeout=900,
            env=env,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"Chromium could not be installed with apt-get ({exc})")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get install chromium did not provide a chromium binary")
    return found


def _headless(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_html_renders_in_chromium_with_every_image(out, tmp_path):
    chromium = _chromium()
    url = (out / "index.html").resolve().as_uri()
    result = _headless(chromium, tmp_path / "profile", "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # no errors or messages from the page's scripts
    marker = re.search(r'<p id="image-check" data-status="(\w+)">([^<]*)<', result.stdout)
    assert marker is not None, "the page's image check did not run"
    assert marker.group(1) == "ok", marker.group(2)
    assert marker.group(2) == f"all {len(FIGURES) + 1} images loaded"
    shot = tmp_path / "report.png"
    result = _headless(
        chromium,
        tmp_path / "profile2",
        "--hide-scrollbars",
        "--window-size=1280,2000",
        f"--screenshot={shot}",
        url,
    )
    with Image.open(shot) as image:
        assert image.size == (1280, 2000)
        pixels = np.asarray(image.convert("L"))
        assert pixels.std() > 10  # not a blank page


def test_rerun_reads_back_finished_runs(out, monkeypatch):
    import infoplane.run

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(infoplane.run, "run", no_training)
    with redirect_stdout(io.StringIO()):
        assert main(["reproduce", *TINY, "--out", str(out)]) == 0
    assert (out / "index.html").is_file()


def test_ctrl_c_swallowed_in_a_destructor_still_exits_130(monkeypatch, tmp_path):
    import signal

    class Dying:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)  # lands where Python cannot raise it

    def fake_reproduce(out, *, scale, quiet, **dispatch):
        Dying()
        return None

    monkeypatch.setattr("infoplane.reproduce.reproduce", fake_reproduce)
    assert main(["reproduce", "--quick", "--quiet", "--out", str(tmp_path / "r")]) == 130


def test_user_errors_are_one_line_exit_2(tmp_path, capsys):
    assert main(["reproduce", "--seeds", "0", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "--seeds" in err
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert main(["reproduce", "--quick", "--out", str(a_file)]) == 2
    assert "not a directory" in capsys.readouterr().err


# The decision rules, on tables with known answers.


def _phases(compresses, fractions, octaves, hidden=None):
    n = len(compresses)
    return pd.DataFrame(
        {
            "layer": np.arange(1, n + 1),
            "hidden": hidden if hidden is not None else [True] * (n - 1) + [False],
            "compresses": compresses,
            "compression_fraction": fractions,
            "compression_fraction_log": fractions,
            "compression_bits": 1.0,
            "onset_epoch": 300.0,
            "transition_epoch": 300.0 / 2.0 ** np.array(octaves),
            "onset_octaves": octaves,
            "train_error_at_transition": 0.05,
        }
    )


def test_claim1_needs_most_hidden_layers_compressing_most_epochs():
    yes = _phases([True, True, True, False, False, True], [0.9, 0.8, 0.6, 0, 0, 0.9], [0] * 6)
    assert claim1(yes).supported is True
    short = _phases([True, True, True, False, False, True], [0.9, 0.4, 0.6, 0, 0, 0.9], [0] * 6)
    assert claim1(short).supported is False  # 2 of 5 hidden layers
    assert isinstance(claim1(yes), Verdict) and "3 of 5" in claim1(yes).finding


def test_claim2_onset_within_an_octave_of_the_transition():
    near = _phases([True, True, True, False, True], [0.9] * 5, [0.5, -0.9, 2.0, 0.0, 3.0])
    assert claim2(near).supported is True  # 2 of 3 compressing hidden layers
    far = _phases([True, True, True, False, True], [0.9] * 5, [1.5, -0.9, 2.0, 0.0, 0.0])
    assert claim2(far).supported is False
    none = _phases([False] * 3, [0.0] * 3, [0.0] * 3)
    assert claim2(none).supported is False and "No hidden layer" in claim2(none).finding


def _replicates(values_by_layer, column, n=100):
    """Replicates where layer l takes values_by_layer[l][b % len(...)] in replicate b."""
    rows = [
        {"replicate": b, "layer": layer, "hidden": hidden, column: values[b % len(values)]}
        for layer, (hidden, values) in values_by_layer.items()
        for b in range(n)
    ]
    return pd.DataFrame(rows)


def test_claim1_not_decided_when_the_seeds_disagree():
    yes = _phases([True, True, True, False, False, True], [0.9, 0.8, 0.6, 0, 0, 0.9], [0] * 6)
    # layer 3 is mostly compressing in half the resamples: the count straddles 2.5
    reps = pd.concat(
        [
            _replicates({1: (True, [0.9]), 2: (True, [0.8]), 3: (True, [0.6, 0.4]),
                         4: (True, [0.0]), 5: (True, [0.0]), 6: (False, [0.9])},
                        "compression_fraction")
        ]
    )
    reps["compresses"] = reps["compression_fraction"] > 0
    verdict = claim1(yes, reps)
    assert verdict.supported is None and verdict.undecided
    assert verdict.label == "not decided" and "95% interval over seeds: 2-3" in verdict.finding
    steady = reps.assign(compression_fraction=np.where(reps["layer"] == 3, 0.6,
                                                       reps["compression_fraction"]))
    assert claim1(yes, steady).supported is True and not claim1(yes, steady).undecided


def test_claim2_counts_only_clear_transitions_and_checks_the_band():
    near = _phases([True, True, True, False, True], [0.9] * 5, [0.5, -0.9, 2.0, 0.0, 3.0])
    near["clear_transition"] = True
    near["transition_early"] = near["transition_epoch"] / 1.05
    near["transition_late"] = near["transition_epoch"] * 1.05
    assert claim2(near).supported is True
    # the first two layers decay slowly: 1 of 3 compressing layers is clear
    unclear = near.assign(clear_transition=[False, False, True, True, True])
    verdict = claim2(unclear)
    assert verdict.label == "not decided" and "no clear transition" in verdict.finding
    # with the band's thresholds the onset is far from the transition
    wide = near.assign(transition_early=near["transition_epoch"] / 8)
    verdict = claim2(wide)
    assert verdict.label == "not decided" and "depends on the threshold" in verdict.finding


def test_claim3_uses_the_fit_residual():
    table = pd.DataFrame(
        {
            "layer": [1, 2, 3],
            "hidden": [True, True, False],
            "ixt": [5.0, 2.0, 1.0],
            "gap": [0.01, 0.05, 0.5],
            "beta": [30.0, 10.0, 2.0],
            "kl_at_beta": [0.1, 0.1, 0.9],
        }
    )
    verdict = claim3(table, 0.9)
    assert verdict.supported is True and "2 of 2 satisfy" in verdict.finding
    far = claim3(table.assign(kl_at_beta=[2.0, 1.0, 0.0]), 0.9)
    assert far.supported is False and "0 of 2 satisfy" in far.finding
    reps = _replicates({1: (True, [0.01]), 2: (True, [0.05, 0.2])}, "gap").assign(
        ixt=5.0, kl_at_beta=0.1
    )
    assert claim3(table, 0.9, replicates=reps).label == "not decided"


def test_claim4_not_decided_when_the_correlation_interval_straddles():
    depth = pd.DataFrame(
        {
            "depth": [1, 2, 3],
            "fit_median": [900.0, 500, 300],
            "fit_at_init": False,
            "error_epoch": [900.0, 500, 300],
        }
    )
    steady = pd.DataFrame(
        {"replicate": np.repeat(np.arange(10), 3), "depth": np.tile([1, 2, 3], 10),
         "error_epoch": np.tile([900.0, 500, 300], 10)}
    )
    assert claim4(depth, steady).supported is True
    mixed = steady.assign(
        error_epoch=np.where(steady["replicate"] % 2, steady["error_epoch"],
                             np.tile([300.0, 500, 900], 10))
    )
    verdict = claim4(depth, mixed)
    assert verdict.label == "not decided" and "95% interval over seeds" in verdict.finding


def test_claim3_gap_against_i_xy_or_not_tested():
    table = pd.DataFrame(
        {
            "layer": [1, 2, 3],
            "hidden": [True, True, False],
            "gap": [0.01, 0.05, 0.5],
            "beta": [30.0, 10.0, 2.0],
        }
    )
    assert claim3(table, 0.9).supported is True  # 0.01, 0.05 <= 0.09
    assert claim3(table.assign(gap=[0.01, 0.2, 0.0]), 0.9).supported is False
    missing = claim3(None, 0.9, note="no IB here")
    assert missing.supported is None and missing.label == "not tested"


def test_claim4_epochs_fall_with_depth():
    depth = pd.DataFrame(
        {
            "depth": [1, 2, 3, 4],
            "fit_median": [900.0, 500, 300, 100],
            "fit_at_init": False,
            "error_epoch": [900.0, 500, 300, 100],
        }
    )
    assert claim4(depth).supported is True
    # the verdict follows the training error, not the I(T;Y) measure
    flat = depth.assign(error_epoch=100.0)
    assert claim4(flat).supported is False
    rising = depth.assign(fit_median=[0.0, 0, 50, np.inf], fit_at_init=[True, True, False, False])
    verdict = claim4(rising)
    assert verdict.supported is True and "initialisation" in verdict.finding


def test_critiques():
    def layers(compresses, fractions=None):
        n = len(compresses)
        return pd.DataFrame(
            {
                "layer": range(1, n + 1),
                "hidden": [True] * (n - 1) + [False],
                "compresses": compresses,
                "compression_bits": 0.5,
                "compression_fraction": fractions or [0.9] * n,
            }
        )

    relu, tanh = layers([False, False, True, False]), layers([True, True, True, True])
    assert critique_relu(relu, tanh).supported is True
    assert critique_relu(tanh, tanh).supported is False
    both = pd.concat(
        [
            layers([True, True, True, False]).assign(estimator="binning"),
            layers([False, False, True, False]).assign(estimator="kde"),
        ]
    )
    assert critique_estimators(both).supported is True
    same = pd.concat(
        [layers([True, True, True, False]).assign(estimator=e) for e in ("binning", "kde")]
    )
    assert critique_estimators(same).supported is False
    alone = critique_estimators(pd.DataFrame(), ("kde", "noisy"))
    assert alone.supported is None and "kde, noisy" in alone.finding


# The whole pipeline on synthetic runs whose answers are known (and with IB files).


def _fake_run(config, out, *, quiet=False, plots=True):
    """Stands in for infoplane.run.reuse_or_run: tables with known phases, written like a run.

    Hidden layers 3.. of tanh networks compress from 30% of training on, where every
    layer's gradient SNR crosses 1; ReLU layers and the kde estimator never compress;
    the last hidden layer fits (I(T;Y) >= 0.95 bits) sooner in deeper networks; the
    soft-label run writes the IB files, every hidden layer within 0.02 bits of the bound.
    """
    import matplotlib.pyplot as plt

    from infoplane.nets.schedule import log_spaced_epochs
    from infoplane.run import RunResult

    out = Path(out)
    store.write_text(out / "config.toml", config.to_toml())
    logged = log_spaced_epochs(config.epochs, config.log_epochs)
    n_layers = len(config.widths) + 1
    seeds = np.arange(config.seed, config.seed + config.seeds)
    onset = logged[np.argmin(np.abs(np.log(1 + logged) - np.log(1 + 0.3 * config.epochs)))]
    fit_epoch = config.epochs / (2 * n_layers)
    info = []
    for name in config.estimators:
        for layer in range(1, n_layers + 1):
            top = 12.0 - 1.5 * layer
            falls = layer >= 3 and config.activation == "tanh" and name != "kde"
            ixt = np.where(
                logged <= onset,
                top - 1 + logged / max(onset, 1),
                top - falls * (logged - onset) / (config.epochs - onset),
            )
            ity = np.minimum(1.0, logged / fit_epoch) if layer == n_layers - 1 else 0.5
            for seed in seeds:
                info.append(
                    pd.DataFrame(
                        {
                            "seed": seed,
                            "epoch": logged,
                            "layer": layer,
                            "estimator": name,
                            "ixt": ixt,
                            "ity": ity,
                        }
                    )
                )
    information = pd.concat(info, ignore_index=True)
    acc = np.minimum(1.0, 0.5 + 0.5 * logged * len(config.widths) / config.epochs)
    training = pd.concat(
        [
            pd.DataFrame(
                {
                    "seed": seed,
                    "epoch": logged,
                    "train_loss": 1 - acc,
                    "train_accuracy": acc,
                    "test_loss": 1 - acc,
                    "test_accuracy": acc,
                }
            )
            for seed in seeds
        ],
        ignore_index=True,
    )
    e = np.arange(1, config.epochs + 1)
    gradients = pd.concat(
        [
            pd.DataFrame(
                {
                    "seed": seed,
                    "epoch": e,
                    "layer": layer,
                    "grad_mean_norm": (0.3 * config.epochs / e) ** 2,  # a clear drop
                    "grad_std_norm": 1.0,
                    "weight_norm": 1.0,
                    "snr": (0.3 * config.epochs / e) ** 2,
                }
            )
            for seed in seeds
            for layer in range(1, n_layers + 1)
        ],
        ignore_index=True,
    )
    for name, table in (
        ("information", information),
        ("training", training),
        ("gradients", gradients),
    ):
        store.write_table(out, name, table)
    if config.soft_labels is not None:
        last = information[information["epoch"] == logged[-1]]
        store.write_table(
            out,
            "ib_layers",
            last.drop(columns="estimator").assign(
                gap=np.where(last["layer"] < n_layers, 0.02, 0.3),
                beta=1.0 + last["layer"],
                kl_at_beta=0.01,
            ),
        )
        store.write_table(
            out,
            "ib_curve",
            pd.DataFrame({"beta": [1.0, 10.0], "ixt": [0.0, 12.0], "ity": [0.0, 0.9]}),
        )
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 12], [0, 0.9])
        fig.savefig(out / "ib_bound.png")
        plt.close(fig)
    return RunResult(
        out=out,
        information=information,
        training=training,
        gradients=gradients,
        epochs_trained=config.epochs,
        interrupted=False,
        seconds={"total": 0.0},
    )


def test_decisions_on_synthetic_runs_with_ib_files(monkeypatch, tmp_path):
    from infoplane.reproduce import Scale, reproduce

    monkeypatch.setattr("infoplane.reproduce._dispatch.reuse_or_run", _fake_run)
    scale = Scale(
        seeds=3,
        epochs=1000,
        log_epochs=30,
        critique_seeds=2,
        critique_log_epochs=10,
        gif_frames=4,
        run_plots=False,
    )
    result = reproduce(tmp_path / "r", scale=scale, quiet=True)
    verdicts = {v.key: v.label for v in result.verdicts}
    assert verdicts["claim1"] == "supported"  # layers 3, 4, 5 of 5 compress 70% of epochs
    assert verdicts["claim2"] == "supported"  # onset at the transition, 0.3 x epochs
    assert verdicts["claim3"] == "supported"  # hidden layers 0.02 bits from the bound
    assert verdicts["claim4"] == "supported"  # deeper networks fit sooner
    assert verdicts["relu"] == "supported"  # ReLU layers never compress
    if CRITIQUE_ESTIMATORS == ["kde", "noisy"]:
        assert verdicts["estimators"] == "supported"  # kde sees no compression
    phases = result.phases.set_index("layer")
    assert phases.loc[3, "onset_octaves"] == pytest.approx(0.0, abs=0.3)
    assert phases.loc[3, "transition_epoch"] == pytest.approx(300, rel=0.03)
    ib = pd.read_parquet(tmp_path / "r" / "ib.parquet")
    assert ib["gap"].tolist() == pytest.approx([0.02] * 5 + [0.3])
    assert ib["kl_at_beta"].tolist() == pytest.approx([0.01] * 6)
    page = (tmp_path / "r" / "index.html").read_text()
    assert "Figure 6: the layers against the IB bound" in page
    assert len(re.findall(r'<img src="data:image/', page)) == len(FIGURES) + 1  # + the GIF
    depth = pd.read_parquet(tmp_path / "r" / "depth.parquet")
    assert (np.diff(depth["fit_median"]) < 0).all()


def test_workers_0_runs_here_one_after_another_with_progress(monkeypatch, tmp_path):
    # was: --workers 0 went through the Dask dispatch ("11 runs on Dask") with every
    # run quiet, so the progress bar stood still through all the training
    from infoplane.reproduce import QUICK, reproduce

    class Stop(Exception):
        pass

    def no_dask(*args, **kwargs):
        raise AssertionError("--workers 0 must not dispatch")

    calls = []

    def first_run(config, out, *, quiet=False, plots=True):
        calls.append(quiet)
        raise Stop

    monkeypatch.setattr("infoplane.sweep._runs.run_configs", no_dask)
    monkeypatch.setattr("infoplane.reproduce._dispatch.reuse_or_run", first_run)
    with pytest.raises(Stop):
        reproduce(tmp_path / "r", scale=QUICK, quiet=False, workers=0)
    assert calls == [False]
