"""Carving a dev split out of train for datasets that ship none (AG News)."""
from __future__ import annotations

import random


def split_dev(examples: list, fraction: float = 0.05, seed: int = 0) -> tuple[list, list]:
    """``(train, dev)``: a seeded random ``fraction`` of the examples held out as dev, order kept."""
    count = max(1, round(len(examples) * fraction))
    held = set(random.Random(seed).sample(range(len(examples)), count))
    return ([e for i, e in enumerate(examples) if i not in held],
            [e for i, e in enumerate(examples) if i in held])
