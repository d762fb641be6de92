"""The full profiles of the lecture-4 experiments take the one definition of the paper's recipe."""

from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    QUICK_SCENES,
    QUICK_TRAIN,
    QUICK_TRAIN_TWO_STAGE,
)
from lecturelab.experiments.lecture4 import (
    box_regression,
    domain_randomization,
    faster_rcnn,
    focal_loss,
    instance_segmentation,
    one_vs_two_stage,
)


def test_full_profiles_use_the_paper_recipe():
    assert domain_randomization.FULL.recipe == focal_loss.FULL.recipe == PAPER_RECIPE
    assert domain_randomization.FULL.scenes == PAPER_SCENES
    assert instance_segmentation.FULL.recipe.masks
    assert instance_segmentation.FULL.recipe.mask_pool == 14


def test_quick_profiles_ask_for_the_same_shared_detectors():
    """The group's budget counts each shared detector once: every quick profile must name the
    one quick schedule of its kind and the one quick scenes, or `trained` would train a copy."""
    one_stage = {box_regression.BoxRegressionConfig().detector_train,
                 domain_randomization.DomainRandomizationConfig().train,
                 focal_loss.FocalLossConfig().train, one_vs_two_stage.OneVsTwoStageConfig().train}
    two_stage = {faster_rcnn.FasterRCNNExperimentConfig().train,
                 one_vs_two_stage.OneVsTwoStageConfig().train_two_stage}
    scenes = {box_regression.BoxRegressionConfig().scenes,
              domain_randomization.DomainRandomizationConfig().scenes,
              faster_rcnn.FasterRCNNExperimentConfig().scenes,
              focal_loss.FocalLossConfig().scenes, one_vs_two_stage.OneVsTwoStageConfig().scenes}
    assert one_stage == {QUICK_TRAIN} and two_stage == {QUICK_TRAIN_TWO_STAGE}
    assert scenes == {QUICK_SCENES} and QUICK_TRAIN.steps == QUICK_TRAIN_TWO_STAGE.steps
