"""Flow io, colour wheel, warping, the correlation layer (against a loop), FlowNets, EPE and
the checkpointed training function."""

import numpy as np
import pytest
import torch
from torchvision.utils import flow_to_image

from lecturelab.cli import main
from lecturelab.data.motion import FlowConfig
from lecturelab.errors import LabError
from lecturelab.motion.correlation import correlation, displacements
from lecturelab.motion.flow_io import flow_to_colour, read_flo, write_flo
from lecturelab.motion.flownet import FlowNetC, FlowNetS, end_point_error, multiscale_loss
from lecturelab.motion.training import (
    FlowTrainConfig,
    eval_flownet,
    flip,
    train_flownet,
    train_flownet_command,
)
from lecturelab.motion.warp import backward_warp
from lecturelab.train.api import load_trained


def test_flo_round_trip_and_corrupt_files(tmp_path):
    flow = torch.randn(2, 5, 7)
    path = write_flo(tmp_path / "a.flo", flow)
    assert path.read_bytes()[:4] == b"PIEH" and len(path.read_bytes()) == 12 + 8 * 35
    assert torch.equal(read_flo(path), flow)
    (tmp_path / "b.flo").write_bytes(b"nope" * 5)
    with pytest.raises(ValueError, match="not a .flo file"):
        read_flo(tmp_path / "b.flo")
    (tmp_path / "c.flo").write_bytes(path.read_bytes()[:-4])
    with pytest.raises(ValueError, match="needs 292 bytes"):
        read_flo(tmp_path / "c.flo")


def test_colour_wheel_matches_torchvision():
    flow = torch.randn(2, 2, 17, 19) * 3
    for f in flow:  # torchvision scales a batch by its largest magnitude; we scale each flow
        assert (flow_to_colour(f).int() - flow_to_image(f).int()).abs().max() <= 1
    assert flow_to_colour(torch.zeros(2, 3, 3)).eq(255).all()  # no motion: white


def test_backward_warp_by_a_whole_pixel_shift_is_a_roll():
    image = torch.rand(1, 3, 8, 8)
    flow = torch.zeros(1, 2, 8, 8)
    flow[:, 0] = 2.0  # read two pixels to the right
    warped = backward_warp(image, flow)
    assert torch.allclose(warped[..., :6], image[..., 2:], atol=1e-6)
    assert warped[..., 6:].abs().max() == 0  # off the frame: zeros
    with pytest.raises(ValueError, match="same B, H, W"):
        backward_warp(image, flow[..., :4])


def loop_correlation(f1, f2, m, stride, normalize):
    if normalize:
        f1 = f1 - f1.mean(1, keepdim=True)
        f2 = f2 - f2.mean(1, keepdim=True)
        f1 = f1 / f1.norm(dim=1, keepdim=True).clamp_min(1e-12)
        f2 = f2 / f2.norm(dim=1, keepdim=True).clamp_min(1e-12)
    b, c, h, w = f1.shape
    moves = displacements(m, stride)
    out = torch.zeros(b, len(moves), h, w, dtype=f1.dtype)
    for n in range(b):
        for k, (dy, dx) in enumerate(moves):
            for y in range(h):
                for x in range(w):
                    if 0 <= y + dy < h and 0 <= x + dx < w:
                        dot = float((f1[n, :, y, x] * f2[n, :, y + dy, x + dx]).sum())
                        out[n, k, y, x] = dot if normalize else dot / c
    return out


@pytest.mark.parametrize(("m", "stride", "normalize"), [(2, 1, False), (3, 2, False),
                                                         (1, 1, True)])
def test_correlation_equals_the_loop_reference(m, stride, normalize):
    gen = torch.Generator().manual_seed(m)
    f1, f2 = torch.randn(2, 2, 4, 6, 5, generator=gen, dtype=torch.float64)
    ours = correlation(f1, f2, m, stride=stride, normalize=normalize)
    assert torch.allclose(ours, loop_correlation(f1, f2, m, stride, normalize), atol=1e-10)
    f1.requires_grad_(True)
    correlation(f1, f2, m, stride=stride).sum().backward()
    assert f1.grad is not None and f1.grad.abs().sum() > 0


