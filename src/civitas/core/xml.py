"""Plain XML as Open311 GeoReport v2 writes it: UTF-8 declaration, no namespace,
lists as repeated child elements."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

# the singular element name for each list element Open311 uses
ITEM_NAMES = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "notes": "note",
    "media": "media_url",
    "endpoints": "endpoint",
    "photos": "photo",
    "service_request_updates": "request_update",
    "formats": "format",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if child is None:
                ET.SubElement(parent, key)
                continue
            element = ET.SubElement(parent, key)
            _fill(element, child)
    elif isinstance(value, list):
        item_name = ITEM_NAMES.get(parent.tag, "item")
        for child in value:
            _fill(ET.SubElement(parent, item_name), child)
    else:
        parent.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")
