"""What one run uses: which token features, which ELMo representation, and where it goes."""
from __future__ import annotations

from dataclasses import asdict, dataclass

PLACEMENTS = ("input", "output", "both")


@dataclass(frozen=True)
class RepresentationConfig:
    """How a head sees tokens.

    name: short label used in reports (``baseline``, ``elmo_mix_l1``, ...).
    elmo: None (no contextual layers), ``scalar_mix``, ``top``, ``layer0`` or ``mean``.
    l2_lambda / layer_norm: scalar-mix settings. placement: ``input``, ``output`` or ``both``
    (each location has its own mix). word / char_cnn: the baseline's word vectors and
    trainable character CNN at the input (``char_cnn=None`` = the task's own default).
    """

    name: str
    elmo: str | None = None
    l2_lambda: float = 0.0
    layer_norm: bool = False
    placement: str = "input"
    word: bool = True
    char_cnn: bool | None = None

    def __post_init__(self):
        if self.placement not in PLACEMENTS:
            raise ValueError(f"placement must be one of {PLACEMENTS}, got {self.placement!r}")

    @property
    def at_input(self) -> bool:
        return self.elmo is not None and self.placement in ("input", "both")

    @property
    def at_output(self) -> bool:
        return self.elmo is not None and self.placement in ("output", "both")

    def to_dict(self) -> dict:
        return asdict(self)


# The representations the paper compares (Tables 1 and 2) plus the two extra ablations.
STANDARD_REPRESENTATIONS = {
    "baseline": dict(elmo=None),
    "elmo_top": dict(elmo="top"),
    "elmo_mix_l1": dict(elmo="scalar_mix", l2_lambda=1.0),
    "elmo_mix_l0.001": dict(elmo="scalar_mix", l2_lambda=0.001),
    "elmo_mean": dict(elmo="mean"),
    "elmo_layer0": dict(elmo="layer0"),
}


def standard_representation(name: str, placement: str = "input", **overrides) -> RepresentationConfig:
    """One of :data:`STANDARD_REPRESENTATIONS` at a placement."""
    if name not in STANDARD_REPRESENTATIONS:
        raise ValueError(f"unknown representation {name!r}; known: {sorted(STANDARD_REPRESENTATIONS)}")
    return RepresentationConfig(name=name, placement=placement, **{**STANDARD_REPRESENTATIONS[name], **overrides})
