"""The standalone tools of ``elmo-eval``: ``embed``, ``srl-eval`` and ``coref-score``.

Each works on files alone, outside a reproduction: ``embed`` runs a frozen biLM over a
text file into a layer cache; ``srl-eval`` and ``coref-score`` score prediction files
as the official scorers do (``srl-eval.pl`` of CoNLL-2005, ``scorer.pl`` v8.01 of
CoNLL-2012, checked against their printed output in tests/test_official_scorers.py).
Registering them imports nothing heavy; each command imports what it
computes with when it runs. Wrong input (a missing file, a malformed one) is a
:class:`~elmo_eval.errors.UsageError`: one line on stderr, exit status 2.
"""
from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path

from elmo_eval.errors import UsageError
from elmo_eval.threads import add_threads_argument, apply_threads


def _existing(path: str, what: str) -> Path:
    if not Path(path).exists():
        raise UsageError(f"{what} {path}: no such file or directory")
    return Path(path)


# --- embed ------------------------------------------------------------------------

def read_sentences(path: Path) -> list[list[str]]:
    """One sentence per line, tokens separated by whitespace; blank lines are skipped."""
    try:
        with open(path, encoding="utf-8") as handle:
            return [line.split() for line in handle if line.strip()]
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 text ({error})") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error}") from None


def writable_output(path: str) -> Path:
    """``path`` as a file this process can create or replace, checked before any work is done;
    :class:`UsageError` naming it and the reason otherwise (a folder, a parent that is a file,
    a folder without write permission)."""
    output = Path(path)
    if output.is_dir():
        raise UsageError(f"--output {output}: is a folder; give a file path such as {output / 'layers.h5'}")
    folder = output.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"--output {output}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--output {output}: cannot write in {folder} (permission denied)")
    return output


def run_embed(args: argparse.Namespace) -> int:
    for path, what in ((args.options, "--options"), (args.weights, "--weights"), (args.input, "--input")):
        _existing(path, what)
    writable_output(args.output)
    sentences = read_sentences(Path(args.input))


    from elmo_eval.cache import LayerCache
    from elmo_eval.encoders.bilm import ElmoBiLM
    from elmo_eval.encoders.official_format import OfficialFormatError, WeightsMismatchError

    apply_threads(args.threads)
    try:
        bilm = ElmoBiLM.from_official(args.options, args.weights)
    except (OfficialFormatError, WeightsMismatchError) as error:  # names the file and what was wrong
        raise UsageError(str(error)) from None
    cache = LayerCache.build(args.output, bilm, sentences, dtype=args.dtype, batch_size=args.batch_size,
                             progress=True)
    print(f"{args.output}: {len(cache)} sentences, {cache.num_layers} layers x {cache.dim} dims "
          f"({cache.dtype}), encoder {cache.fingerprint[:12]}")
    cache.close()
    return 0


# --- srl-eval ---------------------------------------------------------------------

def format_srl_report(report: dict) -> str:
    """The report exactly as ``srl-eval.pl`` prints it (checked line for line on generated cases)."""
    lines = [f"Number of Sentences    :      {report['num_sentences']:6d}",
             f"Number of Propositions :      {report['num_propositions']:6d}",
             f"Percentage of perfect props : {report['perfect_props']:6.2f}", "",
             f"{'':>10}   {'corr.':>6}  {'excess':>6}  {'missed':>6}   {'prec.':>6}  {'rec.':>6}  {'F1':>6}",
             "-" * 60]

    def row(name, r):
        return (f"{name:>10}   {r['correct']:6d}  {r['excess']:6d}  {r['missed']:6d}   "
                f"{r['precision']:6.2f}  {r['recall']:6.2f}  {r['f1']:6.2f}")

    lines += [row("Overall", report), "-" * 10]
    lines += [row(label, r) for label, r in report["per_label"].items()]
    lines.append("-" * 60)
    if any(report["verb"][k] for k in ("correct", "excess", "missed")):  # the scorer prints V only when seen
        lines.append(row("V", report["verb"]))
    lines.append("-" * 60)
    return "\n".join(lines)


