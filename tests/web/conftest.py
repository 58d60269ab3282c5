"""Fixtures of the web tests: an S3-compatible object store (moto's server, offline) as the
default storage, for the storage backends and the backup of a cluster's files."""

from __future__ import annotations

import socket

import boto3
import pytest
from django.core.files.storage import storages
from moto.server import ThreadedMotoServer

S3_PORT = 8641


@pytest.fixture(scope="session")
def moto_s3():
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", S3_PORT)) == 0:
            pytest.skip(f"port {S3_PORT} is taken")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=S3_PORT, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{S3_PORT}"
    server.stop()


@pytest.fixture
def s3(settings, moto_s3, monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                          aws_access_key_id="k", aws_secret_access_key="s")
    client.create_bucket(Bucket="minsheng-test")
    for obj in client.list_objects_v2(Bucket="minsheng-test").get("Contents", []):
        client.delete_object(Bucket="minsheng-test", Key=obj["Key"])  # each test starts empty
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": "minsheng-test", "endpoint_url": moto_s3, "access_key": "k",
            "secret_key": "s", "region_name": "us-east-1", "addressing_style": "path",
            "querystring_auth": True, "querystring_expire": 60, "default_acl": None,
            "signature_version": "s3v4",
            "file_overwrite": False}}}
    settings.FILE_URL_SECONDS = 60
    yield storages["default"]
