"""JsonDirectoryStore.watch keeps delivering changes when the config directory is removed or replaced while watched."""
import queue
import shutil

import pytest

from cjm_fasthtml_plugins.core.store import JsonDirectoryStore


@pytest.mark.parametrize("how", ["removed", "moved aside"])
def test_a_directory_made_again_is_watched_again(tmp_path, how):
    store, seen = JsonDirectoryStore(tmp_path / "configs"), queue.Queue()
    store.watch(seen.put)
    if how == "removed": shutil.rmtree(tmp_path / "configs")
    else: (tmp_path / "configs").rename(tmp_path / "configs.old")
    writer = JsonDirectoryStore(tmp_path / "configs")  # the directory made again
    heard = None
    for n in range(30):  # changes made before the watcher follows the new directory are not replayed: save until one is heard
        writer.save("llm_gemini", {"n": n})
        try: heard = seen.get(timeout=0.5)
        except queue.Empty: continue
        if heard.unique_id == "llm_gemini": break
    assert heard is not None and heard.unique_id == "llm_gemini" and heard.action == "save"
    store.close()
