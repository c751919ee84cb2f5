"""A small FHIR R4 REST server for tests, run as its own process over real HTTP:

    python -m tests.support.fhir_server --port N [--data store.json] [--load bundle.json]

In-memory store (written through to --data, when given, so a restart keeps what it had, as a real
server would). Supports: GET /metadata; POST / with a transaction or batch Bundle; POST /{type}
(honouring If-None-Exist); PUT /{type}/{id}; GET /{type}/{id}; search GET /{type}?… by
`identifier=system|value` (or `system|`, or `value`), `patient=`/`subject=`, `_id`, `_count`, with
`next` links; answers are searchset Bundles. Unsupported parameters are refused (400), so a client
that relies on one is caught by its tests. `FhirServerProcess` starts, stops and restarts it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

FHIR_JSON = "application/fhir+json"
_PATIENT_ELEMENTS = ("patient", "subject")
_SEARCH_PARAMS = {"identifier", "patient", "subject", "_id", "_count", "_offset"}


class Store:
    def __init__(self, data_path: Path | None) -> None:
        self.lock = threading.Lock()
        self.data_path = data_path
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}
        if data_path and data_path.exists():
            self.resources = json.loads(data_path.read_text())

    def _save(self) -> None:
        if self.data_path:
            tmp = self.data_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.resources))
            os.replace(tmp, self.data_path)

    def put(self, resource: dict[str, Any]) -> bool:
        """Store at the resource's id; True if new."""
        by_id = self.resources.setdefault(resource["resourceType"], {})
        old = by_id.get(resource["id"])
        version = int(old["meta"]["versionId"]) + 1 if old else 1
        resource["meta"] = {**resource.get("meta", {}), "versionId": str(version),
                            "lastUpdated": datetime.now(UTC).isoformat()}
        by_id[resource["id"]] = resource
        return old is None

    def search(self, resource_type: str, params: dict[str, str]) -> list[dict[str, Any]]:
        found = list(self.resources.get(resource_type, {}).values())
        if "_id" in params:
            found = [r for r in found if r["id"] == params["_id"]]
        if "identifier" in params:
            found = [r for r in found if _has_identifier(r, params["identifier"])]
        for element in _PATIENT_ELEMENTS:
            if element in params:
                wanted = params[element] if "/" in params[element] else f"Patient/{params[element]}"
                found = [r for r in found if any((r.get(e) or {}).get("reference") == wanted
                                                 for e in _PATIENT_ELEMENTS)]
        return sorted(found, key=lambda r: r["id"])

    def transaction(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply a transaction's PUTs and POSTs (POSTs get new ids; references to their fullUrls follow)."""
        assigned: dict[str, str] = {}
        for entry in entries:
            request, resource = entry.get("request") or {}, entry.get("resource") or {}
            if request.get("method") == "POST":
                resource["id"] = uuid.uuid4().hex
            if entry.get("fullUrl") and resource.get("id"):
                assigned[entry["fullUrl"]] = f"{resource['resourceType']}/{resource['id']}"
        text = json.dumps(entries)
        for full_url, reference in assigned.items():
            text = text.replace(json.dumps(full_url), json.dumps(reference))
        responses = []
        for entry in json.loads(text):
            resource = entry["resource"]
            created = self.put(resource)
            responses.append({"response": {"status": "201 Created" if created else "200 OK",
                                           "location": f"{resource['resourceType']}/{resource['id']}"}})
        self._save()
        return responses


def _has_identifier(resource: dict[str, Any], token: str) -> bool:
    system, bar, value = token.partition("|")
    if not bar:
        system, value = None, token
    for identifier in resource.get("identifier") or []:
        if system is not None and (identifier.get("system") or "") != system:
            continue
        if value and identifier.get("value") != value:
            continue
        return True
    return False


def _outcome(message: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "processing", "diagnostics": message}]}


