"""l3.architecture_zoo - the case studies of lecture 3, built and checked against references.

Lecture 3, "Going deeper: case studies". On the CPU, every registered model is built with its
own initialisation and takes a forward and backward pass in training mode on a random batch
(the model's `default_input_size`, else 32x32 - AlexNet 64x64 - with its `in_chans`), after
which every parameter must hold a finite gradient. A model that fails to build or run fails
that check. Parameter references:

- torchvision's builder of the same name (no download): the counts must be equal, and with its
  weights copied in by `from_torchvision` the eval-mode outputs must agree to 1e-5 (atol and
  rtol). torchvision's model is built on the meta device and filled with random weights, and
  random batch-norm statistics so that BN is not the identity (its own initialisation would
  cost seconds a VGG and plays no part in the comparison).
- published counts otherwise, within 3%: LeNet-5 "about 60,000" (LeCun et al. 1998, Sec. II.B);
  SE-ResNet-50 28.1M (Hu et al. 2018, Sec. 4: ResNet-50's ~25.6M plus ~2.5M for SE); CIFAR
  ResNet-20/32/44/56/110 0.27/0.46/0.66/0.85/1.7M (He et al. 2016a, Table 6), and their plain
  twins the same (Sec. 4.2: "exactly the same ... number of parameters"); the pre-activation
  ResNets (He et al. 2016b) publish no ImageNet counts and keep the v1 layers, reordering BN and
  ReLU, so their reference is the v1 count of torchvision's builder.
- anything else registered (the lecture-2 MLP, the evolved cell net) has no reference and is
  reported only.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from torch import nn

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.complexity import count_params
from lecturelab.models.parity import from_torchvision
from lecturelab.registry import create_model, list_models

TORCHVISION_TWINS = ("alexnet", "vgg*", "googlenet", "resnet18", "resnet34", "resnet50",
                     "resnet101", "resnet152", "densenet*", "mobilenet_v2", "mnasnet1_0",
                     "efficientnet_b[0-3]")
CIFAR_RESNETS = {20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6}  # Table 6
PUBLISHED: dict[str, tuple[float, str]] = {
    "lenet5": (60_000, "LeCun et al. 1998, Sec. II.B"),
    "se_resnet50": (28.1e6, "Hu et al. 2018, Sec. 4"),
    **{f"{kind}{d}": (n, "He et al. 2016a, Table 6") for d, n in CIFAR_RESNETS.items()
       for kind in ("resnet", "plain")},
}
FAMILIES = {  # the lecture's list -> registered names that realise it
    "LeNet-5": "lenet5", "AlexNet": "alexnet", "VGG": "vgg*", "GoogLeNet": "googlenet",
    "ResNet v1": "resnet*", "ResNet v2": "preact_resnet*", "bottleneck ResNet": "resnet50",
    "DenseNet": "densenet*", "SE-Net": "se_resnet*", "MobileNetV2": "mobilenet_v2",
    "MnasNet": "mnasnet*", "EfficientNet": "efficientnet*", "evolved cell net": "*evolved*",
}
MIN_IMAGE_SIZE = {"alexnet": 64}


@dataclass(frozen=True)
class ArchitectureZooConfig:
    models: tuple[str, ...] = ("*",)  # fnmatch patterns of the registered models to check
    batch_size: int = 2  # images of the forward / backward and parity batches (BN needs > 1)
    image_size: int = 32  # input side for models without `default_input_size`


@experiment(
    "l3.architecture_zoo", lecture=3,
    claim="LeNet-5, AlexNet, VGG, GoogLeNet, ResNet (v1, v2, bottleneck), DenseNet, SE-Net, "
          "MobileNetV2, MnasNet, EfficientNet, an evolved cell net",
    criterion="every architecture builds, runs forward and backward with a gradient for every "
              "parameter; where torchvision has the architecture, the parameter count equals "
              "torchvision's exactly and, with torchvision's weights transferred, eval outputs "
              "match to 1e-5; others within 3% of the published count",
    quick=ArchitectureZooConfig(), full=ArchitectureZooConfig(batch_size=4, image_size=64),
    smoke=ArchitectureZooConfig(models=("lenet5", "resnet18", "resnet20", "preact_resnet18")))
def architecture_zoo(cfg: ArchitectureZooConfig, run: Run) -> Result:
    names = [n for n in list_models() if matches(n, cfg.models)]
    rows, failed = {}, {}
    for name in names:
        try:
            rows[name] = check_model(name, cfg, run.seed)
        except Exception as error:  # a model that cannot build or run fails the first check
            failed[name] = f"{type(error).__name__}: {error}"
        run.log(f"{name}: {rows.get(name) or failed[name]}")
    broken = {**failed, **{n: r["no_grad"][:3] for n, r in rows.items() if r["no_grad"]}}
    missing = [f for f, p in FAMILIES.items() if not any(fnmatch.fnmatch(n, p) for n in names)]
    twins = {n: r for n, r in rows.items() if r["kind"] == "torchvision"}
    unequal = [n for n, r in twins.items() if r["params"] != r["reference"]]
    apart = [n for n, r in twins.items() if not r["parity"]]
    published = {n: r["params"] / r["reference"] - 1 for n, r in rows.items()
                 if r["kind"] == "published"}
    off = {n: f"{d:+.1%}" for n, d in published.items() if abs(d) > 0.03}
    unreferenced = {n: r["params"] for n, r in rows.items() if r["kind"] == "none"}
    worst_diff = max((r["max_abs_diff"] for r in twins.values()), default=0.0)
    smallest_scale = min((r["output_scale"] for r in twins.values()), default=0.0)
    return Result(
        metrics={"models": len(rows), "params": {n: r["params"] for n, r in rows.items()},
                 "reference": {n: r["reference"] for n, r in rows.items()},
                 "reference_source": {n: r["source"] for n, r in rows.items()},
                 "published_deviation": published, "max_abs_diff": worst_diff,
                 "seconds": {n: round(r["seconds"], 2) for n, r in rows.items()},
                 "unreferenced": unreferenced, "families_missing": missing},
        checks=[
            Check.equal("registered architectures that fail to build, run forward and backward "
                        "with a gradient for every parameter", len(broken), 0,
                        detail=f"of {len(names)}" + (f"; {broken}" if broken else "")),
            Check.equal("families of the lecture's list not registered", len(missing), 0,
                        detail=f"missing: {missing}" if missing else f"of {len(FAMILIES)}"),
            Check.at_least("architectures with a torchvision twin", len(twins), 1),
            Check.equal("of them, parameter counts that differ from torchvision's", len(unequal),
                        0, detail=f"differ: {unequal}" if unequal else ""),
            Check.equal("of them, eval outputs with torchvision's weights transferred that differ "
                        "by more than 1e-5", len(apart), 0,
                        detail=f"largest |difference| {worst_diff:.1e}, outputs up to >= "
                               f"{smallest_scale:.2f}" + (f"; {apart}" if apart else "")),
            Check.at_least("architectures with a published count", len(published), 1),
            Check.equal("of them, counts more than 3% from the published one", len(off), 0,
                        detail=f"off: {off}" if off else ""),
        ],
        notes=["models without a published count, reported only: "
               + (", ".join(f"{n} {p:,}" for n, p in unreferenced.items()) or "none")],
        figures={"parameters": params_figure(rows)},
        headline=("models", "max_abs_diff", "families_missing"),
    )


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def example_input(name: str, model: nn.Module, cfg: ArchitectureZooConfig) -> torch.Tensor:
    shape = getattr(model, "default_input_size", None)
    if shape is None:
        size = max(cfg.image_size, MIN_IMAGE_SIZE.get(name, 0))
        shape = (getattr(model, "in_chans", 3), size, size)
    return torch.randn(cfg.batch_size, *shape)


def forward_backward(model: nn.Module, x: torch.Tensor) -> list[str]:
    """One training-mode step's gradients; the names of parameters left without a finite one.
    A gradient is finite when its sum is: a NaN or infinite entry makes the sum NaN or infinite
    (reading a VGG's 10^8 gradients once, where an elementwise test would also write 10^8
    flags)."""
    model.train()
    out = model(x)
    target = torch.arange(len(x)) % out.shape[1]
    F.cross_entropy(out, target).backward()
    return [n for n, p in model.named_parameters()
            if p.grad is None or not torch.isfinite(p.grad.sum())]


def torchvision_twin(name: str) -> nn.Module:
    """torchvision's architecture `name`, built without its (slow) initialisation."""
    kw = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    with torch.device("meta"):
        return getattr(torchvision.models, name)(weights=None, **kw)


