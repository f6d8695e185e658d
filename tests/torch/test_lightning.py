"""The Lightning callback with a real Trainer on the CPU."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

lightning = pytest.importorskip("lightning")

from infoplane.store import read_table  # noqa: E402
from infoplane.torch.lightning import InformationPlaneCallback  # noqa: E402


class _Module(lightning.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        self.log("acc", (logits.argmax(1) == y).float().mean(), on_epoch=True, on_step=False)
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def test_a_trainer_fit_writes_the_run_directory(tmp_path):
    torch.manual_seed(0)
    X = torch.rand(64, 6)
    y = (X[:, 0] * 3).long().clamp(max=2)
    out = tmp_path / "run"
    callback = InformationPlaneCallback(
        (X, y), out=out, metrics={"train_loss": "train_loss", "train_accuracy": "acc"},
    )
    module = _Module()
    trainer = lightning.Trainer(
        max_epochs=3, accelerator="cpu", callbacks=[callback], logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(module, DataLoader(TensorDataset(X, y), batch_size=16))
    information = read_table(out, "information")
    assert set(information["epoch"]) == {0, 1, 2, 3}
    assert list(dict.fromkeys(information["layer_name"])) == ["net.1", "output"]
    gradients = read_table(out, "gradients")
    assert sorted(set(gradients["epoch"])) == [1, 2, 3]
    training = read_table(out, "training")
    assert training["train_loss"].notna().all() and training["train_accuracy"].between(0, 1).all()
    assert (out / "information_plane.png").is_file()
    assert all(not m._forward_hooks for m in module.modules())


def _fit(tmp_path, out, max_epochs, *, ckpt_path=None, checkpoints=False):
    torch.manual_seed(0)
    X = torch.rand(64, 6)
    y = (X[:, 0] * 3).long().clamp(max=2)
    callback = InformationPlaneCallback((X, y), out=out, epochs=6, log_epochs=6,
                                        metrics={"train_loss": "train_loss"})
    module = _Module()
    trainer = lightning.Trainer(
        max_epochs=max_epochs, accelerator="cpu", callbacks=[callback], logger=False,
        enable_checkpointing=checkpoints, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=tmp_path,
    )
    trainer.fit(module, DataLoader(TensorDataset(X, y), batch_size=16), ckpt_path=ckpt_path)
    return trainer


def test_a_checkpoint_resume_continues_the_tables_as_one_fit(tmp_path):
    _fit(tmp_path / "a", tmp_path / "whole", 6)
    first = _fit(tmp_path / "b", tmp_path / "resumed", 3, checkpoints=True)
    ckpt = first.checkpoint_callback.best_model_path
    assert ckpt and read_table(tmp_path / "resumed", "gradients")["epoch"].max() == 3
    _fit(tmp_path / "b", tmp_path / "resumed", 6, ckpt_path=ckpt, checkpoints=True)
    for name in ("information", "gradients", "training"):
        whole = read_table(tmp_path / "whole", name)
        resumed = read_table(tmp_path / "resumed", name)
        assert len(resumed) == len(whole) > 0
        pd.testing.assert_frame_equal(resumed, whole, check_dtype=False)
