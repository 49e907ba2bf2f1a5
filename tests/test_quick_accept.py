"""The registry's quick check never accepts a config that jsonschema rejects, whatever the schema and the value.

`validate_plugin_config` returns "no errors" straight away when the quick check compiled from the plugin's schema
(registry's `_quick_acceptor`) says a config is valid, and runs jsonschema otherwise. So a quick check that accepts
too much would let invalid configs be saved. Hypothesis draws schemas from the keywords the check handles (and some
it hands to jsonschema) and values of every JSON type plus look-alikes (integral floats, booleans next to numbers,
NaN, tuples, Decimals), and compares with jsonschema on each.
"""
import math
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings, strategies as st

from cjm_fasthtml_plugins.core.registry import _compile_validator, _field_errors, _quick_acceptor

NAMES = ["a", "b", "c"]
strings = st.sampled_from(["", "a", "b", "ab", "A", "x y", "é", "aaaa", "a\n"])
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.0, 0.1, 0.3, 0.35, -1.5, 2.5, 1e20, math.inf, math.nan]))
scalars = st.one_of(st.none(), st.booleans(), numbers, strings)
look_alikes = st.sampled_from([Decimal("1"), Decimal("0.3"), ("a",), (), b"a"])
containers = st.recursive(st.one_of(scalars, look_alikes),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.sampled_from(NAMES + ["d"]), inner, max_size=3)),
                          max_leaves=8)
values = st.one_of(scalars, look_alikes, containers)  # scalars as often as containers: leaf schemas need them

TYPE_NAMES = ["string", "integer", "number", "boolean", "null", "object", "array"]
types = st.one_of(st.sampled_from(TYPE_NAMES), st.lists(st.sampled_from(TYPE_NAMES), min_size=1, max_size=3, unique=True))
limits = st.one_of(st.integers(-2, 3), st.sampled_from([0.5, 1.0, 2.5]))
lengths = st.integers(0, 3)
steps = st.sampled_from([1, 2, 3, 0.1, 0.25, 0.5, 1.5])
titled_choices = st.lists(st.sampled_from(["a", "b", "ab"]), min_size=1, max_size=3).map(
    lambda cs: [{"const": c, "title": c.upper()} for c in cs])
simple_options = st.lists(st.sampled_from([{"type": "string"}, {"type": "integer", "minimum": 1}, {"const": None},
                                           {"maxLength": 1}, {"not": {"const": 0}}]), min_size=1, max_size=2)
leaf_keywords = {
    "type": types, "enum": st.lists(scalars, min_size=1, max_size=4), "const": scalars,
    "minimum": limits, "maximum": limits, "exclusiveMinimum": limits, "exclusiveMaximum": limits,
    "minLength": lengths, "maxLength": lengths, "minItems": lengths, "maxItems": lengths,
    "pattern": st.sampled_from(["^a", "b$", "^[a-z]*$", "x"]), "multipleOf": steps, "uniqueItems": st.booleans(),
    "format": st.sampled_from(["password", "textarea", "email", "ipv4", "date"]),
    "required": st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True),
    "oneOf": titled_choices, "anyOf": simple_options, "allOf": simple_options,
    "title": strings, "default": scalars, "enumNames": st.lists(strings, max_size=2),
    "not": st.just({"type": "string"}),  # not handled by the quick check: the property goes to jsonschema
}
# one to three keywords per schema, so that values pass some schemas and fail others by a hair
leaf = st.lists(st.sampled_from(sorted(leaf_keywords)), max_size=3, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: leaf_keywords[k] for k in keys}))


def _node(children):
    return st.one_of(
        st.fixed_dictionaries({}, optional={
            "type": st.just("object"), "properties": st.dictionaries(st.sampled_from(NAMES), children, max_size=3),
            "required": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
            "additionalProperties": st.one_of(st.booleans(), children)}),
        st.fixed_dictionaries({"items": children}, optional={"type": st.just("array"), "minItems": lengths}),
        st.fixed_dictionaries({"anyOf": st.lists(children, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"allOf": st.lists(children, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.one_of(titled_choices, st.lists(children, min_size=1, max_size=2))}),
        st.just(True), st.just(False))


schemas = st.one_of(leaf, st.recursive(leaf, _node, max_leaves=6))  # plain leaves at the top too: each keyword alone


EDGES = [  # each on the line where a quick check that is slightly off would accept what jsonschema rejects
    ({"exclusiveMinimum": 1}, [1, 1.0]), ({"exclusiveMaximum": 0.5}, [0.5]), ({"minimum": 2}, [1.5, True]),
    ({"multipleOf": 2}, [3, 3.0]), ({"multipleOf": 0.1}, [0.35, math.inf]), ({"enum": [1]}, [True, 1.5]),
    ({"const": False}, [0, 0.0]), ({"required": ["a", "b"]}, [{"a": 1}]), ({"uniqueItems": True}, [["a", "a"], [1, 1.0]]),
    ({"type": "integer"}, [True, 1.5]), ({"maxLength": 1}, ["ab"]), ({"pattern": "^a"}, ["ba"]),
    ({"oneOf": [{"const": "a"}, {"const": "b"}]}, ["ab"]), ({"anyOf": [{"type": "string"}]}, [2]),
    ({"allOf": [{"type": "string"}, {"maxLength": 1}]}, ["ab"]), ({"additionalProperties": False, "properties": {"a": {}}}, [{"b": 1}]),
    ({"items": {"type": "string"}, "maxItems": 1}, [["a", 1], ["a", "b"]]), ({"properties": {"a": {"not": {"const": 0}}}}, [{"a": 0}]),
]


def _with_edges(test):
    for schema, instances in EDGES: test = example(schema=schema, instances=instances)(test)
    return test


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas, instances=st.lists(values, min_size=1, max_size=6))
@_with_edges
def test_quick_check_accepts_only_what_jsonschema_accepts(schema, instances):
    validator = _compile_validator(schema)
    quick = _quick_acceptor(schema, validator)
    if quick is None: return
    for instance in instances:
        if quick(instance):
            assert list(validator.iter_errors(instance)) == [], (schema, instance)


@settings(max_examples=300, deadline=None)
@given(schema=schemas, instances=st.lists(values, min_size=1, max_size=6))
def test_configs_the_quick_check_accepts_get_the_same_answer_from_validation(schema, instances):
    # the same comparison through _field_errors, which turns jsonschema's errors into the registry's FieldErrors
    validator = _compile_validator(schema)
    quick = _quick_acceptor(schema, validator)
    for instance in instances:
        if quick is not None and quick(instance): assert _field_errors(validator, instance) == []


def test_the_quick_check_is_used_for_typical_schemas():
    # guard against a quick check that is sound only because it never says yes
    schema = {"type": "object", "required": ["model"], "properties": {
        "model": {"type": "string", "enum": ["tiny", "base"]}, "beam_size": {"type": "integer", "minimum": 1, "multipleOf": 1},
        "temperature": {"type": "number", "maximum": 2, "multipleOf": 0.25}, "sections": {"type": "array", "uniqueItems": True,
        "items": {"type": "string", "enum": ["summary", "transcript"]}}, "lang": {"type": "string", "pattern": "^[a-z]{2}$"}}}
    quick = _quick_acceptor(schema, _compile_validator(schema))
    assert quick({"model": "base", "beam_size": 3, "temperature": 0.75, "sections": ["summary", "transcript"], "lang": "en"})
    assert not quick({"model": "base", "sections": ["summary", "summary"]})
    assert not quick({"model": "base", "temperature": 0.3})