@torch.no_grad()
def randomise(model: nn.Module) -> nn.Module:
    """Materialise a meta-device model with random weights: He-uniform U(+-sqrt(6/fan_in)) for
    conv and linear weights (outputs stay O(1) through deep ReLU stacks), U(+-0.1) biases, and
    random affine parameters and statistics for batch norm."""
    model = model.to_empty(device="cpu")
    covered = set()
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            bound = (6 / m.weight[0].numel()) ** 0.5
            m.weight.uniform_(-bound, bound)
            if m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.1)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.zero_()
        else:
            continue
        covered |= {id(t) for t in (*m.parameters(recurse=False), *m.buffers(recurse=False))}
    left = [n for n, t in (*model.named_parameters(), *model.named_buffers())
            if id(t) not in covered]
    if left:
        raise ValueError(f"randomise does not know how to fill {left[:3]}")
    return model.eval()


@torch.no_grad()
def parity(model: nn.Module, tv: nn.Module, x: torch.Tensor) -> tuple[bool, float, float]:
    """Load tv's weights into model; (outputs agree to 1e-5, largest |difference|, largest
    |output| - the scale the tolerance is measured against)."""
    from_torchvision(model, tv).eval()
    ours, theirs = model(x), tv(x)
    return (torch.allclose(ours, theirs, atol=1e-5, rtol=1e-5),
            float((ours - theirs).abs().max()), float(theirs.abs().max()))


