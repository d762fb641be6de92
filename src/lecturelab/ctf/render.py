"""Capture the flag as text, for the terminal (`lecturelab play ctf`)."""

from __future__ import annotations

from lecturelab.ctf.game import CaptureTheFlag, GameState

AGENT_MARKS = "1234"  # agents 0..3; the flag carrier is shown in brackets in the legend


def render_text(game: CaptureTheFlag, state: GameState, g: int = 0) -> str:
    """Game `g` in the map's frame: '#' wall, '.' free, 'A' / 'B' bases, 'a' / 'b' a dropped
    flag, agent numbers 1-2 (team A) and 3-4 (team B), then the score and flag carriers."""
    m = int(state.map_id[g])
    rows = [["#" if w else "." for w in row] for row in game.pool.walls[m]]
    for t, (r, c) in enumerate(game.pool.bases[m]):
        rows[r][c] = "AB"[t]
    for t in range(2):
        r, c = state.flag[g, t]
        if state.carrier[g, t] < 0 and rows[r][c] != "AB"[t]:
            rows[r][c] = "ab"[t]
    for a, (r, c) in enumerate(state.pos[g]):
        rows[r][c] = AGENT_MARKS[a]
    carriers = ", ".join(f"agent {state.carrier[g, t] + 1} holds flag {'ab'[t]}"
                         for t in range(2) if state.carrier[g, t] >= 0)
    status = (f"step {state.t}/{game.cfg.time_limit}  score A {state.score[g, 0]} : "
              f"B {state.score[g, 1]}" + (f"  ({carriers})" if carriers else ""))
    return "\n".join(" ".join(row) for row in rows) + "\n" + status
