"""A fetched page's lxml tree, parsed once per response and shared by whoever reads it.

The spider (links, extraction) and the requisites middleware (stylesheets, images) both read every
HTML page. Each parsing it for itself cost a second parse per page, and `response.selector`, which
the middleware used, caches a Selector that points back at its response: a reference cycle only
Python's cyclic GC frees, so every page's tree (several times its body, in memory the GC's
heuristics do not see) stayed alive until a full collection. Here the tree is kept in a
`WeakKeyDictionary` keyed by the response, the way Scrapy caches `get_base_url` and
`get_meta_refresh`: it lives exactly as long as the response, and nothing points back.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node
from scrapy.http import TextResponse, XmlResponse

from crawler.extract.decode import FastHtmlParser

_trees: WeakKeyDictionary[TextResponse, etree._Element] = WeakKeyDictionary()


def parsed_page(response: TextResponse) -> etree._Element:
    """The page's tree (XML for feeds and sitemaps, HTML otherwise), parsed on the first call.

    Raises what parsel raises for a body lxml cannot read (ValueError) or the decoder cannot
    decode (UnicodeDecodeError); nothing is cached then.
    """
    tree = _trees.get(response)
    if tree is None:
        if isinstance(response, XmlResponse):
            tree = Selector(text=response.text, type="xml", base_url=response.url).root
        else:
            # parsed as parsel parses HTML, with extraction's C-level element lookup (a third faster
            # to walk than lxml.html's per-tag classes, which nothing here needs)
            tree = create_root_node(response.text, FastHtmlParser, base_url=response.url)
        _trees[response] = tree
    return tree
