"""The book of comparisons: every table and figure the runner reproduces, declared once.

A :class:`Comparison` names its split, its arms (the columns: a representation at a
placement), the key of the paper's numbers in a spec's ``[paper.*]`` tables and how it
is drawn. A task joins a comparison by listing it in its spec (``setup.tables``). The
planner iterates this book to make runs; the report iterates the same entries to make
columns, reading each task's setup from the snapshot its result files carry, so a run
is always found again by the arm that asked for it.

Arms refer to a task's own setup through two placeholders: ``TASK_MIX`` is the scalar
mix with the task's Table-1 lambda (``setup.l2_lambda``), and a ``placement`` of
``None`` is the task's Table-1 placement (``setup.elmo_placement``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from elmo_eval.representations.config import RepresentationConfig, standard_representation

TASK_MIX = "task_mix"
DEFAULT_PLACEMENT = "input"
DEFAULT_LAMBDA = 0.001


def task_placement(setup: Mapping) -> str:
    """Where the paper puts ELMo for a task in Table 1 (its spec's ``setup.elmo_placement``)."""
    return str(setup.get("elmo_placement", DEFAULT_PLACEMENT))


def task_lambda(setup: Mapping) -> float:
    """The lambda of the task's Table-1 scalar mix (its spec's ``setup.l2_lambda``)."""
    return float(setup.get("l2_lambda", DEFAULT_LAMBDA))


def mix_name(l2_lambda: float) -> str:
    """Report name of a scalar mix with this lambda (matches the standard representations' names)."""
    return "elmo_mix_l1" if l2_lambda == 1.0 else f"elmo_mix_l{l2_lambda:g}"


@dataclass(frozen=True)
class Arm:
    """One column: a representation at a placement.

    key: the column's key, also the key of the paper's number in ``spec.paper[paper_key]``.
    representation: a standard representation's name, or :data:`TASK_MIX`.
    placement: ``input`` / ``output`` / ``both``, or None for the task's Table-1 placement.
    """

    key: str
    label: str
    representation: str
    placement: str | None = None

    def resolve(self, setup: Mapping) -> RepresentationConfig:
        """The concrete representation this arm trains for a task with this ``setup``."""
        placement = self.placement or task_placement(setup)
        if self.representation == TASK_MIX:
            lam = task_lambda(setup)
            return RepresentationConfig(name=mix_name(lam), elmo="scalar_mix", l2_lambda=lam, placement=placement)
        return standard_representation(self.representation, placement)

    @property
    def is_baseline(self) -> bool:
        return self.representation == "baseline"


KINDS = ("gain", "columns", "curve", "variants", "probe")


@dataclass(frozen=True)
class Comparison:
    """One table or figure of the reproduction.

    kind: ``gain`` (baseline vs +ELMo with a paired test), ``columns`` (one column per arm),
    ``curve`` (the arms over training fractions), ``variants`` (each of a task's named
    variants, ``[variants.*]`` in its spec) or ``probe`` (the per-layer probes of
    :mod:`elmo_eval.probes`, run once per encoder after its runs: no task joins it and the
    planner makes no training runs for it). split: the split reported (``test`` falls back to
    dev where a task has none). needed: a task's row is shown when at least this many arms ran.
    """

    name: str
    title: str
    kind: str
    split: str
    arms: tuple[Arm, ...] = ()
    paper_key: str | None = None
    needed: int = 1
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"comparison {self.name!r}: unknown kind {self.kind!r}")


BASELINE = Arm("baseline", "Baseline", "baseline")
ELMO = Arm("elmo", "+ELMo", TASK_MIX)
# the same encoder's layer 0 alone, at the task's Table-1 placement: for a biLM, its character CNN
# without context, so the gain over it is what context adds (the fair baseline for a char-aware biLM)
CHAR_BASELINE = Arm("char_baseline", "layer 0 (char-aware baseline)", "elmo_layer0")

