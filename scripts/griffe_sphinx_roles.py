"""Turn the reStructuredText in borderkit's docstrings into Markdown for the API reference.

The docstrings are numpydoc, written for Sphinx: they cross-reference with roles
(``:func:`area```) and lay out a few two-column lists as simple tables (``====  ====``),
which mkdocstrings would render as literal text. This griffe extension, loaded by
mkdocs.yml, rewrites both once the whole package is loaded:

- each role becomes an *optional* autorefs link. The name is resolved in the scope of the
  object whose docstring names it (``:func:`build_map``` in ``borderkit.render`` is
  ``borderkit.render.build_map``); the link is made only when the target has a page, and
  otherwise the name stays code, with no warning to fail the strict build;
- each two-column simple table becomes a Markdown definition list.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|mod|class|data|attr|meth|obj|exc|const):`(?P<tilde>~?)(?P<target>[\w.]+)(?:\(\))?`")


def full_name(obj: griffe.Object, target: str) -> str:
    """Return the dotted path ``target`` names, seen from the docstring of ``obj``.

    Absolute names (``borderkit.…``) are kept; otherwise the first part is resolved in the
    scope of ``obj`` and its parents, as Sphinx does for the current module. A name that
    cannot be resolved is returned unchanged, so its link is simply not made.
    """
    if target.startswith("borderkit"):
        return target
    head, _, rest = target.partition(".")
    try:
        resolved = obj.resolve(head)
    except (griffe.NameResolutionError, KeyError, AttributeError):
        return target
    return f"{resolved}.{rest}" if rest else resolved


def link(obj: griffe.Object, match: re.Match[str]) -> str:
    """Return the optional autorefs link that replaces one role."""
    target = match["target"]
    shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
    identifier = html.escape(full_name(obj, target), quote=True)
    return f'<autoref identifier="{identifier}" optional><code>{html.escape(shown)}</code></autoref>'


RULE = re.compile(r"^(?P<indent> *)(?P<first>=+)(?P<gap> +)=+ *$")


def simple_tables(text: str) -> str:
    """Rewrite two-column reST simple tables (no header) as Markdown definition lists.

    A row whose first column is blank continues the row above, as in reST.
    """
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        rule = RULE.match(lines[i])
        end = next((j for j in range(i + 1, len(lines)) if lines[j] == lines[i]), None) if rule else None
        if rule is None or end is None:
            out.append(lines[i])
            i += 1
            continue
        split = len(rule["indent"]) + len(rule["first"]) + len(rule["gap"])
        rows: list[list[str]] = []
        for line in lines[i + 1 : end]:
            term, text_ = line[:split].strip(), line[split:].strip()
            if term or not rows:
                rows.append([term, text_])
            else:
                rows[-1][1] += " " + text_
        for term, text_ in rows:
            out.extend([f"{rule['indent']}{term}", f"{rule['indent']}:   {text_}", ""])
        i = end + 1
    return "\n".join(out)


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles and simple tables in every docstring of the package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite every docstring once every module is loaded, so names resolve across modules."""
        for obj in _walk(pkg):
            if obj.docstring is not None:
                text = simple_tables(obj.docstring.value)
                obj.docstring.value = ROLE.sub(lambda m, o=obj: link(o, m), text)
