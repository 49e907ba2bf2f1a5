"""`store_from_url` reads `file:` URLs as URLs: percent-escapes decoded, `localhost` allowed, another host refused."""
import os

import pytest

from cjm_fasthtml_plugins.core.changes import copy_configs_cli, store_from_url


def test_a_file_url_made_by_pathlib_names_that_directory(tmp_path):
    directory = tmp_path / "my configs #1"
    store = store_from_url(directory.as_uri())  # 'file:///.../my%20configs%20%231'
    store.save("llm_gemini", {"a": 1})
    assert os.listdir(tmp_path) == ["my configs #1"] and store.config_dir == directory


def test_file_localhost_is_this_machine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = store_from_url(f"file://localhost{tmp_path}/configs")
    assert store.config_dir == tmp_path / "configs" and not (tmp_path / "localhost").exists()


def test_a_file_url_naming_another_host_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="names another host"): store_from_url("file://fileserver/srv/configs")
    assert os.listdir(tmp_path) == []


def test_copy_reads_a_percent_encoded_source(tmp_path):
    source = store_from_url(tmp_path / "old configs")
    source.save("llm_gemini", {"a": 1})
    assert copy_configs_cli((tmp_path / "old configs").as_uri(), str(tmp_path / "new")) == ["llm_gemini"]
