"""An evolved cell network: the cell search space of l3.architecture_search and the net built from
the cell it found (lecture 3, "AmoebaNet: architecture found by neural architecture search,
evolutionary algorithm; DAG composed of predefined layers").

Real et al. 2019, "Regularized Evolution for Image Classifier Architecture Search" (AmoebaNet),
Sec. 3 and Fig. 2, on the NASNet search space of Zoph et al. 2018: a cell is a DAG whose hidden
states start as the outputs of the two previous cells; each of its `blocks` pairwise combinations
applies an op to one earlier hidden state, another op to another (or the same) one, and adds the
two. The cell's output concatenates the block outputs that no block used (then a 1x1 conv back
to the cell width). The ops are AmoebaNet's eight: identity; 3x3, 5x5, 7x7 separable convs;
3x3 average and max pool; 3x3 dilated separable conv; 1x7 then 7x1 conv. Mutations (Sec. 3):
re-wire one input of one combination to another earlier hidden state, or swap one op for
another (the identity mutation is left out: it would only re-score a cell). Deliberate
departures, to keep the search small enough for a CPU: only the normal cell is evolved (between
stages sits a fixed transition, DenseNet's ReLU -> 1x1 conv doubling the width -> BN -> 2x2
average pool, after which both cell inputs are its output); separable convs are applied once,
not twice; the stem is one 3x3 conv.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

from lecturelab.nn.conv import ConvBNAct, check_images, depthwise_conv
from lecturelab.nn.heads import new_classifier
from lecturelab.registry import register_model


def _separable(k: int, dilation: int = 1) -> Callable[[int], nn.Module]:
    def build(c: int) -> nn.Module:
        return nn.Sequential(nn.ReLU(), depthwise_conv(c, k, dilation=dilation, bias=False),
                             nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))
    return build


def _conv_7x1_1x7(c: int) -> nn.Module:
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, (1, 7), padding=(0, 3), bias=False),
                         nn.Conv2d(c, c, (7, 1), padding=(3, 0), bias=False), nn.BatchNorm2d(c))


OPS: dict[str, Callable[[int], nn.Module]] = {  # name -> builder for a given width
    "identity": lambda c: nn.Identity(),
    "sep_conv_3x3": _separable(3),
    "sep_conv_5x5": _separable(5),
    "sep_conv_7x7": _separable(7),
    "avg_pool_3x3": lambda c: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    "max_pool_3x3": lambda c: nn.MaxPool2d(3, stride=1, padding=1),
    "dil_sep_conv_3x3": _separable(3, dilation=2),
    "conv_1x7_7x1": _conv_7x1_1x7,
}


class Combination(NamedTuple):
    """One block of a cell: op_a(state[input_a]) + op_b(state[input_b]). States 0 and 1 are
    the two cell inputs, state i + 2 the output of block i."""

    input_a: int
    op_a: str
    input_b: int
    op_b: str


Genotype = tuple[Combination, ...]


def check_genotype(genotype: Genotype) -> None:
    """Raise ValueError unless every block reads only earlier states and uses known ops."""
    if not genotype:
        raise ValueError("a genotype needs at least one combination")
    for i, (a, op_a, b, op_b) in enumerate(genotype):
        for state in (a, b):
            if not 0 <= state < i + 2:
                raise ValueError(f"combination {i} may read states 0..{i + 1}, got {state}")
        for op in (op_a, op_b):
            if op not in OPS:
                raise ValueError(f"unknown op {op!r}; expected one of {', '.join(OPS)}")


def random_genotype(rng: random.Random, *, blocks: int = 5) -> Genotype:
    """A cell drawn uniformly from the search space (inputs and ops independent)."""
    if blocks < 1:
        raise ValueError(f"blocks must be >= 1, got {blocks}")
    ops = list(OPS)
    return tuple(Combination(rng.randrange(i + 2), rng.choice(ops), rng.randrange(i + 2),
                             rng.choice(ops)) for i in range(blocks))


def mutate(genotype: Genotype, rng: random.Random) -> Genotype:
    """A hidden-state or op mutation (Real et al. 2019, Sec. 3, Fig. 3): one input or one op of
    one combination changes to a different valid value; the child is always a valid cell."""
    check_genotype(genotype)
    i, side = rng.randrange(len(genotype)), rng.randrange(2)
    block = list(genotype[i])
    if rng.random() < 0.5:
        block[2 * side] = rng.choice([s for s in range(i + 2) if s != block[2 * side]])
    else:
        block[2 * side + 1] = rng.choice([op for op in OPS if op != block[2 * side + 1]])
    return genotype[:i] + (Combination(*block),) + genotype[i + 1:]


def unused_states(genotype: Genotype) -> list[int]:
    """Block outputs no combination reads: concatenated as the cell's output."""
    used = {s for a, _, b, _ in genotype for s in (a, b)}
    return [i + 2 for i in range(len(genotype)) if i + 2 not in used]


