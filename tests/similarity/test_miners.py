"""Miners on a hand-worked batch, against pytorch-metric-learning's, and on degenerate batches."""

import pytest
import torch
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import miners as pml_miners

from lecturelab.similarity.distances import pairwise_distances
from lecturelab.similarity.miners import (
    active_fraction,
    batch_hard_triplets,
    margin_triplets,
    mine,
    random_triplets,
    semi_hard_triplets,
)

# points on a line; labels A A A B B: distances are |x_i - x_j|
LINE = torch.tensor([[0.0], [1.0], [3.2], [1.5], [10.0]], dtype=torch.float64)
LINE_LABELS = torch.tensor([0, 0, 0, 1, 1])


def as_set(triplets):
    return set(zip(*(t.tolist() for t in triplets), strict=True))


def test_batch_hard_on_a_hand_worked_batch():
    dist = pairwise_distances(LINE)
    # anchor 0: farthest positive 2 (d 3.2), nearest negative 3 (d 1.5); anchor 3: positive 4,
    # nearest negative 1 (d 0.5); anchor 4: positive 3, nearest negative 2 (d 6.8)
    assert as_set(batch_hard_triplets(dist, LINE_LABELS)) == {
        (0, 2, 3), (1, 2, 3), (2, 0, 3), (3, 4, 1), (4, 3, 2)}


def test_semi_hard_on_a_hand_worked_batch():
    dist = pairwise_distances(LINE)
    mined = {(a, p): n for a, p, n in as_set(semi_hard_triplets(dist, LINE_LABELS))}
    assert mined[(0, 1)] == 3  # d(0,1)=1 < d(0,3)=1.5: the nearest negative beyond the positive
    assert mined[(0, 2)] == 4  # d(0,2)=3.2: only negative 4 (d 10) lies beyond it
    assert mined[(2, 0)] == 4  # d(2,0)=3.2 > d(2,3)=1.7; beyond it only 4 (d 6.8)
    assert mined[(4, 3)] == 1  # d(4,3)=8.5; beyond it 1 (d 9) and 0 (d 10): the nearer
    assert mined[(3, 4)] == 2  # d(3,4)=8.5, every negative nearer: the farthest (d 1.7)
    assert len(mined) == 3 * 2 + 2  # every anchor-positive pair once


def test_random_triplets_are_valid_and_cover_every_anchor():
    gen = torch.Generator().manual_seed(0)
    a, p, n = random_triplets(LINE_LABELS, per_anchor=50, generator=gen)
    y = LINE_LABELS
    assert (y[a] == y[p]).all() and (a != p).all() and (y[a] != y[n]).all()
    assert set(a.tolist()) == set(range(5))
    assert set(p[a == 0].tolist()) == {1, 2} and set(n[a == 0].tolist()) == {3, 4}


def embeddings(seed, n=32, classes=4):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(n, 6, generator=gen, dtype=torch.float64),
            torch.randint(0, classes, (n,), generator=gen))


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("power", [1, 2])
def test_batch_hard_matches_pml(normalize, power):
    for seed in range(3):
        x, y = embeddings(seed)
        distance = pml_distances.LpDistance(normalize_embeddings=normalize, power=power)
        ref = pml_miners.BatchHardMiner(distance=distance)(x, y)
        dist = pairwise_distances(x, normalize=normalize, squared=power == 2)
        assert as_set(batch_hard_triplets(dist, y)) == as_set(ref)


@pytest.mark.parametrize("kind", ["all", "hard", "semihard"])
@pytest.mark.parametrize("normalize", [False, True])
def test_margin_triplets_match_pml_triplet_margin_miner(kind, normalize):
    x, y = embeddings(5)
    distance = pml_distances.LpDistance(normalize_embeddings=normalize)
    ref = pml_miners.TripletMarginMiner(margin=0.3, type_of_triplets=kind, distance=distance)
    ours = margin_triplets(pairwise_distances(x, normalize=normalize), y, margin=0.3, kind=kind)
    assert as_set(ours) == as_set(ref(x, y))


def test_semi_hard_picks_the_nearest_of_pml_semihard_negatives():
    x, y = embeddings(6)
    ref = pml_miners.TripletMarginMiner(margin=0.5, type_of_triplets="semihard",
                                        distance=pml_distances.LpDistance(
                                            normalize_embeddings=False))(x, y)
    dist = pairwise_distances(x)
    ours = {(a, p): n for a, p, n in as_set(semi_hard_triplets(dist, y))}
    candidates = {}
    for a, p, n in as_set(ref):
        candidates.setdefault((a, p), []).append(n)
    assert candidates
    for (a, p), negatives in candidates.items():
        assert ours[(a, p)] == min(negatives, key=lambda n: dist[a, n].item())


def test_active_fraction_on_the_hand_worked_batch():
    dist = pairwise_distances(LINE)
    mined = batch_hard_triplets(dist, LINE_LABELS)
    # d(a,p) - d(a,n) + 0.5: 3.2-1.5, 2.2-0.5, 3.2-1.7, 8.5-0.5, 8.5-6.8 (+0.5) all > 0
    assert active_fraction(dist, mined, 0.5) == 1.0
    easy = (torch.tensor([4]), torch.tensor([3]), torch.tensor([0]))  # 8.5 - 10 + 0.5 < 0
    assert active_fraction(dist, easy, 0.5) == 0.0


@pytest.mark.parametrize("miner", ["random", "semi_hard", "batch_hard", "batch_all"])
@pytest.mark.parametrize("labels", [[2, 2, 2, 2], [0, 1, 2, 3]], ids=["one_class", "singletons"])
def test_degenerate_batches_give_no_triplets(miner, labels):
    x = torch.randn(4, 3)
    triplets = mine(miner, pairwise_distances(x), torch.tensor(labels), margin=0.2)
    assert all(len(t) == 0 for t in triplets)


def test_unknown_miner_is_named():
    with pytest.raises(ValueError, match="unknown miner 'hardest'"):
        mine("hardest", torch.zeros(2, 2), torch.tensor([0, 1]), margin=0.2)
