"""Reproduction presets: which tables, how many seeds, which hyperparameter profile.

``default`` is what the README's first command runs on a CPU in minutes;
``full`` adds seeds, every table and figure and the per-layer probes; ``paper`` is for real data and
official weights on a GPU box.
"""
from __future__ import annotations

PRESETS: dict[str, dict] = {
    "default": {
        "hp_profile": "tiny", "seeds": [0], "world_size": "small", "bilm_preset": "tiny",
        "tables": ["table1", "table2", "topic"], "fractions": [1.0],
    },
    "full": {
        "hp_profile": "tiny", "seeds": [0, 1, 2], "world_size": "small", "bilm_preset": "tiny",
        "tables": ["table1", "table2", "table3", "figure1", "ablations", "topic", "variants", "probes"],
        "fractions": [0.001, 0.01, 0.1, 0.3, 1.0],  # Figure 1 from the paper's smallest share, 0.1%
    },
    "paper": {
        "hp_profile": "paper", "seeds": [0, 1, 2, 3, 4], "world_size": "default", "bilm_preset": "small",
        "tables": ["table1", "table2", "table3", "figure1", "ablations", "topic"],
        "fractions": [0.001, 0.01, 0.1, 1.0],
    },
}
