"""Machine-readable description of each page: Highwire, Dublin Core, OpenGraph and JSON-LD."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .model import ReportYear, SiteConfig, Statement


@dataclass(frozen=True)
class Metadata:
    """Machine-readable description of a page: Highwire, Dublin Core, OpenGraph, JSON-LD."""

    meta_names: tuple[tuple[str, str], ...] = ()
    meta_properties: tuple[tuple[str, str], ...] = ()
    json_ld: str = ""


def script_safe_json(data: Any) -> str:
    """JSON that cannot close its <script> element or open a comment inside it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _slash_date(value: str) -> str:
    return value.replace("-", "/")


def statement_metadata(statement: Statement, site: SiteConfig, page_url: str) -> Metadata:
    author = f"{statement.office_name}, Macao SAR Government" if statement.office_name else "Macao SAR Government"
    # What the page rests on: the text it reproduces, or (without one) the version it points readers to.
    if statement.source is not None:
        based_on, based_on_publisher, language = statement.source.url, statement.source.publisher, statement.source.language
    else:
        version = statement.reference_version
        based_on, based_on_publisher, language = version.url, version.publisher, site.language
    date = statement.issued or statement.date[:4]
    names = [
        ("citation_title", statement.heading),
        ("citation_author", author),
        ("citation_publication_date", _slash_date(date)),
        ("citation_online_date", _slash_date(statement.revised)),
        ("citation_publisher", site.publisher),
        ("citation_language", language),
        ("citation_public_url", page_url),
        ("citation_abstract", statement.summary),
        ("citation_keywords", "; ".join(c.claim.label for c in statement.claims)),
        ("DC.title", statement.heading),
        ("DC.creator", author),
        ("DC.date", date),
        ("DC.publisher", site.publisher),
        ("DC.language", language),
        ("DC.source", based_on),
        ("DC.identifier", page_url),
        ("DC.type", "Text"),
        ("DC.description", statement.summary),
    ]
    properties = [
        ("og:type", "article"),
        ("og:title", f"{statement.year}: {statement.heading}"),
        ("og:description", statement.summary),
        ("og:url", page_url),
        ("og:site_name", site.title),
        ("og:locale", "en_US"),
        ("article:published_time", date),
        ("article:modified_time", statement.revised),
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": page_url,
        "url": page_url,
        "identifier": statement.id,
        "headline": statement.heading,
        "name": statement.heading,
        "description": statement.summary,
        "datePublished": date,
        "dateModified": statement.revised,
        "inLanguage": language,
        "author": {"@type": "GovernmentOrganization", "name": author},
        "publisher": {"@type": "Organization", "name": site.publisher},
        "isBasedOn": {
            "@type": "CreativeWork",
            "url": based_on,
            "publisher": {"@type": "Organization", "name": based_on_publisher},
        },
        "isPartOf": {"@type": "WebSite", "name": site.title, "url": site.base_url},
        "about": [c.claim.label for c in statement.claims],
    }
    return Metadata(tuple(names), tuple(properties), script_safe_json(data))


def page_metadata(title: str, description: str, page_url: str, site: SiteConfig, kind: str = "WebPage") -> Metadata:
    names = [
        ("DC.title", title),
        ("DC.publisher", site.publisher),
        ("DC.language", site.language),
        ("DC.identifier", page_url),
        ("DC.description", description),
    ]
    properties = [
        ("og:type", "website"),
        ("og:title", title),
        ("og:description", description),
        ("og:url", page_url),
        ("og:site_name", site.title),
        ("og:locale", "en_US"),
    ]
    data = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": page_url,
        "url": page_url,
        "name": title,
        "description": description,
        "inLanguage": site.language,
        "isPartOf": {"@type": "WebSite", "name": site.title, "url": site.base_url},
        "publisher": {"@type": "Organization", "name": site.publisher},
    }
    return Metadata(tuple(names), tuple(properties), script_safe_json(data))


def year_metadata(year: ReportYear, site: SiteConfig, page_url: str, title: str, description: str) -> Metadata:
    base = page_metadata(title, description, page_url, site)
    dates = [s.revised for s in year.statements]
    names = (
        base.meta_names
        + (
            ("citation_title", title),
            ("citation_author", site.publisher),
            ("citation_publisher", site.publisher),
            ("citation_public_url", page_url),
        )
        + ((("citation_publication_date", _slash_date(max(dates))),) if dates else ())
    )
    return Metadata(names, base.meta_properties, base.json_ld)
