"""records.py: the catalog cache's decoder rebuilds exactly what was encoded and refuses any value of another type."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from llmzh.catalog import default_catalog_path, load_catalog
from llmzh.records import decode, encode
from llmzh.schema import Catalog, Figure, Memory, Quant, Text, Unit, Variant


def test_the_built_in_catalog_reads_back_equal_with_its_enums_as_members() -> None:
    catalog = load_catalog(default_catalog_path())  # config.json mappings with lists and nested mappings included
    stored = json.loads(json.dumps(encode(catalog)))  # what the cache file holds
    before = copy.deepcopy(stored)
    back = decode(Catalog, stored)
    assert back == catalog
    assert stored == before  # decoding leaves the JSON value as it was: it is what the cache then writes
    variants = [v for p in back.projects for m in p.models for v in m.variants]
    assert {type(v) for v in variants} == {Variant}
    assert all(type(v.quant) is Quant for v in variants)
    assert {type(v.vram_gb.unit) for v in variants if v.vram_gb is not None} == {Unit}


def test_fields_are_rebuilt_by_position_with_nested_records() -> None:
    value = [
        9.5,
        "GB",
        "https://example.org/a",
        ["条件", "condition"],
        None,
        4096,
        [[10, "GiB", None, None, None, None, []]],
    ]
    memory = decode(Memory, value)
    assert memory == Memory(
        9.5, Unit.GB, "https://example.org/a", Text("条件", "condition"), None, 4096, (Memory(10, Unit.GIB),)
    )
    assert decode(Figure, [7, None, None, None, None, []]) == Figure(7.0)  # an integral float is a JSON int


def _variant(**changes: Any) -> list[Any]:
    fields = {name: encode(default) for name, default in Variant._field_defaults.items()}
    fields.update({"id": "demo-int4", "quant": "int4"} | changes)
    return [fields[name] for name in Variant._fields]


def test_a_valid_variant_decodes() -> None:
    variant = decode(Variant, _variant(files=["*.gguf"], quantization_config={"bits": 4}))
    assert variant.quant is Quant.INT4 and variant.files == ("*.gguf",)
    assert variant.quantization_config == {"bits": 4}


@pytest.mark.parametrize(
    "changes",
    [
        {"id": 42},  # a number where text belongs
        {"id": None},  # a required field left empty
        {"quant": "int3"},  # not a member of the enum
        {"quant": ["int4"]},  # not even hashable
        {"repo": True},  # a bool is not text
        {"files": ["*.gguf", 3]},  # one item of a list of text is not text
        {"files": "*.gguf"},  # text where a list belongs
        {"also_at": None},  # a list that is not optional
        {"vram_gb": [6, "GB", None, None, None, None]},  # a nested record one field short
        {"vram_gb": [6, "GB", None, None, None, "4096", []]},  # a nested int that is text
        {"vram_gb": [True, "GB", None, None, None, None, []]},  # a bool is not a number
        {"vram_gb": {"value": 6}},  # a mapping where a record belongs
        {"quantization_config": ["bits", 4]},  # a list where a mapping belongs
    ],
)
def test_a_value_of_another_type_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="^not a cached Variant: "):
        decode(Variant, _variant(**changes))


@pytest.mark.parametrize(
    "value", [["demo"], ["demo", "Demo", "x"], ("demo", "Demo"), {"zh": "a", "en": "b"}, "ab", None]
)
def test_a_record_of_another_shape_is_refused(value: Any) -> None:
    assert decode(Text, ["演示", "demo"]) == Text("演示", "demo")
    with pytest.raises(ValueError, match="^not a cached Text: "):
        decode(Text, value)
