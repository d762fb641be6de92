"""The cell search space of l3.architecture_search and the evolved cell net."""

import random

import pytest
import torch
import torch.nn.functional as F

from lecturelab.models.evolved import (
    DEFAULT_GENOTYPE,
    OPS,
    Cell,
    Combination,
    EvolvedNet,
    check_genotype,
    mutate,
    random_genotype,
    unused_states,
)
from lecturelab.registry import create_model


def test_random_cells_are_valid_and_read_only_earlier_states():
    rng = random.Random(0)
    for _ in range(200):
        genotype = random_genotype(rng, blocks=5)
        check_genotype(genotype)
        for i, (a, op_a, b, op_b) in enumerate(genotype):
            assert 0 <= a < i + 2 and 0 <= b < i + 2 and {op_a, op_b} <= set(OPS)


def test_random_cells_cover_every_op_and_input():
    rng = random.Random(1)
    cells = [random_genotype(rng, blocks=3) for _ in range(300)]
    assert {op for c in cells for blk in c for op in (blk.op_a, blk.op_b)} == set(OPS)
    assert {blk.input_a for c in cells for blk in c[2:]} == {0, 1, 2, 3}


def test_mutation_changes_exactly_one_field_and_keeps_the_cell_valid():
    rng = random.Random(2)
    genotype = random_genotype(rng, blocks=5)
    kinds = set()
    for _ in range(300):
        child = mutate(genotype, rng)
        check_genotype(child)
        diffs = [(i, f) for i, (p, c) in enumerate(zip(genotype, child, strict=True))
                 for f in range(4) if p[f] != c[f]]
        assert len(diffs) == 1
        kinds.add("op" if diffs[0][1] % 2 else "input")
        genotype = child
    assert kinds == {"op", "input"}


def test_first_block_input_mutation_swaps_between_the_two_cell_inputs():
    genotype = (Combination(0, "identity", 1, "identity"),)
    children = {mutate(genotype, random.Random(s)) for s in range(50)}
    inputs = {(c[0].input_a, c[0].input_b) for c in children}
    assert inputs <= {(0, 1), (1, 1), (0, 0)} and len(inputs) == 3


@pytest.mark.parametrize("bad, match", [
    ((), "at least one"),
    ((Combination(2, "identity", 0, "identity"),), "states 0..1"),
    ((Combination(0, "identity", 1, "conv_9x9"),), "unknown op"),
])
def test_invalid_genotypes_are_rejected(bad, match):
    with pytest.raises(ValueError, match=match):
        check_genotype(bad)


def test_unused_states_are_the_block_outputs_no_block_reads():
    genotype = (Combination(0, "identity", 1, "identity"),   # state 2
                Combination(2, "identity", 0, "identity"),   # state 3, reads 2
                Combination(1, "identity", 1, "identity"))   # state 4
    assert unused_states(genotype) == [3, 4]


def test_identity_cell_adds_its_inputs():
    genotype = (Combination(0, "identity", 1, "identity"),)
    cell = Cell(genotype, 4).eval()
    a, b = torch.randn(2, 4, 5, 5), torch.randn(2, 4, 5, 5)
    expected = cell.project(a + b)
    assert torch.allclose(cell(a, b), expected)


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_keeps_the_shape(name):
    x = torch.randn(2, 6, 9, 9)
    assert OPS[name](6)(x).shape == x.shape


def test_evolved_net_trains_every_parameter_and_has_the_classifier_contract():
    torch.manual_seed(0)
    model = EvolvedNet(channels=8, cells=1, num_classes=5)
    x = torch.randn(2, 3, 16, 16)
    F.cross_entropy(model(x), torch.tensor([0, 4])).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.forward_features(x).shape == (2, 32, 4, 4)
    model.reset_classifier(3)
    assert model(x).shape == (2, 3) and model.num_classes == 3


def test_registered_net_uses_the_found_cell():
    model = create_model("evolved_cell_net", num_classes=10, channels=8, cells=1)
    assert model.genotype == DEFAULT_GENOTYPE
    check_genotype(DEFAULT_GENOTYPE)


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="blocks"):
        random_genotype(random.Random(0), blocks=0)
    with pytest.raises(ValueError, match="channels"):
        EvolvedNet(channels=0)
