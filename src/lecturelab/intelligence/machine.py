"""A small reference machine for environments (lecture 1, "what is intelligence"): a BF-like
language after the AIQ machine of Legg and Veness (2011, Sec. 4), with a work tape, an input
tape holding the agent's recent actions and an output tape holding the observation and reward.

Instructions (each program is a string over them):
    < >   move the work head (the work tape is cyclic, WORK_CELLS long)
    + -   add / subtract 1 at the work head, modulo SYMBOLS
    [ ]   jump past the matching ] when the cell is 0 / back to the matching [ when it is not
    ,     copy the input tape under the input head (the action of INPUT_CELLS ago) to the work
          cell, then move the input head one action further back (wrapping round)
    .     write the work cell to the output tape (first the observation, then the reward cell)
    %     write a random bit to the work cell

An environment runs its program once per cycle, from the first instruction, with the work tape
kept from the last cycle; a cycle that runs past the step budget ends where it stands, with the
output tape as written so far (the cut-off). The reward symbol r becomes 100 (r - mid) / mid with
mid = (SYMBOLS - 1) / 2, so rewards lie in [-100, 100] and symmetric about 0.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

INSTRUCTIONS = "<>+-[],.%"
SYMBOLS = 5  # tape alphabet
WORK_CELLS = 16
INPUT_CELLS = 4  # recent actions on the input tape
MID = (SYMBOLS - 1) / 2


def bracket_pairs(program: str) -> dict[int, int]:
    """Matching positions of [ and ] (both ways); ValueError when unbalanced."""
    stack, pairs = [], {}
    for i, c in enumerate(program):
        if c == "[":
            stack.append(i)
        elif c == "]":
            if not stack:
                raise ValueError(f"program {program!r}: ']' at {i} has no '['")
            j = stack.pop()
            pairs[i], pairs[j] = j, i
    if stack:
        raise ValueError(f"program {program!r}: '[' at {stack[-1]} is never closed")
    return pairs


def is_valid(program: str) -> bool:
    if set(program) - set(INSTRUCTIONS):
        return False
    try:
        bracket_pairs(program)
    except ValueError:
        return False
    return True


def reward_of(symbol: int) -> float:
    """100 (r - mid) / mid (Legg and Veness 2011)."""
    return 100.0 * (symbol - MID) / MID


@dataclass
class Environment:
    """A program run as an environment: `step(action)` -> (observation, reward)."""

    program: str
    step_budget: int = 100  # instructions a cycle may execute
    seed: int = 0  # of the random bits (%), independent of the agent
    negate: bool = False  # the antithetic twin: every reward's sign flipped
    work: list[int] = field(init=False)
    actions: deque = field(init=False)
    cut_off_cycles: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if set(self.program) - set(INSTRUCTIONS):
            raise ValueError(f"program {self.program!r} has symbols outside {INSTRUCTIONS!r}")
        self._jump = bracket_pairs(self.program)
        self.work = [0] * WORK_CELLS
        self.head = 0
        self.actions = deque([0] * INPUT_CELLS, maxlen=INPUT_CELLS)
        self.output = [0, int(MID)]  # observation symbol, reward symbol
        self._rng = np.random.default_rng(self.seed)

    def step(self, action: int) -> tuple[int, float]:
        self.actions.appendleft(action)
        program, jump, work, actions = self.program, self._jump, self.work, self.actions
        ip = head_in = out = steps = 0
        head = self.head
        while ip < len(program):
            if steps == self.step_budget:
                self.cut_off_cycles += 1
                break
            steps += 1
            c = program[ip]
            if c == ">":
                head = (head + 1) % WORK_CELLS
            elif c == "<":
                head = (head - 1) % WORK_CELLS
            elif c == "+":
                work[head] = (work[head] + 1) % SYMBOLS
            elif c == "-":
                work[head] = (work[head] - 1) % SYMBOLS
            elif c == "[" and work[head] == 0 or c == "]" and work[head] != 0:
                ip = jump[ip]
            elif c == ",":
                work[head] = actions[head_in]
                head_in = (head_in + 1) % INPUT_CELLS
            elif c == ".":
                self.output[out % 2] = work[head]
                out += 1
            elif c == "%":
                work[head] = int(self._rng.integers(2))
            ip += 1
        self.head = head
        reward = reward_of(self.output[1])
        return self.output[0], -reward if self.negate else reward


def sample_program(rng: np.random.Generator, max_length: int = 40) -> str:
    """A valid program drawn symbol by symbol, uniformly over the instructions and a stop
    symbol: a program of n instructions has probability (K + 1)^-(n + 1), i.e. 2^-(its length
    in bits). Unbalanced programs and ones longer than `max_length` are redrawn, so the draw
    follows 2^-length restricted to valid programs."""
    codes = INSTRUCTIONS + "$"
    while True:
        program = []
        while len(program) <= max_length:
            c = codes[int(rng.integers(len(codes)))]
            if c == "$":
                break
            program.append(c)
        text = "".join(program)
        if len(program) <= max_length and is_valid(text):
            return text


def program_bits(program: str) -> float:
    """Length in bits of the program with its stop symbol: (n + 1) log2(K + 1)."""
    return (len(program) + 1) * float(np.log2(len(INSTRUCTIONS) + 1))


def agent_independent(program: str) -> bool:
    """True when the program never writes output or never reads an action: every agent then
    sees the same rewards, and with the antithetic twin scores exactly 0."""
    return "." not in program or "," not in program
