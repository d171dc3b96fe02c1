"""The server that `pathways bench sms` measures: exactly what `pathways serve` runs, plus a floor route
(`POST /bench/floor`) that only checks the Twilio signature and returns an empty TwiML, so the full turn
can be compared with the bare cost of HTTP + form parsing + signature in the same run.

Run as `python -m bot.server.bench_target --port P` with the same environment as `pathways serve`.
Never mounted by `pathways serve` itself.
"""

from __future__ import annotations

import argparse

from aiohttp import web
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

from bot.channels.sms_webhook import SMS_CONFIG, twiml

FLOOR_PATH = "/bench/floor"


async def floor(request: web.Request) -> web.Response:
    config = request.app[SMS_CONFIG]
    form = await request.post()
    validator: RequestValidator = config.validator
    if not validator.validate(config.public_base_url + request.path_qs, form,
                              request.headers.get(SIGNATURE_HEADER, "")):
        raise web.HTTPForbidden()
    return twiml()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    from bot.cli.server_commands import build_server_app
    from bot.settings import load_settings

    async def build() -> web.Application:
        app = await build_server_app(load_settings(), channels=("sms",))
        app.router.add_post(FLOOR_PATH, floor)
        return app

    web.run_app(build(), host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
