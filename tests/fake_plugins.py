"""Fake plugin managers for the tests: plugin name -> (info, schema or exception to raise)."""


class Info:
    "What discovery reports for one plugin; extra keywords become attributes (e.g. execution_mode)."
    def __init__(self, name, **details): self.name, self.version = name, "1.0"; vars(self).update(details)


class Manager:
    "A manager whose plugins are given as {name: (Info, schema)}; a schema that is an exception is raised."
    def __init__(self, plugins): self.plugins = plugins
    def discover_plugins(self): return [info for info, _ in self.plugins.values()]
    def get_plugin_config_schema(self, name):
        schema = self.plugins[name][1]
        if isinstance(schema, Exception): raise schema
        return schema


def gemini_manager():
    "A manager with one plugin, `gemini`, whose one setting is a temperature."
    return Manager({"gemini": (Info("gemini"), {"type": "object", "properties": {"temperature": {"type": "number", "default": 0.7}}})})
