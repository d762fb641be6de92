"""A 2-vs-2 capture-the-flag grid game, vectorised over many games at once (after FTW,
Jaderberg et al. 2019: two teams, two flags, tagging and respawn, a time limit).

Agents 0, 1 are team 0 (base on the left), agents 2, 3 team 1. Each step every agent moves at
once (stay / up / down / left / right; a wall or the edge keeps it in place), then in order:
tagging (an agent on an enemy's cell inside the tagger's own half tags it with probability
`tag_probability`; a tagged carrier drops the flag on the cell it stood on before the step, and
the tagged agent respawns on a random free cell of its own half), returning (an agent on its
own dropped flag sends it home), pickup (an agent on the enemy's uncarried flag takes it),
capture (a carrier reaching its own base scores and the flag goes home). After `time_limit`
steps the team with more captures wins.
Departures from FTW: a grid, not a 3-D world; a capture does not need the own flag at home.

Each team sees the game in its own frame: team 1's view is turned by a half turn (maps are
symmetric), and its actions are turned back, so one policy plays either side. Randomness
(spawns, respawns, tags) is a hash of (game seed, step, agent), so a game plays the same alone
or among 1,024 others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse.csgraph import shortest_path

from lecturelab.ctf.maps import MOVES, Map

EVENTS = ("pickup", "capture", "return", "tag", "tagged", "closer")
TEAM = np.array([0, 0, 1, 1])  # team of each agent
ENEMY = TEAM[:, None] != TEAM[None, :]  # (4, 4): a and b on different teams
TURN_ACTION = np.array([0, 2, 1, 4, 3])  # an action as seen after a half turn
NUM_ACTIONS = len(MOVES)
CHANNELS = ("wall", "own agents", "enemy agents", "own flag", "enemy flag", "own base",
            "enemy base")
NUM_FEATURES = 13
Observation = tuple[np.ndarray, np.ndarray]  # views (G, 4, C, V, V), features (G, 4, F)


@dataclass(frozen=True)
class GameConfig:
    time_limit: int = 40  # steps in a game
    view_radius: int = 2  # the local view is (2r+1) x (2r+1) cells around the agent
    tag_probability: float = 0.5  # weak tagging: a tag on a shared cell succeeds this often


@dataclass(frozen=True, eq=False)
class MapPool:
    """Maps as arrays: walls (M, H, W), bases (M, 2, 2), dist (M, H*W, H*W) shortest-path
    lengths, spawn (M, 2, K, 2) the free cells of each team's half, spawn_count (M, 2)."""

    walls: np.ndarray
    bases: np.ndarray
    dist: np.ndarray
    spawn: np.ndarray
    spawn_count: np.ndarray

    @classmethod
    def from_maps(cls, maps: Sequence[Map]) -> MapPool:
        if not maps or len({m.shape for m in maps}) != 1:
            raise ValueError("a map pool needs at least one map, all of one size")
        h, w = maps[0].shape
        halves = [np.arange(w) < w // 2, np.arange(w) > w // 2]
        spawn = np.zeros((len(maps), 2, h * w, 2), np.int64)
        count = np.zeros((len(maps), 2), np.int64)
        for i, m in enumerate(maps):
            for t in range(2):
                cells = np.argwhere(~m.walls & halves[t][None, :])
                spawn[i, t, :len(cells)], count[i, t] = cells, len(cells)
        return cls(np.stack([m.walls for m in maps]), np.stack([m.bases for m in maps]),
                   np.stack([grid_distances(m.walls) for m in maps]), spawn, count)

    def __len__(self) -> int:
        return len(self.walls)


def grid_distances(walls: np.ndarray) -> np.ndarray:
    """(H*W, H*W) shortest-path lengths between cells by 4-neighbour moves; walls and cells
    out of reach get H*W."""
    h, w = walls.shape
    free = ~walls.ravel()
    idx = np.arange(h * w).reshape(h, w)
    adj = np.zeros((h * w, h * w), bool)
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
        ok = free[a] & free[b]
        adj[a[ok], b[ok]] = adj[b[ok], a[ok]] = True
    d = shortest_path(adj.astype(np.float64), unweighted=True, directed=False)
    return np.where(np.isfinite(d), d, h * w).astype(np.int16)


@dataclass(frozen=True, eq=False)
class GameState:
    """G games: map_id (G,), seeds (G,) uint64, pos (G, 4, 2), flag (G, 2, 2) each team's flag,
    carrier (G, 2) the agent holding team t's flag or -1, score (G, 2) captures, t the step."""

    map_id: np.ndarray
    seeds: np.ndarray
    pos: np.ndarray
    flag: np.ndarray
    carrier: np.ndarray
    score: np.ndarray
    t: int = 0


def hash_uniform(seeds: np.ndarray, t: int, salt: int) -> np.ndarray:
    """(G, 4) numbers in [0, 1), a splitmix64 hash of (game seed, step, agent, salt)."""
    x = seeds.astype(np.uint64)[:, None] * np.uint64(0x9E3779B97F4A7C15)
    x = x ^ (np.uint64((t + 1) * 8 + salt * 100_003) + np.arange(4, dtype=np.uint64))
    for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        x = (x ^ (x >> np.uint64(shift))) * np.uint64(mult)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


class CaptureTheFlag:
    """The rules over a pool of maps: `reset`, `step`, `observe`, `outcome`."""

    def __init__(self, pool: MapPool, cfg: GameConfig = GameConfig()):
        if cfg.time_limit < 1 or cfg.view_radius < 1 or not 0 <= cfg.tag_probability <= 1:
            raise ValueError(f"invalid game config {cfg}")
        self.pool, self.cfg = pool, cfg
        self.h, self.w = pool.walls.shape[1:]

    def reset(self, map_id: np.ndarray, seeds: np.ndarray) -> GameState:
        """Games on maps `map_id` (G,), agents spawned in their own half, flags at home."""
        map_id = np.asarray(map_id, np.int64)
        if map_id.min() < 0 or map_id.max() >= len(self.pool):
            raise ValueError(f"map ids must be in [0, {len(self.pool)})")
        seeds = np.asarray(seeds, np.uint64)
        g = len(map_id)
        bases = self.pool.bases[map_id]
        pos = self.spawn_cells(map_id, seeds, -1)
        return GameState(map_id, seeds, pos, bases.copy(), np.full((g, 2), -1),
                         np.zeros((g, 2), np.int64))

    def spawn_cells(self, map_id: np.ndarray, seeds: np.ndarray, t: int) -> np.ndarray:
        """(G, 4, 2) a random free cell of each agent's own half."""
        count = self.pool.spawn_count[map_id][:, TEAM]  # (G, 4)
        k = (hash_uniform(seeds, t, 1) * count).astype(np.int64)
        return self.pool.spawn[map_id[:, None], TEAM[None, :], k]

    def done(self, state: GameState) -> bool:
        return state.t >= self.cfg.time_limit

    def outcome(self, state: GameState) -> np.ndarray:
        """(G,) +1 team 0 won, 0 draw, -1 team 1 won (by captures)."""
        return np.sign(state.score[:, 0] - state.score[:, 1])

    def step(self, state: GameState, actions: np.ndarray) -> tuple[GameState, np.ndarray]:
        """Play one simultaneous move; `actions` (G, 4) in each agent's own frame. Returns
        the new state and events (G, 4, len(EVENTS))."""
        if self.done(state):
            raise ValueError(f"the games are over (time limit {self.cfg.time_limit})")
        actions = np.asarray(actions, np.int64)
        if actions.shape != state.pos.shape[:2] or actions.min() < 0 or \
                actions.max() >= NUM_ACTIONS:
            raise ValueError(f"actions must be (G, 4) in [0, {NUM_ACTIONS}), got shape "
                             f"{actions.shape}")
        g = np.arange(len(actions))[:, None]
        walls, bases = self.pool.walls[state.map_id], self.pool.bases[state.map_id]
        events = np.zeros((*actions.shape, len(EVENTS)), np.int64)
        actions = np.where(TEAM == 1, TURN_ACTION[actions], actions)
        target = self.targets(state, bases)
        pos = self.move(state.pos, actions, walls)
        events[..., 5] = np.clip(self.distance(state, state.pos, target)
                                 - self.distance(state, pos, target), -1, 1)
        flag, carrier = state.flag.copy(), state.carrier.copy()
        tags, tagged = self.tagging(pos, state.seeds, state.t)
        events[..., 3], events[..., 4] = tags, tagged
        for team in range(2):  # a tagged carrier drops the flag where it came from
            drop = (carrier[:, team] >= 0) & tagged[g[:, 0], np.maximum(carrier[:, team], 0)]
            carrier[drop, team] = -1
        pos = np.where(tagged[..., None], self.spawn_cells(state.map_id, state.seeds, state.t),
                       pos)
        for team in range(2):
            on_flag = np.all(pos == flag[:, None, team], -1) & ~tagged  # (G, 4)
            loose = carrier[:, team] < 0
            home = np.all(flag[:, team] == bases[:, team], -1)
            back = on_flag & (TEAM == team) & (loose & ~home)[:, None]
            returned = back.any(1)
            events[..., 2] += back & (np.cumsum(back, 1) == 1)
            flag[returned, team] = bases[returned, team]
            take = on_flag & (TEAM != team) & (loose & ~returned)[:, None]
            taken = take.any(1)
            carrier[taken, team] = np.argmax(take, 1)[taken]
            events[..., 0] += take & (np.cumsum(take, 1) == 1)
        score = state.score.copy()
        for team in range(2):
            held = carrier[:, team] >= 0
            c = np.maximum(carrier[:, team], 0)
            flag[held, team] = pos[g[:, 0], c][held]
            scored = held & np.all(flag[:, team] == bases[:, 1 - team], -1)
            score[scored, 1 - team] += 1
            events[g[scored, 0], c[scored], 1] += 1
            flag[scored, team], carrier[scored, team] = bases[scored, team], -1
        return replace(state, pos=pos, flag=flag, carrier=carrier, score=score,
                       t=state.t + 1), events

    def move(self, pos: np.ndarray, actions: np.ndarray, walls: np.ndarray) -> np.ndarray:
        """(G, 4, 2) positions after the moves; a wall or the edge keeps an agent in place."""
        new = pos + MOVES[actions]
        inside = np.all((new >= 0) & (new < [self.h, self.w]), -1)
        new = np.where(inside[..., None], new, pos)
        blocked = walls[np.arange(len(pos))[:, None], new[..., 0], new[..., 1]]
        return np.where(blocked[..., None], pos, new)

    def tagging(self, pos: np.ndarray, seeds: np.ndarray, t: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """(G, 4) tags made and (G, 4) bool tagged: a meets an enemy b on a cell of a's half,
        and the tag succeeds with probability tag_probability (drawn per tagger)."""
        same = np.all(pos[:, :, None] == pos[:, None, :], -1) & ENEMY  # (G, tagger, tagged)
        half = np.where(pos[..., 1] < self.w // 2, 0, np.where(pos[..., 1] > self.w // 2, 1, -1))
        lucky = hash_uniform(seeds, t, 2) < self.cfg.tag_probability
        hit = same & ((half == TEAM) & lucky)[:, :, None]
        return hit.sum(2), hit.any(1)

    def targets(self, state: GameState, bases: np.ndarray) -> np.ndarray:
        """(G, 4, 2) where each agent should head: its own base when it carries the enemy
        flag, else the enemy flag (or its carrier)."""
        enemy_flag = state.flag[:, 1 - TEAM]  # (G, 4, 2)
        carrying = state.carrier[:, 1 - TEAM] == np.arange(4)
        return np.where(carrying[..., None], bases[:, TEAM], enemy_flag)

    def distance(self, state: GameState, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(G, 4) shortest-path lengths between cells a and b (G, 4, 2)."""
        return self.pool.dist[state.map_id[:, None], a[..., 0] * self.w + a[..., 1],
                              b[..., 0] * self.w + b[..., 1]].astype(np.int64)

    def observe(self, state: GameState) -> tuple[np.ndarray, np.ndarray]:
        """Egocentric observations in each team's frame: views (G, 4, C, V, V) float32 with
        the channels of CHANNELS, and features (G, 4, NUM_FEATURES) float32 (relative
        positions of the enemy flag, own base, own flag and team-mate, flag states, time)."""
        r, gsz = self.cfg.view_radius, len(state.pos)
        gi, frames = np.arange(gsz)[:, None], np.arange(2)[None, :]
        bases = self.pool.bases[state.map_id]
        # layers (G, frame k, C, H + 2r, W + 2r): channels as CHANNELS, for team k's frame
        layers = np.zeros((gsz, 2, len(CHANNELS), self.h + 2 * r, self.w + 2 * r), np.float32)
        layers[:, :, 0] = np.pad(self.pool.walls[state.map_id], ((0, 0), (r, r), (r, r)),
                                 constant_values=True)[:, None]
        for a in range(4):
            rr, cc = state.pos[:, a, 0] + r, state.pos[:, a, 1] + r
            layers[gi, frames, 1 + (frames != TEAM[a]), rr[:, None], cc[:, None]] += 1
        for team in range(2):
            for k, cells in ((3, state.flag), (5, bases)):
                ch = k + (frames != team)  # own or enemy channel in each frame
                layers[gi, frames, ch, cells[:, team, 0, None] + r, cells[:, team, 1, None] + r] = 1
        windows = np.lib.stride_tricks.sliding_window_view(layers, (2 * r + 1, 2 * r + 1),
                                                           axis=(3, 4))
        view = windows[gi, TEAM[None, :], :, state.pos[..., 0], state.pos[..., 1]]
        view[:, 2:] = view[:, 2:, :, ::-1, ::-1]  # team 1 sees the map turned by a half turn
        return np.ascontiguousarray(view), self.features(state, bases)

    def features(self, state: GameState, bases: np.ndarray) -> np.ndarray:
        """(G, 4, NUM_FEATURES): relative positions / size in the team's frame, flag states."""
        turn = np.where(TEAM == 1, -1.0, 1.0)[None, :, None]  # a half turn negates offsets
        mate = state.pos[:, [1, 0, 3, 2]]
        rel = [state.flag[:, 1 - TEAM], bases[:, TEAM], state.flag[:, TEAM], mate]
        rel = [(p - state.pos) * turn / self.h for p in rel]
        carrying = state.carrier[:, 1 - TEAM] == np.arange(4)
        mate_carrying = state.carrier[:, 1 - TEAM] == np.array([1, 0, 3, 2])
        own_taken = state.carrier[:, TEAM] >= 0
        own_home = np.all(state.flag[:, TEAM] == bases[:, TEAM], -1)
        time = np.full(carrying.shape, state.t / self.cfg.time_limit)
        flags = np.stack([carrying, mate_carrying, own_taken, own_home, time], -1)
        return np.concatenate([*rel, flags], -1).astype(np.float32)
