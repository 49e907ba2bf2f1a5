"""Write the generated part of the settings-form corpus: JSON Schemas of realistic plugin configs.

    python tests/schemas/make_corpus.py

- `pydantic/*.json`: `Model.model_json_schema()` of pydantic v2 models (Optional, SecretStr, Literal, Enum, nested
  models, list[Model], datetime, constrained numbers and strings).
- `dataclass/*.json`: dataclass configs through cjm-plugin-system's `dataclass_to_jsonschema` (the converter of the
  dataclass-era releases; 0.0.12 is the last that installs on Python 3.11). When that package is not importable the
  committed files are left as they are.
- `handwritten/*.json` are written by hand (draft-07 and 2020-12, with conditionals); this script does not touch them.
"""
from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Literal, Optional, Set, Tuple, Union

from pydantic import BaseModel, Field, SecretStr, conint, constr

HERE = Path(__file__).parent


class Device(str, enum.Enum):
    cpu = "cpu"
    cuda = "cuda"
    mps = "mps"


class Priority(enum.IntEnum):
    low = 1
    normal = 5
    high = 9


class WhisperConfig(BaseModel):
    "Local Whisper transcription."
    model: Literal["tiny", "base", "small", "medium", "large-v3"] = "base"
    device: Device = Device.cpu
    language: Optional[str] = Field(None, description="ISO code; empty for auto-detect", examples=["en"])
    temperature: Optional[float] = Field(None, ge=0, le=1)
    beam_size: int = Field(5, ge=1, le=10)
    word_timestamps: bool = False


class OpenAIConfig(BaseModel):
    "A hosted LLM."
    api_key: SecretStr
    model: str = "gpt-4o-mini"
    max_tokens: Optional[int] = Field(None, ge=1, le=128000)
    temperature: float = Field(0.7, ge=0, le=2, multiple_of=0.1)
    organization: Optional[str] = None


class Server(BaseModel):
    host: str = "localhost"
    port: int = Field(8080, ge=1, le=65535)
    tls: bool = False


class RemoteConfig(BaseModel):
    "A model served elsewhere."
    server: Server = Field(default_factory=Server, description="Where the model runs")
    timeout_s: float = Field(30.0, gt=0)
    retries: conint(ge=0, le=5) = 2


