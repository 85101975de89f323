"""Put untrusted text into a folium page so that it is only ever shown, never run.

Two engines read what borderkit hands to folium, and data must be inert in both:

- the browser parses names, labels and property values as HTML (popups, tooltips, the
  layer control, the search tips and the attribution all use ``innerHTML``);
- Jinja compiles template source. branca's ``Element(text)`` takes its argument as
  template source, and ``MacroElement.render`` passes the *rendered* output of every
  folium element (GeoJSON data, layer names, attribution...) through ``Element(...)``
  again, so a ``{{ ... }}`` inside data is compiled and run on the second pass.

Hence one rule for each:

- every string bound for the page goes through :func:`escape_text`: HTML-escaped, and
  ``{`` / ``}`` written as character references, so it can form neither markup nor a
  Jinja delimiter (``{{``, ``{%``, ``{#``), while the browser still shows the text as is;
- borderkit's own HTML (panels, meta, CSS) goes in as :func:`raw_html`, an element whose
  template is the constant ``{{ this.html }}``: its text is output, never compiled.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

__all__ = ["escape_text", "raw_html"]

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_text(value: Any) -> str:
    """Return ``str(value)`` as HTML text that neither the browser nor Jinja can execute.

    HTML-escapes ``& < > " '`` and writes ``{`` and ``}`` as character references: the
    text may reach a page through a folium template whose output branca compiles again
    (see the module docstring). Lone surrogates (undecodable file-name bytes) become
    U+FFFD, so the page can be written as UTF-8.

    Parameters
    ----------
    value
        Any value; ``None`` gives ``"None"`` (callers map missing values to ``""`` first).

    Returns
    -------
    str
        Text safe between tags, in a quoted attribute, in a JSON string, or in a template.

    Examples
    --------
    >>> escape_text('<img src=x onerror="f()">')
    '&lt;img src=x onerror=&quot;f()&quot;&gt;'
    >>> escape_text("{{ 7*7 }}")
    '&#123;&#123; 7*7 &#125;&#125;'
    >>> escape_text("")
    ''
    """
    text = _SURROGATE.sub("\ufffd", str(value))
    return html.escape(text, quote=True).translate(_TEMPLATE_CHARS)


@functools.cache
def _raw_html_class() -> type:
    # branca comes with folium, which is imported only when a map is drawn
    from branca.element import Element
    from jinja2 import Template

    class RawHtml(Element):
        """An element that outputs its ``html`` attribute verbatim: the template is a constant."""

        _template = Template("{{ this.html }}")

        def __init__(self, text: str):
            super().__init__()
            self._name = "RawHtml"
            self.html = text

    return RawHtml


def raw_html(text: str) -> Any:
    """Return a branca element that outputs ``text`` as it is, without compiling it.

    Use it instead of ``branca.element.Element(text)``, which compiles ``text`` as a Jinja
    template. Add it only to the figure's ``header``, ``html`` or ``script`` (plain
    elements, rendered once); any untrusted part of ``text`` must already be passed
    through :func:`escape_text`.

    Examples
    --------
    >>> raw_html("<b>{{ 7*7 }}</b>").render()  # doctest: +SKIP
    '<b>{{ 7*7 }}</b>'
    """
    return _raw_html_class()(text)
