"""The settings form through the real HTTP routes (`plugin_router`, TestClient): for corpus schemas (a pydantic nested
model, `list[Model]`, `Optional`, `SecretStr`, conditionals, a dataclass), a saved config drawn by GET and posted back
unchanged by the save route is saved again as it was (schema defaults filled in at every depth), and no secret value is
ever in a response."""
from __future__ import annotations

import json
import logging

import jsonschema
import pytest
from fasthtml.common import FastHTML
from hypothesis import HealthCheck, assume, given, settings
from hypothesis_jsonschema import from_schema
from starlette.testclient import TestClient

from cjm_fasthtml_plugins.components.routes import plugin_router
from cjm_fasthtml_plugins.core.errors import ConfigValidationError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry
from cjm_fasthtml_plugins.core.schema_tree import StoredSecret, fill_defaults, mask_secrets

from fake_plugins import Info, Manager
from form_support import CORPUS, load_schema, panel_data
from test_form_roundtrip import FORMATS, _generatable

HX = {"HX-Request": "true"}
UID = "corpus_p"
CHOSEN = ["pydantic/WhisperConfig", "pydantic/StagesConfig", "pydantic/SecretsConfig", "pydantic/ClusterConfig",
          "handwritten/d07_if_then_else", "handwritten/s2020_if_then_else", "handwritten/s2020_nested_secrets",
          "handwritten/d07_nullable_types", "dataclass/DcWhisper"]
PATHS = [p for p in CORPUS if f"{p.parent.name}/{p.stem}" in CHOSEN]


def test_the_chosen_schemas_are_in_the_corpus():
    assert len(PATHS) == len(CHOSEN)


def site(tmp_path, schema):
    registry = UnifiedPluginRegistry(tmp_path)
    registry.register_plugin_manager("corpus", Manager({"p": (Info("p"), schema)}))
    app = FastHTML(secret_key="test")
    router = plugin_router(registry)
    router.to_app(app)
    return registry, router, TestClient(app, headers={"Sec-Fetch-Site": "same-origin"})


def secrets_of(schema, config) -> list:
    "The secret values of a config (the values `mask_secrets` replaces)."
    found = []
    def walk(masked, value):
        if isinstance(masked, StoredSecret): found.append(value)
        elif isinstance(masked, dict): [walk(masked[k], value[k]) for k in masked]
        elif isinstance(masked, list): [walk(m, v) for m, v in zip(masked, value)]
    walk(mask_secrets(schema, config), config)
    return found


def with_marked_secrets(schema, config):
    "`config` with each secret string prefixed by a marker no page holds, so a leak check cannot match other page text by chance."
    numbers = iter(range(1_000_000))
    def walk(masked, value):
        if isinstance(masked, StoredSecret): return f"zq{next(numbers)}x{value}" if isinstance(value, str) else value
        if isinstance(masked, dict): return {k: walk(masked[k], v) for k, v in value.items()}
        if isinstance(masked, list): return [walk(m, v) for m, v in zip(masked, value)]
        return value
    return walk(mask_secrets(schema, config), config)




