"""Helpers for the settings-form tests: the corpus of schemas, and what a browser posts for a drawn form."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import List, Optional, Tuple

from fasthtml.common import to_xml
from lxml import html as lxml_html
from starlette.datastructures import FormData

CORPUS = sorted((Path(__file__).parent / "schemas").glob("*/*.json"))
_ONE_LINE = {"text", "search", "tel", "url", "email", "password"}


def load_schema(path: Path) -> dict:
    "A corpus schema."
    return json.loads(path.read_text())


def _input_pairs(el) -> List[Tuple[str, str]]:
    "What one <input> posts, with the browser's value sanitization for its type."
    name, kind = el.get("name"), (el.get("type") or "text").lower()
    if kind in ("submit", "button", "reset", "image", "file"): return []
    if kind in ("checkbox", "radio"): return [(name, el.get("value", "on"))] if el.get("checked") is not None else []
    value = el.get("value", "")
    if kind in _ONE_LINE: value = re.sub("[\r\n]", "", value)
    if kind in ("email", "url"): value = value.strip()
    if kind == "datetime-local": value = re.sub(r"(T\d\d:\d\d):00$", r"\1", value)  # Chromium's normalized form
    return [(name, value)]


def form_pairs(ft, op: Optional[str] = None) -> List[Tuple[str, str]]:
    "The (name, value) pairs a browser posts for the drawn fields, in document order (plus a clicked `__op__` button)."
    html = ft if isinstance(ft, str) else to_xml(ft)  # drawn fields, or HTML text as a server sent it
    root, pairs = lxml_html.fromstring(f"<form>{html}</form>"), []
    for el in root.iter("input", "select", "textarea"):
        if el.get("name") is None or el.get("disabled") is not None: continue
        if el.tag == "input": pairs += _input_pairs(el)
        elif el.tag == "select":
            opts = el.findall(".//option")
            chosen = [o for o in opts if o.get("selected") is not None] or opts[:1]
            pairs += [(el.get("name"), o.get("value", o.text or "")) for o in chosen]
        else:  # a browser drops the newline right after <textarea> and posts line breaks as CRLF
            text = el.text or ""
            pairs.append((el.get("name"), (text[1:] if text.startswith("\n") else text).replace("\n", "\r\n")))
    return pairs + ([("__op__", op)] if op else [])


def form_encode(ft, op: Optional[str] = None) -> FormData:
    "The drawn fields submitted unchanged, as the FormData a FastHTML route receives."
    return FormData(form_pairs(ft, op))


def panel_data(text: str) -> dict:
    "The fields the settings form (`#plugin-settings`) in a page's `text` posts unchanged, as httpx `data`."
    panel = lxml_html.fromstring(f"<div>{text}</div>").xpath('//*[@id="plugin-settings"]')[0]
    data: dict = {}
    for name, value in form_pairs(lxml_html.tostring(panel, encoding="unicode")): data.setdefault(name, []).append(value)
    return data
