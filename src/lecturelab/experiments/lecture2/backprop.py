"""l2.backprop - neural networks as computational graphs; forward and backward pass (lecture 2).

The engine is `lecturelab.foundations.autodiff` (reverse mode, Baydin et al. 2018, section 3.2).
Each random graph is a small MLP: affine layers with ReLU, some gated by a multiplicative
parameter, some feeding a max term (over units or over the batch), softmax cross-entropy on top.
The same graph runs in the engine and in torch.autograd (float64); central differences perturb
every parameter entry of the engine's graph. Relative error is normwise per parameter,
max|g - g_ref| / max|g_ref|, and the worst over all parameters and graphs is reported.
"""

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturelab.foundations.autodiff import Tensor, affine, jacobian, reduce_max
from lecturelab.foundations.graph_ops import Engine, Torch
from lecturelab.lab import Check, Result, Run, experiment


@dataclass(frozen=True)
class BackpropConfig:
    graphs: int = 100  # random graphs compared with torch.autograd and central differences
    max_depth: int = 3  # hidden layers per graph, drawn from 1..max_depth
    max_width: int = 6  # units per layer (and batch size), drawn from 2..max_width
    eps: float = 1e-5  # central-difference step, ~ cbrt(float64 eps): truncation vs round-off
    max_trials: int = 100  # random matrices for the max-routing and Jacobian checks


@experiment(
    "l2.backprop", lecture=2,
    claim="Neural networks are computational graphs; the backward pass (incl. max) is autodiff.",
    criterion="a small reverse-mode engine (NumPy: affine, relu, max, sum, softmax cross-entropy) "
              "matches torch.autograd to 1e-10 relative in float64 and central differences to "
              "1e-6 on 100 random graphs; backward of max routes the gradient only to the "
              "arg-max; the linear layer's Jacobian equals W exactly",
    quick=BackpropConfig(), full=BackpropConfig(graphs=1000, max_depth=5, max_width=10),
    smoke=BackpropConfig(graphs=3, max_trials=5),
)
def backprop(cfg: BackpropConfig, run: Run) -> Result:
    rng = np.random.default_rng(run.seed)
    graphs = [random_graph(rng, max_depth=cfg.max_depth, max_width=cfg.max_width)
              for _ in range(cfg.graphs)]
    errors = np.array([graph_errors(g, cfg.eps) for g in graphs])  # (graphs, 2)
    torch_err, numeric_err = errors.max(axis=0)
    max_ok = sum(max_routes_to_arg_max(rng) for _ in range(cfg.max_trials))
    jac_ok = sum(linear_jacobian_is_w(rng) for _ in range(cfg.max_trials))
    run.log(f"{cfg.graphs} graphs, {sum(p.size for g in graphs for p in g.params)} parameters; "
            f"worst relative error vs torch {torch_err:.2e}, vs central differences "
            f"{numeric_err:.2e}")

    fig = errors_figure(errors, cfg.graphs)
    return Result(
        metrics={"max_rel_error_vs_torch": float(torch_err),
                 "max_rel_error_vs_central_diff": float(numeric_err),
                 "graphs": cfg.graphs, "max_routing_ok": int(max_ok),
                 "jacobian_equals_w": int(jac_ok), "trials": cfg.max_trials},
        checks=[
            Check.at_most(f"worst relative gradient error vs torch.autograd over {cfg.graphs} "
                          "graphs", float(torch_err), 1e-10),
            Check.at_most(f"worst relative gradient error vs central differences over "
                          f"{cfg.graphs} graphs", float(numeric_err), 1e-6,
                          detail=f"eps={cfg.eps}"),
            Check.equal("random integer matrices (with ties) where backward of max routes the "
                        "gradient only to the arg-max", int(max_ok), cfg.max_trials),
            Check.equal("random linear layers whose Jacobian equals W bit for bit", int(jac_ok),
                        cfg.max_trials),
        ],
        figures={"errors": fig},
        headline=("max_rel_error_vs_torch", "max_rel_error_vs_central_diff"),
    )


@dataclass(frozen=True)
class Graph:
    """A random MLP graph: input, labels, parameter arrays and each layer's kind."""

    x: np.ndarray  # (B, d)
    labels: np.ndarray  # (B,)
    params: list[np.ndarray]  # per layer W, b (+ gate), then W_out, b_out
    kinds: tuple[str, ...]  # per hidden layer: "relu", "gated", "max_units" or "max_batch"

    def loss(self, ops: type[Engine] | type[Torch], x: Tensor | torch.Tensor,
             params: list[Tensor] | list[torch.Tensor]) -> Tensor | torch.Tensor:
        """The graph's scalar loss, built with `ops` (Engine or Torch) on `params`."""
        h, extra, i = x, 0.0, 0
        for kind in self.kinds:
            h = ops.relu(ops.affine(h, params[i], params[i + 1]))
            i += 2
            if kind == "gated":
                h, i = h * params[i], i + 1
            elif kind.startswith("max"):
                extra = extra + ops.max(h, 1 if kind == "max_units" else 0).sum() * 0.5
        return ops.cross_entropy(ops.affine(h, params[i], params[i + 1]), self.labels) + extra


