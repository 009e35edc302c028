"""The documentation site (docs/, mkdocs.yml) builds strictly, loads nothing from elsewhere, and its
settings reference is the one the declarations in mailadmin/config.py generate."""
import re
import subprocess
import sys
from pathlib import Path

from mailadmin import config

ROOT = Path(__file__).resolve().parent.parent


def test_the_docs_build_strictly_without_broken_links_or_anchors(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    pages = sorted(tmp_path.glob("*.html"))
    assert {page.name for page in pages} >= {"index.html", "settings.html", "security.html", "adoption.html"}
    remote = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)
    assert [page.name for page in pages if remote.search(page.read_text())] == []


def test_the_settings_reference_is_generated_from_the_declarations():
    page = config.DOCS_PAGE.read_text()
    assert page == config.docs_page_with_reference(page), \
        "docs/settings.md differs from mailadmin/config.py: run .venv/bin/python -m mailadmin.config"
    for setting in config.SETTINGS:
        assert f"| `{setting.variable}`" in page


def test_the_readmes_links_into_the_docs_lead_to_pages_and_headings_that_exist():
    links = re.findall(r"\]\((docs/[\w.-]+\.md)(?:#([\w-]+))?\)", (ROOT / "README.md").read_text())
    assert links
    for path, anchor in links:
        assert (ROOT / path).is_file(), path
        if anchor:
            headings = re.findall(r"^#+ (.+)$", (ROOT / path).read_text(), re.MULTILINE)
            slugs = {re.sub(r"[^\w\s-]", "", heading.lower()).strip().replace(" ", "-") for heading in headings}
            assert anchor in slugs, f"{path}#{anchor}"
