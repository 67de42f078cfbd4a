"""Ways to turn an encoder's layer stack into one vector per token.

``config`` (import-light: no torch) says which representation a run uses and where it goes;
``modules`` holds the ``nn.Module`` of each (scalar mix with γ, layer norm and the λ penalty,
one layer, the fixed mean). The module names are re-exported lazily so that reading a
configuration never imports torch.
"""
from __future__ import annotations

from elmo_eval.representations.config import (
    PLACEMENTS,
    STANDARD_REPRESENTATIONS,
    RepresentationConfig,
    standard_representation,
)

_MODULE_NAMES = ("Representation", "ScalarMix", "SelectLayer", "FixedMean", "build_representation",
                 "masked_layer_norm")

__all__ = ["PLACEMENTS", "STANDARD_REPRESENTATIONS", "RepresentationConfig", "standard_representation",
           *_MODULE_NAMES]


def __getattr__(name: str):
    if name in _MODULE_NAMES:
        from elmo_eval.representations import modules

        return getattr(modules, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
