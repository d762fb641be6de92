"""Every registered experiment runs at smoke size and writes a well-formed result.

Verdicts are not asserted here (they are what `lecturelab run` measures); crashes are.
"""

import json

import pytest
import torch

from lecturelab.lab import list_experiments
from lecturelab.lab.runner import run_one

SPECS = list_experiments()


EXPECTED = {
    1: "alphazero_tictactoe alphazero_connect4 search_per_decision self_play_improvement "
       "policy_tsne protein_image universal_intelligence capture_the_flag",
    2: "xor universal_approximation approximation_vs_representation linear_regions "
       "double_descent dead_relu gradient_flow training_recipe backprop losses shattering "
       "small_weights",
    3: "conv_variants weight_sharing translation_equivariance small_kernels batchnorm "
       "residual_depth bottleneck_cost depthwise_separable architecture_zoo squeeze_excitation "
       "augmentation activation_maximisation transfer_learning architecture_search "
       "group_equivariance",
    4: "box_regression faster_rcnn focal_loss one_vs_two_stage unet segmentation_metrics "
       "instance_segmentation domain_randomization contrastive_vs_triplet hard_negative_mining "
       "self_supervised optical_flow motion_helps causal_conv3d action_recognition inflation "
       "slowfast temporal_flicker label_propagation",
}


@pytest.mark.parametrize("lecture", sorted(EXPECTED))
def test_every_claim_of_the_built_lectures_has_an_experiment(lecture):
    ids = {s.id for s in SPECS if s.lecture == lecture}
    assert {f"l{lecture}.{name}" for name in EXPECTED[lecture].split()} <= ids


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_smoke_profile_runs_and_writes_a_result(spec, tmp_path):
    record = run_one(spec, "smoke", 0, torch.device("cpu"), tmp_path)
    assert record["verdict"] in ("reproduced", "not reproduced"), record.get("traceback")
    saved = json.loads((tmp_path / spec.id / "result.json").read_text())
    keys = {"name", "value", "comparison", "threshold", "tolerance", "detail", "passed",
            "measured"}
    assert saved["checks"] and all(keys == set(c) for c in saved["checks"])
    assert saved["criterion"] and saved["claim"]
    for name in saved["figures"]:
        assert (tmp_path / spec.id / name).stat().st_size > 0
