"""The URL contract's links for one deployment: at a host's root and below a path."""

from __future__ import annotations

import pytest

from site_builder import urls


@pytest.mark.parametrize(
    ("base_url", "base_path", "local", "absolute"),
    [
        ("https://example.org/", "/", "/2024/", "https://example.org/2024/"),
        ("https://owner.github.io/archive/", "/archive/", "/archive/2024/", "https://owner.github.io/archive/2024/"),
        ("http://127.0.0.1:8123/a/b/", "/a/b/", "/a/b/2024/", "http://127.0.0.1:8123/a/b/2024/"),
    ],
)
def test_links_follow_the_base_url(base_url: str, base_path: str, local: str, absolute: str) -> None:
    site = urls.SiteUrls(base_url)
    assert site.base_path == base_path
    assert site.local(urls.year(2024)) == local
    assert site.absolute(urls.year(2024)) == absolute
    assert site.local(urls.HOME) == base_path


def test_a_missing_trailing_slash_is_added_once() -> None:
    assert urls.with_trailing_slash("https://example.org/archive") == "https://example.org/archive/"
    assert urls.with_trailing_slash("https://example.org/archive/") == "https://example.org/archive/"
    assert urls.with_trailing_slash("https://example.org") == "https://example.org/"
