"""Faster R-CNN, RetinaNet and their parts on tiny hand-made batches (CPU, a few seconds)."""

import pytest
import torch

from lecturelab.detection.anchors import octave_sizes
from lecturelab.detection.backbones import TinyResNet, zoo_backbone
from lecturelab.detection.faster_rcnn import FasterRCNN, FasterRCNNConfig
from lecturelab.detection.fpn import FeaturePyramidNetwork
from lecturelab.detection.mask_head import paste_masks
from lecturelab.detection.recipes import DetectorRecipe
from lecturelab.detection.reference import reference_faster_rcnn, reference_retinanet
from lecturelab.detection.retinanet import RetinaNet, RetinaNetConfig
from lecturelab.detection.roi_heads import RoIHeadsConfig, pool_rois
from lecturelab.detection.rpn import RPNConfig
from lecturelab.detection.training import (
    DetectorTrainConfig,
    flip_horizontally,
    proposal_recall,
    train_detector,
)

SIZE = 64


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tensors this small gain nothing from a second thread, which stalls on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def batch() -> tuple[torch.Tensor, list[dict[str, torch.Tensor]]]:
    """Two 64x64 images: one with two boxes (and masks), one without objects."""
    torch.manual_seed(0)
    masks = torch.zeros(2, SIZE, SIZE, dtype=torch.bool)
    masks[0, 5:20, 5:25] = True
    masks[1, 30:60, 30:50] = True
    first = {"boxes": torch.tensor([[5.0, 5.0, 25.0, 20.0], [30.0, 30.0, 50.0, 60.0]]),
             "labels": torch.tensor([1, 3]), "masks": masks}
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64),
             "masks": torch.zeros(0, SIZE, SIZE, dtype=torch.bool)}
    return torch.rand(2, 3, SIZE, SIZE), [first, empty]


def tiny_backbone() -> TinyResNet:
    return TinyResNet(widths=(8, 16, 32), return_stages=(0, 1), stem_width=8)


def faster_rcnn(masks: bool = False, mask_pool: int = 14) -> FasterRCNN:
    cfg = FasterRCNNConfig(anchor_sizes=((12.0,), (24.0,)),
                           fpn_channels=16, masks=masks, mask_channels=8, mask_pool=mask_pool,
                           rpn=RPNConfig(pre_nms_top_n=50, post_nms_top_n=20,
                                         pre_nms_top_n_test=50, post_nms_top_n_test=20),
                           roi=RoIHeadsConfig(batch_size_per_image=16, representation=32,
                                              canonical_size=32.0, canonical_level=3))
    return FasterRCNN(tiny_backbone(), 5, cfg)


def retinanet(loss: str) -> RetinaNet:
    cfg = RetinaNetConfig(anchor_sizes=octave_sizes((12.0, 24.0, 48.0)), fpn_channels=16,
                          extra_levels=1, head_convs=1, classification_loss=loss)
    return RetinaNet(tiny_backbone(), 5, cfg)


def check_training_step(model, images, targets, keys):
    losses = model.loss(images, targets)
    assert set(losses) == set(keys)
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def check_predictions(predictions, n, masks=False):
    assert len(predictions) == n
    for p in predictions:
        k = len(p["boxes"])
        assert p["boxes"].shape == (k, 4) and p["scores"].shape == (k,)
        assert p["labels"].shape == (k,) and p["labels"].dtype == torch.int64
        assert k == 0 or int(p["labels"].min()) >= 1
        assert k == 0 or bool((p["boxes"] >= 0).all() and (p["boxes"] <= SIZE).all())
        if masks:
            assert p["masks"].shape == (k, SIZE, SIZE) and p["masks"].dtype == torch.bool


@pytest.mark.parametrize("masks", [False, True])
def test_faster_rcnn_loss_and_predict_with_an_empty_image(masks):
    model = faster_rcnn(masks)
    images, targets = batch()
    keys = ["rpn_objectness", "rpn_box", "roi_classification", "roi_box"] + ["mask"] * masks
    check_training_step(model, images, targets, keys)
    model.eval()
    check_predictions(model.predict(images), 2, masks)
    proposals = model.propose(images)
    assert len(proposals) == 2 and all(p.shape[1] == 4 and len(p) <= 20 for p in proposals)


def test_mask_head_resolution_follows_mask_pool():
    model = faster_rcnn(masks=True, mask_pool=7)
    images, targets = batch()
    check_training_step(model, images, targets,
                        ["rpn_objectness", "rpn_box", "roi_classification", "roi_box", "mask"])
    pooled = torch.zeros(3, 16, 7, 7)
    assert model.mask_head(pooled).shape == (3, 5, 14, 14)
    model.eval()
    check_predictions(model.predict(images), 2, True)