class Cell(nn.Module):
    """The DAG of a genotype at one width, from (previous-but-one, previous) cell outputs."""

    def __init__(self, genotype: Genotype, channels: int) -> None:
        super().__init__()
        check_genotype(genotype)
        self.genotype = genotype
        self.ops = nn.ModuleList(nn.ModuleList([OPS[op_a](channels), OPS[op_b](channels)])
                                 for _, op_a, _, op_b in genotype)
        self.outputs = unused_states(genotype)
        self.project = ConvBNAct(channels * len(self.outputs), channels, 1, activation=None)

    def forward(self, prev_prev: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        states = [prev_prev, prev]
        for (a, _, b, _), (op_a, op_b) in zip(self.genotype, self.ops, strict=True):
            states.append(op_a(states[a]) + op_b(states[b]))
        return self.project(torch.cat([states[i] for i in self.outputs], 1))  # (B, C, H, W)


# Found by l3.architecture_search (quick profile, run seed 0): the best cell regularised evolution
# scored over its three seeds (proxy validation accuracy 0.258 at 8x8 pixels, 8 channels).
DEFAULT_GENOTYPE: Genotype = (
    Combination(0, "identity", 1, "avg_pool_3x3"),
    Combination(0, "sep_conv_5x5", 2, "identity"),
    Combination(0, "dil_sep_conv_3x3", 0, "sep_conv_7x7"),
    Combination(1, "sep_conv_5x5", 4, "avg_pool_3x3"),
    Combination(4, "sep_conv_3x3", 2, "max_pool_3x3"),
)


def transition(in_channels: int, out_channels: int) -> nn.Module:
    """Between stages: ReLU, 1x1 conv, BN, 2x2 average pool (DenseNet's transition layer)."""
    return nn.Sequential(nn.ReLU(), ConvBNAct(in_channels, out_channels, 1, activation=None),
                         nn.AvgPool2d(2))


class EvolvedNet(nn.Module):
    """Stem conv, then `stages` stages of `cells` normal cells at widths C, 2C, 4C, ... (a
    transition between stages halves the resolution), global average pool, linear classifier."""

    def __init__(self, genotype: Genotype = DEFAULT_GENOTYPE, *, channels: int = 32,
                 cells: int = 2, stages: int = 3, num_classes: int = 10,
                 in_chans: int = 3) -> None:
        super().__init__()
        if min(channels, cells, stages) < 1:
            raise ValueError(f"channels, cells and stages must be >= 1, got {channels}, {cells}, "
                             f"{stages}")
        self.in_chans, self.num_classes, self.genotype = in_chans, num_classes, genotype
        self.stem = ConvBNAct(in_chans, channels, 3, activation=None)
        modules: list[nn.Module] = []
        for s in range(stages):
            width = channels * 2**s
            if s:
                modules.append(transition(width // 2, width))
            modules += [Cell(genotype, width) for _ in range(cells)]
        self.stages = nn.ModuleList(modules)
        self.num_features = channels * 2 ** (stages - 1)
        self.fc = nn.Linear(self.num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.in_chans)
        prev_prev = prev = self.stem(x)
        for module in self.stages:
            if isinstance(module, Cell):
                prev_prev, prev = prev, module(prev_prev, prev)
            else:
                prev_prev = prev = module(prev)
        return torch.relu(prev)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x).mean((2, 3)))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = new_classifier(self.fc, num_classes)


@register_model
def evolved_cell_net(**kw) -> EvolvedNet:
    """The cell found by regularised evolution (Real et al. 2019) in l3.architecture_search."""
    return EvolvedNet(DEFAULT_GENOTYPE, **kw)
