"""BiDAF with ELMo at the input only, at the output only, and output ELMo before the span predictors."""
import pytest
from test_squad_head import MIN_EM, train  # the synthetic QA set and runner shared with the head tests


def test_elmo_input_only_learns(tmp_path):
    result = train(tmp_path, "input")
    assert result["metrics"]["test"]["exact_match"] > MIN_EM
    assert set(result["layer_weights"]) == {"input"}


@pytest.mark.parametrize("where", ["attention", "modeling"])
def test_elmo_output_learns_at_either_place(tmp_path, where):
    result = train(tmp_path, "output", trainer={"max_epochs": 4}, head={"output_elmo_at": where})
    assert result["metrics"]["test"]["exact_match"] > MIN_EM
    assert set(result["layer_weights"]) == {"output"}
