"""Every registered experiment runs at smoke size and writes a well-formed result.

Verdicts are not asserted here (they are what `lecturelab run` measures); crashes are.
"""

import json

import pytest
import torch

from lecturelab.lab import list_experiments
from lecturelab.lab.runner import run_one

SPECS = list_experiments()


def test_every_lecture2_claim_has_an_experiment():
    ids = {s.id for s in SPECS}
    expected = {"l2.xor", "l2.universal_approximation", "l2.approximation_vs_representation",
                "l2.linear_regions", "l2.double_descent", "l2.dead_relu", "l2.gradient_flow",
                "l2.training_recipe", "l2.backprop", "l2.losses", "l2.shattering",
                "l2.small_weights"}
    assert expected <= ids


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_smoke_profile_runs_and_writes_a_result(spec, tmp_path):
    record = run_one(spec, "smoke", 0, torch.device("cpu"), tmp_path)
    assert record["verdict"] in ("reproduced", "not reproduced"), record.get("traceback")
    saved = json.loads((tmp_path / spec.id / "result.json").read_text())
    assert saved["checks"] and all({"name", "passed", "measured"} == set(c)
                                   for c in saved["checks"])
    assert saved["criterion"] and saved["claim"]
    for name in saved["figures"]:
        assert (tmp_path / spec.id / name).stat().st_size > 0
