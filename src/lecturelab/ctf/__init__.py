"""Capture the flag (lecture 1; Jaderberg et al. 2019, "Human-level performance in 3D
multiplayer games with population-based reinforcement learning", FTW): generated symmetric
maps (maps.py), a vectorised 2-vs-2 grid game (game.py), baseline teams (baselines.py), a
convolutional policy trained by PPO from game events (agents.py, ppo.py), matches, records and
Elo (match.py), a population whose internal rewards evolve by PBT with Elo matchmaking
(league.py), and the board as text (render.py)."""
