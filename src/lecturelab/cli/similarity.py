"""`lecturelab train simclr|embedding` and `lecturelab eval` of their checkpoints (lecture 4,
"beyond strong supervision").

A checkpoint is a training folder as `train/checkpoint.py` writes it: `checkpoint.json` (model
kind, recipe, images, seed, epoch, history) and the weights as safetensors, written atomically
at every epoch end; `metrics.jsonl` holds one row per epoch (SimCLR: loss, linear-probe and
k-NN accuracy; embeddings: loss, active-triplet fraction, held-out Recall@1). The folder is
locked for the run (`.lock`), and one that already holds a checkpoint needs `--force`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Annotated, Any

import torch
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import nn

from lecturelab.cli.core import console
from lecturelab.cli.options import Device, Force, Out, Seed, one_of, profile_option
from lecturelab.io import atomic_write_text
from lecturelab.runtime import resolve_device, seed_everything
from lecturelab.similarity.augment import SimCLRAugment
from lecturelab.similarity.encoders import EmbeddingNet, build_encoder, embed
from lecturelab.similarity.images import ImageSubset, load_subset, normalise
from lecturelab.similarity.retrieval import retrieval_metrics
from lecturelab.similarity.simclr import SimCLRRecipe, build_simclr, pretrain_simclr, probe_encoder
from lecturelab.similarity.training import (
    EmbeddingRecipe,
    EmbeddingRun,
    check_recipe,
    train_embedding,
)
from lecturelab.train.checkpoint import (
    Checkpoint,
    load_checkpoint,
    save_checkpoint,
    training_folder,
)

KINDS = ("simclr", "embedding")
PROFILES: dict[str, tuple[ImageSubset, int]] = {  # images, epochs
    "smoke": (ImageSubset(n_train=256, n_test=100, size=8), 1),
    "quick": (ImageSubset(n_train=5000, n_test=1000, size=16), 15),
    "full": (ImageSubset(n_train=50_000, n_test=10_000, size=None), 200),
}


def _bar(what: str, total: int, progress: bool) -> tuple[Progress, Any]:
    bar = Progress(TextColumn(f"training {what}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[info]}"), TimeRemainingColumn(), disable=not progress)
    return bar, bar.add_task("train", total=total, info="")


def _images(data: str, profile: str, image_size: int | None) -> tuple[ImageSubset, int]:
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    images, epochs = PROFILES[profile]
    images = replace(images, dataset=data)
    return (images if image_size is None else replace(images, size=image_size)), epochs


def train_simclr_command(*, out: Path, force: bool = False, **options: Any
                         ) -> list[dict[str, float]]:
    """`_train_simclr(out=out, **options)` in the folder `out`, locked for the run; one that
    holds a checkpoint needs `force` (SimCLR runs do not resume)."""
    with training_folder(Path(out), force=force, resumable=False):
        return _train_simclr(out=Path(out), **options)


def train_embedding_command(*, out: Path, force: bool = False, **options: Any
                            ) -> list[dict[str, float]]:
    """`_train_embedding(out=out, **options)` in the folder `out`, locked for the run; one that
    holds a checkpoint needs `force` (embedding runs do not resume)."""
    with training_folder(Path(out), force=force, resumable=False):
        return _train_embedding(out=Path(out), **options)


def _train_simclr(*, out: Path, data: str = "cifar10", profile: str = "quick",
                         epochs: int | None = None, batch_size: int = 256,
                         image_size: int | None = None, encoder: str = "small_cnn",
                         crop: bool = True, colour: bool = True, seed: int = 0,
                         device: str = "auto", progress: bool = True) -> list[dict[str, float]]:
    """SimCLR pre-training on `data`; after every epoch the frozen encoder's linear-probe and
    k-NN accuracy go to metrics.jsonl and the weights to a checkpoint. Returns the rows."""
    images, default_epochs = _images(data, profile, image_size)
    epochs = default_epochs if epochs is None else epochs
    dev = resolve_device(device)
    seed_everything(seed)
    x_train, y_train, x_test, y_test, ds = load_subset(images)
    per_epoch = len(x_train) // batch_size
    if epochs < 1 or per_epoch < 1:
        raise ValueError(f"need epochs >= 1 and batch_size <= {len(x_train)} training images, "
                         f"got {epochs} and {batch_size}")
    recipe = SimCLRRecipe(steps=epochs * per_epoch, batch_size=batch_size, encoder=encoder,
                          augment=SimCLRAugment(crop=crop, colour=colour))
    model = build_simclr(recipe, x_train.shape[-1]).to(dev)
    probe_data = (normalise(x_train, ds.mean, ds.std).to(dev), y_train.to(dev),
                  normalise(x_test, ds.mean, ds.std).to(dev), y_test.to(dev))
    meta = {"kind": "simclr", "recipe": asdict(recipe), "images": asdict(images), "seed": seed}
    rows: list[dict[str, float]] = []
    bar, task = _bar("simclr", recipe.steps, progress)
    losses: list[float] = []

    def on_step(step: int, loss: float) -> None:
        losses.append(loss)
        bar.update(task, advance=1, info=f"loss {loss:.3f} " + _last(rows, "probe_acc"))
        if (step + 1) % per_epoch == 0:
            row = {"epoch": (step + 1) // per_epoch, "step": step + 1,
                   "loss": sum(losses[-per_epoch:]) / per_epoch,
                   **probe_encoder(model.encoder, *probe_data)}
            _end_epoch(Path(out), model, meta, rows, row)

    with bar:
        pretrain_simclr(model, x_train.to(dev), recipe, mean=ds.mean, std=ds.std, seed=seed,
                        on_step=on_step)
    return rows


def _train_embedding(*, out: Path, data: str = "cifar10", profile: str = "quick",
                            loss: str = "triplet", miner: str = "semi_hard",
                            margin: float = 1.0, epochs: int | None = None,
                            batch_size: int = 128, image_size: int | None = None,
                            seed: int = 0, device: str = "auto", progress: bool = True
                            ) -> list[dict[str, float]]:
    """Train an embedding with a contrastive or triplet loss; Recall@1 on the held-out images
    after every epoch (of len(train) / batch_size steps)."""
    images, default_epochs = _images(data, profile, image_size)
    epochs = default_epochs if epochs is None else epochs
    dev = resolve_device(device)
    seed_everything(seed)
    x_train, y_train, x_test, y_test, ds = load_subset(images)
    x_train = normalise(x_train, ds.mean, ds.std).to(dev)
    x_test = normalise(x_test, ds.mean, ds.std).to(dev)
    per_epoch = max(1, len(x_train) // batch_size)
    recipe = EmbeddingRecipe(loss=loss, miner=miner, margin=margin, steps=epochs * per_epoch,
                             batch_size=batch_size)
    check_recipe(recipe)
    meta = {"kind": "embedding", "recipe": asdict(recipe), "images": asdict(images),
            "seed": seed, "in_chans": x_train.shape[1]}
    rows: list[dict[str, float]] = []
    bar, task = _bar(f"{loss} embedding", recipe.steps, progress)

    def on_step(step: int, trained: EmbeddingRun) -> None:
        bar.update(task, advance=1, info=f"loss {trained.loss[-1]:.3f} "
                   + _last(rows, "recall_at_1"))
        if (step + 1) % per_epoch == 0:
            recall = retrieval_metrics(embed(trained.model, x_test), y_test.to(dev), ks=(1,))
            row = {"epoch": (step + 1) // per_epoch, "step": step + 1,
                   "loss": sum(trained.loss[-per_epoch:]) / per_epoch,
                   "active_fraction": _mean(trained.active["train"][-per_epoch:]),
                   "recall_at_1": recall["recall_at_1"]}
            _end_epoch(Path(out), trained.model, meta, rows, row)

    with bar:
        train_embedding(x_train, y_train.to(dev), recipe, seed=seed, on_step=on_step)
    return rows


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v == v]
    return sum(finite) / len(finite) if finite else float("nan")


def _last(rows: list[dict[str, float]], key: str) -> str:
    return f"{key} {rows[-1][key]:.4f}" if rows else ""


def _end_epoch(out: Path, model: nn.Module, meta: dict[str, Any], rows: list[dict[str, float]],
               row: dict[str, float]) -> None:
    rows.append(row)
    atomic_write_text(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    save_checkpoint(out, Checkpoint(model_state=model.state_dict(),
                                    meta={**meta, "epoch": row["epoch"], "step": row["step"],
                                          "history": rows}))


def load_similarity_model(checkpoint: Path) -> tuple[nn.Module, dict[str, Any]]:
    """The SimCLR or embedding model saved in a training folder, in eval mode, and its meta."""
    ckpt = load_checkpoint(checkpoint)
    meta = ckpt.meta
    if meta.get("kind") not in KINDS:
        raise ValueError(f"{checkpoint} holds no similarity model (kind {meta.get('kind')!r}; "
                         f"expected one of {', '.join(KINDS)})")
    images = _config(ImageSubset, meta["images"])
    if meta["kind"] == "simclr":
        recipe = _config(SimCLRRecipe, {**meta["recipe"], "augment": _config(
            SimCLRAugment, meta["recipe"]["augment"])})
        model: nn.Module = build_simclr(recipe, images.size or 32)
    else:
        recipe = _config(EmbeddingRecipe, meta["recipe"])
        model = EmbeddingNet(build_encoder(in_chans=meta["in_chans"], widths=recipe.widths),
                             recipe.dim)
    try:
        model.load_state_dict(ckpt.model_state)
    except RuntimeError as e:
        raise ValueError(f"weights in {checkpoint} do not match a {meta['kind']} model: "
                         f"{e}") from e
    return model.eval(), meta


def _config(cls: type, values: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    if not isinstance(values, dict) or set(values) - names:
        raise ValueError(f"corrupt checkpoint: {cls.__name__} fields expected, got {values!r}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


@torch.no_grad()
def eval_similarity_command(checkpoint: Path, *, device: str = "auto") -> dict[str, float]:
    """Recall@1/2/4/8, precision@1 and MAP@R of the saved model's embeddings (a SimCLR
    model's encoder features) on its held-out images; for SimCLR also the probe accuracies."""
    model, meta = load_similarity_model(checkpoint)
    dev = resolve_device(device)
    model = model.to(dev)
    images = _config(ImageSubset, meta["images"])
    x_train, y_train, x_test, y_test, ds = load_subset(images)
    x_test = normalise(x_test, ds.mean, ds.std).to(dev)
    net = model.encoder if meta["kind"] == "simclr" else model
    metrics = retrieval_metrics(embed(net, x_test), y_test.to(dev))
    if meta["kind"] == "simclr":
        metrics |= probe_encoder(net, normalise(x_train, ds.mean, ds.std).to(dev),
                                 y_train.to(dev), x_test, y_test.to(dev))
    return metrics


