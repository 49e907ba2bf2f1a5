"""The secrecy rule over the corpus: where each real plugin schema holds secrets (checked by hand), through $ref,
anyOf/oneOf/allOf, nested objects, arrays and conditional branches."""
from __future__ import annotations

from cjm_fasthtml_plugins.core.schema_tree import secret_paths
from form_support import CORPUS, load_schema

EXPECTED = {
    "dataclass/DcApi": [("api_key",)],
    "handwritten/d07_definitions_dependencies": [("secret_key",)],
    "handwritten/d07_if_then_else": [("token",)],  # only in the `then` branch
    "handwritten/s2020_dependent": [("signing_secret",), ("smtp_password",)],  # from dependentSchemas too
    "handwritten/s2020_nested_secrets": [("primary", "password"), ("replicas", "*", "password"), ("maybe",),
                                         ("wrapped",)],
    "handwritten/s2020_open_object": [("secrets", "*")],
    "pydantic/ClusterConfig": [("nodes", "*", "disks", "*", "encryption_key")],
    "pydantic/DownloaderConfig": [("proxy", "password")],
    "pydantic/OpenAIConfig": [("api_key",)],
    "pydantic/PoolConfig": [("endpoints", "*", "token")],
    "pydantic/SecretsConfig": [("api_key",), ("backup_key",), ("pin",)],
}


def test_secret_paths_of_the_corpus():
    found = {f"{p.parent.name}/{p.stem}": secret_paths(load_schema(p)) for p in CORPUS}
    assert {k: v for k, v in found.items() if v} == EXPECTED
