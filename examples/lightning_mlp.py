"""Your own Lightning model in the information plane: an MLP on scikit-learn's digits.

    python examples/lightning_mlp.py --epochs 100     # writes runs/lightning_mlp/

Needs ``pip install 'infoplane[lightning]'``. The callback is the only addition to an
ordinary LightningModule and Trainer; the probe set is all 1797 digits.
"""

from __future__ import annotations

import argparse

import lightning
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from infoplane.torch.lightning import InformationPlaneCallback


class DigitsMlp(lightning.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, 10), nn.Tanh(), nn.Linear(10, 7), nn.Tanh(),
            nn.Linear(7, 5), nn.Tanh(), nn.Linear(5, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], _: int) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        accuracy = (logits.argmax(1) == y).float().mean()
        self.log_dict({"train_loss": loss, "train_accuracy": accuracy},
                      on_step=False, on_epoch=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--out", default="runs/lightning_mlp")
    args = parser.parse_args()

    digits = load_digits()
    X = torch.tensor(digits.data / 16.0, dtype=torch.float32)  # pixels in [0, 1]
    y = torch.tensor(digits.target)
    lightning.seed_everything(0, verbose=False)
    callback = InformationPlaneCallback(probe=(X, y), out=args.out, overwrite=True)
    trainer = lightning.Trainer(
        max_epochs=args.epochs, accelerator="cpu", callbacks=[callback], logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )
    loader = DataLoader(TensorDataset(X, y), batch_size=128, shuffle=True)
    trainer.fit(DigitsMlp(), loader)
    print(f"wrote {callback.out}: {len(callback.result.information)} information rows")


if __name__ == "__main__":
    main()
