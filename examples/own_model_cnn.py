"""Your own CNN in the information plane: a plain PyTorch loop on scikit-learn's digits.

    python examples/own_model_cnn.py --epochs 100     # writes runs/own_model_cnn/

The monitor adds five lines to the loop (marked "# monitor"). The probe set, whose
I(X;T) and I(T;Y) are measured, is all 1797 digits (as the paper used all inputs);
the network trains on 80% of them.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from infoplane.torch import InformationPlaneMonitor


class SmallCnn(nn.Module):
    def __init__(self, activation: type[nn.Module]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3)   # 8x8 -> 4 x 6x6
        self.act1 = activation()
        self.pool = nn.MaxPool2d(2)                  # -> 4 x 3x3
        self.fc1 = nn.Linear(36, 8)
        self.act2 = activation()
        self.fc2 = nn.Linear(8, 4)
        self.act3 = activation()
        self.out = nn.Linear(4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(self.act1(self.conv(x))).flatten(1)
        return self.out(self.act3(self.fc2(self.act2(self.fc1(h)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    parser.add_argument("--out", default="runs/own_model_cnn")
    args = parser.parse_args()

    digits = load_digits()
    X = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)  # [0, 1]
    y = torch.tensor(digits.target)
    torch.manual_seed(0)
    train = torch.randperm(len(X))[: int(0.8 * len(X))]
    model = SmallCnn(nn.Tanh if args.activation == "tanh" else nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    monitor = InformationPlaneMonitor(  # monitor
        model, probe=(X, y), layers=["act1", "act2", "act3", "output"],
        epochs=args.epochs, out=args.out, overwrite=True,  # a rerun replaces the last
    )
    with monitor:  # monitor
        for epoch in range(args.epochs):
            model.train()
            for idx in train[torch.randperm(len(train))].split(128):
                loss = F.cross_entropy(model(X[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                monitor.after_backward()  # monitor: gradient statistics
                opt.step()
            monitor.end_epoch(epoch + 1, metrics=evaluate(model, X, y, train))  # monitor
    result = monitor.finish()  # monitor: tables and figures
    print(f"wrote {result.out}: {len(result.information)} information rows")


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, train: torch.Tensor) -> dict:
    """Loss (nats) and accuracy on the training and held-out digits."""
    model.eval()
    test = torch.ones(len(X), dtype=torch.bool)
    test[train] = False
    with torch.no_grad():
        logits = model(X)
    metrics = {}
    for split, mask in (("train", ~test), ("test", test)):
        metrics[f"{split}_loss"] = F.cross_entropy(logits[mask], y[mask]).item()
        metrics[f"{split}_accuracy"] = (logits[mask].argmax(1) == y[mask]).float().mean().item()
    return metrics


if __name__ == "__main__":
    main()