class Handler(BaseHTTPRequestHandler):
    store: Store  # set on the server's handler class
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: object) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", FHIR_JSON)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    @property
    def _base(self) -> str:
        return f"http://{self.headers.get('Host')}"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if parts == ["metadata"]:
            return self._send(200, {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
                                    "fhirVersion": "4.0.1", "format": ["json"], "date": "2024-01-01"})
        if len(parts) == 2:
            with self.store.lock:
                found = self.store.resources.get(parts[0], {}).get(parts[1])
            return self._send(200, found) if found else self._send(404, _outcome(f"{parts[0]}/{parts[1]} not found"))
        if len(parts) == 1:
            return self._search(parts[0], {k: v[-1] for k, v in parse_qs(url.query).items()})
        return self._send(404, _outcome(f"no route for {url.path}"))

    def _search(self, resource_type: str, params: dict[str, str]) -> None:
        unsupported = set(params) - _SEARCH_PARAMS
        if unsupported:
            return self._send(400, _outcome(f"unsupported search parameters: {', '.join(sorted(unsupported))}"))
        count, offset = int(params.get("_count", 50)), int(params.get("_offset", 0))
        with self.store.lock:
            found = self.store.search(resource_type, params)
        page = found[offset:offset + count]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle", "type": "searchset", "total": len(found),
            "link": [{"relation": "self", "url": f"{self._base}/{resource_type}?{urlencode(params)}"}],
            "entry": [{"fullUrl": f"{self._base}/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in page],
        }
        if offset + count < len(found):
            following = {**params, "_offset": str(offset + count), "_count": str(count)}
            bundle["link"].append({"relation": "next", "url": f"{self._base}/{resource_type}?{urlencode(following)}"})
        self._send(200, bundle)

    def do_PUT(self) -> None:
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        resource = self._body()
        if len(parts) != 2 or resource.get("resourceType") != parts[0]:
            return self._send(400, _outcome("PUT /{type}/{id} with a resource of that type"))
        resource["id"] = parts[1]
        with self.store.lock:
            created = self.store.put(resource)
            self.store._save()
        self._send(201 if created else 200, resource)

    def do_POST(self) -> None:
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        body = self._body()
        if not parts:
            return self._transaction(body)
        if len(parts) != 1 or body.get("resourceType") != parts[0]:
            return self._send(400, _outcome("POST /{type} with a resource of that type"))
        condition = self.headers.get("If-None-Exist")
        with self.store.lock:
            if condition:
                params = {k: v[-1] for k, v in parse_qs(condition).items()}
                existing = self.store.search(parts[0], params)
                if len(existing) > 1:
                    return self._send(412, _outcome("If-None-Exist matches more than one resource"))
                if existing:
                    return self._send(200, existing[0])
            body["id"] = uuid.uuid4().hex
            self.store.put(body)
            self.store._save()
        self._send(201, body, {"Location": f"{self._base}/{parts[0]}/{body['id']}/_history/1"})

    def _transaction(self, bundle: dict[str, Any]) -> None:
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("transaction", "batch"):
            return self._send(400, _outcome("POST at the base takes a transaction or batch Bundle"))
        with self.store.lock:
            responses = self.store.transaction(bundle.get("entry") or [])
        self._send(200, {"resourceType": "Bundle", "type": f"{bundle['type']}-response", "entry": responses})


def serve(port: int, data_path: Path | None, load: Path | None) -> None:
    store = Store(data_path)
    if load:
        store.transaction(json.loads(load.read_text()).get("entry") or [])
    handler = type("BoundHandler", (Handler,), {"store": store})
    ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever()


class FhirServerProcess:
    """The test server as a separate process on a fixed port; stop() and start() simulate an outage."""

    def __init__(self, data_path: Path, port: int | None = None) -> None:
        from hub.embedded import free_port

        self.port = port or free_port()
        self.data_path = data_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        root = Path(__file__).resolve().parents[2]
        log_path = self.data_path.with_suffix(".log")
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.fhir_server", "--port", str(self.port),
                 "--data", str(self.data_path)], cwd=root, stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the FHIR test server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/metadata", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the FHIR test server did not answer within 20 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def __enter__(self) -> FhirServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def load(self, bundle: dict[str, Any]) -> None:
        httpx.post(f"{self.base_url}/", json=bundle, timeout=60).raise_for_status()

    def search(self, resource_type: str, **params: str) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.base_url}/{resource_type}?{urlencode(params)}"
        while url:
            bundle = httpx.get(url, timeout=10).raise_for_status().json()
            yield from (entry["resource"] for entry in bundle.get("entry") or [])
            url = next((link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, help="JSON file the store is kept in across restarts")
    parser.add_argument("--load", type=Path, help="a transaction Bundle to load at start")
    args = parser.parse_args()
    serve(args.port, args.data, args.load)


if __name__ == "__main__":
    main()
