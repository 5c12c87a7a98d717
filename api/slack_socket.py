"""`rag slack`: the Slack bot over Socket Mode, for hosts that Slack cannot reach over HTTP."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from api.slack import build_slack_app
from rag.errors import RagError
from rag.factory import build_service
from rag.settings import Settings


def run_socket_mode(settings: Settings | None = None) -> None:
    """Connect to Slack with the app-level token and answer events until interrupted."""
    settings = settings or Settings()
    app_token = settings.slack.app_token
    if app_token is None or settings.slack.bot_token is None:
        raise RagError(
            "Socket Mode needs SLACK_APP_TOKEN (xapp-…, with connections:write) and "
            "SLACK_BOT_TOKEN (xoxb-…); set them in .env"
        )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    service = build_service(settings)
    app = build_slack_app(service, settings)
    _check_bot_token(app)
    service.warm_up_in_background()
    SocketModeHandler(app, app_token.get_secret_value()).start()


def _check_bot_token(app: App) -> None:
    # The HTTP app checks the token lazily so the API starts without Slack; a bot that only
    # talks to Slack should refuse to start with a bad token instead of failing every event.
    try:
        app.client.auth_test()
    except SlackApiError as exc:
        raise RagError(
            f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}); "
            "copy the Bot User OAuth Token from the OAuth & Permissions page"
        ) from exc
