"""Losses against pytorch-metric-learning (float64, to 1e-6) and on degenerate batches."""

import pytest
import torch
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import reducers as pml_reducers

from lecturelab.similarity.distances import pairwise_distances
from lecturelab.similarity.losses import contrastive_loss, nt_xent_loss, simclr_loss, triplet_loss


def batch(seed=0, n=24, dim=8, classes=4, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=gen, dtype=torch.float64) * scale
    y = torch.randint(0, classes, (n,), generator=gen)
    return x, y


def lp(normalize, power=1):
    return pml_distances.LpDistance(normalize_embeddings=normalize, power=power)


@pytest.mark.parametrize("normalize", [False, True])
def test_distances_match_torch_cdist(normalize):
    x, _ = batch(scale=3.0)
    ref = torch.cdist(torch.nn.functional.normalize(x) if normalize else x, 
                      torch.nn.functional.normalize(x) if normalize else x)
    assert torch.allclose(pairwise_distances(x, normalize=normalize), ref, atol=1e-10)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("reduction,reducer", [("nonzero", None),
                                               ("mean", pml_reducers.MeanReducer())])
def test_contrastive_matches_pml(normalize, reduction, reducer):
    x, y = batch(scale=0.5)
    for margin, pos_margin in ((1.0, 0.0), (0.5, 0.2), (2.0, 0.0)):
        kwargs = {"reducer": reducer} if reducer else {}
        ref = pml_losses.ContrastiveLoss(pos_margin=pos_margin, neg_margin=margin,
                                         distance=lp(normalize), **kwargs)(x, y)
        ours = contrastive_loss(x, y, margin=margin, pos_margin=pos_margin, normalize=normalize,
                                reduction=reduction)
        assert abs(ours.item() - ref.item()) < 1e-6


def test_contrastive_squared_hinge_on_a_hand_worked_pair():
    x = torch.tensor([[0.0, 0.0], [0.3, 0.4], [3.0, 4.0]], dtype=torch.float64)
    y = torch.tensor([0, 0, 1])
    # positives: d=0.5 (twice) -> 0.25; negatives: d=5 (beyond margin 2), d=4.5 -> 0
    assert contrastive_loss(x, y, margin=2.0, power=2, reduction="mean").item() == 0.25
    # margin 4.75: negatives (0,2),(2,0) d=5 -> 0; (1,2),(2,1) d=4.5 -> 0.0625; mean over 4
    loss = contrastive_loss(x, y, margin=4.75, power=2, reduction="mean").item()
    assert loss == pytest.approx(0.25 + 0.0625 / 2)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("squared", [False, True])
def test_triplet_matches_pml_including_squared_distances(normalize, squared):
    x, y = batch(seed=1, scale=0.3)
    for margin in (0.05, 0.2, 1.0):
        ref = pml_losses.TripletMarginLoss(margin=margin,
                                           distance=lp(normalize, 2 if squared else 1))(x, y)
        ours = triplet_loss(x, y, margin=margin, squared=squared, normalize=normalize)
        assert abs(ours.item() - ref.item()) < 1e-6


def test_triplet_with_given_triplets_matches_pml_with_an_indices_tuple():
    x, y = batch(seed=2)
    a, p = torch.tensor([0, 1, 2]), torch.tensor([5, 6, 7])
    y[p] = y[a]
    n = torch.tensor([int((y != y[i]).nonzero()[0]) for i in a])
    ref = pml_losses.TripletMarginLoss(margin=0.3, distance=lp(False))(x, y, (a, p, n))
    assert abs(triplet_loss(x, y, (a, p, n), margin=0.3).item() - ref.item()) < 1e-6


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_nt_xent_matches_pml(temperature):
    x, y = batch(seed=3, n=20, classes=6)
    ref = pml_losses.NTXentLoss(temperature=temperature)(x, y)
    assert abs(nt_xent_loss(x, y, temperature=temperature).item() - ref.item()) < 1e-6


def test_simclr_loss_is_cross_entropy_over_the_other_views():
    gen = torch.Generator().manual_seed(4)
    z1, z2 = (torch.randn(6, 5, generator=gen, dtype=torch.float64) for _ in range(2))
    z = torch.nn.functional.normalize(torch.cat([z1, z2]))
    logits = (z @ z.T / 0.5).fill_diagonal_(float("-inf"))
    target = torch.arange(12).roll(6)  # view i's partner is i + N (mod 2N)
    ref = torch.nn.functional.cross_entropy(logits, target)
    assert abs(simclr_loss(z1, z2, temperature=0.5).item() - ref.item()) < 1e-10
    labels = torch.arange(6).repeat(2)
    pml = pml_losses.NTXentLoss(temperature=0.5)(torch.cat([z1, z2]), labels)
    assert abs(pml.item() - ref.item()) < 1e-6


LOSSES = {
    "contrastive": lambda x, y: contrastive_loss(x, y, margin=1.0),
    "contrastive_normalised": lambda x, y: contrastive_loss(x, y, normalize=True),
    "triplet": lambda x, y: triplet_loss(x, y, margin=0.2),
    "triplet_squared": lambda x, y: triplet_loss(x, y, squared=True),
    "nt_xent": lambda x, y: nt_xent_loss(x, y),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("labels", [[3, 3, 3, 3], [0, 1, 2, 3], [0, 0, 1, 2]],
                         ids=["one_class", "singletons", "mixed"])
def test_degenerate_batches_give_finite_loss_and_gradients(name, labels):
    x = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 2.0], [0.5, -1.0]], requires_grad=True)
    loss = LOSSES[name](x, torch.tensor(labels))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()


def test_bad_shapes_name_the_expectation():
    with pytest.raises(ValueError, match="labels must be an integer"):
        triplet_loss(torch.zeros(4, 2), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"float \(B, D\)"):
        contrastive_loss(torch.zeros(4), torch.zeros(4, dtype=torch.int64))
