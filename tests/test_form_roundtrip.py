"""Round trip of the settings form over the schema corpus: drawing values and submitting the form unchanged gives
back exactly those values (hypothesis + hypothesis-jsonschema generate the values from each schema)."""
from __future__ import annotations

import copy
import os

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis_jsonschema import from_schema

from cjm_fasthtml_plugins.components.form import render_schema_fields
from cjm_fasthtml_plugins.components.form_read import parse_schema_form
from cjm_fasthtml_plugins.core.schema_tree import keep_stored_secrets, mask_secrets, resolve_refs
from fasthtml.common import to_xml
from starlette.datastructures import FormData

from cjm_fasthtml_plugins.core.errors import FieldError
from form_support import CORPUS, form_encode, form_pairs, load_schema

EXAMPLES = int(os.environ.get("FORM_ROUNDTRIP_EXAMPLES", "30"))  # raise it for a deeper search
FORMATS = {"password": st.text(max_size=20), "textarea": st.text(max_size=60), "duration": st.just("PT1H")}


def _generatable(schema: dict) -> dict:
    "The schema as hypothesis-jsonschema reads it: references resolved, annotations it does not know removed."
    def clean(node):
        if isinstance(node, list): return [clean(x) for x in node]
        if not isinstance(node, dict): return node
        out = {k: (v if k in ("enum", "const", "default", "examples") else clean(v)) for k, v in node.items()
               if k not in ("enumNames", "$schema", "name", "dependentRequired", "dependentSchemas")}
        deps = {**node.get("dependentRequired", {}), **node.get("dependentSchemas", {})}  # written the draft-07 way
        return {**out, "dependencies": clean(deps)} if deps else out
    return clean(resolve_refs(schema))


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 30
    assert {p.parent.name for p in CORPUS} == {"pydantic", "dataclass", "handwritten"}


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_round_trip(path):
    schema = load_schema(path)
    validator = jsonschema.validators.validator_for(schema)(schema)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(from_schema(_generatable(schema), custom_formats=FORMATS))
    def check(values):
        assume(validator.is_valid(values))  # the generator does not know every keyword
        drawn = render_schema_fields(schema, copy.deepcopy(values))
        config, errors = parse_schema_form(schema, form_encode(drawn), stored=values)
        assert errors == []
        assert config == values
        # Without the stored config (as when re-rendering), secrets come back as stand-ins that the save restores,
        # and drawing the parsed config gives the same form again.
        rerendered, _ = parse_schema_form(schema, form_encode(drawn))
        assert keep_stored_secrets(schema, rerendered, values) == values
        assert keep_stored_secrets(schema, mask_secrets(schema, values), values) == values
        html = to_xml(drawn)
        assert to_xml(render_schema_fields(schema, rerendered)) == html
        # No secret value has any effect on the HTML: drawing the masked config gives the same page.
        assert to_xml(render_schema_fields(schema, mask_secrets(schema, values))) == html

    check()


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_any_posted_form_parses_and_redraws(path):
    "A tampered or broken submission (fields dropped, values replaced, markers forged) never raises."
    schema = load_schema(path)

    @settings(max_examples=max(10, EXAMPLES // 3), deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(from_schema(_generatable(schema), custom_formats=FORMATS), st.data())
    def check(values, data):
        pairs = form_pairs(render_schema_fields(schema, values))
        names = sorted({k for k, _ in pairs} | {k.split("~")[0] + m for k, _ in pairs for m in ("~j", "~n", "~x", "~k")})
        junk = st.one_of(st.text(max_size=8), st.sampled_from(["", "null", "1e999", "NaN", "[" * 3000, '"x"', "²"]))
        kept = [p for p in pairs if data.draw(st.booleans())]
        extra = data.draw(st.lists(st.tuples(st.sampled_from(names or ["x"]), junk), max_size=6))
        config, errors = parse_schema_form(schema, FormData(kept + extra), stored=values)
        assert isinstance(config, dict) and all(isinstance(e, FieldError) for e in errors)
        render_schema_fields(schema, config, errors=errors)

    check()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_values_the_schema_rejects_round_trip_too(path):
    "A stored config that no longer fits its schema (wrong types, missing keys) is kept, never dropped or changed."
    from cjm_fasthtml_plugins.core.schema_tree import object_view
    schema = load_schema(path)
    names = list(object_view(resolve_refs(schema), {})[0])

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.dictionaries(st.sampled_from(names) if names else st.text(max_size=3), JSON, max_size=4))
    def check(values):
        drawn = render_schema_fields(schema, copy.deepcopy(values))
        assert parse_schema_form(schema, form_encode(drawn), stored=values)[0] == values

    check()
