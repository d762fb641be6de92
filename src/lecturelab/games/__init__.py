"""Lecture 1's games: tic-tac-toe and connect four, exact solvers, batched PUCT MCTS, AlphaZero.

    from lecturelab.games import Agent, get_game
    agent = Agent.from_checkpoint("checkpoints/alphazero-tictactoe")
    move = agent.best_move(get_game("tictactoe").initial_states(1)[0])
"""

from lecturelab.games.agent import Agent
from lecturelab.games.base import Game, get_game

__all__ = ["Agent", "Game", "get_game"]