BOOK: dict[str, Comparison] = {c.name: c for c in (
    Comparison(
        "table1", "Table 1: baseline vs +ELMo", "gain", "test", (BASELINE, ELMO), paper_key="table1", needed=2,
        notes=("Ours: mean ± sample std over seeds on the test split (dev where a task has no test split); "
               "the paper's column is its Table 1 (test).",
               "rel = error reduction, (ELMo − baseline) / (100 − baseline), as the paper reports it.",
               "p: paired approximate-randomisation test on the test set (seeds paired); "
               "'ELMo better?' = gain larger than the seed std and p < 0.05.")),
    Comparison(
        "table1_char", "Table 1 against the character-aware baseline: the encoder's layer 0 alone vs +ELMo",
        "gain", "test", (CHAR_BASELINE, ELMO), needed=2,
        notes=("The baseline here is the same encoder's layer 0 (for a biLM: its character CNN, no context) at "
               "the task's Table-1 placement, trained like +ELMo: the gain is what the contextual layers add "
               "over the characters. The paper has no such row.",
               "p: paired approximate-randomisation test on the test set (seeds paired); "
               "'ELMo better?' = gain larger than the seed std and p < 0.05.")),
    Comparison(
        "table2", "Table 2: which layers (dev)", "columns", "dev",
        (BASELINE, Arm("last_only", "Last only", "elmo_top"), Arm("all_lambda_1", "All layers λ=1", "elmo_mix_l1"),
         Arm("all_lambda_0001", "All layers λ=0.001", "elmo_mix_l0.001")),
        paper_key="table2", needed=3, notes=("Dev set, as in the paper; ELMo at the task's Table-1 placement.",)),
    Comparison(
        "table3", "Table 3: where ELMo goes (dev)", "columns", "dev",
        (Arm("input", "Input only", TASK_MIX, "input"), Arm("both", "Input & output", TASK_MIX, "both"),
         Arm("output", "Output only", TASK_MIX, "output")),
        paper_key="table3", needed=3, notes=("Dev set; the task's Table-1 scalar mix and lambda at each place.",)),
    Comparison(
        "ablations", "Ablations: what the character layer and context each contribute (dev)", "columns", "dev",
        (BASELINE, Arm("elmo_layer0", "Layer 0 only (char CNN)", "elmo_layer0"),
         Arm("elmo_top", "Top layer", "elmo_top"), Arm("elmo_mean", "Fixed mean", "elmo_mean"),
         Arm("elmo_mix_l0.001", "Scalar mix λ=0.001", "elmo_mix_l0.001")),
        needed=4, notes=("Layer 0 alone is the biLM's context-independent character representation; the gap to "
                         "the mixes is what context adds.",)),
    Comparison(
        "figure1", "Figure 1: sample efficiency", "curve", "dev", (BASELINE, ELMO),
        notes=("Dev metric against the share of the training set (log axis), mean ± std over seeds.",)),
    Comparison(
        "topic", "Topic classification: the source article's three configurations", "variants", "test",
        paper_key="article",
        notes=("The article's numbers are on its own data; ours on this run's data (macro P/R/F1).",
               "The three configurations and the article's accuracies are as the project's founding task description "
               "gives them; it does not name the article, which could not be identified, so it is not cited.")),
    Comparison(
        "variants", "Extra configurations (a spec's named variants)", "variants", "test",
        notes=("Configurations a spec adds beside the paper's; see each spec's [variants.*] comments.",)),
    Comparison(
        "probes", "Tables 5-6: what each layer captures (probes)", "probe", "test",
        notes=("Per encoder, not per task: word sense disambiguation by nearest sense centroid (Table 5; "
               "all-words scoring, P = correct / answered, R = correct / all targets) and POS tagging with a "
               "linear classifier per frozen layer (Table 6), for the word-only vectors and every layer "
               "(see docs/probes.md).",
               "The paper's numbers are its biLM's layers 1 and 2 on SemCor / Raganato et al.'s WSD sets and "
               "PTB WSJ; ours are on the probe data named above each table.")),
)}


def comparison(name: str) -> Comparison:
    if name not in BOOK:
        raise ValueError(f"unknown table or figure {name!r}; known: {', '.join(BOOK)}")
    return BOOK[name]


def joins(setup: Mapping, name: str) -> bool:
    """Whether a task whose spec has this ``setup`` takes part in comparison ``name``."""
    return name in setup.get("tables", ())
