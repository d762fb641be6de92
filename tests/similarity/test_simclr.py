"""SimCLR pre-training, probes and the embedding trainer on tiny inputs."""

import torch

from lecturelab.similarity.encoders import ZooEncoder
from lecturelab.similarity.probes import knn_accuracy, linear_probe
from lecturelab.similarity.simclr import SimCLRRecipe, build_simclr, pretrain_simclr
from lecturelab.similarity.training import EmbeddingRecipe, evaluate_retrieval, train_embedding


def clusters(n=120, seed=0):
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    return torch.randn(n, 8, generator=gen) + 4 * torch.eye(8)[y], y


def test_probes_separate_clear_clusters():
    x, y = clusters()
    xt, yt = clusters(seed=1)
    assert linear_probe(x, y, xt, yt) == 1.0
    assert knn_accuracy(x, y, xt, yt, k=5) == 1.0


def test_simclr_steps_lower_the_loss_and_the_encoder_changes():
    torch.manual_seed(0)
    recipe = SimCLRRecipe(steps=12, batch_size=16, widths=(8, 16), lr=3e-3)
    model = build_simclr(recipe, image_size=8)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    images = torch.rand(32, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    losses = pretrain_simclr(model, images, recipe, mean=None, std=None)
    assert len(losses) == 12 and all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-3:]) < sum(losses[:3])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.encoder.parameters(),
                                                       strict=True))


def test_zoo_models_serve_as_encoders():
    encoder = ZooEncoder("resnet20", image_size=16)
    assert encoder(torch.rand(2, 3, 16, 16)).shape == (2, encoder.feature_dim)


def test_embedding_trainer_records_active_fractions_per_step():
    x = torch.rand(40, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    y = torch.arange(40) % 4
    run = train_embedding(x, y, EmbeddingRecipe(steps=3, batch_size=16, widths=(8,)), seed=0)
    assert len(run.loss) == 3 and set(run.active) == {"train", "random", "batch_hard"}
    assert all(0 <= f <= 1 for f in run.active["batch_hard"])
    assert 0 <= evaluate_retrieval(run.model, x, y)["recall_at_1"] <= 1


def test_supervised_baseline_trains_a_classifier_on_the_encoder():
    from lecturelab.similarity.simclr import accuracy, train_supervised

    recipe = SimCLRRecipe(steps=3, batch_size=16, widths=(8,))
    encoder = build_simclr(recipe, image_size=8).encoder
    x = torch.rand(32, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    y = torch.arange(32) % 4
    net = train_supervised(encoder, x, y, recipe, mean=None, std=None, num_classes=4)
    assert net(x).shape == (32, 4) and 0 <= accuracy(net, x, y) <= 1
