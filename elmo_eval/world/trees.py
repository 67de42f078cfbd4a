"""Annotated constituency trees: the one structure every task is projected from.

A sentence is a tree of :class:`Node` (phrase label + children) and
:class:`Leaf` (POS + word).  Any node or leaf may carry annotations, tuples
whose first item is their kind:

* ``("ner", "PER")`` — the node's words are a named entity of that type;
* ``("V", pred, lemma)`` on a leaf — the verb of predicate ``pred`` (an int unique in the sentence);
* ``("arg", pred, "ARG0")`` — the node's words fill that role of predicate ``pred``;
* ``("coref", cluster)`` — the node is a mention of entity ``cluster`` (unique in the document).

:func:`flatten` turns a tree into tokens, POS tags and ``(annotation, start, end)``
spans (``end`` exclusive); the other functions print it in the notations the
official files use (PTB brackets, SNLI's binary parse, CoNLL-2012 parse bits).
"""
from __future__ import annotations

from dataclasses import dataclass

PUNCTUATION_TAGS = {".", ",", ":", "``", "''", "-LRB-", "-RRB-", "$", "#"}


class Leaf:
    __slots__ = ("pos", "word", "ann")

    def __init__(self, pos: str, word: str, ann: tuple = ()) -> None:
        self.pos, self.word, self.ann = pos, word, ann


class Node:
    __slots__ = ("label", "children", "ann")

    def __init__(self, label: str, children: list, ann: tuple = ()) -> None:
        self.label, self.children, self.ann = label, children, ann


@dataclass
class FlatSentence:
    """A flattened tree: ``tokens[i]`` has tag ``pos[i]``; spans are ``(ann, start, end)``."""

    tokens: list[str]
    pos: list[str]
    spans: list[tuple[tuple, int, int]]
    parse_bits: list[str]
    chunk_ids: list[int]     # id of the phrase each token sits in directly (for chunk tags)
    chunk_labels: list[str]
    tree: Node


def flatten(tree: Node) -> FlatSentence:
    """Tokens, POS, annotated spans and CoNLL-2012 parse bits of a tree (``TOP`` root added)."""
    tokens: list[str] = []
    pos: list[str] = []
    spans: list[tuple[tuple, int, int]] = []
    opens: list[str] = []
    closes: list[int] = []
    chunk_ids: list[int] = []
    chunk_labels: list[str] = []
    counter = [0]

    def walk(node, pending_open: str, parent_id: int, parent_label: str) -> None:
        if isinstance(node, Leaf):
            tokens.append(node.word)
            pos.append(node.pos)
            opens.append(pending_open)
            closes.append(0)
            chunk_ids.append(parent_id)
            chunk_labels.append(parent_label)
            start = len(tokens) - 1
            for ann in node.ann:
                spans.append((ann, start, start + 1))
            return
        counter[0] += 1
        node_id = counter[0]
        start = len(tokens)
        for index, child in enumerate(node.children):
            walk(child, (pending_open + "(" + node.label) if index == 0 else "", node_id, node.label)
        closes[-1] += 1
        for ann in node.ann:
            spans.append((ann, start, len(tokens)))

    walk(Node("TOP", [tree]), "", 0, "TOP")
    bits = [f"{o}*{')' * c}" for o, c in zip(opens, closes)]
    return FlatSentence(tokens, pos, spans, bits, chunk_ids, chunk_labels, tree)


def ptb_string(tree, root: str = "ROOT") -> str:
    """``(ROOT (S (NP (DT A) (NN dog)) ...))`` as in SNLI's ``sentence*_parse``."""
    def show(node) -> str:
        if isinstance(node, Leaf):
            return f"({node.pos} {node.word})"
        return f"({node.label} " + " ".join(show(child) for child in node.children) + ")"
    return f"({root} {show(tree)})"


def binary_parse_string(tree) -> str:
    """SNLI's ``sentence*_binary_parse``: unlabeled, right-branching binarised, unary chains collapsed."""
    def show(node) -> str:
        if isinstance(node, Leaf):
            return node.word
        parts = [show(child) for child in node.children]
        if len(parts) == 1:
            return parts[0]
        combined = parts[-1]
        for part in reversed(parts[:-1]):
            combined = f"( {part} {combined} )"
        return combined
    return show(tree)


def detokenize(tokens: list[str]) -> tuple[str, list[int]]:
    """Text with English spacing and the character offset of each token in it.

    No space before closing punctuation and clitics; the offsets are exact, so
    ``text[offsets[i]:offsets[i] + len(tokens[i])] == tokens[i]``.
    """
    no_space_before = {".", ",", "?", "!", ";", ":", "'s", "%", "n't", ")"}
    pieces: list[str] = []
    offsets: list[int] = []
    length = 0
    for index, token in enumerate(tokens):
        if index > 0 and token not in no_space_before and tokens[index - 1] not in {"(", "$"}:
            pieces.append(" ")
            length += 1
        offsets.append(length)
        pieces.append(token)
        length += len(token)
    return "".join(pieces), offsets
