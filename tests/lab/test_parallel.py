"""The parallel runner: share groups, longest first, and numbers equal to a one-process run."""

import json
from dataclasses import dataclass

import torch

from lecturelab.lab import Check, ExperimentSpec, Result, Run
from lecturelab.lab.parallel import longest_first, recorded_seconds, share_groups
from lecturelab.lab.runner import run_experiments
from lecturelab.runtime import computed_once


@dataclass(frozen=True)
class Cfg:
    n: int = 4  # random draws


@computed_once
def shared_model(n: int) -> torch.Tensor:
    return torch.randn(n)  # drawn from the RNG state of the first experiment that asks


def draws(cfg: Cfg, run: Run) -> Result:
    x = torch.randn(cfg.n) + shared_model(cfg.n).sum()
    return Result({"x": x.tolist()}, [Check.below("mean", x.mean().item(), 100)])


def spec(id: str, shares: tuple[str, ...] = ()) -> ExperimentSpec:
    cfgs = {"quick": Cfg(), "full": Cfg(), "smoke": Cfg(n=2)}
    return ExperimentSpec(id, 2, "claim", "criterion", draws, cfgs, shares)


def test_share_groups_are_connected_components_in_order():
    a, b, c, d = spec("l2.a", ("m",)), spec("l2.b"), spec("l2.c", ("m", "n")), spec("l2.d", ("n",))
    groups = share_groups([a, b, c, d])
    assert [[s.id for s in g] for g in groups] == [["l2.a", "l2.c", "l2.d"], ["l2.b"]]


def test_longest_groups_go_first_and_unknown_ones_get_a_default():
    a, b, c = spec("l2.a"), spec("l2.b"), spec("l2.c")
    order = longest_first([[a], [b], [c]], {"l2.a": 5.0, "l2.b": 50.0})
    assert [g[0].id for g in order] == ["l2.b", "l2.c", "l2.a"]


def test_recorded_seconds_take_the_latest_run_over_the_shipped_table(tmp_path):
    (tmp_path / "run1" / "l2.a").mkdir(parents=True)
    (tmp_path / "run1" / "l2.a" / "result.json").write_text(json.dumps({"id": "l2.a",
                                                                        "seconds": 7.5}))
    (tmp_path / "run1" / "l2.bad").mkdir()
    (tmp_path / "run1" / "l2.bad" / "result.json").write_text("{not json")
    (tmp_path / "latest").symlink_to("run1")
    assert recorded_seconds(tmp_path)["l2.a"] == 7.5


def test_two_workers_give_the_numbers_of_one_process(tmp_path):
    specs = [spec("l2.a", ("m",)), spec("l2.b"), spec("l2.c", ("m",)), spec("l2.d")]
    kw = dict(profile="quick", seed=3, device=torch.device("cpu"))
    shared_model.cache_clear()
    _, serial = run_experiments(specs, out_root=tmp_path / "serial", **kw)
    ended = []
    _, parallel = run_experiments(specs, out_root=tmp_path / "parallel", jobs=2,
                                  on_end=lambda r: ended.append(r["id"]), **kw)
    assert [r["id"] for r in parallel] == ["l2.a", "l2.b", "l2.c", "l2.d"]
    assert sorted(ended) == ["l2.a", "l2.b", "l2.c", "l2.d"]
    assert [r["metrics"] for r in parallel] == [r["metrics"] for r in serial]


def test_experiments_that_share_a_trained_model_run_in_one_worker():
    from lecturelab.lab import list_experiments

    groups = {s.id: i for i, g in enumerate(share_groups(list_experiments())) for s in g}
    for ids in (["l1.alphazero_tictactoe", "l1.self_play_improvement", "l1.alphazero_connect4",
                 "l1.search_per_decision", "l1.policy_tsne"],
                ["l4.box_regression", "l4.focal_loss", "l4.one_vs_two_stage",
                 "l4.domain_randomization", "l4.faster_rcnn"],
                ["l4.contrastive_vs_triplet", "l4.hard_negative_mining"]):
        assert len({groups[i] for i in ids}) == 1, ids
