"""Check every internal link and anchor in the built docs site and the Markdown sources, offline.

``make docs`` runs this after ``mkdocs build --strict``. It reads, never fetches:

- in the built site (``site/``), every ``href`` and ``src`` of every HTML page must name a
  file that exists in the site, and a ``#fragment`` must name an ``id`` (or ``name``) in
  that page. A script, stylesheet, image or font loaded from the network is an error: the
  site must work offline;
- in README.md and the Markdown under docs/, rendered with the same slugs as the site and
  GitHub, every relative link must name a file in the repository, and every ``#anchor`` a
  heading of the page it points to.

Links to other sites are listed with the pages that use them, not fetched: checking them
needs the network, and their owners may move them at any time. The exit status is 1 when
anything internal is broken.

Usage::

    python scripts/check_links.py                    # site/ + README.md + docs/
    python scripts/check_links.py --site site --markdown README.md docs
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
from pymdownx.slugs import slugify

ROOT = Path(__file__).resolve().parent.parent
# Tags whose link is loaded with the page (must be local) rather than followed by a reader.
LOADED = {"script", "img", "link", "source", "iframe", "video", "audio", "embed"}
# Schemes that are not links to check or list.
IGNORED_SCHEMES = {"data", "javascript", "blob"}
# The same slugs as mkdocs.yml's toc extension, which match GitHub's for these pages.
TOC_SLUG = slugify(case="lower")


@dataclass
class Link:
    """One link found in a page: where it is, what tag it sits on, and its target."""

    page: Path
    tag: str
    url: str


class Page(HTMLParser):
    """The ids a page defines and the links it makes, read with the standard HTML parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the tag's id/name and its link, if any."""
        values = {key: value for key, value in attrs if value is not None}
        for key in ("id", "name"):
            if key in values and (key == "id" or tag == "a"):
                self.ids.add(values[key])
        for key in ("href", "src"):
            if key in values:
                self.links.append((tag, values[key]))


def parse_html(text: str) -> Page:
    """Return the ids and links of one HTML document."""
    page = Page()
    page.feed(text)
    page.close()
    return page


def render_markdown(path: Path) -> str:
    """Render a Markdown file to HTML with the heading ids the site and GitHub give it."""
    md = markdown.Markdown(
        extensions=["tables", "attr_list", "md_in_html", "toc"], extension_configs={"toc": {"slugify": TOC_SLUG}}
    )
    return md.convert(path.read_text(encoding="utf-8"))


@cache
def page_of(path: Path) -> Page:
    """Return the parsed page at ``path`` (HTML as is, Markdown rendered); cached per run."""
    text = render_markdown(path) if path.suffix == ".md" else path.read_text(encoding="utf-8")
    return parse_html(text)


def is_external(url: str) -> bool:
    """Tell whether ``url`` leaves the site: it has a scheme or a host (``//cdn…``)."""
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def resolve(link: Link, root: Path) -> tuple[Path, str]:
    """Return the file a relative link names and its fragment (``""`` if none).

    A link to a folder means its ``index.html``; an empty path means the page itself.
    """
    parts = urlsplit(link.url)
    path = unquote(parts.path)
    if not path:
        return link.page, unquote(parts.fragment)
    target = (root if path.startswith("/") else link.page.parent) / path.lstrip("/")
    if target.is_dir() and (target / "index.html").is_file():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def problem(link: Link, root: Path, inside: Path) -> str | None:
    """Return what is wrong with one internal link, or None when it resolves.

    ``inside`` is the folder every target must stay in: the site for the site, the
    repository for the Markdown sources.
    """
    target, fragment = resolve(link, root)
    target = target.resolve()
    if not target.is_relative_to(inside):
        return f"points outside {inside.name}/: {link.url}"
    if not target.exists():
        return f"no such file: {link.url}"
    if fragment and target.suffix in (".html", ".md") and fragment not in page_of(target).ids:
        return f"no anchor #{fragment} in {target.relative_to(inside)}: {link.url}"
    return None


def links_in(paths: Iterable[Path]) -> Iterator[Link]:
    """Yield every link of every page in ``paths``."""
    for path in paths:
        for tag, url in page_of(path.resolve()).links:
            yield Link(path.resolve(), tag, url.strip())


@dataclass
class Report:
    """What the check found: broken internal links, and the external ones by address."""

    checked: int = 0
    broken: list[str] = field(default_factory=list)
    external: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def check(pages: list[Path], root: Path, report: Report) -> None:
    """Check the links of ``pages``, whose absolute links start at ``root``, into ``report``."""
    for link in links_in(pages):
        scheme = urlsplit(link.url).scheme
        where = str(link.page.relative_to(root))
        if scheme in IGNORED_SCHEMES:
            continue
        if is_external(link.url):
            if link.tag in LOADED:
                report.broken.append(f"{where}: <{link.tag}> loads {link.url} from the network")
            else:
                report.external[link.url].add(where)
            continue
        report.checked += 1
        if (why := problem(link, root, root)) is not None:
            report.broken.append(f"{where}: {why}")


def markdown_files(paths: Iterable[Path]) -> list[Path]:
    """Return the Markdown files named, with the ``*.md`` under each folder named."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.md")) if path.is_dir() else [path])
    return found


def main(argv: list[str] | None = None) -> int:
    """Check the site and the Markdown sources; print what was found; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (default: site/)")
    parser.add_argument("--no-site", action="store_true", help="check only the Markdown sources")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the folder Markdown links must stay in")
    parser.add_argument(
        "--markdown",
        type=Path,
        nargs="*",
        default=[ROOT / "README.md", ROOT / "docs"],
        help="Markdown files or folders",
    )
    args = parser.parse_args(argv)

    page_of.cache_clear()  # pages may have changed since the last call in this process
    report = Report()
    if not args.no_site:
        site = args.site.resolve()
        if not (site / "index.html").is_file():
            print(f"check_links: no built site in {site}: run `mkdocs build` (or `make docs`) first", file=sys.stderr)
            return 2
        check(sorted(site.rglob("*.html")), site, report)
    check(markdown_files(args.markdown), args.repo.resolve(), report)

    for line in report.broken:
        print(f"BROKEN {line}")
    print(f"external links (listed, not fetched): {len(report.external)}")
    for url in sorted(report.external):
        print(f"  {url}  ({', '.join(sorted(report.external[url]))})")
    status = "broken: " + str(len(report.broken)) if report.broken else "all resolve"
    print(f"internal links and anchors checked: {report.checked}; {status}")
    return 1 if report.broken else 0


if __name__ == "__main__":
    sys.exit(main())
