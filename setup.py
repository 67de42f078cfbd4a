"""What pyproject.toml cannot say: the task specs ship in the wheel.

The specs live in ``tasks/`` at the repository root, where users read and edit them. A wheel
carries a copy of them as the package data of ``elmo_eval.task_specs`` (a folder of TOML files,
no code), which :func:`elmo_eval.specs.find_spec_dir` uses when there is no source checkout.
Everything else is in pyproject.toml.
"""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["elmo_eval", "elmo_eval.*"]), "elmo_eval.task_specs"],
    package_dir={"elmo_eval.task_specs": "tasks"},
    package_data={"elmo_eval.task_specs": ["*.toml"]},
)
