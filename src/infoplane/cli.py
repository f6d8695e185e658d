"""The ``infoplane`` command line: thin, it parses, calls the API and prints.

User errors (bad flags, malformed files, impossible settings) print one line and
exit with code 2. Ctrl-C during a run keeps what was trained and exits with 130.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from infoplane.errors import InfoplaneError, check, wrapped_interrupt

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""128 + the signal number: Ctrl-C (SIGINT) and SIGTERM."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (work kept, status interrupted), exit code 143."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def _number_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers like 10,7,5,4,3, got {text!r}"
        ) from None


def _out_dir(text: str) -> Path:
    """An output directory: not empty, and not an existing file."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory, got an empty path")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a directory")
    return path


def _estimator_option(text: str) -> tuple[str, str, Any]:
    import tomllib

    name_key, sep, raw = text.partition("=")
    name, dot, key = name_key.partition(".")
    if not (sep and dot and name and key):
        raise argparse.ArgumentTypeError(
            f"expected NAME.KEY=VALUE like kde.sigma2=0.05, got {text!r}"
        )
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return name, key, value


def _add_run_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("experiment (defaults: the paper's preset)")
    g.add_argument("--config", type=Path, help="TOML file with the same keys as these flags "
                   "(snake_case); flags given here override it")
    g.add_argument("--dataset", help="'ico12' (default: var_u's label statistics), "
                   "'tishby12' (the earlier built-in rule), 'digits', a .mat (F, y) / .npz "
                   "(X, y) / .csv file, a directory of MNIST-style IDX files, or IMAGES,LABELS "
                   "IDX files")
    g.add_argument("--label-column", metavar="NAME|INDEX", help="CSV only: the label column, "
                   "by header name or index (default: the last)")
    g.add_argument("--probe-size", type=int, help="samples on which the information is "
                   "measured: all of a smaller data set, else a fixed sample (default 10000)")
    g.add_argument("--soft-labels", type=float, metavar="GAMMA",
                   help="built-in tasks only: train on labels drawn from p(y=1|x) = "
                   "sigmoid(GAMMA (score(x) - theta))")
    g.add_argument("--widths", type=_number_list, help="hidden layer widths (default 10,7,5,4,3)")
    g.add_argument("--activation", help="tanh (default), relu, sigmoid, softsign, softplus, "
                   "elu, silu or linear")
    g.add_argument("--optimizer", help="adam (default) or sgd")
    g.add_argument("--lr", type=float, help="learning rate (default 4e-4)")
    g.add_argument("--momentum", type=float, help="SGD momentum (default 0)")
    g.add_argument("--weight-decay", type=float, help="L2 weight decay (default 0)")
    g.add_argument("--batch-size", type=int, help="minibatch size; >= train size means full "
                   "batch (default 512)")
    g.add_argument("--epochs", type=int, help="training epochs (default 10000)")
    g.add_argument("--seeds", type=int, help="networks trained at once (default 50)")
    g.add_argument("--seed", type=int, help="first seed; seeds are seed..seed+seeds-1 "
                   "(default 0)")
    g.add_argument("--train-fraction", type=float, help="fraction of samples for training, "
                   "in (0, 1] (default 0.85); unused when IDX t10k files fix the test split")
    g.add_argument("--bins", type=int, help="equal bins per unit (each unit's range is cut "
                   "into this many) for binning and --ib, short for binning.bins; also "
                   "adaptive's bin count unless adaptive.bins is given; beats the config "
                   "file's (default 30)")
    g.add_argument("--log-epochs", type=int, help="about how many log-spaced epochs to measure "
                   "the information at (default 250)")
    g.add_argument("--estimator", action="append", dest="estimators", metavar="NAME",
                   help="MI estimator, repeatable (default binning)")
    g.add_argument("--estimator-option", action="append", type=_estimator_option,
                   metavar="NAME.KEY=VALUE", help="an estimator option, repeatable, "
                   "e.g. kde.sigma2=0.05")
    g.add_argument("--ib", action="store_true", default=None,
                   help="also place the layers against the Information Bottleneck bound")
    g.add_argument("--device", help="cpu (default) or cuda")
    p.add_argument("--out", type=_out_dir, help="run directory (default runs/DATASET-TIME)")
    p.add_argument("--overwrite", action="store_true", help="replace the run that --out "
                   "holds (its own files only; anything else there is kept)")
    p.add_argument("--resume", type=Path, metavar="DIR", help="continue the interrupted or "
                   "killed run in DIR, with DIR's config.toml (no other experiment flags)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def build_parser() -> argparse.ArgumentParser:
    from infoplane import __version__

    parser = _Parser(prog="infoplane", description="The information plane of deep networks "
                     "(Shwartz-Ziv & Tishby 2017): train, estimate, plot.")
    parser.add_argument("--version", action="version", version=f"infoplane {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="train networks and measure their information plane")
    _add_run_flags(run)
    plot = sub.add_parser("plot", help="redraw a run's figures from its files")
    plot.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    curve = sub.add_parser("ib-curve", help="compute a data set's Information Bottleneck bound")
    curve.add_argument("--dataset", default="ico12",
                       help="'ico12' (default), 'tishby12', 'digits' or a data file as for run")
    curve.add_argument("--soft-labels", type=float, metavar="GAMMA",
                       help="built-in tasks only: p(y=1|x) = sigmoid(GAMMA (score(x) - theta))")
    curve.add_argument("--betas", type=int, default=200, help="betas swept (default 200)")
    curve.add_argument("--out", type=_out_dir, required=True, help="output directory")
    curve.add_argument("--quiet", action="store_true", help="print nothing")
    rep = sub.add_parser("reproduce", help="every experiment of the paper and its critiques, "
                         "one HTML report")
    rep.add_argument("--out", type=_out_dir, help="output directory (default "
                     "runs/reproduce-TIME): runs/, figures/, tables, index.html")
    rep.add_argument("--quick", action="store_true", help="a reduced version (5 seeds, 2000 "
                     "epochs) for a first look in a minute or two; default: the paper's "
                     "scale, 50 seeds x 10000 epochs (about 23 min on 2 cores)")
    rep.add_argument("--seeds", type=int, help="override the seeds of every run")
    rep.add_argument("--epochs", type=int, help="override the training epochs of every run")
    rep.add_argument("--log-epochs", type=int, help="override the logged epochs of every run")
    rep.add_argument("--critique-seeds", type=int, help="seeds of the kde/noisy estimator "
                     "run (default 50, the binning runs' seeds; quick 1)")
    rep.add_argument("--critique-log-epochs", type=int, help="about how many "
                     "log-spaced epochs the kde/noisy estimator run measures (default 6: "
                     "epochs 0, 1, 6, 40, 251, 1585, 10000; quick 6)")
    rep.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    _add_dask_flags(rep, what="runs")
    _add_sweep_parser(sub)
    return parser


def _add_dask_flags(p: argparse.ArgumentParser, *, what: str) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help=f"make the {what} on a local Dask cluster "
                       "of this many worker processes, one thread each (sweep default: the "
                       "number of cores); 0 runs them in this process without Dask")
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, "
                       "e.g. tcp://host:8786 (the workers must see --out at the same path)")


