"""l1.policy_tsne - policies of different training stages form clusters in a t-SNE map (lecture 1).

The lecture shows a t-SNE view of how agents' policies cluster. Here checkpoints of several
tic-tac-toe AlphaZero runs (seeds) are points: the concatenated policy-head outputs on a fixed
probe set of positions. The stages are the contiguous thirds of training: every checkpoint
after a training round (rounds 1..N; the random initial network is not a stage of training)
belongs to the early, middle or late third. t-SNE (van der Maaten & Hinton 2008; scikit-learn)
maps the points to 2-D, and the silhouette score (Rousseeuw 1987; scikit-learn) of the stage
labels measures the clustering; the silhouette in the original output space is reported beside
it, since t-SNE can sharpen clusters.
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score

from lecturelab.games.alphazero import AlphaZeroConfig, shared_training_run, training_config
from lecturelab.games.arena import RandomPlayer
from lecturelab.games.network import NetworkEvaluator
from lecturelab.games.tictactoe import TicTacToe
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.runtime import cpu_threads

STAGES = ("early", "middle", "late")


@dataclass(frozen=True)
class TsneConfig:
    training: AlphaZeroConfig = field(default_factory=lambda: training_config(
        "tictactoe", iterations=9, games_per_iteration=32, num_simulations=16))
    seeds: int = 4               # independent training runs
    probe_positions: int = 100   # fixed positions whose policies embed a checkpoint
    perplexity: float = 9.0      # t-SNE perplexity, about a quarter of the points
    min_silhouette: float = 0.3  # the claim's threshold


@experiment(
    "l1.policy_tsne", lecture=1, shares=("alphazero",),
    claim="A t-SNE view of policy functions shows them clustering by training stage.",
    criterion="policies from checkpoints of different training stages (contiguous thirds of "
              "training; several seeds), embedded by their outputs on a fixed probe set of "
              "positions, form clusters by stage: silhouette score of stage labels in the "
              "t-SNE map at least 0.3; figure",
    quick=TsneConfig(),
    full=TsneConfig(training=training_config("tictactoe", "full"), seeds=8, perplexity=30.0),
    smoke=TsneConfig(training=training_config("tictactoe", "smoke", iterations=5), seeds=2,
                     probe_positions=10, perplexity=2.0),
)
def policy_tsne(cfg: TsneConfig, run: Run) -> Result:
    game = TicTacToe()
    probes = probe_set(game, cfg.probe_positions, rng=np.random.default_rng(run.seed))
    features, stage, seed_of = [], [], []
    with cpu_threads(1):
        for s in range(cfg.seeds):
            trained = shared_training_run(cfg.training, run.seed + s, str(run.device))
            for k, rounds in enumerate(stage_rounds(cfg.training.iterations)):
                for r in rounds:
                    evaluate = NetworkEvaluator(game, trained.network(r), device=run.device)
                    features.append(evaluate(probes)[0].ravel())  # (P * 9,)
                    stage.append(k)
                    seed_of.append(s)
    x, stage = np.stack(features), np.array(stage)
    embedding = TSNE(perplexity=min(cfg.perplexity, len(x) - 1), init="pca",
                     random_state=run.seed).fit_transform(x)  # (checkpoints, 2)
    in_map, in_outputs = silhouette_score(embedding, stage), silhouette_score(x, stage)
    run.log(f"{len(x)} checkpoints; silhouette {in_map:.3f} (t-SNE), {in_outputs:.3f} (outputs)")
    return Result(
        metrics={"silhouette_tsne": float(in_map), "silhouette_outputs": float(in_outputs),
                 "checkpoints": len(x), "seeds": cfg.seeds,
                 "embedding": embedding.round(3).tolist(), "stage": stage.tolist()},
        checks=[Check.at_least("silhouette of stage labels in the t-SNE map", in_map,
                               cfg.min_silhouette,
                               detail=f"{len(x)} checkpoints, {cfg.seeds} seeds")],
        figures={"tsne": tsne_figure(embedding, stage, np.array(seed_of))},
        headline=("silhouette_tsne", "silhouette_outputs"),
    )


def stage_rounds(iterations: int) -> list[np.ndarray]:
    """The checkpoints of the early, middle and late stage: rounds 1..iterations cut into three
    contiguous thirds (sizes differ by at most one)."""
    if iterations < 3:
        raise ValueError(f"three stages need at least 3 training rounds, got {iterations}")
    return np.array_split(np.arange(1, iterations + 1), 3)


def probe_set(game: TicTacToe, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """n distinct unfinished positions reached by 0-6 random moves."""
    seen: dict[bytes, np.ndarray] = {}
    player = RandomPlayer(game, rng=rng)
    while len(seen) < n:
        state = game.initial_states(1)
        for _ in range(int(rng.integers(0, 7))):
            state = game.play(state, player.choose(state))
        if np.isnan(game.terminal_value(state)[0]):
            seen.setdefault(state.tobytes(), state[0])
    return np.stack(list(seen.values()))


def tsne_figure(embedding: np.ndarray, stage: np.ndarray, seed: np.ndarray) -> Figure:
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    markers = "os^Dv<>p"
    for k, name in enumerate(STAGES):
        for s in np.unique(seed):
            pick = (stage == k) & (seed == s)
            ax.scatter(*embedding[pick].T, color=f"C{k}", marker=markers[s % len(markers)],
                       label=f"{name} training" if s == 0 else None)
    ax.set(title="t-SNE of checkpoints' policies (marker: seed)", xticks=[], yticks=[])
    ax.legend()
    return fig
