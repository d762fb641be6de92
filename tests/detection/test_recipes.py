from dataclasses import replace

import pytest
import torch

from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_TRAIN,
    PAPER_TRAIN_TWO_STAGE,
    QUICK_SCENES,
    DetectorRecipe,
    Scenes,
    retinanet,
    scene_tensors,
    trained,
)
from lecturelab.detection.reference import reference_retinanet
from lecturelab.detection.training import DetectorTrainConfig


def counts(targets):
    return [len(t["labels"]) for t in targets]


def test_training_scenes_are_denser_than_the_held_out_ones():
    scenes = Scenes(size=32, n_train=40, n_test=40, max_objects=2, train_objects=(3, 4))
    images, targets, test_images, test_targets = scene_tensors(scenes, 0)
    assert images.shape == (40, 3, 32, 32) and test_images.shape == (40, 3, 32, 32)
    assert set(counts(targets)) <= {3, 4} and len(set(counts(targets))) == 2
    assert set(counts(test_targets)) <= {0, 1, 2} and 0 in counts(test_targets)


def test_without_train_objects_both_splits_share_one_distribution():
    scenes = Scenes(size=32, n_train=40, n_test=40, max_objects=2, train_objects=None)
    _, targets, _, test_targets = scene_tensors(scenes, 0)
    assert set(counts(targets)) == set(counts(test_targets)) == {0, 1, 2}


@pytest.mark.parametrize(("ratios", "iou"), [((1.0,), (0.4, 0.3)), ((0.5, 1.0, 2.0), (0.5, 0.4))])
def test_retinanet_takes_the_recipe_anchors_and_matching(ratios, iou):
    recipe = DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, aspect_ratios=ratios,
                            match_iou=iou)
    model = retinanet(recipe, 64, 5)
    assert model.anchor_generator.num_anchors_per_location == 3 * len(ratios)
    assert (model.cfg.fg_iou, model.cfg.bg_iou) == iou


def test_a_trained_detector_is_shared_however_its_arguments_are_passed():
    scenes = Scenes(size=64, n_train=4, n_test=1)
    recipe = DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, head_convs=1)
    train = DetectorTrainConfig(steps=1, batch_size=2, warmup_steps=1)
    cpu = torch.device("cpu")
    first = trained("retinanet", recipe, scenes, train, 0, cpu)
    assert trained("retinanet", recipe, scenes, train, 0, cpu, loss="focal") is first
    assert trained("retinanet", recipe, scenes, train, 0, cpu, "bce") is not first


def test_torchvision_reference_matches_with_the_recipe_thresholds():
    recipe = DetectorRecipe(widths=(8, 16, 32), fpn_channels=32, match_iou=(0.4, 0.3))
    matcher = reference_retinanet(recipe, 64, 5).model.proposal_matcher
    assert (matcher.high_threshold, matcher.low_threshold) == (0.4, 0.3)


def test_paper_profiles_keep_the_papers_anchors_matching_masks_and_schedule():
    assert PAPER_RECIPE.aspect_ratios == (0.5, 1.0, 2.0)
    assert PAPER_RECIPE.match_iou == (0.5, 0.4)
    assert PAPER_RECIPE.mask_pool == 14
    assert (PAPER_TRAIN.batch_size, PAPER_TRAIN.optimizer, PAPER_TRAIN.lr) == (16, "sgd", 0.01)
    assert PAPER_TRAIN_TWO_STAGE == replace(PAPER_TRAIN, lr=0.02)


def test_rendered_scenes_are_shared_however_their_arguments_are_passed():
    scenes = Scenes(size=32, n_train=2, n_test=1)
    assert scene_tensors(scenes, 0) is scene_tensors(scenes=scenes, seed=0)
    assert scene_tensors(scenes, 1) is not scene_tensors(scenes, 0)


def test_quick_training_scenes_hold_objects_and_more_than_the_held_out_ones():
    low, high = QUICK_SCENES.train_objects
    assert 0 < low <= QUICK_SCENES.max_objects < high


def test_lecturelab_train_takes_the_experiments_quick_schedule_of_each_kind():
    """`lecturelab train faster_rcnn` trains what l4.faster_rcnn does (its own lr), RetinaNet
    what the one-stage experiments do."""
    from lecturelab.detection.recipes import QUICK_TRAIN, QUICK_TRAIN_TWO_STAGE
    from lecturelab.train.recipes import detector_recipe

    assert detector_recipe("quick", "retinanet")[2] == QUICK_TRAIN
    for model in ("faster_rcnn", "mask_rcnn"):
        assert detector_recipe("quick", model)[2] == QUICK_TRAIN_TWO_STAGE


def test_detector_builds_either_kind_and_names_an_unknown_one():
    from lecturelab.detection.faster_rcnn import FasterRCNN
    from lecturelab.detection.recipes import QUICK_RECIPE, detector
    from lecturelab.detection.retinanet import RetinaNet

    assert isinstance(detector("faster_rcnn", QUICK_RECIPE, 64), FasterRCNN)
    bce = detector("retinanet", QUICK_RECIPE, 64, loss="bce")
    assert isinstance(bce, RetinaNet) and bce.cfg.classification_loss == "bce"
    with pytest.raises(ValueError, match="kind must be faster_rcnn or retinanet, got 'yolo'"):
        detector("yolo", QUICK_RECIPE, 64)
