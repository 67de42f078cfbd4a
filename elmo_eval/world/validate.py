"""Format checks of world files, the way the official tools need them.

Each ``check_*`` raises :class:`WorldFormatError` naming the file, the line
and what was expected; :func:`check_world` runs them all plus world.json
consistency.  Usable on real files too (they are format checks, not world checks).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

from elmo_eval.errors import UsageError

NER_TAG = re.compile(r"^(O|[IB]-(PER|LOC|ORG|MISC))$")
CHUNK_TAG = re.compile(r"^(O|[IB]-[A-Z]+)$")
SNLI_KEYS = {
    "annotator_labels",
    "captionID",
    "gold_label",
    "pairID",
    "sentence1",
    "sentence1_binary_parse",
    "sentence1_parse",
    "sentence2",
    "sentence2_binary_parse",
    "sentence2_parse",
}
SNLI_LABELS = {"entailment", "neutral", "contradiction", "-"}


class WorldFormatError(UsageError, ValueError):
    pass


def _fail(path: Path, line: int, message: str) -> None:
    raise WorldFormatError(f"{path}:{line}: {message}")


def check_conll2003(path: Path) -> int:
    """4 columns, valid IOB1 entity tags; returns the number of sentences."""
    sentences, previous = 0, "O"
    in_sentence = False
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            sentences += in_sentence
            in_sentence, previous = False, "O"
            continue
        columns = line.split()
        if len(columns) != 4:
            _fail(path, number, f"expected 4 columns 'token POS chunk NER', got {len(columns)}")
        if columns[0] == "-DOCSTART-":
            continue
        if not NER_TAG.match(columns[3]) or not CHUNK_TAG.match(columns[2]):
            _fail(path, number, f"bad chunk/NER tag {columns[2]!r}/{columns[3]!r}")
        tag = columns[3]
        # IOB1: B-X only directly after an X entity token
        if tag.startswith("B-") and previous[2:] != tag[2:]:
            _fail(path, number, f"IOB1 violation: {tag} does not follow an entity of the same type")
        previous, in_sentence = tag, True
    return sentences + in_sentence


def parse_sst_tree(text: str) -> tuple:
    """``(label, word)`` / ``(label, left, right)`` from a PTB string; ValueError if malformed."""
    tokens = re.findall(r"\(|\)|[^\s()]+", text)
    position = 0

    def node():
        nonlocal position
        if tokens[position] != "(":
            raise ValueError(f"expected '(' at token {position}")
        label = tokens[position + 1]
        if label not in {"0", "1", "2", "3", "4"}:
            raise ValueError(f"label {label!r} is not 0-4")
        position += 2
        if tokens[position] not in "()":
            word = tokens[position]
            position += 1
            result = (int(label), word)
        else:
            left = node()
            right = node()
            result = (int(label), left, right)
        if tokens[position] != ")":
            raise ValueError(f"expected ')' at token {position} (tree not binary?)")
        position += 1
        return result

    try:
        tree = node()
    except IndexError:
        raise ValueError("unbalanced brackets") from None
    if position != len(tokens):
        raise ValueError("text after the tree's closing bracket")
    return tree


def check_sst(path: Path) -> int:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        try:
            parse_sst_tree(line)
        except ValueError as error:
            _fail(path, number, f"malformed SST tree: {error}")
    return len(lines)


def _ptb_leaves(parse: str) -> list[str]:
    return re.findall(r"\(\S+ ([^\s()]+)\)", parse)


def _binary_leaves(parse: str) -> list[str]:
    return [t for t in parse.split() if t not in ("(", ")")]


def check_snli(path: Path) -> int:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        record = json.loads(line)
        if set(record) != SNLI_KEYS:
            _fail(path, number, f"keys {sorted(record)} differ from SNLI's {sorted(SNLI_KEYS)}")
        if record["gold_label"] not in SNLI_LABELS:
            _fail(path, number, f"gold_label {record['gold_label']!r} not in {sorted(SNLI_LABELS)}")
        for prefix in ("sentence1", "sentence2"):
            tokens = re.findall(r"\w+|[^\w\s]", record[prefix])
            if (
                _ptb_leaves(record[prefix + "_parse"]) != tokens
                or _binary_leaves(record[prefix + "_binary_parse"]) != tokens
            ):
                _fail(path, number, f"{prefix} parse leaves do not equal the sentence tokens {tokens}")
    return len(lines)


def check_squad(path: Path) -> int:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("version", "1.1") != "1.1" or not isinstance(data.get("data"), list):
        _fail(path, 1, "expected {'version': '1.1', 'data': [...]}")
    questions = 0
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                questions += 1
                if not qa["answers"] or not qa["question"] or not qa["id"]:
                    _fail(path, 1, f"question {qa.get('id')!r} lacks id, text or answers")
                for answer in qa["answers"]:
                    start = answer["answer_start"]
                    if context[start : start + len(answer["text"])] != answer["text"]:
                        _fail(path, 1, f"question {qa['id']}: answer {answer['text']!r} not at offset {start}")
    return questions


def _check_brackets(path: Path, number: int, cells: list[str], what: str, one_v: bool) -> None:
    depth, verbs = 0, 0
    for cell in cells:
        depth += cell.count("(")
        verbs += cell.count("(V*")
        depth -= cell.count(")")
        if depth < 0:
            _fail(path, number, f"{what}: ')' without '('")
    if depth != 0:
        _fail(path, number, f"{what}: unbalanced brackets")
    if one_v and verbs != 1:
        _fail(path, number, f"{what}: expected exactly one (V*), found {verbs}")


def check_conll2012(path: Path) -> int:
    """Document markers, constant columns per sentence, balanced args (one V each), parse and coref."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    documents, in_document = 0, False
    sentence: list[tuple[int, list[str]]] = []
    open_mentions: Counter = Counter()

    def finish_sentence() -> None:
        if not sentence:
            return
        number = sentence[0][0]
        widths = {len(columns) for _, columns in sentence}
        if len(widths) != 1 or min(widths) < 12:
            _fail(path, number, f"sentence rows must all have the same number (>= 12) of columns, got {sorted(widths)}")
        rows = [columns for _, columns in sentence]
        _check_brackets(path, number, [r[5].replace("*", "") for r in rows], "parse bits", False)
        for column in range(11, len(rows[0]) - 1):
            _check_brackets(path, number, [r[column] for r in rows], f"argument column {column}", True)
        sentence.clear()

    for number, line in enumerate(lines, 1):
        if line.startswith("#begin document"):
            if in_document:
                _fail(path, number, "#begin document inside a document")
            in_document, documents = True, documents + 1
            open_mentions.clear()
        elif line.startswith("#end document"):
            finish_sentence()
            if not in_document:
                _fail(path, number, "#end document without #begin")
            if any(open_mentions.values()):
                _fail(path, number, f"coreference mentions left open: {dict(open_mentions)}")
            in_document = False
        elif not line.strip():
            finish_sentence()
        else:
            if not in_document:
                _fail(path, number, "token row outside a document")
            columns = line.split()
            sentence.append((number, columns))
            if columns[-1] != "-":
                for part in columns[-1].split("|"):
                    match = re.fullmatch(r"(\()?(\d+)(\))?", part)
                    if not match or not (match.group(1) or match.group(3)):
                        _fail(path, number, f"bad coreference cell {columns[-1]!r}")
                    if match.group(1) and not match.group(3):
                        open_mentions[match.group(2)] += 1
                    elif match.group(3) and not match.group(1):
                        if open_mentions[match.group(2)] == 0:
                            _fail(path, number, f"coreference {part!r} closes a mention that is not open")
                        open_mentions[match.group(2)] -= 1
    if in_document:
        _fail(path, len(lines), "file ends inside a document")
    return documents


