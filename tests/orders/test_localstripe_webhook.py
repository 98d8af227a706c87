"""`mall localstripe-webhook` (used by `make run`): registers the mall's webhook endpoint with
a real localstripe, and says clearly when localstripe is not there."""

from __future__ import annotations

from mall.cli import main
from tests.stripe_server import closed_port


def test_registers_the_webhook_with_a_running_localstripe(app):
    result = app.test_cli_runner().invoke(
        main, ["localstripe-webhook", "--url", "http://127.0.0.1:5999/api/v1/payments/stripe/webhook"])
    assert result.exit_code == 0, result.output
    assert "127.0.0.1:5999/api/v1/payments/stripe/webhook" in result.output


def test_a_missing_localstripe_is_a_clear_error(app):
    cfg = app.extensions["mall.config"]
    cfg.stripe_api_base = f"http://127.0.0.1:{closed_port()}"
    result = app.test_cli_runner().invoke(main, ["localstripe-webhook", "--wait", "0.5"])
    assert result.exit_code != 0
    assert "localstripe 未响应" in result.output
