"""Issue 13, item 1: validation messages are written from the schema and never quote a value (a secret above all)."""
import logging

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cjm_fasthtml_plugins.core.errors import ConfigValidationError, FieldError
from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

SCHEMA = {"type": "object", "properties": {
    "api_key": {"type": "string", "title": "API key", "format": "password", "writeOnly": True,
                "pattern": "^sk-[a-z0-9]{8}$", "maxLength": 11, "minLength": 11},
    "token": {"anyOf": [{"type": "string", "format": "password", "pattern": "^tok_[0-9]+$", "enum": ["tok_1", "tok_2"]},
                        {"type": "null"}]},
    "nested": {"type": "object", "properties": {"password": {"type": "string", "const": "x", "format": "email"}}},
    "secrets": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]+$"}, "uniqueItems": True},
    "beam_size": {"type": "integer", "title": "Beam size", "minimum": 1, "maximum": 10}}}


class Manager:
    def discover_plugins(self):
        info = type("Info", (), {"name": "whisper", "version": "1.0"})()
        return [info]
    def get_plugin_config_schema(self, name): return SCHEMA


@pytest.fixture
def registry(tmp_path):
    registry = UnifiedPluginRegistry(tmp_path / "configs", strict=False)
    registry.register_plugin_manager("transcription", Manager())
    return registry


secrets = st.text(max_size=40).map(lambda s: "S3CR3T" + s)  # a marker no message is made of, then anything


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=secrets)
def test_no_message_quotes_a_submitted_or_stored_value(registry, secret):
    config = {"api_key": secret, "token": secret, "nested": {"password": secret}, "secrets": [secret, secret]}
    errors = registry.validate_plugin_config("transcription_whisper", config)
    assert errors and all(isinstance(e, FieldError) for e in errors)
    for error in errors:
        assert secret not in error.message and repr(secret) not in error.message
    with pytest.raises(ConfigValidationError) as raised:
        registry.write_plugin_config("transcription_whisper", config)
    assert secret not in str(raised.value)


def test_a_stored_secret_that_no_longer_matches_is_not_shown_or_logged(registry, caplog):
    secret = "sk-OLD-FORMAT-SECRET"  # saved before the plugin tightened its pattern
    registry.write_plugin_config("transcription_whisper", {"api_key": secret}, validate=False)
    stored = registry.load_plugin_config("transcription_whisper")
    with caplog.at_level(logging.DEBUG):
        assert registry.save_plugin_config("transcription_whisper", {**stored, "beam_size": 3}) is False
    errors = registry.validate_plugin_config("transcription_whisper", {**stored, "beam_size": 3})
    assert {e.path for e in errors} == {"api_key"}
    assert all("API key" in e.message and secret not in e.message and "^sk-" not in e.message for e in errors)
    assert caplog.records and not [r for r in caplog.records if secret in r.getMessage()]
    assert registry.load_plugin_config("transcription_whisper") == {"api_key": secret}  # nothing changed


def test_messages_name_the_field_and_the_rule(registry):
    def errors(config): return registry.validate_plugin_config("transcription_whisper", config)
    assert errors({"beam_size": 11}) == [FieldError("beam_size", "Beam size must be between 1 and 10.")]
    assert errors({"api_key": "sk-abcdefgH"}) == [FieldError("api_key", "API key must match the required format.")]
    assert errors({"beam_size": "many"}) == [FieldError("beam_size", "Beam size must be a whole number.")]