def random_graph(rng: np.random.Generator, *, max_depth: int, max_width: int) -> Graph:
    depth = int(rng.integers(1, max_depth + 1))
    widths = rng.integers(2, max_width + 1, size=depth + 2)  # input, hidden..., classes
    kinds = tuple(rng.choice(["relu", "gated", "max_units", "max_batch"], size=depth).tolist())
    params = []
    for n_in, n_out, kind in zip(widths[:-2], widths[1:-1], kinds, strict=True):
        params += [rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)]
        params += [rng.normal(size=n_out)] if kind == "gated" else []
    params += [rng.normal(size=(widths[-1], widths[-2])), rng.normal(size=widths[-1])]
    batch = int(rng.integers(2, max_width + 1))
    return Graph(rng.normal(size=(batch, widths[0])), rng.integers(0, widths[-1], batch),
                 params, kinds)


def relative_error(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-300))


def graph_errors(graph: Graph, eps: float) -> tuple[float, float]:
    """Worst relative gradient error of the engine vs torch.autograd and vs central differences."""
    params = [Tensor(p) for p in graph.params]
    graph.loss(Engine, Tensor(graph.x), params).backward()
    ref = [torch.tensor(p, requires_grad=True) for p in graph.params]
    graph.loss(Torch, torch.tensor(graph.x), ref).backward()
    vs_torch = max(relative_error(p.grad, r.grad.numpy()) for p, r in zip(params, ref, strict=True))

    def loss_at(k: int, i: tuple[int, ...], step: float) -> float:
        moved = [p.copy() for p in graph.params]
        moved[k][i] += step
        return float(graph.loss(Engine, Tensor(graph.x), [Tensor(p) for p in moved]).data)

    vs_numeric = 0.0
    for k, p in enumerate(params):
        numeric = np.array([(loss_at(k, i, eps) - loss_at(k, i, -eps)) / (2 * eps)
                            for i in np.ndindex(p.shape)]).reshape(p.shape)
        vs_numeric = max(vs_numeric, relative_error(p.grad, numeric))
    return vs_torch, vs_numeric


def max_routes_to_arg_max(rng: np.random.Generator) -> bool:
    """Gradient of sum(u * max(x, axis)) is u at each slice's arg-max and 0 elsewhere (ties too)."""
    x = rng.integers(0, 3, size=(int(rng.integers(2, 6)), int(rng.integers(2, 6)))).astype(float)
    axis = int(rng.integers(0, 2))
    node = Tensor(x)
    u = rng.normal(size=x.shape[1 - axis])
    (reduce_max(node, axis) * u).sum().backward()
    routed = np.zeros_like(x)
    np.put_along_axis(routed, np.expand_dims(x.argmax(axis), axis), np.expand_dims(u, axis), axis)
    one_per_slice = bool(np.all((node.grad != 0).sum(axis) <= 1))
    return one_per_slice and np.array_equal(node.grad, routed)


def linear_jacobian_is_w(rng: np.random.Generator) -> bool:
    w = rng.normal(size=(int(rng.integers(1, 8)), int(rng.integers(1, 8))))
    b, x = rng.normal(size=w.shape[0]), rng.normal(size=(1, w.shape[1]))
    return np.array_equal(jacobian(lambda t: affine(t, Tensor(w), Tensor(b)), x), w)


def errors_figure(errors: np.ndarray, graphs: int) -> Figure:
    """Histogram of each graph's worst relative gradient error, vs torch and vs central
    differences, with the criterion's bounds."""
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.subplots()
    floor = 1e-18
    bins = np.linspace(-18, -4, 57)
    ax.hist(np.log10(errors[:, 0] + floor), bins=bins, label="vs torch.autograd")
    ax.hist(np.log10(errors[:, 1] + floor), bins=bins, label="vs central differences", alpha=0.7)
    ax.axvline(-10, color="C0", ls="--")
    ax.axvline(-6, color="C1", ls="--")
    ax.set(xlabel="log10 worst relative gradient error per graph", ylabel="graphs",
           title=f"{graphs} random graphs, float64")
    ax.legend(fontsize=8)
    return fig
