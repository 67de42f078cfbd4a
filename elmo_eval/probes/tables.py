"""Markdown tables of probe results, the paper's numbers beside ours (Tables 4-6 of Peters et al. 2018)."""
from __future__ import annotations

# Peters et al. 2018 (NAACL / arXiv 1802.05365v2), section 5.3.  Table 5: all-words fine-grained WSD F1
# (SemCor 3.0 train, Raganato et al. 2017's test sets); Table 6: PTB WSJ test POS accuracy.
PAPER_WSD = {"WordNet 1st sense baseline": 65.9, "CoVe, first layer": 59.4, "CoVe, second layer": 64.7,
             "biLM, first layer": 67.4, "biLM, second layer": 69.0}
PAPER_POS = {"CoVe, first layer": 93.3, "CoVe, second layer": 92.8,
             "biLM, first layer": 97.3, "biLM, second layer": 96.8}
# our row -> the paper's row it corresponds to (the paper reports no layer 0 or word-vector row)
PAPER_ROW = {"layer 1": "biLM, first layer", "layer 2": "biLM, second layer"}


def _paper(row: str, table: dict) -> str:
    name = PAPER_ROW.get(row)
    return f"{table[name]:.1f}" if name in table else "–"


def wsd_table(wsd: dict) -> str:
    lines = ["| Row | P | R | F1 | answered / total | Paper F1 (Table 5) |", "|---|---|---|---|---|---|"]
    for row, result in wsd["rows"].items():
        s = result["score"]
        lines.append(f"| {row} | {s['precision']:.1f} | {s['recall']:.1f} | **{s['f1']:.1f}** | "
                     f"{s['answered']} / {s['total']} | {_paper(row, PAPER_WSD)} |")
    lines.append("")
    lines.append("Paper, other rows: " + "; ".join(f"{name} {value:.1f}" for name, value in PAPER_WSD.items()
                                                   if name not in PAPER_ROW.values()) + ".")
    how = ", ".join(f"{name}: {count}" for name, count in sorted(wsd["how_answered"].items()))
    lines.append(f"Test targets by how they were answered (the same for every row): {how}.")
    groups = sorted(wsd["how_answered"])
    lines += ["", "F1 per group of test targets (only *nearest sense*, a lemma seen with several senses, "
                  "depends on the row's context):", "",
              "| Row | " + " | ".join(groups) + " |", "|---|" + "---|" * len(groups)]
    for row, result in wsd["rows"].items():
        lines.append(f"| {row} | " + " | ".join(f"{result['by_how_answered'][g]['f1']:.1f}" for g in groups) + " |")
    return "\n".join(lines)


def pos_table(pos: dict) -> str:
    lines = ["| Row | Test accuracy | Train accuracy | Paper (Table 6) |", "|---|---|---|---|"]
    for row, result in pos["rows"].items():
        lines.append(f"| {row} | **{result['accuracy']:.2f}** | {result['train_accuracy']:.2f} | "
                     f"{_paper(row, PAPER_POS)} |")
    lines.append("")
    lines.append("Paper, other rows: " + "; ".join(f"{name} {value:.1f}" for name, value in PAPER_POS.items()
                                                   if name not in PAPER_ROW.values()) + ".")
    lines.append(f"{pos['tags']} tags, {pos['test_tokens']} test tokens ({pos['test_tokens_with_unseen_tag']} "
                 "with a tag never seen in training, counted wrong).")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def neighbours_table(neighbours: dict, withheld: str | None = None) -> str:
    """Table 4 per query word; ``withheld``: the local file holding the contexts left out here."""
    lines = []
    for entry in neighbours["words"]:
        lines.append(f"Word **{_cell(entry['word'])}** ({entry['test_occurrences']} test, "
                     f"{entry['train_occurrences']} training occurrences; labels are the {neighbours['label']}).")
        lines.append("")
        lines.append("| Row | Source | Nearest neighbours |")
        lines.append("|---|---|---|")
        if "nearest_words" in entry:
            lines.append(f"| word vectors | {_cell(entry['word'])} | "
                         f"{_cell(', '.join(entry['nearest_words'])) or '(not in the vectors)'} |")
        if not entry["rows"] and withheld:
            lines.append(f"| layers | – | sentences withheld: see `{withheld}` (kept local) |")
        for row, queries in entry["rows"].items():
            for query in queries:
                shown = "<br>".join(f"{_cell(n['context'])} ({n['label']}, cos {n['cosine']:.2f})"
                                    for n in query["neighbours"])
                lines.append(f"| {row} | {_cell(query['query'])} ({query['label']}) | {shown} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def probe_markdown(result: dict) -> str:
    """The whole report of one probe result file."""
    enc, data = result["encoder"], result["data"]
    out = [f"# Probes: {enc['id']} on {data['name']}", "",
           f"Encoder `{enc['id']}` (fingerprint `{str(enc['fingerprint'])[:16]}`), word vectors "
           f"`{result['vectors']['source']}`; data `{data['name']}` ({data['notes']}), train "
           f"{data['sizes']['train']['sentences']} sentences / {data['sizes']['train']['tokens']} tokens, test "
           f"{data['sizes']['test']['sentences']} / {data['sizes']['test']['tokens']}.", ""]
    probes = result["probes"]
    if "wsd" in probes:
        out += ["## Word sense disambiguation by nearest sense (paper Table 5)", "",
                "All-words framework scoring (Raganato et al. 2017): P = correct / answered, "
                "R = correct / all test targets, F1.", "", wsd_table(probes["wsd"]), ""]
    if "pos" in probes:
        settings = probes["pos"]["settings"]
        out += ["## POS tagging with a linear classifier per frozen row (paper Table 6)", "",
                f"Features standardised per row; Adam lr {settings['lr']}, {settings['epochs']} epochs (at least "
                f"{settings['min_updates']} updates), batches of {settings['batch_sentences']} sentences, "
                f"seed {settings['seed']}.", "", pos_table(probes["pos"]), ""]
    if "nn" in probes:
        withheld = result.get("text_withheld")
        out += ["## Nearest neighbours (paper Table 4)", "",
                *([f"The probe data's sentences are not in this file (the data may be licensed): the contexts "
                   f"of each layer's nearest neighbours are in `{withheld}` beside it, which stays local.", ""]
                  if withheld else []),
                neighbours_table(probes["nn"], withheld)]
    out += [f"Command: `{result['command']}`" if result.get("command") else "", ""]
    return "\n".join(out).rstrip() + "\n"
