"""l3.translation_equivariance - convolution is equivariant to translation; to an MLP a shifted
input looks very different (lecture 3, "Background" and "Building blocks").

Part 1, one layer: a conv with circular padding commutes with circular shifts exactly
(conv(shift x) = shift(conv x)), a fully connected layer mapping the image to maps of the same
size does not. Relative error ||f(shift x) - shift(f x)|| / ||f x||, over every shift of up to
`max_shift` pixels along each axis, on digit images.

Part 2, trained nets (LeCun et al. 1998, Sec. II.A, on why convnets tolerate shifts): the
8x8 digits (scikit-learn's) are zero-padded to 16x16, centred; a small CNN (3x3 conv -> BN ->
ReLU -> 2x2 max pool stages, global average pool; `SmallCNN`) and an MLP (two hidden layers of
256 ReLU units) are trained on them with the same recipe and tested on the test images shifted
by 1..4 px in each of the four axis directions (the zero border keeps the digit whole). The
accuracy drop is the clean test accuracy minus the accuracy on all shifted test sets pooled;
the drop at exactly 4 px is reported too. Mean over `seeds` training seeds. The CNN is not
exactly shift-invariant: its stride-2 max pools alias odd shifts (Zhang 2019, "Making
Convolutional Networks Shift-Invariant Again"), seen as dips at 1 and 3 px.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from lecturelab.data import ClassificationData, DeviceLoader, load_dataset
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.mlp import MLP
from lecturelab.models.small_cnn import SmallCNN
from lecturelab.train.loop import TrainConfig, Trainer, evaluate

DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (down, right) unit shifts: the 4 axis ways


@dataclass(frozen=True)
class TranslationConfig:
    canvas: int = 16  # side the 8x8 digits are centred in (zero border)
    max_shift: int = 4  # largest test shift in pixels
    seeds: int = 3  # training seeds per net
    epochs: int = 15  # passes over the 1437 training digits
    batch_size: int = 64  # images a step
    lr: float = 0.05  # peak SGD learning rate (cosine schedule)
    mlp_width: int = 256  # units of each of the MLP's two hidden layers
    cnn_widths: tuple[int, ...] = (16, 32)  # SmallCNN stage widths


@experiment(
    "l3.translation_equivariance", lecture=3,
    claim="convolution becomes equivariant to translation; shifting the input makes it look "
          "very different to an MLP",
    criterion="a conv layer with circular padding: relative error of conv(shift x) vs "
              "shift(conv x) at most 1e-6, an MLP layer at least 0.5; trained on centred digits, "
              "tested with shifts up to 4 px, the CNN's accuracy drop is at most half of the "
              "MLP's",
    quick=TranslationConfig(), full=TranslationConfig(seeds=10, epochs=30, cnn_widths=(32, 64)),
    smoke=TranslationConfig(seeds=1, epochs=1, cnn_widths=(8, 16), mlp_width=32))
def translation_equivariance(cfg: TranslationConfig, run: Run) -> Result:
    data = centred_digits(cfg.canvas)
    x = data.x_test[:64].float() / 255
    errors = layer_errors(x, cfg.max_shift, run.seed)
    curves: dict[str, list[list[float]]] = {"cnn": [], "mlp": []}
    for kind in curves:
        for i in range(cfg.seeds):
            torch.manual_seed(run.seed + i)
            model = make_net(kind, cfg)
            train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                                seed=run.seed + i)
            Trainer(model, data, train, device=run.device).fit()
            curves[kind].append(shifted_accuracies(model, data, cfg.max_shift, run.device))
    mean_curve = {k: [statistics.mean(c[s] for c in v) for s in range(cfg.max_shift + 1)]
                  for k, v in curves.items()}
    drop = {k: c[0] - statistics.mean(c[1:]) for k, c in mean_curve.items()}
    drop_at_max = {k: c[0] - c[-1] for k, c in mean_curve.items()}
    run.log(f"layer errors {errors}; accuracy by shift {mean_curve}; drops {drop}")
    return Result(
        metrics={"conv_equivariance_error": errors["conv"],
                 "fc_equivariance_error": errors["fully_connected"],
                 "accuracy_by_shift": mean_curve, "accuracy_by_shift_per_seed": curves,
                 "accuracy_drop": drop, f"accuracy_drop_at_{cfg.max_shift}px": drop_at_max,
                 "seeds": cfg.seeds},
        checks=[
            Check.at_most("circular-padding conv layer: largest relative error of conv(shift x) "
                          "vs shift(conv x)", errors["conv"], 1e-6),
            Check.at_least("MLP (fully connected) layer: smallest relative error",
                           errors["fully_connected"], 0.5),
            Check.at_most("trained on centred digits, tested with shifts: the CNN's accuracy drop "
                          "minus half of the MLP's", drop["cnn"] - 0.5 * drop["mlp"], 0.0,
                          detail=f"drop (clean - shifted 1..{cfg.max_shift} px, mean of "
                                 f"{cfg.seeds} seeds): CNN {drop['cnn']:.3f}, MLP "
                                 f"{drop['mlp']:.3f}; at {cfg.max_shift} px: CNN "
                                 f"{drop_at_max['cnn']:.3f}, MLP {drop_at_max['mlp']:.3f}"),
        ],
        notes=[f"shifts up to {cfg.max_shift} px (the criterion: 4)"],
        figures={"accuracy_vs_shift": shift_figure(curves, data)},
        headline=("conv_equivariance_error", "fc_equivariance_error", "accuracy_drop"),
    )


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Circular shift of the last two axes (a zero-fill shift where the border is zero)."""
    return torch.roll(x, (dy, dx), dims=(-2, -1))


