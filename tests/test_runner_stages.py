"""The stage clock: one line when a stage starts, a time table at the end, nothing outside a reproduction."""
from __future__ import annotations

from elmo_eval.runner.stages import StageClock, current_clock, record, stage


def test_stages_announce_themselves_and_are_timed(capsys):
    with StageClock() as clock:
        assert current_clock() is clock
        with stage("world generation"):
            pass
        with stage("run ner baseline", announce=False):
            pass
        with stage("layer cache: ner") as state:
            state["computed"] = False  # found built already
        record("[1/2] ner baseline: done already", 0.0, computed=False)
    assert current_clock() is None
    err = capsys.readouterr().err
    assert "stage: world generation" in err and "stage: layer cache: ner" in err
    assert "run ner baseline" not in err  # a training run says its own start line
    assert [s.name for s in clock.stages] == ["world generation", "run ner baseline", "layer cache: ner",
                                              "[1/2] ner baseline: done already"]
    assert clock.computed
    table = clock.table()
    assert "| world generation |" in table and "| run ner baseline |" in table
    assert "found done and reused (2 stages)" in table and "**total**" in table
    assert "| layer cache: ner |" not in table  # reused stages are summed into one row


def test_nothing_computed_when_every_stage_was_found_done():
    """A call that found everything done and only rebuilt the report keeps the earlier table."""
    with StageClock(announce=False) as clock:
        with stage("world generation", computed=False):
            pass
        with stage("report", work=False):
            pass
    assert not clock.computed
    assert "| report |" in clock.table()  # still timed and shown


def test_stage_outside_a_clock_does_nothing(capsys):
    with stage("world generation") as state:
        state["computed"] = False
    record("anything", 1.0)
    assert capsys.readouterr().err == ""


def test_write_puts_the_table_in_a_markdown_file(tmp_path):
    with StageClock(announce=False) as clock:
        with stage("report"):
            pass
    path = clock.write(tmp_path / "timings.md", "Time per stage: default")
    text = path.read_text()
    assert text.startswith("# Time per stage: default") and "| report |" in text
