"""Which modules of a user's model are watched, under which names, with which weights."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from infoplane.errors import InfoplaneError, check

OUTPUT = "output"
"""The name of the model's own output as a layer (softmax probabilities by default)."""

ACTIVATION_MODULES: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
    nn.Mish, nn.Softplus, nn.Tanh, nn.Sigmoid, nn.Softsign, nn.Hardtanh, nn.Hardsigmoid,
    nn.Hardswish, nn.Softmax,
)
"""Module types that ``layers="auto"`` watches: each one's output is a layer T."""

BOUNDED_MODULES: tuple[type[nn.Module], ...] = (
    nn.Tanh, nn.Sigmoid, nn.Softsign, nn.Softmax, nn.Hardsigmoid,
)
"""Modules whose outputs lie in [-1, 1]: binned over [-1, 1] as in the paper."""

Pick = int | Callable[[Any], torch.Tensor] | None


@dataclass(frozen=True)
class Watched:
    """One watched layer: its table name, the hooked module and how its output is read.

    ``pick`` selects the tensor of a tuple output (an index or a function); ``softmax``
    turns the output into probabilities (the model's output, as the paper measured);
    ``weight`` is the parameter whose gradient statistics are the layer's (None: none).
    """

    name: str
    module: nn.Module
    pick: Pick
    softmax: bool
    bounded: bool
    weight: nn.Parameter | None
    weight_name: str


def resolve_layers(model: nn.Module, layers: Any, *, output_softmax: bool) -> list[Watched]:
    """The watched layers of ``model`` from names, modules, (layer, pick) pairs or "auto".

    Raises InfoplaneError for an unknown name, a module outside ``model``, a bad pick
    or a repeated layer.
    """
    check(isinstance(model, nn.Module), f"model must be a torch.nn.Module, got {type(model)}")
    if isinstance(layers, str | nn.Module | tuple):
        layers = [layers]
    specs = _auto(model) if layers == ["auto"] else list(layers)
    check(len(specs) > 0, "layers must name at least one layer")
    names = {id(m): n for n, m in reversed(list(model.named_modules()))}  # first name wins
    order = [m for _, m in model.named_modules()]
    watched = []
    for spec in specs:
        pick: Pick = None
        if isinstance(spec, tuple):
            check(len(spec) == 2, f"a layer pair must be (layer, pick), got {spec!r}")
            spec, pick = spec
            check(
                (isinstance(pick, int) and not isinstance(pick, bool)) or callable(pick),
                f"pick the element of a tuple output by index or function, got {pick!r}",
            )
        module, name = _module(model, spec, names)
        if pick is not None:
            name = f"{name}[{pick}]" if isinstance(pick, int) else f"{name}[pick]"
        softmax = module is model and output_softmax
        weight, weight_name = _weight(model, module, order, names)
        watched.append(Watched(
            name=name, module=module, pick=pick, softmax=softmax,
            bounded=softmax or _bounded(module), weight=weight, weight_name=weight_name,
        ))
    seen = [w.name for w in watched]
    repeated = sorted({n for n in seen if seen.count(n) > 1})
    check(not repeated, f"layer(s) {', '.join(map(repr, repeated))} named more than once")
    return watched


def _auto(model: nn.Module) -> list[Any]:
    """Every activation module (else every parametrised leaf but the last), and the output."""
    leaves = [(n, m) for n, m in model.named_modules() if n and not any(m.children())]
    chosen = [n for n, m in leaves if isinstance(m, ACTIVATION_MODULES)]
    if not chosen:
        chosen = [n for n, m in leaves
                  if next(m.parameters(recurse=False), None) is not None][:-1]
    return [*chosen, OUTPUT]


def _module(model: nn.Module, spec: Any, names: dict[int, str]) -> tuple[nn.Module, str]:
    if isinstance(spec, str) and spec == OUTPUT:
        return model, OUTPUT
    if isinstance(spec, str):
        try:
            return model.get_submodule(spec), spec
        except AttributeError:
            known = [n for n in names.values() if n][:12]
            raise InfoplaneError(
                f"the model has no layer {spec!r}; its layers include: {', '.join(known)}"
            ) from None
    if spec is model:
        return model, OUTPUT
    if isinstance(spec, nn.Module):
        check(id(spec) in names,
              f"the module {type(spec).__name__} given in layers is not part of the model")
        return spec, names[id(spec)]
    raise InfoplaneError(f"a layer is a name, a module, 'auto' or (layer, pick), got {spec!r}")


def _last_leaf(module: nn.Module) -> nn.Module:
    children = list(module.children())
    return _last_leaf(children[-1]) if children else module


def _bounded(module: nn.Module) -> bool:
    leaf = _last_leaf(module)
    if isinstance(leaf, nn.Hardtanh) and not isinstance(leaf, nn.ReLU6):
        return leaf.min_val >= -1 and leaf.max_val <= 1
    return isinstance(leaf, BOUNDED_MODULES)


def _weight(
    model: nn.Module, module: nn.Module, order: Sequence[nn.Module], names: dict[int, str]
) -> tuple[nn.Parameter | None, str]:
    """The weight whose gradients describe the layer: the last parametrised leaf inside
    ``module``, else the last one before it (the Linear or Conv feeding an activation)."""
    inside = [m for m in module.modules() if _own_weight(m) is not None]
    if inside:
        owner = inside[-1]
    else:
        position = next(k for k, m in enumerate(order) if m is module)
        before = [m for m in order[:position] if _own_weight(m) is not None
                  and not any(m.children())]
        if not before:
            return None, ""
        owner = before[-1]
    weight = _own_weight(owner)
    own_names = {id(p): n for n, p in owner.named_parameters(recurse=False)}
    prefix = names.get(id(owner), "")
    return weight, ".".join(filter(None, (prefix, own_names[id(weight)])))


def _own_weight(module: nn.Module) -> nn.Parameter | None:
    """``module.weight`` if it is a trained parameter, else its first trained parameter."""
    weight = getattr(module, "weight", None)
    if isinstance(weight, nn.Parameter) and weight.requires_grad:
        return weight
    return next((p for p in module.parameters(recurse=False) if p.requires_grad), None)
