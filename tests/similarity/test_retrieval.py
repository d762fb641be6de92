"""Retrieval metrics against pytorch-metric-learning's AccuracyCalculator and scikit-learn."""

import pytest
import torch
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from pytorch_metric_learning.utils.inference import CustomKNN
from sklearn.neighbors import NearestNeighbors

from lecturelab.similarity.retrieval import map_at_r, retrieval_metrics


def labelled(seed, n=300, classes=7):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, classes, (n,), generator=gen)
    x = torch.randn(n, 5, generator=gen, dtype=torch.float64) + 0.8 * y[:, None].double()
    return x, y


@pytest.mark.parametrize("seed", [0, 1])
def test_map_at_r_and_precision_at_1_match_pml(seed):
    x, y = labelled(seed)
    y[:3] = 11  # a singleton class: left out as a query, still in the reference set
    y[3] = 11
    y[4] = 12
    calc = AccuracyCalculator(include=("precision_at_1", "mean_average_precision_at_r"),
                              k="max_bin_count", device=torch.device("cpu"),
                              knn_func=CustomKNN(LpDistance(normalize_embeddings=False)))
    ref = calc.get_accuracy(x, y)
    ours = retrieval_metrics(x, y)
    assert abs(ours["precision_at_1"] - ref["precision_at_1"]) < 1e-9
    assert abs(ours["map_at_r"] - ref["mean_average_precision_at_r"]) < 1e-9


def test_recall_at_k_matches_a_scikit_learn_neighbour_search():
    x, y = labelled(2)
    _, idx = NearestNeighbors(n_neighbors=9).fit(x.numpy()).kneighbors(x.numpy())
    neighbours = torch.from_numpy(idx[:, 1:])  # drop the query itself
    ours = retrieval_metrics(x, y, ks=(1, 2, 4, 8))
    for k in (1, 2, 4, 8):
        ref = (y[neighbours[:, :k]] == y[:, None]).any(dim=1).double().mean().item()
        assert abs(ours[f"recall_at_{k}"] - ref) < 1e-12


def test_map_at_r_on_a_hand_worked_ranking():
    # R = 3; hits at ranks 1 and 3: (1/1 + 2/3) / 3
    same = torch.tensor([[True, False, True, True]])
    assert map_at_r(same, torch.tensor([3])) == pytest.approx((1 + 2 / 3) / 3)


def test_chunked_distances_agree_with_one_block(monkeypatch):
    x, y = labelled(3, n=50)
    whole = retrieval_metrics(x, y)
    monkeypatch.setattr("lecturelab.similarity.retrieval.CHUNK", 7)
    assert retrieval_metrics(x, y) == whole


def test_only_singletons_give_nan_and_bad_k_is_named():
    metrics = retrieval_metrics(torch.randn(4, 2), torch.arange(4))
    assert all(v != v for v in metrics.values())
    with pytest.raises(ValueError, match="Recall@K"):
        retrieval_metrics(torch.randn(4, 2), torch.tensor([0, 0, 1, 1]), ks=(1, 8))