class Endpoint(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    url: str
    weight: int = Field(1, ge=1)
    token: Optional[SecretStr] = None


class PoolConfig(BaseModel):
    "Load-balanced endpoints."
    endpoints: List[Endpoint] = Field(default_factory=list)
    strategy: Literal["round_robin", "least_busy"] = "round_robin"


class Proxy(BaseModel):
    url: str
    username: Optional[str] = None
    password: Optional[SecretStr] = None


class DownloaderConfig(BaseModel):
    "Model downloads, maybe through a proxy."
    cache_dir: str = "~/.cache/models"
    proxy: Optional[Proxy] = None
    verify_ssl: bool = True


class ScheduleConfig(BaseModel):
    "When batch jobs run."
    start_date: dt.date
    daily_at: dt.time = dt.time(3, 0)
    not_before: Optional[dt.datetime] = None
    window: dt.timedelta = dt.timedelta(hours=1)


class NamingConfig(BaseModel):
    "Constrained text."
    slug: constr(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=30) = "default"
    prefix: constr(max_length=8) = ""
    note: Optional[str] = Field(None, max_length=500, description="Free text")


class LabelsConfig(BaseModel):
    "Sets and lists of scalars."
    formats: Set[Literal["srt", "vtt", "txt", "json"]] = Field(default_factory=lambda: {"srt"})
    stop_words: List[str] = Field(default_factory=list)
    sample_rates: List[int] = Field(default_factory=lambda: [16000], min_length=1, max_length=4)


class PriorityConfig(BaseModel):
    "Integer enums."
    priority: Priority = Priority.normal
    fallback: Optional[Priority] = None


class TuningConfig(BaseModel):
    "Free-form and union values."
    extra_args: Dict[str, int] = Field(default_factory=dict)
    window: Tuple[int, int] = (0, 30)
    threshold: Union[int, str] = 10


class Vad(BaseModel):
    enabled: bool = True
    threshold: float = Field(0.5, ge=0, le=1)


class Diarization(BaseModel):
    max_speakers: Optional[int] = Field(None, ge=1, le=20)
    vad: Vad = Field(default_factory=Vad)


class PipelineConfig(BaseModel):
    "Three levels of nesting."
    diarization: Diarization = Field(default_factory=Diarization)
    device: Device = Device.cuda


class Stage(BaseModel):
    name: Literal["denoise", "normalize", "resample"]
    params: Dict[str, float] = Field(default_factory=dict)


class StagesConfig(BaseModel):
    "An optional list of models."
    stages: Optional[List[Stage]] = None


class ReadOnlyConfig(BaseModel):
    "Values the plugin sets."
    plugin_version: str = Field("1.2.0", json_schema_extra={"readOnly": True})
    label: str = Field("Main", title="Display label", examples=["Main", "Backup"])


class SecretsConfig(BaseModel):
    "Several kinds of secrets."
    api_key: SecretStr
    backup_key: Optional[SecretStr] = None
    server: Server = Field(default_factory=Server)
    pin: str = Field("", json_schema_extra={"format": "password", "writeOnly": True})


class ChoiceTitlesConfig(BaseModel):
    "Choices with titles (oneOf of const)."
    quality: str = Field("std", json_schema_extra={"oneOf": [{"const": "draft", "title": "Draft"},
                                                            {"const": "std", "title": "Standard"},
                                                            {"const": "hq", "title": "High quality"},
                                                            {"const": "max", "title": "Maximum"}]})
    mode: Literal["fast", "accurate"] = "fast"


class EmptyConfig(BaseModel):
    "A plugin without settings."


class Cat(BaseModel):
    kind: Literal["cat"] = "cat"
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"] = "dog"
    good: bool = True


class UnionModelsConfig(BaseModel):
    "A union of models (drawn as JSON)."
    pet: Union[Cat, Dog] = Field(default_factory=Cat)


class Disk(BaseModel):
    path: str
    size_gb: int = Field(10, ge=1)
    encryption_key: Optional[SecretStr] = None


class Node(BaseModel):
    name: str
    disks: List[Disk] = Field(default_factory=list, max_length=3)
    labels: Dict[str, str] = Field(default_factory=dict)


class ClusterConfig(BaseModel):
    "Arrays of objects holding arrays of objects, secrets at the bottom."
    nodes: List[Node] = Field(default_factory=list, max_length=3)
    region: Literal["eu", "us"] = "eu"


PYDANTIC = [ClusterConfig, WhisperConfig, OpenAIConfig, RemoteConfig, PoolConfig, DownloaderConfig, ScheduleConfig, NamingConfig,
            LabelsConfig, PriorityConfig, TuningConfig, PipelineConfig, StagesConfig, ReadOnlyConfig, SecretsConfig,
            ChoiceTitlesConfig, EmptyConfig, UnionModelsConfig]


@dataclass
class DcWhisper:
    "Whisper, dataclass era."
    model: str = field(default="base", metadata={"title": "Model", "enum": ["tiny", "base", "large"]})
    temperature: float = field(default=0.0, metadata={"title": "Temperature", "minimum": 0.0, "maximum": 1.0})
    beam_size: int = field(default=5, metadata={"minimum": 1, "maximum": 10})
    language: Optional[str] = field(default=None, metadata={"description": "Empty for auto-detect"})
    word_timestamps: bool = False


@dataclass
class DcApi:
    "A hosted API, dataclass era."
    api_key: str = field(default="", metadata={"title": "API key", "format": "password"})
    endpoint: str = field(default="https://api.example.com", metadata={"format": "uri"})
    max_tokens: Optional[int] = field(default=None, metadata={"minimum": 1})


@dataclass
class DcLists:
    "Lists, dataclass era."
    tags: List[str] = field(default_factory=list)
    rates: List[int] = field(default_factory=lambda: [16000])
    prompt: str = field(default="", metadata={"format": "textarea", "maxLength": 2000})


@dataclass
class DcDates:
    "Formats, dataclass era."
    since: str = field(default="2024-01-01", metadata={"format": "date"})
    at: str = field(default="03:00:00", metadata={"format": "time"})
    contact: str = field(default="ops@example.com", metadata={"format": "email"})
    slug: str = field(default="job", metadata={"pattern": "^[a-z]+$", "minLength": 1, "maxLength": 12})


DATACLASSES = [DcWhisper, DcApi, DcLists, DcDates]


def _write(folder: str, name: str, schema: dict) -> None:
    path = HERE / folder / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    for model in PYDANTIC: _write("pydantic", model.__name__, model.model_json_schema())
    try: from cjm_plugin_system.utils.validation import dataclass_to_jsonschema
    except ImportError:
        print("cjm-plugin-system is not importable: dataclass/*.json left as committed"); return
    for cls in DATACLASSES: _write("dataclass", cls.__name__, dataclass_to_jsonschema(cls))


if __name__ == "__main__": main()
