"""The `motion` data: deterministic by seed, exact flow (warping reconstructs the first frame
away from occlusions), uninformative single frames, the registry entry."""

import numpy as np
import pytest
import torch

from lecturelab.data import load_dataset
from lecturelab.data.motion import (
    ACTIONS,
    FlowConfig,
    VideoConfig,
    generate,
    render_action,
    render_flow_sequence,
)
from lecturelab.motion.warp import backward_warp


@pytest.mark.parametrize("kind", ["flow", "camouflage", "actions", "slowfast", "flicker"])
def test_generator_is_deterministic_by_seed(kind):
    a, classes = generate(kind, 3, seed=5)
    b, _ = generate(kind, 3, seed=5)
    c, _ = generate(kind, 3, seed=6)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["frames"], c["frames"])
    assert a["frames"].dtype == torch.uint8
    if kind in ("actions", "slowfast"):
        assert len(classes) == 6 and a["labels"].tolist() == [0, 1, 2]


def test_registered_dataset_splits_and_bad_config():
    data = load_dataset("motion", kind="actions", n_train=12, n_test=6, frames=4)
    assert data.train["frames"].shape == (12, 4, 3, 32, 32) and data.classes == ACTIONS
    assert not torch.equal(data.train["frames"][:6], data.test["frames"])
    with pytest.raises(ValueError, match="unknown VideoConfig field"):
        load_dataset("motion", kind="actions", n_train=2, n_test=2, colour=3)
    with pytest.raises(ValueError, match="motion kind must be one of"):
        load_dataset("motion", kind="chairs")


def test_true_flow_warps_the_second_frame_onto_the_first_away_from_occlusions():
    seq = generate("flow", 4, seed=0, max_zoom=0.05)[0]
    f1, f2 = seq["frames"][:, 0].float(), seq["frames"][:, 1].float()
    flow, visible = seq["flow"][:, 0], ~seq["occlusion"][:, 0]
    warped = backward_warp(f2, flow)
    error = (warped - f1).abs().mean(1)[visible].mean()
    unwarped = (f2 - f1).abs().mean(1)[visible].mean()
    assert error < 0.2 * unwarped and error < 6  # bilinear resampling of textures, 0-255
    assert 0 < (~visible).float().mean() < 0.3


def test_pure_translation_flow_is_exact():
    cfg = FlowConfig(size=32, max_objects=0, min_objects=0, background_rotation=0.0,
                     background_zoom=0.0)
    seq = render_flow_sequence(cfg, np.random.default_rng(1))
    flow = seq["flow"][0]
    assert torch.allclose(flow, flow[:, :1, :1].expand_as(flow), atol=1e-4)  # one velocity
    shifted = backward_warp(seq["frames"][1:2].float(), flow[None])
    inner = (slice(None), slice(None), slice(4, -4), slice(4, -4))
    assert (shifted - seq["frames"][:1].float())[inner].abs().mean() < 4


def test_an_action_video_starts_from_the_same_frame_whatever_the_action():
    cfg = VideoConfig(frames=3)
    clips = [render_action(cfg, np.random.default_rng(7), a) for a in range(len(ACTIONS))]
    assert all(torch.equal(c[0], clips[0][0]) for c in clips)  # frame 0 says nothing
    assert all(not torch.equal(a[1], b[1]) for a, b in zip(clips, clips[1:], strict=False))


def test_camouflage_moves_by_whole_pixels_with_its_texture():
    data, _ = generate("camouflage", 2, seed=0, frames=3)
    masks, frames = data["masks"][0], data["frames"][0]
    c0, c1 = (torch.nonzero(m).float().mean(0) for m in masks[:2])
    dy, dx = (int(v) for v in (c1 - c0).round())
    assert 2 <= max(abs(dy), abs(dx)) <= 5
    moved = torch.roll(frames[0], (dy, dx), dims=(1, 2))  # frame 0 shifted by the step
    both = masks[1] & torch.roll(masks[0], (dy, dx), dims=(0, 1))
    assert both.sum() > 50 and torch.equal(frames[1][:, both], moved[:, both])