def is_similarity_checkpoint(path: Path) -> bool:
    """Whether `path` (a folder or its checkpoint.json) holds a SimCLR or embedding model, so
    that `lecturelab eval` can dispatch on it."""
    folder = Path(path)
    pointer = folder if folder.name == "checkpoint.json" else folder / "checkpoint.json"
    try:
        return json.loads(pointer.read_text()).get("kind") in KINDS
    except (OSError, json.JSONDecodeError, AttributeError):
        return False


simclr_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
embedding_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
Data = Annotated[str, typer.Option(help="cifar10 (or digits).")]
Profile = Annotated[str, profile_option(tuple(PROFILES), "quick: 5,000 images at 16 px.")]
Epochs = Annotated[int | None, typer.Option(min=1, help="Epochs (default: the profile's).")]
ImageSize = Annotated[int | None, typer.Option(min=4, help="Image side (default: the "
                                               "profile's).")]


@simclr_app.command(name="simclr")
def train_simclr_cli(
    name: Annotated[str, typer.Argument(help="simclr.")],
    data: Data = "cifar10", profile: Profile = "quick", epochs: Epochs = None,
    batch_size: Annotated[int, typer.Option(min=2, help="Images a step (two views each).")]
    = 256,
    image_size: ImageSize = None,
    encoder: Annotated[str, typer.Option(help="small_cnn or a zoo model name.")] = "small_cnn",
    crop: Annotated[bool, typer.Option(help="Random resized crop + flip in the views.")] = True,
    colour: Annotated[bool, typer.Option(help="Colour jitter + greyscale in the views.")] = True,
    seed: Seed = 0, device: Device = "auto", out: Out = None, force: Force = False,
) -> None:
    """SimCLR pre-training (Chen et al. 2020); the frozen encoder's linear-probe and k-NN
    accuracy after every epoch go to metrics.jsonl."""
    folder = out or Path(f"checkpoints/simclr-{data}")
    rows = train_simclr_command(out=folder, data=data, profile=profile, epochs=epochs,
                                batch_size=batch_size, image_size=image_size, encoder=encoder,
                                crop=crop, colour=colour, seed=seed, device=device,
                                force=force)
    console.print(f"linear probe {rows[-1]['probe_acc']:.4f}; checkpoint: {folder}")


