"""`lecturelab eval FOLDER`: evaluate a checkpoint of any kind.

A classifier prints its test loss and accuracy (on its training data's test split, or --data),
a detector its COCO table on its held-out scenes, a FlowNet its end-point error on its held-out
`motion` pairs. An AlphaZero agent is rated by playing, so
eval says so in one line and exits with code 2: `lecturelab play GAME --checkpoint FOLDER`.
The data must be the data the checkpoint recorded it was trained on (its fingerprint,
train/provenance.py); `--allow-data-change` turns a refusal into a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lecturelab.cli.core import UserError, app, console, print_coco_table
from lecturelab.cli.options import AllowDataChange, Device


@app.command("eval")
def eval_cli(
    checkpoint: Annotated[Path, typer.Argument(help="A training folder or its checkpoint.json.")],
    data: Annotated[str | None, typer.Option(help="Classifiers: a dataset (default: the "
                                             "training data).")] = None,
    device: Device = "auto",
    allow_data_change: AllowDataChange = False,
) -> None:
    """Evaluate a checkpoint: test loss and accuracy, or a detector's COCO table."""
    from lecturelab.runtime import resolve_device
    from lecturelab.train.api import evaluate_checkpoint
    from lecturelab.train.checkpoint import read_pointer, resolve_checkpoint

    state = read_pointer(resolve_checkpoint(checkpoint))
    kind = state.get("kind", "classifier")
    if kind == "alphazero":
        game = state.get("game", "GAME")
        raise UserError(f"{checkpoint} holds an AlphaZero agent; play it: lecturelab play {game} "
                        f"--checkpoint {checkpoint}")
    if kind in ("simclr", "embedding"):
        from lecturelab.cli.similarity import eval_similarity_command

        if data is not None:
            raise UserError(f"--data does not apply to a {kind} model ({checkpoint}): it is "
                            f"evaluated on the held-out images it was trained with")
        metrics = eval_similarity_command(checkpoint, device=device)
        console.print(" ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
        return
    if kind == "flownet":
        from lecturelab.motion.training import eval_flownet

        if data is not None:
            raise UserError(f"--data does not apply to a FlowNet ({checkpoint}): it is "
                            f"evaluated on the held-out motion pairs of its run")
        metrics = eval_flownet(checkpoint, device=device)
        console.print(f"EPE {metrics['epe']:.4f} (zero flow {metrics['zero_flow_epe']:.4f}) on "
                      f"{state.get('n_test', '?')} held-out motion pairs")
        return
    if kind == "detector":
        from lecturelab.cli.detectors import eval_detector_command

        if data is not None:
            raise UserError(f"--data does not apply to a detector ({checkpoint}): it is "
                            f"evaluated on the held-out scenes it was trained with")
        print_coco_table(eval_detector_command(checkpoint, device=device,
                                               allow_data_change=allow_data_change))
        return
    metrics = evaluate_checkpoint(checkpoint, data, device=resolve_device(device),
                                  allow_data_change=allow_data_change)
    console.print(" ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
