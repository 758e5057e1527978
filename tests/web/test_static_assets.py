"""Static checks on templates and assets: RTL-safe CSS, no CDN, CSP-safe markup, no broken links.

These read files only; no app, no database, no browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "templates"
STATIC = ROOT / "app" / "static"
CSS = STATIC / "css" / "umit.css"

HTML_TEMPLATES = sorted(TEMPLATES.rglob("*.html"))
CSS_JS = sorted([*STATIC.rglob("*.css"), *STATIC.rglob("*.js")])

# Physical directions break the mirrored Dari/Pashto layout; use inline-start/end instead.
PHYSICAL = re.compile(
    r"margin-left|margin-right|padding-left|padding-right|(?<![-\w])left\s*:|(?<![-\w])right\s*:"
    r"|text-align:\s*(left|right)|border-left|border-right|float:\s*(left|right)",
    re.IGNORECASE,
)
EXTERNAL_URL = re.compile(r"(https?:)?//[a-z0-9-]+\.[a-z0-9.-]+", re.IGNORECASE)
SCRIPT_WITH_BODY = re.compile(r"<script\b[^>]*>\s*[^<\s][\s\S]*?</script>", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.IGNORECASE)
STATIC_REF = re.compile(r"""url_for\(\s*['"]static['"]\s*,\s*filename\s*=\s*['"]([^'"]+)['"]""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def _strip_css_comments(text: str) -> str:
    return re.sub(r"/\*[\s\S]*?\*/", "", text)


def _strip_jinja_comments(text: str) -> str:
    return re.sub(r"\{#[\s\S]*?#\}", "", text)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_assets_exist():
    assert CSS.is_file()
    assert (STATIC / "js" / "umit.js").is_file()
    assert (STATIC / "img" / "favicon.svg").is_file()
    assert HTML_TEMPLATES, "no templates found"


@pytest.mark.parametrize("path", [p for p in CSS_JS if p.suffix == ".css"], ids=_rel)
def test_css_has_no_physical_left_right(path):
    text = _strip_css_comments(path.read_text(encoding="utf-8"))
    hits = [m.group(0) for m in PHYSICAL.finditer(text)]
    assert not hits, f"{_rel(path)} uses physical directions: {hits}"


@pytest.mark.parametrize("path", [*HTML_TEMPLATES, *CSS_JS], ids=_rel)
def test_no_external_urls(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".css":
        text = _strip_css_comments(text)
    elif path.suffix == ".html":
        text = _strip_jinja_comments(text)
    hits = [m.group(0) for m in EXTERNAL_URL.finditer(text)]
    assert not hits, f"{_rel(path)} loads from outside the site (no CDN): {hits}"


@pytest.mark.parametrize("path", HTML_TEMPLATES, ids=_rel)
def test_templates_are_csp_safe(path):
    text = _strip_jinja_comments(path.read_text(encoding="utf-8"))
    assert not SCRIPT_WITH_BODY.search(text), f"{_rel(path)} has an inline <script>"
    assert not STYLE_ATTR.search(text), f"{_rel(path)} has a style= attribute"
    assert not STYLE_ELEMENT.search(text), f"{_rel(path)} has a <style> element"
    handler = EVENT_HANDLER.search(text)
    assert not handler, f"{_rel(path)} has an inline event handler: {handler.group(0)[:80]}"


def test_scripts_are_deferred():
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", base):
        assert "defer" in tag, tag


def test_static_files_referenced_by_templates_exist():
    missing = []
    for path in HTML_TEMPLATES:
        for name in STATIC_REF.findall(path.read_text(encoding="utf-8")):
            if not (STATIC / name).is_file():
                missing.append(f"{_rel(path)} -> {name}")
    assert not missing, missing


def test_files_referenced_by_css_exist():
    missing = []
    for path in STATIC.rglob("*.css"):
        for ref in CSS_URL.findall(_strip_css_comments(path.read_text(encoding="utf-8"))):
            if ref.startswith("data:"):
                continue
            if not (path.parent / ref).resolve().is_file():
                missing.append(f"{_rel(path)} -> {ref}")
    assert not missing, missing


def test_html_root_carries_language_and_direction():
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert re.search(r"<html[^>]*\blang=\"\{\{\s*lang_tag", base)
    assert re.search(r"<html[^>]*\bdir=\"\{\{\s*text_dir", base)
    assert 'id="main"' in base and 'href="#main"' in base


def test_fonts_cover_kazakh_and_arabic_script_with_licenses():
    css = CSS.read_text(encoding="utf-8")
    fonts = STATIC / "fonts"
    for subset in ("latin", "latin-ext", "cyrillic", "cyrillic-ext"):
        for weight in (400, 700):
            assert (fonts / f"noto-sans-{subset}-{weight}-normal.woff2").is_file()
    for weight in (400, 700):
        assert (fonts / f"vazirmatn-arabic-{weight}-normal.woff2").is_file()
    assert (fonts / "LICENSE-Vazirmatn.txt").is_file()
    assert (fonts / "LICENSE-NotoSans.txt").is_file()
    # Kazakh letters (ә қ ң ө ұ ү һ) live in U+0460–052F, the cyrillic-ext subset.
    assert "U+0460-052F" in css
    assert css.count("font-display: swap") == css.count("@font-face")
    assert re.search(r":lang\(fa-AF\)[^{]*:lang\(ps\)[^{]*\{[^}]*font-family", css)


def test_asset_budget():
    """Keep the shell light: the CSS under 25 KB, the JS tiny, fonts only the needed subsets."""
    assert CSS.stat().st_size < 25_000
    assert (STATIC / "js" / "umit.js").stat().st_size < 10_000
    font_bytes = sum(p.stat().st_size for p in (STATIC / "fonts").glob("*.woff2"))
    assert font_bytes < 300_000
