"""Proximal policy optimisation (Schulman et al. 2017, Alg. 1, clipped objective) of a
capture-the-flag policy from game events. The reward is FTW's internal reward (Jaderberg et al.
2019, "Learning internal rewards"): a weighting of the game events each agent sees, the weights
being the agent's own (evolved by PBT in league.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from lecturelab.ctf.agents import ConvPolicy, flat_obs
from lecturelab.ctf.baselines import Team
from lecturelab.ctf.game import CaptureTheFlag


@dataclass(frozen=True)
class PPOConfig:
    games: int = 64  # games played per update (the learner is team 0 in all of them)
    epochs: int = 2  # passes over the rollout
    minibatch: int = 1024  # agent-steps per gradient step
    clip: float = 0.2  # epsilon of the clipped ratio
    gamma: float = 0.98  # discount
    gae_lambda: float = 0.95  # lambda of generalised advantage estimation
    entropy: float = 0.01  # entropy bonus coefficient
    value: float = 0.5  # value loss coefficient
    max_grad_norm: float = 0.5  # gradient clipping


@dataclass
class Rollout:
    """T steps of the learner's 2G agents: views (T, N, C, V, V), features (T, N, F), actions,
    log_probs, values (T, N), events (T, N, E); outcome (G,) from the learner's side."""

    views: torch.Tensor
    features: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    events: torch.Tensor
    outcome: np.ndarray


@torch.no_grad()
def rollout(game: CaptureTheFlag, policy: ConvPolicy, opponent: Team, map_id: np.ndarray,
            seeds: np.ndarray, generator: torch.Generator) -> Rollout:
    """Play whole games, the learner as team 0 against `opponent` as team 1."""
    state = game.reset(map_id, seeds)
    rows: dict[str, list] = {k: [] for k in ("views", "features", "actions", "log_probs",
                                             "values", "events")}
    while not game.done(state):
        obs = game.observe(state)
        view, features = flat_obs(obs[0][:, :2], obs[1][:, :2])
        logits, value = policy(view, features)
        actions = torch.multinomial(logits.softmax(1), 1, generator=generator)[:, 0]
        mine = actions.view(-1, 2).numpy()
        state, events = game.step(state, np.concatenate(
            [mine, opponent.act(game, state, 1, obs)], 1))
        for k, v in (("views", view), ("features", features), ("actions", actions),
                     ("log_probs", logits.log_softmax(1).gather(1, actions[:, None])[:, 0]),
                     ("values", value),
                     ("events", torch.from_numpy(events[:, :2].reshape(-1, events.shape[-1])))):
            rows[k].append(v)
    return Rollout(**{k: torch.stack(v) for k, v in rows.items()}, outcome=game.outcome(state))


def advantages(rewards: torch.Tensor, values: torch.Tensor, *, gamma: float,
               lam: float) -> torch.Tensor:
    """Generalised advantage estimates (Schulman et al. 2016) of whole episodes (T, N): the
    value after the last step is 0."""
    adv, running = torch.zeros_like(rewards), torch.zeros_like(rewards[0])
    for t in reversed(range(len(rewards))):
        next_value = values[t + 1] if t + 1 < len(rewards) else torch.zeros_like(values[0])
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        adv[t] = running
    return adv


def ppo_update(policy: ConvPolicy, optimizer: torch.optim.Optimizer, data: Rollout,
               reward_weights: torch.Tensor, cfg: PPOConfig,
               generator: torch.Generator) -> dict[str, float]:
    """Clipped-PPO epochs over the rollout with reward = events . reward_weights."""
    rewards = data.events.float() @ reward_weights  # (T, N)
    adv = advantages(rewards, data.values, gamma=cfg.gamma, lam=cfg.gae_lambda)
    returns = (adv + data.values).flatten()
    adv = adv.flatten()
    views, features = data.views.flatten(0, 1), data.features.flatten(0, 1)  # (T*N, ...)
    actions, old = data.actions.flatten(), data.log_probs.flatten()
    stats: dict[str, float] = {}
    for _ in range(cfg.epochs):
        for idx in torch.randperm(len(adv), generator=generator).split(cfg.minibatch):
            logits, value = policy(views[idx], features[idx])
            log_probs = logits.log_softmax(1)
            ratio = (log_probs.gather(1, actions[idx, None])[:, 0] - old[idx]).exp()
            a = (adv[idx] - adv[idx].mean()) / (adv[idx].std() + 1e-8)
            policy_loss = -torch.min(ratio * a, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * a
                                     ).mean()
            entropy = -(log_probs.exp() * log_probs).sum(1).mean()
            loss = policy_loss + cfg.value * F.mse_loss(value, returns[idx]) \
                - cfg.entropy * entropy
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
            optimizer.step()
            stats = {"policy_loss": policy_loss.item(), "entropy": entropy.item()}
    return stats
