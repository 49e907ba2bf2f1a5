"""Copying every config between the JSON directory and PostgreSQL, both ways, idempotently."""
import pytest

from cjm_fasthtml_plugins.core.changes import STORE_URL_ENV, copy_configs, copy_configs_cli, store_from_url
from cjm_fasthtml_plugins.core.pg_store import PostgresConfigStore
from cjm_fasthtml_plugins.core.store import JsonDirectoryStore
from pg_support import pg_cluster, pg_dsn, unique_table  # noqa: F401

CONFIGS = {"llm_gemini": {"temperature": 0.7, "nested": {"k": [1, 2]}}, "tts_piper": {"voice": "amy"}, "x.y-z": {}}


def test_copy_json_to_postgres_and_back(tmp_path, pg_dsn):
    source = JsonDirectoryStore(tmp_path / "a")
    for uid, config in CONFIGS.items(): source.save(uid, config)
    pg = PostgresConfigStore(pg_dsn, table=unique_table())
    assert copy_configs(source, pg) == sorted(CONFIGS)
    assert copy_configs(source, pg) == []  # idempotent
    assert {uid: pg.load(uid) for uid in pg.list_ids()} == CONFIGS
    pg.save("tts_piper", {"voice": "joe"})
    back = JsonDirectoryStore(tmp_path / "a")
    assert copy_configs(pg, back) == ["tts_piper"]
    assert copy_configs(pg, back) == [] and copy_configs(back, pg) == []
    assert back.load("tts_piper") == {"voice": "joe"}
    pg.close()


def test_copy_keeps_configs_only_in_the_target(tmp_path, pg_dsn):
    pg = PostgresConfigStore(pg_dsn, table=unique_table())
    pg.save("llm_only_here", {"a": 1})
    source = JsonDirectoryStore(tmp_path / "a")
    source.save("llm_gemini", {"b": 2})
    assert copy_configs(source, pg) == ["llm_gemini"]
    assert pg.list_ids() == ["llm_gemini", "llm_only_here"]
    pg.close()


def test_command_takes_urls(tmp_path, pg_dsn):
    source = JsonDirectoryStore(tmp_path / "a")
    for uid, config in CONFIGS.items(): source.save(uid, config)
    assert copy_configs_cli(str(tmp_path / "a"), pg_dsn) == sorted(CONFIGS)  # into the default table
    pg = store_from_url(pg_dsn)
    assert pg.load("llm_gemini") == CONFIGS["llm_gemini"]
    pg.close()
    assert copy_configs_cli(str(tmp_path / "a"), pg_dsn) == []
    assert copy_configs_cli(pg_dsn, f"file://{tmp_path}/b") == sorted(CONFIGS)
    assert copy_configs_cli(pg_dsn, f"file://{tmp_path}/b") == []


def test_store_from_url_kinds(tmp_path, pg_dsn):
    assert isinstance(store_from_url(tmp_path / "c"), JsonDirectoryStore)
    assert isinstance(store_from_url(f"file://{tmp_path}/c"), JsonDirectoryStore)
    assert isinstance(store_from_url(pg_dsn.replace("postgresql://", "postgres://")), PostgresConfigStore)
    assert store_from_url(pg_dsn, table="custom").table == "custom"
    with pytest.raises(ValueError, match="Unknown config store URL scheme"): store_from_url("mysql://x/y")
    assert STORE_URL_ENV == "CJM_PLUGINS_STORE_URL"
