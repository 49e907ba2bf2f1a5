"""Behaviour of the schema form, one behaviour per test, through the public API (render -> browser-like submit ->
parse)."""
from __future__ import annotations

import pytest
from fasthtml.common import to_xml
from lxml import html as lxml_html

from cjm_fasthtml_plugins.components.form import FORM_OP_FIELD, render_schema_fields
from cjm_fasthtml_plugins.components.form_read import parse_schema_form
from cjm_fasthtml_plugins.core.errors import FieldError
from cjm_fasthtml_plugins.core.schema_tree import SchemaError, secret_paths
from form_support import CORPUS, form_encode, form_pairs, load_schema

from starlette.datastructures import FormData

CORPUS_DIR = CORPUS[0].parent.parent

ACCOUNTS = {
    "type": "object",
    "$defs": {"acct": {"type": "object", "required": ["user"],
                       "properties": {"user": {"type": "string"},
                                      "password": {"type": "string", "format": "password", "writeOnly": True}}}},
    "properties": {"accounts": {"type": "array", "items": {"$ref": "#/$defs/acct"}},
                   "api_key": {"anyOf": [{"type": "string", "writeOnly": True}, {"type": "null"}], "default": None}}}
STORED = {"accounts": [{"user": "a", "password": "pw-a"}, {"user": "b", "password": "pw-b"}], "api_key": "sk-live"}

MODES = {"type": "object", "required": ["mode"],
         "properties": {"mode": {"enum": ["local", "remote"], "default": "local"}},
         "if": {"properties": {"mode": {"const": "remote"}}, "required": ["mode"]},
         "then": {"properties": {"url": {"type": "string", "format": "uri"}}, "required": ["url"]}}


def replace(pairs, **changes):
    "The submitted pairs with some fields set to other values."
    return FormData([(k, v) for k, v in pairs if k not in changes] + list(changes.items()))


def rerender(schema, pairs):
    "What the re-render endpoint does: parse without the stored config, draw again."
    config, errors = parse_schema_form(schema, FormData(pairs))
    return render_schema_fields(schema, config, errors=errors)


def test_moved_items_keep_their_own_secrets_through_a_rerender():
    moved = rerender(ACCOUNTS, form_pairs(render_schema_fields(ACCOUNTS, STORED), op="down:accounts.0"))
    config, errors = parse_schema_form(ACCOUNTS, form_encode(moved), stored=STORED)
    assert errors == []
    assert config["accounts"] == [{"user": "b", "password": "pw-b"}, {"user": "a", "password": "pw-a"}]
    assert config["api_key"] == "sk-live"


def test_removed_item_takes_its_secret_with_it():
    removed = rerender(ACCOUNTS, form_pairs(render_schema_fields(ACCOUNTS, STORED), op="remove:accounts.0"))
    config, _ = parse_schema_form(ACCOUNTS, form_encode(removed), stored=STORED)
    assert config["accounts"] == [{"user": "b", "password": "pw-b"}]


def test_added_item_starts_blank_and_gets_a_new_secret():
    added = rerender(ACCOUNTS, form_pairs(render_schema_fields(ACCOUNTS, STORED), op="add:accounts"))
    pairs = form_pairs(added)
    config, _ = parse_schema_form(ACCOUNTS, replace(pairs, **{"accounts.2.user": "c", "accounts.2.password": "pw-c"}),
                                  stored=STORED)
    assert config["accounts"][2] == {"user": "c", "password": "pw-c"}
    assert config["accounts"][:2] == STORED["accounts"]


def test_secrets_never_reach_the_html():
    html = to_xml(render_schema_fields(ACCOUNTS, STORED, errors=[FieldError("accounts.0.password", "Too short.")]))
    assert not any(s in html for s in ("pw-a", "pw-b", "sk-live"))
    assert secret_paths(ACCOUNTS) == [("accounts", "*", "password"), ("api_key",)]


