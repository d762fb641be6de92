"""l4.domain_randomization - train in simulation with randomised renders (lecture 4).

Tobin et al. 2017, "Domain randomization for transferring deep neural networks from simulation
to the real world", Sec. III-B: render the training scenes with random textures, colours and
backgrounds, so that the real world looks like one more variation. Here two identical
RetinaNets (Lin et al. 2017, the small recipe of `lecturelab.detection.recipes`) train with the
same seed and steps, one on plain renders (flat colours, dark background), one on randomised
renders (stripes, checker, noise textures in random colours, objects and background alike),
and both are scored by COCO AP on the held-out "target" style (ring textures, cloud
backgrounds, a lighting gradient and sensor noise - none of which either saw in training).
Quick profile: the 64-pixel scenes of the detector recipes, about 40 s a detector on one CPU
thread; the plain-render model is l4.box_regression's when both run in the same process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    PAPER_TRAIN,
    QUICK_RECIPE,
    QUICK_SCENES,
    QUICK_TRAIN,
    DetectorRecipe,
    Scenes,
    evaluate,
    scene_tensors,
    trained,
)
from lecturelab.detection.training import DetectorTrainConfig, predict_all
from lecturelab.lab import Check, Result, Run, experiment

STYLES = ("plain", "randomised")


@dataclass(frozen=True)
class DomainRandomizationConfig:
    scenes: Scenes = QUICK_SCENES  # training and held-out scenes; style set per model
    recipe: DetectorRecipe = QUICK_RECIPE  # RetinaNet size, the same for both
    train: DetectorTrainConfig = QUICK_TRAIN  # the same for both
    margin: float = 0.15  # AP by which randomised training must win on the target style


FULL = DomainRandomizationConfig(
    scenes=PAPER_SCENES, recipe=PAPER_RECIPE, train=PAPER_TRAIN)
SMOKE = DomainRandomizationConfig(
    scenes=Scenes(size=64, n_train=16, n_test=8),
    recipe=DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, head_convs=1),
    train=DetectorTrainConfig(steps=3, batch_size=4, warmup_steps=1))


@experiment(
    "l4.domain_randomization", lecture=4, shares=("detectors",),
    claim="train in simulation with domain randomisation to transfer to an unseen domain",
    criterion="a detector trained on randomised renders (textures, colours, backgrounds) scores "
              "AP at least 0.15 higher on a held-out render style than one trained on plain "
              "renders",
    quick=DomainRandomizationConfig(), full=FULL, smoke=SMOKE)
def domain_randomization(cfg: DomainRandomizationConfig, run: Run) -> Result:
    _, _, target_images, target_targets = scene_tensors(replace(cfg.scenes, style="target"),
                                                        run.seed)
    models, ap = {}, {}
    for style in STYLES:
        scenes = replace(cfg.scenes, style=style)
        fit = trained("retinanet", cfg.recipe, scenes, cfg.train, run.seed, run.device)
        _, _, own_images, own_targets = scene_tensors(scenes, run.seed)
        models[style] = fit.model
        ap[style] = {"target": evaluate(fit.model, target_images, target_targets,
                                        device=run.device),
                     "own": evaluate(fit.model, own_images, own_targets, device=run.device)}
        run.log(f"trained on {style} ({fit.seconds:.1f} s): AP {ap[style]['own']['AP']:.3f} on "
                f"its own style, {ap[style]['target']['AP']:.3f} on the target style")
    gain = ap["randomised"]["target"]["AP"] - ap["plain"]["target"]["AP"]
    return Result(
        metrics={**{f"AP_target_{s}": ap[s]["target"]["AP"] for s in STYLES},
                 **{f"AP50_target_{s}": ap[s]["target"]["AP50"] for s in STYLES},
                 **{f"AP_own_style_{s}": ap[s]["own"]["AP"] for s in STYLES},
                 "AP_gain_target": gain},
        checks=[Check.at_least("AP on the held-out target style: randomised training minus "
                               "plain", gain, cfg.margin,
                               detail=f"AP {ap['randomised']['target']['AP']:.3f} vs "
                                      f"{ap['plain']['target']['AP']:.3f}")],
        figures={"target_detections": figure(models, target_images[:4], run)},
        headline=("AP_target_randomised", "AP_target_plain", "AP_gain_target"),
    )


@torch.no_grad()
def figure(models: dict[str, torch.nn.Module], images: torch.Tensor, run: Run) -> Figure:
    """Detections scoring >= 0.3 on target-style scenes, one row per training style."""
    fig = Figure(figsize=(10, 5.4))
    axes = fig.subplots(len(models), len(images), squeeze=False)
    for row, (style, model) in zip(axes, models.items(), strict=True):
        for ax, image, det in zip(row, images, predict_all(model.predict, images,
                                                           device=run.device), strict=True):
            ax.imshow(image.permute(1, 2, 0).clamp(0, 1))
            for box in det["boxes"][det["scores"] >= 0.3].tolist():
                ax.add_patch(Rectangle((box[0], box[1]), box[2] - box[0], box[3] - box[1],
                                       fill=False, edgecolor="yellow", linewidth=2))
            ax.set_axis_off()
        row[0].set_title(f"trained on {style}", fontsize=9, loc="left")
    fig.suptitle("RetinaNet detections (score >= 0.3) on the held-out target style")
    return fig
