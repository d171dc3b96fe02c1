"""`pathways bench telegram` runs the real server end to end and reports the conversation against its floor."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.channels.telegram_bench import MARAC_SCRIPT, run_bench


async def test_the_bench_plays_every_update_and_measures_both_paths():
    result = await run_bench(users=2, rounds=1)
    for timing in (result.conversation, result.floor):
        assert timing.updates == 2 * len(MARAC_SCRIPT)
        assert 0 < timing.median_ms <= timing.p99_ms
        assert timing.ack_median_ms > 0 and timing.per_second > 0
    assert result.ratio > 0 and result.database == "sqlite"


def test_the_command_prints_the_figures():
    from bot.cli import _register, app

    _register()
    output = CliRunner().invoke(app, ["bench", "telegram", "--users", "1", "--rounds", "1"])
    assert output.exit_code == 0, output.output
    assert "conversation" in output.output and "floor" in output.output and "ratio" in output.output
