"""Training checkpoints: one file per logged epoch, appended, never rewritten.

``RUN_DIR/checkpoint/seeds-<first>-<last>/epoch-<epoch>.npz`` holds, after ``epoch``
epochs, the engine's state (:class:`~infoplane.nets.ensemble.EngineState`: parameters,
optimizer moments, step counts, each seed's minibatch-order state) and the gradient
statistics of the epochs since the previous checkpoint. The parameters double as
the recorder's snapshot of that epoch, so the files together hold everything a run
has trained. Every array has the seeds on its first axis (``grad_stats``: second),
and each shard of seeds has its own folder, so seeds can be split across workers.
Files are written atomically: a killed run leaves only whole checkpoints.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infoplane.nets.ensemble import EngineState
from infoplane.store import _atomic

DIR = "checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: the state after ``epoch`` epochs and the gradient statistics
    of the epochs since the previous one, (epochs, seeds, layers, 3)."""

    epoch: int
    state: EngineState
    grad_stats: np.ndarray


def folder(run_dir: str | Path, seeds: tuple[int, ...]) -> Path:
    """The checkpoint folder of the seed shard ``seeds`` (consecutive integers)."""
    return Path(run_dir) / DIR / f"seeds-{seeds[0]}-{seeds[-1]}"


def save(run_dir: str | Path, seeds: tuple[int, ...], checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` as a new file of the seeds' folder; returns its path."""
    path = folder(run_dir, seeds) / f"epoch-{checkpoint.epoch:06d}.npz"
    s = checkpoint.state
    arrays = {
        "epoch": np.int64(checkpoint.epoch), "seeds": np.asarray(seeds, dtype=np.int64),
        "params": s.params, "m": s.m, "v": s.v, "steps": s.steps,
        "order_states": s.order_states, "grad_stats": checkpoint.grad_stats,
    }

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez(handle, **arrays)

    _atomic(path, write)
    return path


def load(run_dir: str | Path, seeds: tuple[int, ...]) -> list[Checkpoint]:
    """The seeds' checkpoints in epoch order, up to the first unreadable file (if any)."""
    found = []
    for path in sorted(folder(run_dir, seeds).glob("epoch-*.npz")):
        try:
            with np.load(path) as f:
                if f["seeds"].tolist() != list(seeds):
                    break
                found.append(Checkpoint(
                    epoch=int(f["epoch"]),
                    state=EngineState(
                        params=f["params"], m=f["m"], v=f["v"], steps=f["steps"],
                        order_states=f["order_states"],
                    ),
                    grad_stats=f["grad_stats"],
                ))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            break  # a file cut short (e.g. a full disk): continue from the one before
    return found


def remove_after(run_dir: str | Path, seeds: tuple[int, ...], epoch: int) -> None:
    """Delete the seeds' checkpoints later than ``epoch`` (unusable after a gap)."""
    for path in folder(run_dir, seeds).glob("epoch-*.npz"):
        if int(path.stem.split("-")[1]) > epoch:
            path.unlink(missing_ok=True)
