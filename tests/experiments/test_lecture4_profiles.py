"""The full profiles of the lecture-4 experiments take the one definition of the paper's recipe."""

from lecturelab.detection.recipes import PAPER_RECIPE, PAPER_SCENES
from lecturelab.experiments.lecture4 import domain_randomization, focal_loss, instance_segmentation


def test_full_profiles_use_the_paper_recipe():
    assert domain_randomization.FULL.recipe == focal_loss.FULL.recipe == PAPER_RECIPE
    assert domain_randomization.FULL.scenes == PAPER_SCENES
    assert instance_segmentation.FULL.recipe.masks
    assert instance_segmentation.FULL.recipe.mask_pool == 14
