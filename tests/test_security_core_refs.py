"""Issue 13, item 5: a `$ref` outside the schema is never retrieved; it is a clear error of that plugin."""
import http.server
import json
import threading

import pytest

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry


@pytest.fixture
def server():
    hits = []
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = json.dumps({"type": "integer"}).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args): pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


class Manager:
    def __init__(self, schemas): self.schemas = schemas
    def discover_plugins(self): return [type("Info", (), {"name": n, "version": "1"})() for n in self.schemas]
    def get_plugin_config_schema(self, name): return self.schemas[name]


def test_remote_and_file_refs_are_never_fetched(tmp_path, server):
    base, hits = server
    local = tmp_path / "defs.json"
    local.write_text(json.dumps({"type": "integer"}))
    registry = UnifiedPluginRegistry(tmp_path / "configs")
    registry.register_plugin_manager("app", Manager({
        "web": {"type": "object", "properties": {"x": {"$ref": f"{base}/defs.json"}}},
        "disk": {"type": "object", "properties": {"x": {"$ref": local.as_uri()}}},
        "fine": {"type": "object", "$defs": {"n": {"type": "integer"}}, "properties": {"x": {"$ref": "#/$defs/n"}}}}))
    for uid, ref in (("app_web", f"{base}/defs.json"), ("app_disk", local.as_uri())):
        errors = registry.validate_plugin_config(uid, {"x": "not an integer"})
        assert len(errors) == 1 and errors[0].path == ""
        assert ref in errors[0].message and "only references inside the schema" in errors[0].message
        assert registry.save_plugin_config(uid, {"x": 1}) is False
        assert not registry.store.exists(uid)
    assert hits == []  # nothing was fetched
    assert [e.path for e in registry.validate_plugin_config("app_fine", {"x": "1"})] == ["x"]  # local refs work
