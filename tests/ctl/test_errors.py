"""What every command shares: where the emulator is (--url / env), the admin token, one-line
errors with the emulator's own detail, exit codes, and `telnyx-emulator ctl` forwarding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emulator import cli
from emulator.app import create_app
from emulator.ctl.main import app as ctl_app
from tests.conftest import LiveServer, free_port, make_settings
from tests.ctl.conftest import Live, Run, out_json


def test_connection_refused_is_one_line_and_exit_3(ctl: Run) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(ctl_app, ["--url", dead, "calls", "list"])
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.strip() == f"error: cannot reach the emulator at {dead} (connection refused); start it with `telnyx-emulator` or pass --url / TELNYX_EMULATOR_URL"


def test_url_comes_from_the_environment(live: Live, ctl: Run) -> None:
    assert out_json(ctl("status", "--json", with_url=False, env={"TELNYX_EMULATOR_URL": live.url}))["url"] == live.url


def test_api_errors_carry_the_emulators_detail(ctl: Run) -> None:
    err = ctl("faults", "add", "--status", "200", code=1).stderr
    assert err.startswith("error: 422 Invalid parameter: ") and "[/status]" in err and "(POST /_emulator/faults)" in err
    assert len(err.strip().splitlines()) == 1


def test_json_option_before_or_after_the_command(ctl: Run) -> None:
    assert out_json(ctl("--json", "clock", "show")) .keys() == out_json(ctl("clock", "show", "--json")).keys()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("guarded"), admin_token="s3cret")
    with LiveServer(create_app(settings)) as server:
        yield server.url


def test_admin_token_from_option_or_env(guarded: str) -> None:
    runner = CliRunner()
    denied = runner.invoke(ctl_app, ["--url", guarded, "faults", "list"])
    assert denied.exit_code == 1 and "401" in denied.stderr and "pass --admin-token or set TELNYX_EMULATOR_ADMIN_TOKEN" in denied.stderr
    assert runner.invoke(ctl_app, ["--url", guarded, "--admin-token", "s3cret", "faults", "add", "--method", "GET", "--status", "500"]).exit_code == 0
    listed = runner.invoke(ctl_app, ["--url", guarded, "--json", "faults", "list"], env={"TELNYX_EMULATOR_ADMIN_TOKEN": "s3cret"})
    assert listed.exit_code == 0 and '"status": 500' in listed.stdout
    # A bearer that is not the admin token is an API key: scoped to that tenant, refused what acts on everyone.
    wrong = runner.invoke(ctl_app, ["--url", guarded, "--admin-token", "nope", "clock", "advance", "1"])
    assert wrong.exit_code == 1 and "403" in wrong.stderr and "admin token" in wrong.stderr and "pass --admin-token" not in wrong.stderr


def test_telnyx_emulator_ctl_forwards(live: Live, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["ctl", "--url", live.url, "--json", "reset"])
    assert done.value.code == 0 and '"reset": "all"' in capsys.readouterr().out