def test_clearing_an_optional_secret_sets_it_to_none():
    pairs = form_pairs(render_schema_fields(ACCOUNTS, STORED)) + [("__clear__", "api_key")]
    config, _ = parse_schema_form(ACCOUNTS, FormData(pairs), stored=STORED)
    assert config["api_key"] is None


def test_conditional_field_appears_and_is_required_without_javascript():
    pairs = replace(form_pairs(render_schema_fields(MODES, {"mode": "local"})), mode="remote").multi_items()
    doc = lxml_html.fromstring(to_xml(rerender(MODES, pairs)))
    assert doc.xpath("//input[@name='url'][@required]/@type") == ["url"]


def test_conditional_field_that_no_longer_applies_is_kept_read_only():
    drawn = render_schema_fields(MODES, {"mode": "remote", "url": "https://x.example"})
    pairs = replace(form_pairs(drawn), mode="local").multi_items()
    config, _ = parse_schema_form(MODES, FormData(pairs))
    assert config == {"mode": "local", "url": "https://x.example"}  # kept, never dropped
    doc = lxml_html.fromstring(to_xml(render_schema_fields(MODES, config)))
    assert doc.xpath("//input[@disabled]/@value") == ["https://x.example"]
    assert "does not list this key" in doc.text_content()


def test_rerender_url_wires_htmx_on_change_and_on_array_buttons():
    doc = lxml_html.fromstring(to_xml(render_schema_fields(MODES, {"mode": "local"}, rerender_url="/form/render")))
    live = doc.xpath("//div[@hx-trigger='change']")
    assert [(d.get("hx-post"), d.get("hx-target")) for d in live] == [("/form/render", "#cfg-body")]
    assert live[0].xpath(".//input/@name") == ["mode", "mode", "mode~p"]  # only the field the condition reads
    doc = lxml_html.fromstring(to_xml(render_schema_fields(ACCOUNTS, STORED, rerender_url="/form/render")))
    add = doc.xpath(f"//button[@name='{FORM_OP_FIELD}'][@value='add:accounts']")[0]
    assert (add.get("type"), add.get("formaction"), add.get("hx-post")) == ("submit", "/form/render", "/form/render")


def test_stored_none_stays_none_after_an_unchanged_save():
    schema = {"type": "object", "properties": {"lang": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                                               "n": {"type": ["integer", "null"]}}}
    config, _ = parse_schema_form(schema, form_encode(render_schema_fields(schema, {"lang": None, "n": None})))
    assert config == {"lang": None, "n": None}


def test_bad_number_is_an_error_shown_on_its_field():
    schema = {"type": "object", "properties": {"port": {"type": "integer", "minimum": 1}}}
    config, errors = parse_schema_form(schema, FormData([("port", "eighty"), ("port~p", "1")]))
    assert config == {} and errors == [FieldError("port", "Enter a whole number (got 'eighty').")]
    doc = lxml_html.fromstring(to_xml(render_schema_fields(schema, config, errors=errors)))
    field = doc.xpath("//input[@name='port']")[0]
    assert field.get("aria-invalid") == "true" and "uk-form-destructive" in field.get("class")
    assert doc.xpath(f"//*[@id='{field.get('id')}-error']//li/text()") == ["Enter a whole number (got 'eighty')."]


def test_every_control_is_labelled_and_described_by_existing_elements():
    doc = lxml_html.fromstring(to_xml(render_schema_fields(ACCOUNTS, STORED, errors=[FieldError("api_key", "Bad.")])))
    ids = set(doc.xpath("//@id"))
    labelled = set(doc.xpath("//label/@for"))
    for control in doc.xpath("//input[not(@type='hidden')] | //select | //textarea"):
        assert control.get("id") in labelled, to_xml
        for ref in (control.get("aria-describedby") or "").split(): assert ref in ids


