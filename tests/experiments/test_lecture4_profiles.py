"""The full profiles of the lecture-4 experiments take the one definition of the paper's recipe."""

import torch

from lecturelab.data.motion import generate
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
    optical_flow,
    slowfast,
)


def test_full_profiles_use_the_paper_recipe():
    assert domain_randomization.FULL.recipe == focal_loss.FULL.recipe == PAPER_RECIPE
    assert domain_randomization.FULL.scenes == PAPER_SCENES
    assert instance_segmentation.FULL.recipe.masks
    assert instance_segmentation.FULL.recipe.mask_pool == 14


def test_quick_slowfast_clips_vibrate_between_frames_but_not_across_the_slow_stride():
    """The Slow pathway's frames (alpha apart) of a vibrating clip move no more than a still
    clip's; consecutive frames, which the Fast pathway sees, move clearly more."""
    cfg = slowfast.QUICK
    clips, _ = generate("slowfast", 60, seed=3, **slowfast.clip_config(cfg))
    frames, vibrating = clips["frames"].float(), clips["labels"] % 2 == 1

    def moved(step: int) -> torch.Tensor:  # (N,) fraction of pixels that change
        return (frames[:, step:] - frames[:, :-step]).abs().amax(2).gt(30).float().mean((1, 2, 3))

    fast, slow = moved(1), moved(cfg.alpha)
    assert fast[vibrating].mean() > 2 * fast[~vibrating].mean()
    assert slow[vibrating].mean() < 1.5 * slow[~vibrating].mean()


def test_quick_flownet_c_trains_on_no_more_than_flownet_s():
    """"FlowNetC EPE at most FlowNetS's" is measured with FlowNetC handicapped: no wider, and
    no more training pairs seen, than FlowNetS."""
    s, c = optical_flow.OpticalFlowConfig().flownet_s, optical_flow.OpticalFlowConfig().flownet_c
    assert c.width <= s.width
    assert c.steps * c.batch_size <= s.steps * s.batch_size
    assert s.train().steps == s.steps and s.train().lr == s.lr


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