def _add_sweep_parser(sub: Any) -> None:
    sw = sub.add_parser("sweep", help="many runs from a SWEEP.toml grid, on Dask; resumable")
    sw.add_argument("sweep_file", type=Path, metavar="SWEEP.toml",
                    help="[base] run keys, [grid] axes (their product), [zip] axes that "
                    "move together")
    sw.add_argument("--out", type=_out_dir, required=True, help="sweep directory: runs/, "
                    "sweep.parquet, information/training/gradients.parquet, sweep.png")
    _add_dask_flags(sw, what="runs")
    sw.add_argument("--dry-run", action="store_true", help="list the runs and their state")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def resolve_config(args: argparse.Namespace) -> tuple[Any, Path, bool]:
    """The run's config (file, then flags), output directory and quietness."""
    from infoplane.config import RunConfig, check_types, read_toml
    from infoplane.errors import check

    values: dict[str, Any] = {}
    out, quiet = args.out, bool(args.quiet)
    if args.config is not None:
        values = read_toml(args.config)
        check_types(values, source=str(args.config))
        file_out = values.pop("out", None)
        quiet = values.pop("quiet", False) or quiet
        if out is None and file_out is not None:
            check(bool(file_out.strip()), f"{args.config}: out must not be empty")
            out = Path(file_out)
    skip = {"command", "config", "out", "quiet", "estimator_option", "overwrite", "resume"}
    for key, value in vars(args).items():
        if key not in skip and value is not None:
            values[key] = value
    options = {name: dict(opts) for name, opts in values.get("estimator_options", {}).items()}
    flag_options = args.estimator_option or []
    if args.bins is not None:  # --bins is binning.bins: it beats the file's, like every flag
        options.get("binning", {}).pop("bins", None)
        for name, key, value in flag_options:
            check(
                (name, key) != ("binning", "bins") or value == args.bins,
                f"--bins {args.bins} and --estimator-option binning.bins={value} disagree; "
                "give one of them",
            )
    for name, key, value in flag_options:
        options.setdefault(name, {})[key] = value
    options = {name: opts for name, opts in options.items() if opts}  # no empty tables
    if options:
        values["estimator_options"] = options
    else:
        values.pop("estimator_options", None)
    config = RunConfig.from_mapping(values, source=str(args.config or "command line"))
    if out is None:
        stem = Path(config.dataset).stem
        out = Path("runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    return config, out, quiet


def cmd_run(args: argparse.Namespace) -> int:
    if args.resume is not None:
        given = [f"--{key.replace('_', '-')}" for key, value in vars(args).items()
                 if value not in (None, False) and key not in {"command", "resume", "quiet"}]
        if given:
            raise InfoplaneError(f"--resume takes the config from {args.resume}/config.toml; "
                                 f"drop {', '.join(given)}")
        out, quiet = args.resume, bool(args.quiet)
    else:
        config, out, quiet = resolve_config(args)
        from infoplane._prewarm import start_early

        start_early(config)  # a cold cache: compile in children while the run imports
    from infoplane.run import resume, run, summary

    try:
        if args.resume is not None:
            result = resume(out, quiet=quiet)
        else:
            result = run(config, out, quiet=quiet, overwrite=args.overwrite)
    except KeyboardInterrupt:
        print(interrupted_message(out), file=sys.stderr)
        return _interrupted_code()
    if result.interrupted:
        print(interrupted_message(out, result.epochs_trained), file=sys.stderr)
        return _interrupted_code()
    if not quiet:
        print(summary(result))
    return 0


def interrupted_message(out: object, epochs_trained: int | None = None) -> str:
    """The one line printed when a run stops on Ctrl-C or SIGTERM, in training or after."""
    trained = "" if epochs_trained is None else f" ({epochs_trained} epochs trained)"
    return (f"infoplane: interrupted; what was trained and measured is kept in {out}{trained}: "
            f"infoplane run --resume {out} continues it")


def cmd_plot(args: argparse.Namespace) -> int:
    from infoplane import store
    from infoplane.plots import write_run_figures

    status = store.check_complete(args.run_dir, allow_interrupted=True)
    if status is not None and status.state != "complete":
        print(f"infoplane: note: {args.run_dir} is {status.describe()}; the figures show "
              "what it measured so far", file=sys.stderr)
    tables = [store.read_table(args.run_dir, name, complete=False)
              for name in ("information", "training", "gradients")]
    order = _estimator_order(args.run_dir)
    for path in write_run_figures(args.run_dir, *tables, estimators=order):
        print(path)
    return 0


def _estimator_order(run_dir: Path) -> tuple[str, ...]:
    """The estimators as the run's config.toml names them (the first is the main one)."""
    from infoplane import store
    from infoplane.config import read_toml

    path = run_dir / store.CONFIG
    names = read_toml(path).get("estimators", ()) if path.is_file() else ()
    return tuple(n for n in names if isinstance(n, str)) if isinstance(names, tuple) else ()


def cmd_ib_curve(args: argparse.Namespace) -> int:
    import pandas as pd

    from infoplane import bound, store
    from infoplane.datasets import load_dataset
    from infoplane.plots import write_ib_figure

    check(args.betas >= 2, f"--betas must be >= 2, got {args.betas}")
    data = load_dataset(args.dataset, soft_labels=args.soft_labels)
    curve, table = bound.curve_table(data, n_betas=args.betas)
    store.write_table(args.out, "ib_curve", table)
    no_layers = pd.DataFrame(columns=list(store.SCHEMAS["ib_layers"]))
    write_ib_figure(table, no_layers, args.out / "ib_curve.png")
    if not args.quiet:
        print(bound.describe(curve))
        print(f"wrote {args.out / 'ib_curve.parquet'} and {args.out / 'ib_curve.png'}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from infoplane.reproduce import FULL, QUICK, reproduce, summary

    scale = (QUICK if args.quick else FULL).override(
        seeds=args.seeds, epochs=args.epochs, log_epochs=args.log_epochs,
        critique_seeds=args.critique_seeds, critique_log_epochs=args.critique_log_epochs,
    )
    out = args.out or Path("runs") / f"reproduce-{time.strftime('%Y%m%d-%H%M%S')}"
    result = reproduce(out, scale=scale, quiet=args.quiet, workers=args.workers,
                       scheduler=args.scheduler)
    if not args.quiet:
        print(summary(result))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from infoplane.sweep import describe_plan, load_plan, summary, sweep

    plan = load_plan(args.sweep_file)
    if args.dry_run:
        print(describe_plan(plan, args.out))
        return 0
    result = sweep(plan, args.out, workers=args.workers, scheduler=args.scheduler,
                   quiet=args.quiet)
    if not args.quiet or result.failures:
        print(summary(result), file=sys.stderr if result.failures else sys.stdout)
    if result.interrupted:
        print(f"interrupted: run the same command again to resume {args.out}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_USER_ERROR if result.failures else 0


COMMANDS = {"run": cmd_run, "plot": cmd_plot, "ib-curve": cmd_ib_curve,
            "reproduce": cmd_reproduce, "sweep": cmd_sweep}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default sys.argv[1:]); returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a bad command line (code 2)
        return int(exc.code or 0)
    _received.clear()
    try:
        with _signals_as_interrupts():
            code = COMMANDS[args.command](args)
            if _received and code == 0:  # an interrupt swallowed (e.g. in a __del__)
                raise KeyboardInterrupt
            return code
    except InfoplaneError as exc:
        print(f"infoplane: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("infoplane: interrupted", file=sys.stderr)
        return _interrupted_code()
    except SystemError as exc:  # Ctrl-C inside a compiled kernel's callback
        if wrapped_interrupt(exc) is None:
            raise
        print("infoplane: interrupted", file=sys.stderr)
        return _interrupted_code()


_received: list[int] = []
"""The signals (SIGINT, SIGTERM) received while the current command runs."""


def _interrupted_code() -> int:
    return EXIT_TERMINATED if signal.SIGTERM in _received else EXIT_INTERRUPTED


@contextlib.contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt (Terminated) and are remembered.

    An interrupt raised where Python cannot propagate it (a destructor or weakref
    callback prints "Exception ignored in ...") is delivered again, and remembered,
    so that it is never lost.
    """
    import _thread
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: object) -> None:
        _received.append(signum)
        raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()

    def on_unraisable(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and _received:
            _thread.interrupt_main(_received[-1])
        else:
            previous_hook(unraisable)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    previous_hook, sys.unraisablehook = sys.unraisablehook, on_unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