@embedding_app.command(name="embedding")
def train_embedding_cli(
    name: Annotated[str, typer.Argument(help="embedding.")],
    data: Data = "cifar10", profile: Profile = "quick", epochs: Epochs = None,
    loss: Annotated[str, typer.Option(callback=one_of(("triplet", "contrastive")),
                                      help="triplet or contrastive.")] = "triplet",
    miner: Annotated[str, typer.Option(callback=one_of(("random", "semi_hard", "batch_hard",
                                                         "batch_all")),
                                       help="random, semi_hard, batch_hard or batch_all.")]
    = "semi_hard",
    margin: Annotated[float, typer.Option(min=0.0, help="The loss's margin.")] = 1.0,
    batch_size: Annotated[int, typer.Option(min=2, help="Images a step.")] = 128,
    image_size: ImageSize = None, seed: Seed = 0, device: Device = "auto", out: Out = None,
    force: Force = False,
) -> None:
    """Metric learning with a contrastive or triplet loss; held-out Recall@1 every epoch."""
    folder = out or Path(f"checkpoints/embedding-{data}")
    rows = train_embedding_command(out=folder, data=data, profile=profile, loss=loss,
                                   miner=miner, margin=margin, epochs=epochs,
                                   batch_size=batch_size, image_size=image_size, seed=seed,
                                   device=device, force=force)
    console.print(f"Recall@1 {rows[-1]['recall_at_1']:.4f}; checkpoint: {folder}")
