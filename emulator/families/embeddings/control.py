"""Control API for bucket files: upload raw bytes for an API key, read them back, list, delete.

``PUT /_emulator/buckets/{bucket}/{filename}?api_key=K`` with the file as the raw body (its
``Content-Type`` is kept) is how tests seed documents for ``/ai/summarize``, similarity search
and ``file_url`` transcription. The same URL is a valid ``file_url`` for that API key.
"""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from emulator.control.requests import Reply, confine, emulator_of, reply
from emulator.control.table import API_KEY_PARAM
from emulator.core.errors import BadRequest, NotFound, PayloadTooLarge
from emulator.families.embeddings.bucket_store import BucketStore
from emulator.runtime.family import ControlRoute


class StoredFile(Reply):
    bucket: str
    filename: str
    size: int
    content_type: str
    url: str = Field(description="where the file is served; a valid file_url for this API key")


class FileRow(Reply):
    bucket: str
    filename: str
    size: int
    content_type: str


class FileTotal(Reply):
    total: int


class FileList(Reply):
    data: list[FileRow]
    meta: FileTotal


def _store(request: Request) -> BucketStore:
    emulator = emulator_of(request)
    api_key = confine(request, request.query_params.get("api_key") or request.headers.get("x-api-key"))  # a tenant: its own
    if not api_key:
        raise BadRequest("Name the tenant: ?api_key=<the API key the files belong to>.")
    return emulator.state.tenant(api_key).store(BucketStore)


def _names(request: Request) -> tuple[str, str]:
    bucket, filename = request.path_params["bucket"], request.path_params["filename"]
    if not bucket or not filename or ".." in filename.split("/"):
        raise BadRequest("bucket and filename must be non-empty and filename must not contain '..'.")
    return bucket, filename


async def put_file(request: Request) -> Response:
    store = _store(request)
    bucket, filename = _names(request)
    limit = emulator_of(request).settings.max_body_bytes
    data = await request.body()
    if len(data) > limit:
        raise PayloadTooLarge(f"The file is larger than the limit of {limit} bytes.")
    content_type = request.headers.get("content-type", "application/octet-stream")
    obj = store.put(bucket, filename, data, content_type, at=emulator_of(request).state.clock.now())
    url = f"{str(request.base_url).rstrip('/')}/_emulator/buckets/{bucket}/{filename}"
    return reply(StoredFile(bucket=bucket, filename=filename, size=obj.size, content_type=obj.content_type, url=url), status_code=201)


async def get_file(request: Request) -> Response:
    bucket, filename = _names(request)
    obj = _store(request).get(bucket, filename)
    if obj is None:
        raise NotFound(f"No file {filename!r} in bucket {bucket!r} for this API key.")
    return Response(obj.data, media_type=obj.content_type)


async def delete_file(request: Request) -> Response:
    bucket, filename = _names(request)
    if not _store(request).delete(bucket, filename):
        raise NotFound(f"No file {filename!r} in bucket {bucket!r} for this API key.")
    return Response(status_code=204)


async def list_files(request: Request) -> Response:
    rows = [
        FileRow(bucket=b, filename=f, size=o.size, content_type=o.content_type)
        for b, f, o in _store(request).list(request.query_params.get("bucket"))
    ]
    return reply(FileList(data=rows, meta=FileTotal(total=len(rows))))


_FILE = {"parameters": [API_KEY_PARAM, {"name": "bucket", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "filename", "in": "path", "required": True, "schema": {"type": "string"}}]}


CONTROL: tuple[ControlRoute, ...] = (
    ControlRoute(
        "GET", "/_emulator/buckets", list_files, "listBucketFiles",
        "Files uploaded for an API key",
        {"parameters": [API_KEY_PARAM], "responses": {"200": {"description": "files"}}},
        response=FileList,
        access="tenant",
    ),
    ControlRoute(
        "PUT", "/_emulator/buckets/{bucket}/{filename:path}", put_file, "putBucketFile",
        "Upload a file (raw body) into an API key's bucket",
        {**_FILE, "requestBody": {"content": {"*/*": {"schema": {"format": "binary", "type": "string"}}}}, "responses": {"201": {"description": "stored"}}},
        response=StoredFile,
        access="tenant",
    ),
    ControlRoute(
        "GET", "/_emulator/buckets/{bucket}/{filename:path}", get_file, "getBucketFile",
        "The file's bytes",
        {**_FILE, "responses": {"200": {"description": "bytes", "content": {"*/*": {}}}, "404": {"description": "absent"}}},
        access="tenant",
    ),
    ControlRoute(
        "DELETE", "/_emulator/buckets/{bucket}/{filename:path}", delete_file, "deleteBucketFile",
        "Delete a file",
        {**_FILE, "responses": {"204": {"description": "deleted"}, "404": {"description": "absent"}}},
        access="tenant",
    ),
)