def centred_digits(canvas: int) -> ClassificationData:
    data = load_dataset("digits")
    pad = (canvas - 8) // 2
    if canvas < 8 or (canvas - 8) % 2:
        raise ValueError(f"canvas must be 8 + an even number of pixels, got {canvas}")
    return dataclasses.replace(data, x_train=F.pad(data.x_train, (pad,) * 4),
                               x_test=F.pad(data.x_test, (pad,) * 4))  # (N, 1, canvas, canvas)


@torch.no_grad()
def layer_errors(x: torch.Tensor, max_shift: int, seed: int) -> dict[str, float]:
    """Largest (conv) and smallest (fully connected) relative equivariance error over shifts."""
    torch.manual_seed(seed)
    side = x.shape[-1]
    conv = nn.Conv2d(1, 8, 3, padding=1, padding_mode="circular")
    dense = nn.Linear(side * side, 8 * side * side)

    def fully_connected(v: torch.Tensor) -> torch.Tensor:
        return dense(v.flatten(1)).unflatten(1, (8, side, side))  # (B, 8, side, side)

    errors: dict[str, list[float]] = {"conv": [], "fully_connected": []}
    for layer, name in ((conv, "conv"), (fully_connected, "fully_connected")):
        out = layer(x)
        for s in range(1, max_shift + 1):
            for dy, dx in DIRECTIONS:
                diff = layer(shift(x, s * dy, s * dx)) - shift(out, s * dy, s * dx)
                errors[name].append(float(diff.norm() / out.norm()))
    return {"conv": max(errors["conv"]), "fully_connected": min(errors["fully_connected"])}


def shifted_accuracies(model: nn.Module, data: ClassificationData, max_shift: int,
                       device: torch.device) -> list[float]:
    """Test accuracy at shift 0, 1, ..., max_shift px (mean over the four directions)."""
    accs = []
    for s in range(max_shift + 1):
        per_direction = []
        for dy, dx in DIRECTIONS[: 1 if s == 0 else 4]:
            loader = DeviceLoader(shift(data.x_test, s * dy, s * dx), data.y_test,
                                  batch_size=500, device=device, shuffle=False,
                                  mean=data.mean, std=data.std)
            per_direction.append(evaluate(model, loader, device)["test_acc"])
        accs.append(statistics.mean(per_direction))
    return accs


def make_net(kind: str, cfg: TranslationConfig) -> nn.Module:
    if kind == "cnn":
        return SmallCNN(widths=cfg.cnn_widths, in_chans=1)
    return MLP(cfg.canvas**2, 10, width=cfg.mlp_width, depth=2)


def shift_figure(curves: dict[str, list[list[float]]], data: ClassificationData) -> Figure:
    """Left: a test digit at shifts 0..max. Right: accuracy against shift (mean, std bars)."""
    fig = Figure(figsize=(10, 4))
    ax_img, ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.3)})
    shifts = list(range(len(curves["cnn"][0])))
    strip = torch.cat([shift(data.x_test[0, 0], 0, s) for s in shifts], dim=1)  # (H, W*S)
    ax_img.imshow(strip.numpy(), cmap="Greys")
    for s in shifts[1:]:
        ax_img.axvline(s * data.x_test.shape[-1] - 0.5, color="#4c72b0")
    ax_img.set(title="a test digit shifted right by 0..4 px", xticks=[], yticks=[])
    for kind, label in (("cnn", "CNN"), ("mlp", "MLP")):
        runs = torch.tensor(curves[kind])  # (seeds, shifts)
        std = runs.std(0) if len(runs) > 1 else torch.zeros(len(shifts))
        ax.errorbar(shifts, runs.mean(0).numpy(), yerr=std.numpy(), marker="o", capsize=3,
                    label=label)
    ax.set(xlabel="shift (px, mean of 4 directions)", ylabel="test accuracy", ylim=(0, 1.02),
           xticks=shifts, title="trained on centred digits")
    ax.legend()
    return fig
