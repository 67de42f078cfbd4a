"""Viterbi decoding over tag sequences, and the transition constraints of tagging schemes.

``viterbi_decode`` is vectorised over batch and tags; the only Python loop is
the recurrence over time. Constraints (``allowed_transitions``) are boolean
masks; to decode under them, give forbidden transitions a large negative score,
e.g. ``transitions.masked_fill(~allowed, -1e4)`` (see :func:`constrained_scores`).

Transition convention everywhere: ``transitions[i, j]`` scores moving from tag
``i`` at time ``t`` to tag ``j`` at time ``t + 1``.
"""
from __future__ import annotations

import torch

SCHEMES = ("BIO", "IOB1", "BIOES")
FORBIDDEN = -1e4  # large enough to never win, small enough to keep sums finite


def viterbi_decode(emissions: torch.Tensor, transitions: torch.Tensor, mask: torch.Tensor,
                   start_transitions: torch.Tensor | None = None,
                   end_transitions: torch.Tensor | None = None) -> list[list[int]]:
    """The highest-scoring tag sequence of every row.

    emissions ``[batch, time, tags]``; transitions ``[tags, tags]`` (from, to);
    mask ``[batch, time]`` bool, each row's real tokens first (left-aligned);
    start/end_transitions ``[tags]`` scores of the first/last tag, or None.
    Returns one list of tag ids per row, as long as that row's mask.
    """
    batch, time, num_tags = emissions.shape
    if transitions.shape != (num_tags, num_tags):
        raise ValueError(f"transitions has shape {tuple(transitions.shape)}, expected ({num_tags}, {num_tags})")
    if time == 0:
        return [[] for _ in range(batch)]
    mask = mask.bool()
    lengths = mask.sum(dim=1)
    emissions = emissions.float()
    transitions = transitions.float()
    score = emissions[:, 0]  # [batch, tags]: best score of a path ending in each tag
    if start_transitions is not None:
        score = score + start_transitions.float()
    backpointers = []  # per step t>=1: [batch, tags] best previous tag
    identity = torch.arange(num_tags, device=emissions.device).expand(batch, num_tags)
    for t in range(1, time):
        # [batch, from, to]: extend every path by one transition
        candidates = score.unsqueeze(2) + transitions.unsqueeze(0)
        best, best_prev = candidates.max(dim=1)
        step_score = best + emissions[:, t]
        active = mask[:, t].unsqueeze(1)
        # Padded steps carry the score through unchanged and point to themselves, so backtracking
        # from the last step lands on each row's true last tag.
        score = torch.where(active, step_score, score)
        backpointers.append(torch.where(active, best_prev, identity))
    if end_transitions is not None:
        score = score + end_transitions.float()
    last = score.argmax(dim=1)  # [batch]
    path = [last]
    for pointers in reversed(backpointers):
        last = pointers.gather(1, last.unsqueeze(1)).squeeze(1)
        path.append(last)
    path.reverse()
    tags = torch.stack(path, dim=1).tolist()  # [batch, time]
    return [row[:int(n)] for row, n in zip(tags, lengths.tolist())]


def split_label(label: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``."""
    if label == "O":
        return "O", ""
    prefix, sep, kind = label.partition("-")
    if not sep or prefix not in ("B", "I", "E", "S") or not kind:
        raise ValueError(f"label {label!r} is neither 'O' nor '<B|I|E|S>-<type>'")
    return prefix, kind


def _allowed_pair(prev: tuple[str, str] | None, cur: tuple[str, str], scheme: str) -> bool:
    """Whether tag ``cur`` may follow ``prev`` (None: ``cur`` starts the sentence)."""
    (p, pk), (c, ck) = (prev or ("O", "")), cur
    if scheme == "BIO":
        # an I- tag only continues a span of its own type
        return c != "I" or (p in ("B", "I") and pk == ck)
    if scheme == "IOB1":
        # B- only separates two adjacent spans of the same type
        return c != "B" or (p in ("B", "I") and pk == ck)
    if scheme == "BIOES":
        inside = p in ("B", "I")  # previous tag opened a span that is still open
        if c in ("I", "E"):
            return inside and pk == ck
        return not inside  # O, B-, S- only after a span closed
    raise ValueError(f"unknown tagging scheme {scheme!r}; expected one of {SCHEMES}")


def allowed_transitions(labels: list[str], scheme: str = "BIO") -> tuple[torch.Tensor, torch.Tensor]:
    """Which transitions a tagging scheme permits.

    labels: the tag vocabulary in id order (``"O"``, ``"B-ARG0"``, ...).
    Returns ``(transition_mask [tags, tags], start_mask [tags])`` of bools:
    ``transition_mask[i, j]`` is True when tag ``j`` may follow tag ``i``;
    ``start_mask[j]`` when tag ``j`` may begin a sentence. For BIOES, also see
    :func:`allowed_ends` (a sentence may not end inside a span).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tagging scheme {scheme!r}; expected one of {SCHEMES}")
    parts = [split_label(label) for label in labels]
    transition_mask = torch.tensor([[_allowed_pair(p, c, scheme) for c in parts] for p in parts], dtype=torch.bool)
    start_mask = torch.tensor([_allowed_pair(None, c, scheme) for c in parts], dtype=torch.bool)
    return transition_mask.reshape(len(labels), len(labels)), start_mask


def allowed_ends(labels: list[str], scheme: str = "BIO") -> torch.Tensor:
    """``[tags]`` bool: tags a sentence may end with (all but BIOES's B- and I-)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tagging scheme {scheme!r}; expected one of {SCHEMES}")
    parts = [split_label(label) for label in labels]
    return torch.tensor([scheme != "BIOES" or p not in ("B", "I") for p, _ in parts], dtype=torch.bool)


def constrained_scores(scores: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """``scores`` with every forbidden entry replaced by a large negative number (same shape)."""
    return scores.masked_fill(~allowed.to(scores.device), FORBIDDEN)
