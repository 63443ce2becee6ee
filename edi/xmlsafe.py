"""One hardened lxml parser for every XML ``edi`` reads (guides, code lists, X12 as XML).

No DTD is loaded or validated, no entity is resolved, nothing is fetched from the network,
huge trees are refused, and comments and processing instructions are dropped.  Callers also
refuse documents that declare a DOCTYPE, before and after parsing.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from edi.errors import GuideError

__all__ = ["hardened_parser", "parse_data_file"]


def hardened_parser() -> etree.XMLParser:
    """A new parser with every external or expanding feature switched off."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_data_file(path: Path, schema: etree.XMLSchema | None = None, schema_name: str = "") -> etree._Element:
    """Parse one of ``edi``'s XML data files safely and check it against ``schema``.

    Raises:
        GuideError: the file cannot be read, declares a DOCTYPE or entities, is not
            well-formed, or does not match the schema (file, line and reason).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GuideError(f"cannot read: {exc.strerror}", str(path)) from None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        line = data[: max(data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY"))].count(b"\n") + 1
        raise GuideError("DOCTYPE and entity declarations are not allowed in data files", f"{path} line {line}")
    try:
        root = etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise GuideError(f"not well-formed XML: {exc.msg}", f"{path} line {exc.lineno}") from None
    if root.getroottree().docinfo.doctype:  # e.g. a UTF-16 file the byte check above cannot see
        raise GuideError("DOCTYPE and entity declarations are not allowed in data files", f"{path} line 1")
    if schema is not None and not schema.validate(root):
        err = schema.error_log[0]
        raise GuideError(f"does not match {schema_name}: {err.message}", f"{path} line {err.line}")
    return root
