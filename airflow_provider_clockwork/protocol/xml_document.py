"""Writing the XML documents of Clockwork's API: one serialiser for requests, replies and callbacks.

Every document the provider or the emulator writes (XML sends and their replies, credit and
balance, delivery receipts, inbound messages) goes through :func:`serialise`, so they all carry
the same declaration and encoding and keep a carriage return in a text intact.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET


def serialise(root: ET.Element) -> bytes:
    """The document under ``root`` as UTF-8 bytes, with an XML declaration."""
    # XML parsers turn a literal CR into LF; a character reference keeps it.
    text = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode("utf-8")
