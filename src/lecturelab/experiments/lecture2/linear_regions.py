"""l2.linear_regions - linear regions grow exponentially with depth, polynomially with width.

Lecture 2. The construction: Telgarsky (2016), Lemma 3.5 / Montufar et al. (2014), section 3:
L composed tent maps, two ReLUs a layer, have 2^L pieces on [0, 1]; one hidden layer of n ReLUs
on a line has at most n + 1 (each unit bends the line once). Regions are counted exactly on the
line (`count_regions_1d`), and so are the output's linear pieces (`count_linear_pieces_1d`).
The shallow nets are (a) the best case, 2L kinks spread over (0, 1), and (b) He-initialised
draws. The random-init table follows Hanin & Rolnick (2019): He-initialised nets, biases
N(0, 0.1^2) (our choice), a 2-D input square, regions estimated by distinct activation
patterns on a grid; it is reported as measured and carries no verdict.
"""

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from lecturelab.foundations.regions import (
    ReLUNet,
    count_linear_pieces_1d,
    count_regions_1d,
    count_regions_2d,
    random_relu_net,
    tent_map_network,
)
from lecturelab.lab import Check, Result, Run, experiment


@dataclass(frozen=True)
class LinearRegionsConfig:
    max_depth: int = 10  # tent-map depths L = 1..max_depth
    shallow_draws: int = 50  # He-initialised 1-hidden-layer nets of 2L units per L
    budgets: tuple[int, ...] = (16, 32, 64)  # hidden-neuron budgets of the random-init table
    depths: tuple[int, ...] = (1, 2, 4, 8)  # depths sharing each budget equally
    draws: int = 3  # random initialisations per (budget, depth)
    resolution: int = 256  # grid points per side on the input square [-1, 1]^2


@experiment(
    "l2.linear_regions", lecture=2,
    claim="Linear regions grow exponentially with depth, polynomially with width.",
    criterion="construction: a depth-L width-2 ReLU net (composed tent maps) has exactly 2^L "
              "linear pieces on [0,1] for L=1..10, while a 1-hidden-layer ReLU net with the same "
              "2L neurons has at most 2L+1; at random He initialisation on a 2-D input square, "
              "region counts for equal neuron budgets at depths 1,2,4,8 are reported as measured "
              "(Hanin & Rolnick 2019 found growth with neuron count, not exponential in depth): "
              "the verdict rests on the construction, the random-init table is reported as found",
    quick=LinearRegionsConfig(),
    full=LinearRegionsConfig(max_depth=16, shallow_draws=500, budgets=(16, 32, 64, 128),
                             draws=20, resolution=1024),
    smoke=LinearRegionsConfig(max_depth=3, shallow_draws=3, budgets=(8,), depths=(1, 2),
                              draws=1, resolution=32),
)
def linear_regions(cfg: LinearRegionsConfig, run: Run) -> Result:
    rng = np.random.default_rng(run.seed)
    depths = list(range(1, cfg.max_depth + 1))
    deep = [count_linear_pieces_1d(tent_map_network(L), 0.0, 1.0) for L in depths]
    deep_regions = [count_regions_1d(tent_map_network(L), 0.0, 1.0) for L in depths]
    best_shallow = [count_regions_1d(spread_shallow_net(2 * L), 0.0, 1.0) for L in depths]
    drawn_shallow = [max(count_regions_1d(random_relu_net((1, 2 * L), rng=rng), 0.0, 1.0)
                         for _ in range(cfg.shallow_draws)) for L in depths]
    shallow = [max(b, d) for b, d in zip(best_shallow, drawn_shallow, strict=True)]
    table = random_init_table(cfg, rng)
    for budget, row in table.items():
        run.log(f"budget {budget}: " + ", ".join(f"depth {d}: {v['mean']:.0f}+-{v['std']:.0f}"
                                                 for d, v in row.items()))

    deep_exact = [d == r == 2**L for L, d, r in zip(depths, deep, deep_regions, strict=True)]
    shallow_ok = [s <= 2 * L + 1 for L, s in zip(depths, shallow, strict=True)]
    return Result(
        metrics={"depths": depths, "deep_pieces": deep, "deep_regions": deep_regions,
                 "shallow_best_case": best_shallow, "shallow_random_max": drawn_shallow,
                 "random_init_regions": table},
        checks=[
            Check.equal(f"depths L=1..{cfg.max_depth} where the tent-map net has exactly 2^L "
                        "pieces on [0,1]", sum(deep_exact), len(depths), detail=f"pieces {deep}"),
            Check.equal("depths where the 1-hidden-layer net with 2L ReLUs has at most 2L+1 "
                        "pieces", sum(shallow_ok), len(depths),
                        detail=f"max over best case and {cfg.shallow_draws} He draws: {shallow}"),
        ],
        figures={"regions": regions_figure(depths, deep, shallow, table, cfg)},
        headline=("deep_pieces", "shallow_best_case"),
    )