@pytest.mark.parametrize("cls", [FlowNetS, FlowNetC])
def test_flownets_predict_multiscale_flow_with_gradients(cls):
    torch.manual_seed(0)
    net = cls(width=4)
    a, b = torch.rand(2, 2, 3, 32, 32)
    flows = net(a, b)
    assert [tuple(f.shape) for f in flows] == [(2, 2, 8, 8), (2, 2, 4, 4), (2, 2, 2, 2)]
    assert net.estimate(a, b).shape == (2, 2, 32, 32)
    multiscale_loss(flows, torch.randn(2, 2, 32, 32)).backward()
    assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(ValueError, match="multiples of 16"):
        net(a[..., :30], b[..., :30])


def test_end_point_error_hand_worked_and_loss_of_a_perfect_pyramid():
    flow, target = torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2)
    target[0, 0, 0, 0], target[0, :, 1, 1] = 3.0, torch.tensor([3.0, 4.0])
    assert end_point_error(flow, target).item() == pytest.approx((3 + 5) / 4)
    valid = torch.tensor([[[True, False], [False, True]]])
    assert end_point_error(flow, target, valid).item() == pytest.approx(4.0)
    target = torch.randn(1, 2, 16, 16)
    pyramid = [torch.nn.functional.avg_pool2d(target, f) for f in (4, 8, 16)]
    assert multiscale_loss(pyramid, target).item() == pytest.approx(0.0, abs=1e-6)


def test_flips_move_frames_and_negate_flow():
    frames, flow = torch.rand(2, 2, 3, 4, 4), torch.rand(2, 2, 4, 4)
    f, g = flip(frames, flow, torch.tensor([True, False]), torch.tensor([False, False]))
    assert torch.equal(f[0], frames[0].flip(-1)) and torch.equal(f[1], frames[1])
    assert torch.equal(g[0, 0], -flow[0, 0].flip(-1)) and torch.equal(g[0, 1], flow[0, 1].flip(-1))


def run_in_process(args, monkeypatch, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `lecturelab ARGS`, run in this process."""
    monkeypatch.setattr("sys.argv", ["lecturelab", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


TINY = {"width": 4, "n_train": 4, "n_test": 2, "data": FlowConfig(size=32), "device": "cpu"}


def tiny_run(out, steps=4, **kw):
    return train_flownet("flownet_c", out=out, train=FlowTrainConfig(steps=steps, batch_size=2),
                         every=2, **TINY, **kw)


def test_train_flownet_keeps_a_checkpoint_that_loads_and_evaluates(tmp_path, monkeypatch,
                                                                    capsys):
    metrics = tiny_run(tmp_path / "ck")
    assert set(metrics) == {"epe", "zero_flow_epe"} and np.isfinite(metrics["epe"])
    trained = load_trained(tmp_path / "ck")
    assert trained.kind == "flownet" and isinstance(trained.model, FlowNetC)
    assert trained.meta["step"] == 4 and trained.meta["metrics"] == metrics
    assert eval_flownet(tmp_path / "ck", device="cpu") == pytest.approx(metrics)
    code, out, _ = run_in_process(["eval", str(tmp_path / "ck"), "--device", "cpu"],
                                  monkeypatch, capsys)
    assert code in (0, None) and f"EPE {metrics['epe']:.4f}" in out and "held-out" in out
    with pytest.raises(LabError, match="already holds a checkpoint"):
        tiny_run(tmp_path / "ck")
    tiny_run(tmp_path / "ck", force=True)
    with pytest.raises(ValueError, match="model must be one of"):
        train_flownet("pwc", out=tmp_path / "x")
    with pytest.raises(ValueError, match="profile must be one of"):
        train_flownet_command("flownet_s", out=tmp_path / "x", profile="huge")


def test_a_resumed_flow_run_ends_where_an_unbroken_one_does(tmp_path):
    tiny_run(tmp_path / "whole")

    def stop(step, loss):
        if step == 2:  # after the checkpoint of step 2
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tiny_run(tmp_path / "broken", on_step=stop)
    assert load_trained(tmp_path / "broken").meta["step"] == 2
    tiny_run(tmp_path / "broken", resume=True)
    whole, resumed = (load_trained(tmp_path / f).model.state_dict() for f in ("whole", "broken"))
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)
    with pytest.raises(LabError, match="cannot resume .*train differ"):
        tiny_run(tmp_path / "broken", steps=6, resume=True)
