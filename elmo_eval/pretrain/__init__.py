"""Pretraining ELMo's biLM with Lightning and exporting it in the original format.

Light imports only: ``from elmo_eval.pretrain.api import pretrain_bilm`` pulls in Lightning.
"""
from .presets import PRESETS, PretrainPreset, get_preset

__all__ = ["PRESETS", "PretrainPreset", "get_preset"]