def spread_shallow_net(units: int) -> ReLUNet:
    """relu(x - k_i) with kinks k_i = i / (units + 1) and alternating output signs."""
    kinks = np.arange(1, units + 1) / (units + 1)
    signs = (-1.0) ** np.arange(units)
    return ReLUNet.from_layers([(np.ones((units, 1)), -kinks), (signs[None], np.zeros(1))])


def random_init_table(cfg: LinearRegionsConfig, rng: np.random.Generator) -> dict[str, dict]:
    """Mean and std of grid-estimated region counts for each (budget, depth)."""
    table = {}
    for budget in cfg.budgets:
        row = {}
        for depth in cfg.depths:
            counts = [count_regions_2d(random_relu_net((2, *[budget // depth] * depth), rng=rng),
                                       (-1.0, 1.0, -1.0, 1.0), resolution=cfg.resolution)
                      for _ in range(cfg.draws)]
            row[str(depth)] = {"mean": float(np.mean(counts)), "std": float(np.std(counts))}
        table[str(budget)] = row
    return table


def regions_figure(depths: list[int], deep: list[int], shallow: list[int], table: dict,
                   cfg: LinearRegionsConfig) -> Figure:
    """Composed tent maps; pieces of the deep and shallow nets against L; the random-init
    table of regions against depth for each neuron budget."""
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    ax_saw, ax_count, ax_table = fig.subplots(1, 3)
    x = np.linspace(0, 1, 2001)
    for L in range(1, min(4, cfg.max_depth) + 1):
        ax_saw.plot(x, tent_map_network(L)(x[:, None])[:, 0] + 1.2 * (L - 1), label=f"L={L}")
    ax_saw.set(title="composed tent maps (offset)", xlabel="x", yticks=[])
    ax_saw.legend(fontsize=7)
    ax_count.semilogy(depths, deep, "o-", label="deep: L layers x 2 ReLUs")
    ax_count.semilogy(depths, shallow, "s-", label="shallow: 1 layer x 2L ReLUs (max)")
    ax_count.semilogy(depths, [2 * L + 1 for L in depths], "k:", label="2L + 1")
    ax_count.set(title="linear pieces on [0, 1]", xlabel="L")
    ax_count.legend(fontsize=7)
    for budget, row in table.items():
        means, stds = ([v[k] for v in row.values()] for k in ("mean", "std"))
        ax_table.errorbar([int(d) for d in row], means, yerr=stds, marker="o",
                          label=f"{budget} ReLUs")
    ax_table.set_xscale("log", base=2)
    ax_table.set_xticks(list(cfg.depths), [str(d) for d in cfg.depths])
    ax_table.set(title="random He init, [-1,1]^2 (grid estimate)", xlabel="depth (equal budget)",
                 ylabel="regions")
    ax_table.legend(fontsize=7)
    return fig