def check_agnews(path: Path) -> int:
    rows = 0
    with open(path, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), 1):
            if len(row) != 3 or row[0] not in {"1", "2", "3", "4"}:
                _fail(path, number, f"expected 3 fields with class 1-4, got {row!r}")
            rows += 1
    return rows


def check_world(out_dir: Path) -> dict:
    """Validate every file of a world and its world.json counts; returns world.json."""
    out_dir = Path(out_dir)
    world = json.loads((out_dir / "world.json").read_text(encoding="utf-8"))
    for name, size in world["files"].items():
        if (out_dir / name).stat().st_size != size:
            _fail(out_dir / name, 0, f"size differs from world.json ({size} bytes)")
    tasks = world["tasks"]
    for split in ("train", "dev", "test"):
        expectations = [
            (check_conll2003, f"ner/{split}.txt", tasks["ner"]["files"][f"ner/{split}.txt"]["sentences"]),
            (check_sst, f"sst/{split}.txt", tasks["sst"]["files"][f"sst/{split}.txt"]["trees"]),
            (
                check_snli,
                f"snli/snli_1.0_{split}.jsonl",
                tasks["snli"]["files"][f"snli/snli_1.0_{split}.jsonl"]["pairs"],
            ),
            (check_squad, f"squad/{split}-v1.1.json", tasks["squad"]["files"][f"squad/{split}-v1.1.json"]["questions"]),
            (check_agnews, f"agnews/{split}.csv", tasks["agnews"]["files"][f"agnews/{split}.csv"]["articles"]),
        ]
        for check, name, expected in expectations:
            if check(out_dir / name) != expected:
                _fail(out_dir / name, 0, f"count differs from world.json ({expected})")
    for directory, entry in tasks["conll2012"]["files"].items():
        documents = sum(check_conll2012(p) for p in sorted((out_dir / directory).glob("*.gold_conll")))
        if documents != entry["documents"]:
            _fail(out_dir / directory, 0, f"{documents} documents, world.json says {entry['documents']}")
    for name, entry in world["corpus"].items():
        lines = (out_dir / name).read_text(encoding="utf-8").splitlines()
        if len(lines) != entry["sentences"] or sum(len(line.split()) for line in lines) != entry["tokens"]:
            _fail(out_dir / name, 0, "sentence/token counts differ from world.json")
    return world