def test_faster_rcnn_on_images_without_objects_only():
    model = faster_rcnn(masks=True)
    images, targets = batch()
    check_training_step(model, images[1:], targets[1:],
                        ["rpn_objectness", "rpn_box", "roi_classification", "roi_box", "mask"])


@pytest.mark.parametrize("loss", ["focal", "bce", "ohem"])
def test_retinanet_loss_and_predict_with_an_empty_image(loss):
    model = retinanet(loss)
    images, targets = batch()
    check_training_step(model, images, targets, ["classification", "box_regression"])
    model.eval()
    check_predictions(model.predict(images), 2)


def test_retinanet_starts_at_the_prior():
    model = retinanet("focal")
    images, _ = batch()
    with torch.no_grad():
        p = torch.sigmoid(model.dense(images).logits)
    assert abs(float(p.mean()) - 0.01) < 0.005


def test_zoo_resnet_backbone():
    backbone = zoo_backbone("resnet18", return_stages=(1, 2, 3))
    assert backbone.strides == (8, 16, 32) and backbone.channels == (128, 256, 512)
    model = FasterRCNN(backbone, 5, FasterRCNNConfig(anchor_sizes=((16.0,), (32.0,), (64.0,)),
                                                     fpn_channels=16))
    images, targets = batch()
    assert set(model.loss(images, targets)) == {"rpn_objectness", "rpn_box",
                                                "roi_classification", "roi_box"}


def test_fpn_shapes():
    fpn = FeaturePyramidNetwork((8, 16), 4, extra_levels=2)
    maps = fpn([torch.zeros(1, 8, 16, 16), torch.zeros(1, 16, 8, 8)])
    assert [tuple(m.shape) for m in maps] == [(1, 4, 16, 16), (1, 4, 8, 8), (1, 4, 4, 4),
                                              (1, 4, 2, 2)]


def test_pool_rois_reads_each_box_from_its_level():
    features = [torch.full((1, 1, 16, 16), 1.0), torch.full((1, 1, 8, 8), 2.0)]
    boxes = [torch.tensor([[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 40.0, 40.0]])]
    pooled = pool_rois(features, (4, 8), boxes, output_size=2, sampling_ratio=1,
                       canonical_size=32.0, canonical_level=3)  # 8 px -> level 2, 40 px -> 3
    assert pooled[0].unique().tolist() == [1.0] and pooled[1].unique().tolist() == [2.0]


def test_paste_masks_fills_the_box():
    pasted = paste_masks(torch.ones(1, 28, 28), torch.tensor([[2.0, 3.0, 10.0, 7.0]]), (12, 12))
    expected = torch.zeros(12, 12, dtype=torch.bool)
    expected[3:7, 2:10] = True
    assert torch.equal(pasted[0] >= 0.5, expected)


def test_flip_and_recall():
    images, targets = batch()
    flipped_images, flipped = flip_horizontally(images, targets)
    assert torch.equal(flipped[0]["boxes"][0], torch.tensor([39.0, 5.0, 59.0, 20.0]))
    assert torch.equal(flipped[0]["masks"][0], targets[0]["masks"][0].flip(-1))
    assert torch.equal(flipped_images[:, :, :, 0], images[:, :, :, -1])
    proposals = [torch.tensor([[0.0, 0.0, 5.0, 5.0], [6.0, 5.0, 25.0, 20.0]]), torch.zeros(0, 4)]
    assert proposal_recall(proposals, targets, top_k=2) == 0.5
    assert proposal_recall(proposals, targets, top_k=1) == 0.0


def test_bad_input():
    model = faster_rcnn()
    images, targets = batch()
    with pytest.raises(ValueError, match="images must be float"):
        model.loss(images[:, :1], targets)
    with pytest.raises(ValueError, match="one target per image"):
        model.loss(images, targets[:1])
    bad = [dict(targets[0], labels=torch.tensor([0, 1])), targets[1]]
    with pytest.raises(ValueError, match="labels must be in 1..5"):
        model.loss(images, bad)
    with pytest.raises(ValueError, match="classification_loss"):
        RetinaNetConfig(classification_loss="hinge")


@pytest.mark.parametrize("build", [reference_faster_rcnn, reference_retinanet])
def test_torchvision_references_behind_our_methods(build):
    model = build(DetectorRecipe(widths=(8, 16, 32), fpn_channels=32, representation=32,
                                 head_convs=4), SIZE, 5)
    images, targets = batch()
    with pytest.raises(ValueError, match="eval"):
        model.predict(images)
    losses = model.loss(images, targets)
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    check_predictions(model.predict(images), 2)


def test_training_repeats_exactly_with_a_seed():
    images, targets = batch()
    histories = []
    for _ in range(2):
        torch.manual_seed(0)
        model = retinanet("ohem")
        histories.append(train_detector(model, images, targets,
                                        DetectorTrainConfig(steps=3, batch_size=2,
                                                            warmup_steps=1), seed=1))
    assert histories[0] == histories[1]