def test_text_a_field_cannot_carry_is_kept_with_a_reason():
    schema = {"type": "object", "properties": {"note": {"type": "string"}}}
    doc = lxml_html.fromstring(to_xml(render_schema_fields(schema, {"note": "a\rb"})))
    assert "cannot carry" in doc.text_content()
    assert parse_schema_form(schema, form_encode(render_schema_fields(schema, {"note": "a\rb"})))[0] == {"note": "a\rb"}


@pytest.mark.parametrize("schema, message", [
    ({"properties": {"x": {"$ref": "http://example.com/s.json"}}}, "not local"),
    ({"properties": {"x": {"$ref": "file:///etc/passwd"}}}, "not local"),
    ({"$defs": {"a": {"properties": {"b": {"$ref": "#/$defs/a"}}}}, "properties": {"x": {"$ref": "#/$defs/a"}}},
     "refers back to itself"),
])
def test_remote_or_looping_refs_are_clear_errors(schema, message):
    with pytest.raises(SchemaError, match=message): render_schema_fields(schema, {})


def test_ref_wrapped_in_all_of_is_drawn_as_its_model():
    schema = load_schema(CORPUS_DIR / "handwritten" / "d07_allof_wrapped_refs.json")
    doc = lxml_html.fromstring(to_xml(render_schema_fields(schema, {"server": {"host": "h"}, "backup": None})))
    assert doc.xpath("//fieldset[@data-field='server']//input[@name='server.host']/@value") == ["h"]
    assert doc.xpath("//fieldset[@data-field='backup']//input/@name")[:1] == ["backup.host"]


def _json_fields(node, path=()):
    "Paths of the corpus fields drawn as a JSON textarea."
    from cjm_fasthtml_plugins.core.schema_tree import field_kind, object_view, split_nullable
    node = split_nullable(node)[0]
    kind = field_kind(node)
    if kind == "json": return [".".join(path)]
    if kind == "object": return [p for k, sub in object_view(node, {})[0].items() for p in _json_fields(sub, path + (k,))]
    if kind == "array": return _json_fields(node["items"], path + ("*",))
    return []


def test_only_free_form_values_fall_back_to_json():
    from cjm_fasthtml_plugins.core.schema_tree import object_view, resolve_refs
    roots = {p: object_view(resolve_refs(load_schema(p)), {})[0] for p in CORPUS}  # the root is always a form
    found = {f"{p.parent.name}/{p.stem}:{f}" for p, props in roots.items() for k, sub in props.items()
             for f in _json_fields(sub, (k,))}
    assert found == {"pydantic/TuningConfig:extra_args", "pydantic/TuningConfig:window",
                     "pydantic/TuningConfig:threshold", "pydantic/UnionModelsConfig:pet",
                     "pydantic/StagesConfig:stages.*.params", "pydantic/ClusterConfig:nodes.*.labels",
                     "handwritten/s2020_arrays:pair", "handwritten/s2020_open_object:secrets"}


@pytest.mark.parametrize("op", ["up:accounts.²", "remove:accounts." + "9" * 5000, "down:", "add:", "remove:nope.0",
                                "add:accounts.0.user", "sideways:accounts.0"])
def test_hostile_operations_change_nothing(op):
    pairs = form_pairs(render_schema_fields(ACCOUNTS, STORED), op=op)
    assert parse_schema_form(ACCOUNTS, FormData(pairs), stored=STORED) == (STORED, [])


def test_hostile_item_counts_are_ignored():
    pairs = [(k, v) for k, v in form_pairs(render_schema_fields(ACCOUNTS, STORED)) if k != "accounts~n"]
    for count in ("²", "9" * 5000, "-1"):
        config, _ = parse_schema_form(ACCOUNTS, FormData(pairs + [("accounts~n", count)]), stored=STORED)
        assert config["accounts"] == []
    config, errors = parse_schema_form(ACCOUNTS, FormData(pairs + [("accounts~n", "999999")]), stored=STORED)
    assert config["accounts"][:2] == STORED["accounts"] and len(errors) < 20  # bounded by what was posted