@pytest.mark.parametrize("path", PATHS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_unchanged_save_through_the_routes_keeps_the_config(path, tmp_path_factory):
    schema = load_schema(path)
    validator = jsonschema.validators.validator_for(schema)(schema)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(from_schema(_generatable(schema), custom_formats=FORMATS))
    def check(values):
        values = with_marked_secrets(schema, values)  # a generated secret such as 'delete' is also page text
        assume(validator.is_valid(values))
        registry, router, client = site(tmp_path_factory.mktemp("cfg"), schema)
        try: registry.write_plugin_config(UID, values)
        except ConfigValidationError: assume(False)  # the registry is stricter than the generator (e.g. patterns)
        expected = fill_defaults(schema, {**registry.get_config_defaults(UID), **values})
        for headers in ({}, HX):
            page = client.get(router.settings.to(plugin_id=UID), headers=headers)
            assert page.status_code == 200
            for secret in secrets_of(schema, values):
                if isinstance(secret, str): assert secret not in page.text
            r = client.post(router.save.to(plugin_id=UID), data=panel_data(page.text), headers=headers)
            assert r.status_code == 200 and "Settings saved." in r.text, r.text[:2000]
            assert registry.load_plugin_config(UID) == expected
    check()


NESTED_SECRET = {"title": "Keys", "type": "object", "$defs": {
    "Key": {"type": "object", "properties": {"name": {"type": "string"},
                                             "value": {"anyOf": [{"type": "string", "format": "password", "writeOnly": True,
                                                                  "pattern": "^sk-", "minLength": 3},
                                                                 {"type": "null"}], "default": None}}}},
    "properties": {"keys": {"type": "array", "items": {"$ref": "#/$defs/Key"}},
                   "retries": {"type": "integer", "minimum": 0, "default": 1}}}


def test_a_stored_secret_the_schema_now_rejects_is_never_quoted(tmp_path, caplog):
    "The save refuses the config (the stored secret breaks a newer pattern) without showing or logging the secret."
    caplog.set_level(logging.DEBUG)
    registry, router, client = site(tmp_path, NESTED_SECRET)
    secret = "OLD-FORMAT-SECRET-77"
    (tmp_path / f"{UID}.json").write_text(json.dumps({"keys": [{"name": "a", "value": secret}], "retries": 1}))
    responses = []
    for headers in ({}, HX):
        page = client.get(router.settings.to(plugin_id=UID), headers=headers)
        data = {**panel_data(page.text), "retries": ["2"]}
        responses += [page, client.post(router.save.to(plugin_id=UID), data=data, headers=headers),
                      client.post(router.rerender.to(plugin_id=UID), data={**data, "__op__": ["add:keys"]}, headers=headers)]
    assert all(r.status_code == 200 for r in responses)
    assert "Settings saved." not in responses[1].text  # refused: the stored secret no longer fits the schema
    assert registry.load_plugin_config(UID)["retries"] == 1
    for r in responses: assert secret not in r.text and "OLD-FORMAT" not in r.text
    assert secret not in caplog.text



OLD_SCHEMA = {"title": "Cloud", "type": "object", "properties": {
    "token": {"type": "string", "format": "password"}, "creds": {"type": "string", "writeOnly": True},
    "region": {"type": "string", "default": "eu"}}}
RENAMED = {"title": "Cloud", "type": "object", "properties": {  # the plugin's next version: `token` is now `api_key`
    "api_key": {"type": "string", "format": "password"}, "creds": {"type": "string", "writeOnly": True},
    "region": {"type": "string", "default": "eu"}}}
RETYPED = {**RENAMED, "properties": {**RENAMED["properties"], "creds": {  # and then `creds` became a group of fields
    "type": "object", "properties": {"user": {"type": "string"}, "password": {"type": "string", "format": "password"}}}}}


@pytest.mark.parametrize("schema, saves", [(RENAMED, True), (RETYPED, False)], ids=["renamed", "retyped"])
def test_values_a_changed_schema_no_longer_describes_are_never_shown(schema, saves, tmp_path, caplog):
    "Secrets saved under an older schema (a renamed key; a string where an object is now expected) are never shown."
    caplog.set_level(logging.DEBUG)
    old = {"token": "sk-RENAMED-SECRET-1", "creds": "sk-RETYPED-SECRET-2", "region": "eu"}
    UnifiedPluginRegistry.write_plugin_config(site(tmp_path, OLD_SCHEMA)[0], UID, old)
    registry, router, client = site(tmp_path, schema)  # the app restarted with the plugin's new version
    responses = []
    for headers in ({}, HX):
        page = client.get(router.settings.to(plugin_id=UID), headers=headers)
        data = {**panel_data(page.text), "region": ["us"]}
        responses += [page, client.get(router.history.to(plugin_id=UID), headers=headers),
                      client.post(router.save.to(plugin_id=UID), data=data, headers=headers)]
        assert ("Settings saved." in responses[-1].text) == saves  # a string no group of fields can take is refused
        assert registry.load_plugin_config(UID) == ({**old, "region": "us"} if saves else old)  # never the mask text
    assert all(r.status_code == 200 for r in responses)
    for text in [r.text for r in responses] + [caplog.text]:
        assert "RENAMED-SECRET" not in text and "RETYPED-SECRET" not in text


def test_a_time_typed_in_a_time_input_is_saved(tmp_path):
    "A browser's time input posts HH:MM (no zero seconds), which RFC 3339 (format: time) refuses as it stands."
    schema = {"title": "Clock", "type": "object", "properties": {"at": {"type": "string", "format": "time", "default": "08:00:00"}}}
    registry, router, client = site(tmp_path, schema)
    page = client.get(router.settings.to(plugin_id=UID))
    r = client.post(router.save.to(plugin_id=UID), data={**panel_data(page.text), "at": ["09:30"]}, headers=HX)
    assert "Settings saved." in r.text, r.text[:2000]
    assert registry.load_plugin_config(UID)["at"] == "09:30:00"
