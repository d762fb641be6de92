"""Lecture 4, part 2, "beyond single image input": optical flow (FlowNetS/C, the correlation
layer, warping, `.flo` files and the colour wheel), video nets (3-D, (2+1)-D and mixed ResNets,
causal 3-D convolution, inflation of 2-D nets, SlowFast), video segmentation and label
propagation.

Video classifiers follow the zoo's contract (`forward`, `forward_features`, `num_classes`,
`reset_classifier`) on clips (B, C, T, H, W); they are registered in `video_models`, not in the
image zoo's registry, whose generic test feeds images.
"""

from lecturelab.motion.video import mc3_18, r2plus1d_18, r3d_18
from lecturelab.registry import Registry

video_models = Registry("video model")
for _entry in (r3d_18, mc3_18, r2plus1d_18):
    video_models.register(_entry)

__all__ = ["video_models"]
