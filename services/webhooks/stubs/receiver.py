"""A local webhook receiver for ``make run``: verifies each request's Standard Webhooks signature and prints what
it got (type, webhook-id, verdict). Development only.

    python -m services.webhooks.stubs.receiver --port 8007 --secrets-file .run/webhook-secrets [--secret whsec_...]

The secrets file holds one ``whsec_`` secret a line (``deploy/seed_demo.py`` writes the demo endpoint's there);
it is read again on every request, so a secret registered after the receiver started is known at once. A request
that verifies with one of the secrets is answered 204, any other 400 (the delivery log shows it failed).
"""

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, secrets: list[str], secrets_file: Path | None, quiet: bool = False) -> None:
        self.secrets = secrets
        self.secrets_file = secrets_file
        self.quiet = quiet

    def known_secrets(self) -> list[str]:
        found = list(self.secrets)
        if self.secrets_file is not None and self.secrets_file.exists():
            found += [line.strip() for line in self.secrets_file.read_text().splitlines() if line.strip()]
        return found

    def verdict(self, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
        secrets = self.known_secrets()
        if not secrets:
            return False, "no secret to verify with"
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError as exc:
                reason = str(exc)
                continue
            return True, "signature verified"
        return False, f"signature NOT verified ({reason})"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ok, verdict = self.verdict(body, headers)
        try:
            event_type = json.loads(body).get("type", "?")
        except (ValueError, AttributeError):
            event_type = "(not JSON)"
        if not self.quiet or not ok:
            print(f"webhook {event_type} id={headers.get('webhook-id', '-')} {verdict}", flush=True)
        status = 204 if ok else 400
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"" if ok else verdict.encode()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8007)
    parser.add_argument("--secret", action="append", default=[], help="a whsec_ secret (repeatable)")
    parser.add_argument("--secrets-file", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true", help="print only what does not verify (benchmarks)")
    args = parser.parse_args()
    app = Receiver(args.secret, args.secrets_file, args.quiet)
    print(f"webhook receiver on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
