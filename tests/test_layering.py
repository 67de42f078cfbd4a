"""The package's dependency rules, read from the source (ast), not from what happens to be imported.

Every ``import`` counts wherever it stands (module level, inside a function, under
``TYPE_CHECKING``): each is a dependency someone has to keep working. Relative imports are
resolved. A rule names the modules it constrains and the modules they must not import.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "elmo_eval"

# The command line's modules: elmo_eval.cli and the modules registering its subcommands.
CLI_MODULES = frozenset({"elmo_eval.cli", "elmo_eval.__main__", "elmo_eval.tools_cli"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``elmo_eval...`` module ``path`` imports (``from elmo_eval.x import y``: ``elmo_eval.x.y`` when
    ``y`` is a module, else ``elmo_eval.x``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in ALL_MODULES else base)
    return {module for module in found if module == "elmo_eval" or module.startswith("elmo_eval.")}


ALL_MODULES = {_module_name(p) for p in PACKAGE_DIR.rglob("*.py")}
IMPORTS = {_module_name(p): _imports(p) for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def in_package(*names: str) -> Callable[[str], bool]:
    """Modules of ``elmo_eval.<name>`` (a subpackage, or a top-level module) for any of ``names``."""
    prefixes = tuple(f"elmo_eval.{n}" for n in names)
    return lambda module: any(module == p or module.startswith(p + ".") for p in prefixes)


def is_cli(module: str) -> bool:
    return module in CLI_MODULES or module.endswith(".cli")


def violations(source: Callable[[str], bool], forbidden: Callable[[str], bool]) -> list[str]:
    return sorted(f"{module} imports {target}" for module, targets in IMPORTS.items() if source(module)
                  for target in targets if forbidden(target))


MODEL_CODE = in_package("heads", "modules", "encoders", "training")

RULES = {
    "heads never import encoders": (in_package("heads"), in_package("encoders")),
    "metrics import no model code": (in_package("metrics"), MODEL_CODE),
    "readers import no heads, training or runner": (in_package("readers"), in_package("heads", "training", "runner")),
    "encoders import nothing of tasks, heads, training or runner": (
        in_package("encoders"), in_package("tasks", "heads", "training", "runner")),
    # the top of the house: nothing below imports the runner or the command line (the probes sit beside
    # the runner: they run an encoder over data and write result files as it does)
    "only the runner, the probes and the CLI import the runner": (
        lambda m: not (in_package("runner", "probes")(m) or is_cli(m)), in_package("runner")),
    "only elmo_eval.cli imports the command modules": (
        lambda m: m not in ("elmo_eval.cli", "elmo_eval.__main__") and not m.endswith(".cli"), is_cli),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_dependency_rule(rule):
    source, forbidden = RULES[rule]
    assert violations(source, forbidden) == []


def test_specs_import_nothing_of_the_package():
    """Except the error classes, a leaf that itself imports nothing (a spec error is a user error)."""
    assert sorted(IMPORTS["elmo_eval.specs"]) == ["elmo_eval.errors"]
    assert sorted(IMPORTS["elmo_eval.errors"]) == []


def test_the_rules_can_fail():
    """The import reader sees relative, function-level and TYPE_CHECKING imports."""
    assert "elmo_eval.modules.highway" in IMPORTS["elmo_eval.encoders.char_cnn"]  # absolute
    assert "elmo_eval.encoders.char_ids" in IMPORTS["elmo_eval.encoders.char_cnn"]  # relative
    assert "elmo_eval.runner.api" in IMPORTS["elmo_eval.runner.cli"]  # inside a function
    assert violations(in_package("encoders"), in_package("modules"))  # a rule that does not hold