def reference(name: str, tv_counts: Callable[[str], int]) -> tuple[str, float | None, str]:
    """(kind, reference count, source) of a model's parameter count."""
    if matches(name, TORCHVISION_TWINS):
        return "torchvision", tv_counts(name), "torchvision (exact)"
    if name in PUBLISHED:
        return "published", *PUBLISHED[name]
    if name.startswith("preact_"):
        v1 = name.removeprefix("preact_")
        return "published", tv_counts(v1), f"v1 {v1}, torchvision (He et al. 2016b)"
    return "none", None, "no reference: reported only"


def check_model(name: str, cfg: ArchitectureZooConfig, seed: int) -> dict:
    """Build, forward/backward and compare one registered model with its reference."""
    torch.manual_seed(seed)
    start = time.perf_counter()
    model = create_model(name)
    x = example_input(name, model, cfg)
    row = {"params": count_params(model), "no_grad": forward_backward(model, x)}
    twins: dict[str, nn.Module] = {}

    def tv_count(tv_name: str) -> int:
        if tv_name not in twins:
            twins[tv_name] = torchvision_twin(tv_name)
        return count_params(twins[tv_name])

    row["kind"], row["reference"], row["source"] = reference(name, tv_count)
    if row["kind"] == "torchvision":
        row["parity"], row["max_abs_diff"], row["output_scale"] = parity(
            model, randomise(twins[name]), x)
    row["seconds"] = time.perf_counter() - start
    return row


def params_figure(rows: dict[str, dict]) -> Figure:
    """Parameter count per model (log scale), coloured by the kind of reference."""
    colours = {"torchvision": ("#4c72b0", "torchvision twin (equal)"),
               "published": ("#dd8452", "published or v1 count (3%)"),
               "none": ("#8c8c8c", "no reference")}
    fig = Figure(figsize=(7, 0.22 * len(rows) + 1.6))
    ax = fig.subplots()
    names = list(rows)
    ax.barh(names, [rows[n]["params"] for n in names],
            color=[colours[rows[n]["kind"]][0] for n in names])
    ax.scatter([rows[n]["reference"] or float("nan") for n in names], names, marker="|",
               color="k", s=120)
    handles = [Patch(color=c, label=label) for c, label in colours.values()]
    handles.append(Line2D([], [], marker="|", color="k", ls="", ms=12, label="reference"))
    ax.set(xscale="log", xlabel="parameters", title="the zoo's parameter counts")
    ax.invert_yaxis()
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2,
              fontsize=8)
    fig.tight_layout()
    return fig
