"""Cards and forms drawn from cached parts are byte for byte the HTML of the whole element, whatever the values.

`render_settings_form_html` and `render_plugin_details_html` assemble a miss of their whole-HTML cache from a
cached frame and cached parts, each part rendered at the depth of its placeholder (selector's `_PartsCache`).
Hypothesis drives sequences of changed configs, titles and descriptions (spaces, newlines, markup, placeholders'
look-alikes) through them, with the caches kept between steps, and compares every result with `to_xml` of the
element drawn whole.
"""
import copy

from fasthtml.common import to_xml
from hypothesis import HealthCheck, given, settings, strategies as st

from cjm_fasthtml_plugins.components.selector import (_DETAILS_PARTS, _SLOT_TOKEN, clear_render_caches,
                                                       render_plugin_details, render_plugin_details_html)
from cjm_fasthtml_plugins.components.settings import (_SETTINGS_PARTS, render_settings_form,
                                                       render_settings_form_html)
from cjm_fasthtml_plugins.core.metadata import PluginMetadata

SCHEMA = {"type": "object", "required": ["model"], "properties": {
    "model": {"type": "string", "enum": ["tiny", "base", "large"], "enumNames": ["Tiny", "Base", "Large"]},
    "device": {"type": "string", "default": "cpu", "description": "Where it runs."},
    "prompt": {"type": "string", "format": "textarea"},
    "beam_size": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
    "temperature": {"type": "number", "minimum": 0, "maximum": 1},
    "supports_streaming": {"type": "boolean", "default": False},
    "outputs": {"type": "array", "items": {"type": "string", "enum": ["txt", "srt"]}},
    "hosts": {"type": "array", "items": {"type": "string"}},
    "extra": {"type": "object"},
    "memory_gb": {"type": "number"},
    "api_key": {"type": "string", "format": "password"},
}}

# text that stresses indentation and escaping: leading/trailing spaces, newlines, markup, a placeholder look-alike
tricky_text = st.one_of(
    st.text(alphabet=st.sampled_from(list(" \n\t<>&\"'ab")), max_size=12),
    st.just(f'<div data-render-slot="{_SLOT_TOKEN}-0">\n  <div></div>\n</div>\n'),
    st.just("  trailing  "))
configs = st.fixed_dictionaries({}, optional={
    "model": st.sampled_from(["tiny", "base", "large"]),
    "device": st.one_of(st.none(), tricky_text),
    "prompt": tricky_text,
    "beam_size": st.one_of(st.integers(1, 10), st.booleans()),
    "temperature": st.floats(0, 1),
    "supports_streaming": st.booleans(),
    "outputs": st.lists(st.sampled_from(["txt", "srt"]), unique=True),
    "hosts": st.lists(tricky_text, max_size=3),
    "extra": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    "memory_gb": st.one_of(st.integers(1, 64), st.floats(0.5, 8)),
    "api_key": st.one_of(st.none(), st.just(""), st.just("sk-secret")),
})
steps = st.lists(st.tuples(configs, tricky_text, tricky_text, st.sampled_from([None, "", "rev1", "rev2"]),
                           st.sampled_from([None, "Settings saved."]), st.booleans()), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_parts_assemble_exactly_the_whole_elements_html(sequence):
    clear_render_caches()
    for config, title, description, revision, message, configured in sequence:
        plugin = PluginMetadata("whisper", "transcription", title or "Whisper", copy.deepcopy(SCHEMA),
                                description=description, is_configured=configured)
        kw = dict(action="/plugins/settings/transcription_whisper", reset_action="/plugins/reset/transcription_whisper",
                  revision=revision, message=message)
        assert render_settings_form_html(plugin, config, **kw) == to_xml(render_settings_form(plugin, config, **kw))
        assert render_plugin_details_html(plugin, config) == to_xml(render_plugin_details(plugin, config))


def test_a_changed_value_redraws_one_part_only():
    clear_render_caches()
    plugin = PluginMetadata("whisper", "transcription", "Whisper", copy.deepcopy(SCHEMA))
    kw = dict(action="/a", reset_action="/r", message="Settings saved.")
    render_settings_form_html(plugin, {"model": "base"}, revision="r0", **kw)
    render_plugin_details_html(plugin, {"model": "base"})
    form_misses, card_misses = _SETTINGS_PARTS.parts.misses, _DETAILS_PARTS.parts.misses
    frames = (_SETTINGS_PARTS.frames.misses, _DETAILS_PARTS.frames.misses)
    for k in range(1, 6):
        config = {"model": "base", "device": f"cuda:{k}"}
        assert render_settings_form_html(plugin, config, revision=f"r{k}", **kw) == \
            to_xml(render_settings_form(plugin, config, revision=f"r{k}", **kw))
        assert render_plugin_details_html(plugin, config) == to_xml(render_plugin_details(plugin, config))
    assert _SETTINGS_PARTS.parts.misses == form_misses + 5  # the device field, once per save
    assert _DETAILS_PARTS.parts.misses == card_misses + 5  # the feature row (it shows the device)
    assert (_SETTINGS_PARTS.frames.misses, _DETAILS_PARTS.frames.misses) == frames
