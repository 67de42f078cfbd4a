"""Stanford Sentiment Treebank in PTB notation: one labelled binary tree per line.

Leaves and labels are separated by ASCII space/tab only: a word may contain any other character
(the public train.txt has U+00A0 inside "8 1/2"); a byte-order mark at the start of the file is dropped.

Every node carries a sentiment label 0-4 (very negative .. very positive):
``(3 (2 The) (3 (2 film) (3 works)))``. The sentence label is the root's.
SST-2 (binary) drops neutral (2) and maps 0-1 to 0 (negative), 3-4 to 1 (positive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from elmo_eval.readers.errors import DataFormatError
from elmo_eval.readers.text import no_data, read_lines

NUM_CLASSES = 5
_TOKEN = re.compile(r"\(|\)|[^ \t\r\n()]+")


@dataclass
class SstTree:
    """A node: its label and either children (phrase) or a word (leaf)."""

    label: int
    children: list[SstTree] = field(default_factory=list)
    word: str | None = None

    @property
    def tokens(self) -> list[str]:
        """The words of the leaves below this node, left to right."""
        return [node.word for node in self.subtrees() if node.word is not None]

    def subtrees(self) -> list[SstTree]:
        """This node and every node below it, in pre-order (the phrases the recipe trains on).

        Walked with a stack rather than by recursion, so that a tree of any depth works.
        """
        out: list[SstTree] = []
        stack = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


@dataclass
class SstSentence:
    """One line of the file: the whole tree and where it came from."""

    tree: SstTree
    index: int  # 0-based sentence index in the file
    line_no: int

    @property
    def tokens(self) -> list[str]:
        return self.tree.tokens

    @property
    def label(self) -> int:
        return self.tree.label


def binary_label(label: int) -> int | None:
    """SST-5 label -> SST-2 label (None for neutral)."""
    return None if label == 2 else int(label > 2)


def parse_tree(text: str, path: str | Path = "<string>", line_no: int = 1) -> SstTree:
    """One PTB-notation tree with integer labels 0-4.

    Iterative (a stack of the open nodes), so a tree of any depth reads: a recursive descent hit
    Python's recursion limit on a 10,000-token right-branching tree.
    """
    tokens = _TOKEN.findall(text)
    end = len(tokens)
    position = 0
    open_nodes: list[SstTree] = []  # the nodes whose ')' has not been read yet, outermost first
    root: SstTree | None = None

    def fail(message: str):
        raise DataFormatError(path, line_no, message)

    while True:
        # a node starts at `position`: '(' label, then a word or its first child
        if position >= end or tokens[position] != "(":
            fail(f"expected '(' at token {position + 1}, found "
                 f"{tokens[position] if position < end else 'end of line'!r}")
        position += 1
        if position >= end or tokens[position] in "()":
            fail("missing label after '(' (unbalanced parentheses?)")
        raw = tokens[position]
        if not raw.isdigit() or not 0 <= int(raw) < NUM_CLASSES:
            fail(f"label {raw!r} is not an integer 0-4")
        position += 1
        tree = SstTree(int(raw))
        if open_nodes:
            open_nodes[-1].children.append(tree)
        else:
            root = tree
        if position < end and tokens[position] == "(":
            open_nodes.append(tree)
            continue  # read its first child
        if position >= end or tokens[position] == ")":
            fail(f"node with label {raw} has neither a word nor children")
        tree.word = tokens[position]
        position += 1
        # the leaf closes, then each enclosing node either starts another child or closes too
        while True:
            if position >= end or tokens[position] != ")":
                fail("unbalanced parentheses: a node is not closed")
            position += 1
            if not open_nodes or (position < end and tokens[position] == "("):
                break
            open_nodes.pop()
        if not open_nodes:
            break
    if position != end:
        fail(f"unexpected {tokens[position]!r} after the end of the tree (unbalanced parentheses?)")
    return root


def read_sst(path: str | Path) -> list[SstSentence]:
    """Every tree of one SST file (blank lines are skipped; a file without any tree is refused)."""
    path = Path(path)
    out = []
    for line_no, line in enumerate(read_lines(path), start=1):
        if line.strip(" \t\r"):
            out.append(SstSentence(parse_tree(line, path, line_no), len(out), line_no))
    if not out:
        raise no_data(path, "tree", "one tree per line, e.g. '(3 (2 The) (3 (2 film) (3 works)))'")
    return out