def run_srl_eval(args: argparse.Namespace) -> int:
    gold, pred = _existing(args.gold, "gold props file"), _existing(args.pred, "predicted props file")

    from elmo_eval.metrics.srl_eval import score_props_files

    try:
        report = score_props_files(gold, pred)
    except (ValueError, OSError) as error:  # malformed props (names the file and line), unreadable file
        raise UsageError(str(error)) from None
    print(json.dumps(report, indent=1) if args.json else format_srl_report(report))
    return 0


# --- coref-score ------------------------------------------------------------------

def format_coref_scores(totals: Mapping) -> str:
    """Recall, precision and F1 per metric (and the CoNLL score), each percentage truncated from its
    fraction to two decimals, as the Perl scorer prints it (79.99 where a rounded 100 x F1 shows 80.00)."""
    from elmo_eval.metrics.coref import SCORER_METRICS, perl_percentage

    lines = [f"{'':>9}  {'recall':>7}  {'prec.':>7}  {'F1':>7}"]
    for name in ("mentions", *SCORER_METRICS):
        counts = totals[name]
        r, p, f = (perl_percentage(x) for x in (counts.recall, counts.precision, counts.f1))
        lines.append(f"{name:>9}  {r:7.2f}  {p:7.2f}  {f:7.2f}")
    conll = (totals["muc"].f1 + totals["bcub"].f1 + totals["ceafe"].f1) / 3
    lines.append(f"{'CoNLL':>9}  {'':>7}  {'':>7}  {perl_percentage(conll):7.2f}")
    return "\n".join(lines)


def run_coref_score(args: argparse.Namespace) -> int:
    key, response = _existing(args.key, "key"), _existing(args.response, "response")

    from elmo_eval.metrics.coref import file_counts, scorer_report, scores_from_counts

    try:
        totals = file_counts(str(key), str(response))
    except (ValueError, OSError) as error:  # malformed CoNLL-2012 (names the file and line), too many repeats
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps(scores_from_counts(totals), indent=1))
    elif args.full:
        print(scorer_report(totals), end="")
    else:
        print(format_coref_scores(totals))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``embed``, ``srl-eval`` and ``coref-score``; each sets ``args.func(args) -> int``."""
    embed = subparsers.add_parser(
        "embed", help="compute the biLM layers of every sentence once and store them in an HDF5 cache",
        description="Run a frozen ELMo biLM over sentences (one per line, whitespace-tokenised) and store "
                    "all layers in a layer cache. Resumable: re-running continues an interrupted build.")
    embed.add_argument("--options", required=True, help="options.json of the biLM")
    embed.add_argument("--weights", required=True, help="weights.hdf5 of the biLM (bilm-tf layout)")
    embed.add_argument("--input", required=True, help="text file, one tokenised sentence per line")
    embed.add_argument("--output", required=True, help="cache file to create or extend (.h5)")
    embed.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    embed.add_argument("--batch-size", type=int, default=64)
    add_threads_argument(embed)
    embed.set_defaults(func=run_embed)

    srl = subparsers.add_parser("srl-eval", help="score SRL props files as srl-eval.pl (CoNLL-2005) does",
                                description="Score predicted props against gold props, as srl-eval.pl.")
    srl.add_argument("gold", help="gold props file (e.g. predictions/dev.gold.props)")
    srl.add_argument("pred", help="predicted props file (e.g. predictions/dev.props)")
    srl.add_argument("--json", action="store_true", help="print the report as JSON")
    srl.set_defaults(func=run_srl_eval)

    coref = subparsers.add_parser(
        "coref-score", help="score coreference as the CoNLL-2012 reference scorer v8.01 does",
        description="Score a response CoNLL-2012 file against a key file (parts matched by name; a key part "
                    "missing from the response scores as empty): MUC, B-cubed, CEAF-m, CEAF-e and BLANC as "
                    "scorer.pl v8.01 computes each (scorer.pl <metric>), and the CoNLL score. Only the last "
                    "column is read, tokens counted across the part, as the scorer reads it.")
    coref.add_argument("key", help="gold CoNLL-2012 file or directory (e.g. predictions/dev.gold.conll)")
    coref.add_argument("response", help="predicted CoNLL-2012 file or directory (e.g. predictions/dev.conll)")
    output = coref.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print unrounded scores (percentages) as JSON")
    output.add_argument("--full", action="store_true",
                        help="print the totals line for line as 'scorer.pl all KEY RESPONSE none' does")
    coref.set_defaults(func=run_coref_score)
