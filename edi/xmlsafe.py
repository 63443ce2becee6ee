"""One hardened lxml parser for every XML ``edi`` reads (guides, code lists, X12 as XML).

No DTD is loaded or validated, no entity is resolved, nothing is fetched from the network,
huge trees are refused, and comments and processing instructions are dropped.  Callers also
refuse documents that declare a DOCTYPE, before and after parsing.
"""

from __future__ import annotations

from lxml import etree

__all__ = ["hardened_parser"]


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
