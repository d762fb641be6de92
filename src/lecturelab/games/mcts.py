"""Monte Carlo tree search with the PUCT rule, batched over games (lecture 1, AlphaZero).

Follows Silver et al. 2017 (AlphaGo Zero), Methods, "Search algorithm". Each simulation walks
from the root choosing a_t = argmax_a Q(s,a) + U(s,a), with

    U(s,a) = c_puct P(s,a) sqrt(N(s)) / (1 + N(s,a)),

where P(s,a) is the prior from the policy head, N(s,a) the visit count of edge (s,a), N(s) the
visits of s, and Q(s,a) = W(s,a) / N(s,a) the mean value (0 for unvisited edges); it expands the
leaf it reaches, evaluates it once (value head, or a random rollout for pure MCTS), and backs
the value up, negated at each ply. Dirichlet noise P = (1 - eps) p + eps Dir(alpha) is mixed
into the root priors only.

B trees are searched in lockstep and stored as arrays, as in DeepMind's mctx: node i of tree b
is [b, i]. Every simulation expands one leaf per tree, and the B leaves share one call of the
evaluator, which is how many games share one network call. Departures: N(s) counts a node's own
expansion as a visit (as mctx does), so the first choice at a fresh node follows the prior;
exact ties between moves are broken at random.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lecturelab.games.base import Game

# states (n, *S) -> priors (n, A) over legal moves, values (n,) for the player to move
Evaluator = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Tree:
    """B search trees of up to M nodes each, as arrays indexed [tree, node(, action)]."""

    states: np.ndarray     # (B, M, *S) canonical state of each node
    prior: np.ndarray      # (B, M, A) P(s, a)
    legal: np.ndarray      # (B, M, A) bool
    child: np.ndarray      # (B, M, A) node reached by (s, a); -1 while unexpanded
    visits: np.ndarray     # (B, M, A) N(s, a)
    value_sum: np.ndarray  # (B, M, A) W(s, a), for the player to move at s
    terminal: np.ndarray   # (B, M) value of a finished game for its player to move; NaN if not
    parent: np.ndarray     # (B, M)
    action: np.ndarray     # (B, M) the move from the parent
    size: np.ndarray       # (B,) nodes used

    @classmethod
    def empty(cls, game: Game, batch: int, capacity: int) -> Tree:
        a, shape = game.num_actions, (batch, capacity)
        return cls(states=np.zeros((*shape, *game.state_shape), game.state_dtype),
                   prior=np.zeros((*shape, a), np.float32), legal=np.zeros((*shape, a), bool),
                   child=np.full((*shape, a), -1, np.int64), visits=np.zeros((*shape, a)),
                   value_sum=np.zeros((*shape, a)), terminal=np.full(shape, np.nan),
                   parent=np.full(shape, -1, np.int64), action=np.full(shape, -1, np.int64),
                   size=np.ones(batch, np.int64))

    def q_values(self, nodes: np.ndarray, trees: np.ndarray | None = None) -> np.ndarray:
        """(k, A) Q(s, a) = W / N at `nodes` of `trees` (all trees if None); 0 where N = 0."""
        trees = np.arange(len(self.size)) if trees is None else trees
        return mean_value(self.value_sum[trees, nodes], self.visits[trees, nodes])


def mean_value(w: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Q = W / N elementwise, 0 where N = 0 (an unvisited edge)."""
    return np.divide(w, n, out=np.zeros_like(w), where=n > 0)


@dataclass
class SearchResult:
    visit_counts: np.ndarray  # (B, A) N(root, a)
    q_values: np.ndarray      # (B, A) Q(root, a)
    tree: Tree


def search(game: Game, evaluate: Evaluator, roots: np.ndarray, *, num_simulations: int,
           c_puct: float = 1.5, dirichlet_alpha: float | None = None,
           noise_fraction: float = 0.25, rng: np.random.Generator) -> SearchResult:
    """Run `num_simulations` PUCT simulations from each of the B `roots` (not finished games).

    c_puct: exploration constant of U(s,a). dirichlet_alpha: alpha of the root noise Dir(alpha)
    (None: no noise, as in evaluation games). noise_fraction: eps, its weight (0.25 in Silver
    et al. 2017).
    """
    if num_simulations < 1:
        raise ValueError(f"num_simulations must be at least 1, got {num_simulations}")
    if not np.isnan(game.terminal_value(roots)).all():
        raise ValueError("search roots must be games that are not over")
    batch = len(roots)
    tree = Tree.empty(game, batch, num_simulations + 1)
    tree.states[:, 0] = roots
    tree.legal[:, 0] = game.legal_moves(roots)
    prior, _ = evaluate(roots)
    if dirichlet_alpha is not None:
        noise = rng.dirichlet(np.full(game.num_actions, dirichlet_alpha), size=batch)
        noise = noise * tree.legal[:, 0]
        noise /= noise.sum(1, keepdims=True)
        prior = (1 - noise_fraction) * prior + noise_fraction * noise
    tree.prior[:, 0] = prior
    tie_break = rng.random((batch, game.num_actions)) * 1e-9
    for _ in range(num_simulations):
        parent, action, leaf = select(tree, c_puct=c_puct, tie_break=tie_break)
        leaf, value = expand(tree, game, evaluate, parent, action, leaf)
        backup(tree, leaf, value)
    return SearchResult(tree.visits[:, 0].copy(), tree.q_values(np.zeros(batch, np.int64)), tree)


