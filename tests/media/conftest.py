"""Media storage fixtures: a private MEDIA_ROOT per test, and the S3 sandbox (moto's S3
server mode behind SigV4 presigned-URL checks, apps.media.sandbox) on a free loopback port."""

from __future__ import annotations

import sys
import uuid

import pytest

from apps.media.sandbox.s3 import ACCESS_KEY, SECRET_KEY


@pytest.fixture(autouse=True)
def _english():
    """Services' refusals are read in English here; the API tests ask for Korean too."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "media": {"BACKEND": "apps.media.storage.LocalMediaStorage"}}
    settings.STORAGES["default"] = settings.STORAGES["media"]
    return tmp_path / "media"


@pytest.fixture(scope="session")
def s3_server():
    """The S3 sandbox as its own process, as a deployment would reach R2 or MinIO."""
    from tests.processes import free_port, port_open, running

    port = free_port()
    command = [sys.executable, "-m", "apps.media.sandbox", "--port", str(port)]
    with running("s3-sandbox", command, ready=lambda: port_open(port)) as process:
        process.endpoint = f"http://127.0.0.1:{port}"
        yield process


def s3_connection(endpoint: str) -> dict:
    return {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "signature_version": "s3v4",
        "addressing_style": "path",
    }


def boto_client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh bucket on the sandbox."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    boto_client(s3_server.endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_media(settings, s3_server, s3_bucket):
    """MEDIA_STORAGE=s3 against the sandbox: the settings production.py would read from the env."""
    connection = s3_connection(s3_server.endpoint)
    settings.S3_CONNECTION = connection
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {
            "BACKEND": "apps.media.storage.TenantS3Storage",
            "OPTIONS": {**connection, "bucket_name": s3_bucket, "location": "media", "default_acl": None},
        },
    }
    settings.STORAGES["default"] = settings.STORAGES["media"]
    client = boto_client(s3_server.endpoint)

    class S3:
        bucket = s3_bucket
        endpoint = s3_server.endpoint

        @staticmethod
        def keys(prefix: str = "") -> list[str]:
            listing = client.list_objects_v2(Bucket=s3_bucket, Prefix=prefix)
            return sorted(o["Key"] for o in listing.get("Contents", []))

        @staticmethod
        def get(key: str) -> bytes:
            return client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()

    S3.client = client
    return S3
