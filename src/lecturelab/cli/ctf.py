"""`lecturelab play ctf`: a person steers one agent of capture the flag in the terminal.

    play_ctf(checkpoint=None, seed=0)   # scripted team-mate and opponents

You are agent 1 of team A (base 'A', on the left); your team-mate (agent 2) and the other team
(agents 3 and 4) are scripted agents (shortest path to their target), or the policy of a
capture-the-flag checkpoint (`l1.capture_the_flag` writes one, pbt_best/, in its run folder).
The map is a test map (never trained on).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from lecturelab.ctf.agents import PolicyTeam, load_policy
from lecturelab.ctf.baselines import ScriptedTeam, Team
from lecturelab.ctf.game import CaptureTheFlag, GameConfig, MapPool
from lecturelab.ctf.maps import maps_for
from lecturelab.ctf.render import render_text

KEYS = {"w": 1, "s": 2, "a": 3, "d": 4, "x": 0, "": 0, "stay": 0}
PROMPT = "your move (w up, a left, s down, d right, x or Enter stay, q quit): "


def play_ctf(*, checkpoint: Path | None = None, seed: int = 0, time_limit: int = 40,
             input_fn: Callable[[str], str] = input,
             print_fn: Callable[..., None] = print) -> int | None:
    """Play one game as agent 1; returns +1 (team A won), 0 (draw), -1, or None if the
    person quits or the input ends."""
    game = CaptureTheFlag(MapPool.from_maps(maps_for("test", 1, seed=seed)),
                          GameConfig(time_limit=time_limit))
    mates, rivals = teams_for(checkpoint, seed)
    state = game.reset(np.array([0]), np.array([seed]))
    print_fn(f"capture the flag: you are agent 1 of team A; team-mate and opponents are "
             f"{'the policy in ' + str(checkpoint) if checkpoint else 'scripted agents'}.")
    while not game.done(state):
        print_fn(render_text(game, state))
        move = ask_key(input_fn, print_fn)
        if move is None:
            print_fn("game abandoned")
            return None
        obs = game.observe(state)
        actions = np.concatenate([mates.act(game, state, 0, obs), rivals.act(game, state, 1, obs)],
                                 1)
        actions[0, 0] = move
        state, _ = game.step(state, actions)
    print_fn(render_text(game, state))
    result = int(game.outcome(state)[0])
    print_fn({1: "team A (yours) wins", 0: "draw", -1: "team B wins"}[result])
    return result


def teams_for(checkpoint: Path | None, seed: int) -> tuple[Team, Team]:
    if checkpoint is None:
        return ScriptedTeam(seed=seed), ScriptedTeam(seed=seed + 1)
    policy = load_policy(checkpoint)
    return PolicyTeam(policy, seed=seed), PolicyTeam(policy, seed=seed + 1)


def ask_key(input_fn: Callable[[str], str], print_fn: Callable[..., None]) -> int | None:
    """Prompt until a move key; None on 'q' or at the end of input."""
    while True:
        try:
            text = input_fn(PROMPT).strip().lower()
        except EOFError:
            return None
        if text == "q":
            return None
        if text in KEYS:
            return KEYS[text]
        print_fn(f"unknown move {text!r}: expected w, a, s, d, x (stay) or q")