def select(tree: Tree, *, c_puct: float,
           tie_break: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descend every tree by PUCT to an unexpanded edge or a finished game.

    Returns (parent, action, leaf): the last edge taken, and the node it reached (-1: unexpanded).
    """
    batch = len(tree.size)
    node, leaf = np.zeros(batch, np.int64), np.full(batch, -1, np.int64)
    parent, action = np.zeros(batch, np.int64), np.zeros(batch, np.int64)
    active = np.arange(batch)
    while active.size:
        at = node[active]
        n = tree.visits[active, at]  # (k, A), gathered once for Q and U
        q = mean_value(tree.value_sum[active, at], n)
        u = c_puct * tree.prior[active, at] * np.sqrt(1 + n.sum(1, keepdims=True)) / (1 + n)
        score = q + u + tie_break[active]
        a = np.where(tree.legal[active, at], score, -np.inf).argmax(1)
        nxt = tree.child[active, at, a]
        parent[active], action[active] = at, a
        expanded = nxt >= 0
        finished = expanded & ~np.isnan(tree.terminal[active, np.maximum(nxt, 0)])
        leaf[active[finished]] = nxt[finished]
        descend = expanded & ~finished
        node[active[descend]] = nxt[descend]
        active = active[descend]
    return parent, action, leaf


def expand(tree: Tree, game: Game, evaluate: Evaluator, parent: np.ndarray, action: np.ndarray,
           leaf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add the child of each unexpanded (parent, action); return every tree's leaf and value."""
    trees, leaf = np.arange(len(leaf)), leaf.copy()
    value = np.zeros(len(leaf))
    old = leaf >= 0
    value[old] = tree.terminal[trees[old], leaf[old]]
    new = trees[~old]
    if new.size:
        states = game.play(tree.states[new, parent[new]], action[new])
        node = tree.size[new]
        tree.size[new] += 1
        tree.child[new, parent[new], action[new]] = node
        tree.states[new, node], tree.parent[new, node], tree.action[new, node] = \
            states, parent[new], action[new]
        over = game.terminal_value(states)
        tree.terminal[new, node] = over
        value[new], leaf[new] = over, node
        live = np.isnan(over)
        if live.any():  # one evaluator call for the new leaves of all trees
            prior, leaf_value = evaluate(states[live])
            value[new[live]] = leaf_value
            tree.prior[new[live], node[live]] = prior
            tree.legal[new[live], node[live]] = game.legal_moves(states[live])
    return leaf, value


def backup(tree: Tree, leaf: np.ndarray, value: np.ndarray) -> None:
    """Add the leaf value to W and 1 to N on each edge of the path, negated at each ply."""
    node, value = leaf.copy(), value.astype(np.float64)
    active = np.arange(len(leaf))
    while active.size:
        at = node[active]
        up, a = tree.parent[active, at], tree.action[active, at]
        value[active] = -value[active]  # the player to move at the parent is the other one
        tree.visits[active, up, a] += 1
        tree.value_sum[active, up, a] += value[active]
        node[active] = up
        active = active[up > 0]


def select_action(visit_counts: np.ndarray, *, temperature: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Moves with probability N(root, a)^(1/temperature); temperature 0 takes the most visited
    (ties at random), the schedule of Silver et al. 2017 after the opening moves."""
    counts = visit_counts.astype(np.float64)
    if temperature == 0:
        best = counts == counts.max(1, keepdims=True)
        return (rng.random(counts.shape) * best).argmax(1)
    probs = counts ** (1.0 / temperature)
    probs /= probs.sum(1, keepdims=True)
    return (rng.random((len(probs), 1)) < probs.cumsum(1)).argmax(1)


def uniform_priors(legal: np.ndarray) -> np.ndarray:
    return legal / legal.sum(1, keepdims=True)


class RolloutEvaluator:
    """Pure-MCTS evaluation: uniform priors and the result of one uniformly random playout."""

    def __init__(self, game: Game, *, rng: np.random.Generator) -> None:
        self.game, self.rng = game, rng

    def __call__(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return uniform_priors(self.game.legal_moves(states)), self.playout(states)

    def playout(self, states: np.ndarray) -> np.ndarray:
        """(n,) final result of random play from each state, for its player to move."""
        game, value = self.game, self.game.terminal_value(states).astype(np.float64)
        live = np.flatnonzero(np.isnan(value))
        current, sign = states[live], 1.0
        while live.size:
            legal = game.legal_moves(current)
            current = game.play(current, (self.rng.random(legal.shape) * legal).argmax(1))
            sign = -sign
            over = game.terminal_value(current)
            done = ~np.isnan(over)
            value[live[done]] = sign * over[done]
            live, current = live[~done], current[~done]
        return value


class MCTSPlayer:
    """Plays the most visited root move of a search (no noise): the arena's player."""

    def __init__(self, game: Game, evaluate: Evaluator, *, num_simulations: int,
                 c_puct: float = 1.5, rng: np.random.Generator) -> None:
        self.game, self.evaluate, self.rng = game, evaluate, rng
        self.num_simulations, self.c_puct = num_simulations, c_puct

    def choose(self, states: np.ndarray) -> np.ndarray:
        result = search(self.game, self.evaluate, states, num_simulations=self.num_simulations,
                        c_puct=self.c_puct, rng=self.rng)
        return select_action(result.visit_counts, temperature=0, rng=self.rng)
