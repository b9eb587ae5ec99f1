"""A local S3-protocol server for tests and development: moto's S3 (server mode, from
PyPI) behind a check of presigned URLs.

moto answers the S3 protocol but does not check presigned URLs: an altered or expired
query signature is served like a good one. Real S3, R2, B2 and MinIO refuse both, and the
media storage's tenant isolation rests on that refusal (a URL signed for tenant A's key is
useless for tenant B's). So every request carrying `X-Amz-Signature` is verified here
first, the way S3 does it (SigV4 query authentication: botocore's own canonical request
and signing key, recomputed from the request as received): a wrong access key is 403
InvalidAccessKeyId, a signature that does not match the method, path, query or signed
headers is 403 SignatureDoesNotMatch, a URL past X-Amz-Date + X-Amz-Expires is 403
AccessDenied "Request has expired". Header-signed requests (the server's own boto3
client) go to moto as they are.

    python -m apps.media.sandbox --port 9000 [--access-key K --secret-key S]
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

ACCESS_KEY = "megacity-sandbox"
SECRET_KEY = "megacity-sandbox-secret"  # noqa: S105 (the sandbox's own, known to its tests)


def _error(start_response, code: str, message: str, status: str = "403 Forbidden"):
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    ).encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


class PresignCheck:
    """WSGI middleware: SigV4 query-signature verification in front of `app`."""

    def __init__(self, app, credentials: dict[str, str]):
        self.app = app
        self.credentials = credentials

    def __call__(self, environ, start_response):
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if "X-Amz-Signature" not in query:
            return self.app(environ, start_response)
        refusal = self.refusal(environ, query)
        if refusal:
            return _error(start_response, *refusal)
        return self.app(environ, start_response)

    def refusal(self, environ, query: dict) -> tuple[str, str] | None:
        from botocore.auth import S3SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        try:
            access_key, _date, region, service, _term = query["X-Amz-Credential"].split("/")
            stamp = query["X-Amz-Date"]
            expires = int(query["X-Amz-Expires"])
            signed_headers = query["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return ("AuthorizationQueryParametersError", "Malformed presigned URL.")
        secret = self.credentials.get(access_key)
        if secret is None:
            return ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
            return ("AccessDenied", "Request has expired")
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        path = urlsplit(raw).path
        host = environ.get("HTTP_HOST", "")
        kept = [(k, v) for k, v in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)]
        kept = [(k, v) for k, v in kept if k != "X-Amz-Signature"]
        url = f"http://{host}{path}?{urlencode(kept)}"
        headers = {}
        for name in signed_headers:
            if name == "host":
                continue
            key = name.upper().replace("-", "_")
            value = environ.get(key) if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else environ.get(f"HTTP_{key}")
            if value is None:
                return ("SignatureDoesNotMatch", f"The signed header {name} is missing.")
            headers[name] = value
        request = AWSRequest(method=environ["REQUEST_METHOD"], url=url, headers=headers)
        request.context["timestamp"] = stamp
        auth = S3SigV4QueryAuth(Credentials(access_key, secret), service, region, expires)
        signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        if signature != query["X-Amz-Signature"]:
            return (
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return None


def make_app(credentials: dict[str, str] | None = None):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return PresignCheck(DomainDispatcherApplication(create_backend_app), credentials or {ACCESS_KEY: SECRET_KEY})


def main(argv: list[str] | None = None) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--access-key", default=ACCESS_KEY)
    parser.add_argument("--secret-key", default=SECRET_KEY)
    args = parser.parse_args(argv)
    server = make_server(
        args.host,
        args.port,
        make_app({args.access_key: args.secret_key}),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    print(f"S3 sandbox (moto + presign check) on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()
