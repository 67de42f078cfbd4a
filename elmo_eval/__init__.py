"""elmo-eval: reproduce and extend Peters et al. 2018 (ELMo)."""

__version__ = "0.1.0"
