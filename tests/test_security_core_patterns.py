"""Issue 13, item 3: `pattern` and `patternProperties` are decided in linear time (RE2), whatever the pattern."""
import re
import subprocess
import sys

from hypothesis import given, settings, strategies as st

from cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry

EVIL = "^(a+)+$"


def test_catastrophic_backtracking_pattern_is_fast(child_env, tmp_path):
    # On d68cd41 28 characters held the worker for ~20 s; 34 would take ~20 minutes. A child process keeps a hang
    # from blocking the test run (Python's re holds the GIL, so a thread could not be given up on).
    code = ("import sys\nfrom cjm_fasthtml_plugins.core.registry import UnifiedPluginRegistry\n"
            f"schema = {{'type': 'object', 'properties': {{'k': {{'type': 'string', 'pattern': {EVIL!r}}}}},"
            f" 'patternProperties': {{{EVIL!r}: {{'type': 'integer'}}}}, 'additionalProperties': False}}\n"
            "class I: name, version = 'p', '1'\n"
            "class M:\n    def discover_plugins(self): return [I()]\n"
            "    def get_plugin_config_schema(self, name): return schema\n"
            f"r = UnifiedPluginRegistry(sys.argv[1]); r.register_plugin_manager('app', M())\n"
            "evil = 'a' * 34 + '!'\n"
            "assert r.validate_plugin_config('app_p', {'k': evil})\n"
            "assert r.validate_plugin_config('app_p', {evil: 1})\n"
            "assert r.validate_plugin_config('app_p', {'k': 'a' * 34, 'a' * 34: 1}) == []\n"
            "print('done')\n")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=child_env, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr


REGISTRY = {}


def valid(schema, value):
    "Whether the registry accepts `{'k': value}` for a plugin whose property `k` has `schema`."
    import tempfile
    key = repr(schema)
    if key not in REGISTRY:
        class Manager:
            def discover_plugins(self): return [type("Info", (), {"name": "p", "version": "1"})()]
            def get_plugin_config_schema(self, name): return {"type": "object", "properties": {"k": schema}}
        REGISTRY[key] = UnifiedPluginRegistry(tempfile.mkdtemp())
        REGISTRY[key].register_plugin_manager("app", Manager())
    return REGISTRY[key].validate_plugin_config("app_p", {"k": value}) == []


PATTERNS = ["^a+b*$", "ab|ba", "^(a|b)*a$", "a{2,3}", "^[ab]?b$", "(?i)^A", "^$"]


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), text=st.text(alphabet="abAB!", max_size=30))
def test_re2_agrees_with_python_re_on_ordinary_patterns(pattern, text):
    assert valid({"type": "string", "pattern": pattern}, text) == bool(re.search(pattern, text))


def test_patterns_re2_cannot_run_still_work():
    schema = {"type": "string", "pattern": r"^(?=.*\d)(?!.*(.)\1).{6,}$"}
    assert [valid(schema, p) for p in ("abcde1", "abcdef", "aabcd1")] == [True, False, False]
