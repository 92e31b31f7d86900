"""The archive's content model: immutable, fully validated, ready to render."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

TIERS = ("Tier 1", "Tier 2", "Tier 2 Watch List", "Tier 3", "Special Case")
# Lower is better; Special Case is not ranked against the others.
_TIER_RANK = {"Tier 1": 1, "Tier 2": 2, "Tier 2 Watch List": 3, "Tier 3": 4}


class Change(Enum):
    """A year's tier compared with the year before."""

    UP = "up"
    DOWN = "down"
    SAME = "same"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            Change.UP: "Upgraded",
            Change.DOWN: "Downgraded",
            Change.SAME: "Unchanged",
            Change.UNKNOWN: "No earlier year in the archive",
        }[self]


def tier_change(previous: str | None, current: str) -> Change:
    if previous is None or previous not in _TIER_RANK or current not in _TIER_RANK:
        return Change.UNKNOWN
    if _TIER_RANK[current] < _TIER_RANK[previous]:
        return Change.UP
    if _TIER_RANK[current] > _TIER_RANK[previous]:
        return Change.DOWN
    return Change.SAME


def tier_rank(tier: str) -> int | None:
    return _TIER_RANK.get(tier)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    note: str | None = None


@dataclass(frozen=True)
class ClaimDefinition:
    id: str
    label: str
    definition: str


@dataclass(frozen=True)
class Passage:
    """An exact passage of a statement's body, with its anchor on the statement's pages."""

    text: str
    anchor: str


@dataclass(frozen=True)
class ClaimInStatement:
    claim: ClaimDefinition
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class ReportQuote:
    passage: Passage
    note: str | None


@dataclass(frozen=True)
class Source:
    publisher: str
    url: str
    author: str | None
    published: str | None
    language: str
    text: str

    @property
    def text_label(self) -> str:
        return {
            "original": "Original text",
            "official-translation": "Official translation",
            "machine-translation": "Machine translation",
            "news-report": "News report of the statement",
        }[self.text]


_VERSION_KINDS = {
    "official": "Official text",
    "official-news": "Government news story",
    "news-report": "News report",
    "reprint": "Newspaper reprint",
}
# Plain names for the language tags the archive uses; any other tag is shown as written.
_LANGUAGES = {"en": "English", "pt": "Portuguese", "zh": "Chinese", "zh-Hant": "Chinese (traditional)", "zh-Hans": "Chinese (simplified)"}


def language_name(tag: str) -> str:
    return _LANGUAGES.get(tag, tag)


@dataclass(frozen=True)
class Version:
    """A known version of a statement other than the text the archive reproduces."""

    language: str
    kind: str
    publisher: str
    url: str
    also_at: tuple[str, ...]
    title: str | None
    published: str | None
    note_html: str | None

    @property
    def kind_label(self) -> str:
        return _VERSION_KINDS[self.kind]

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def mirrors(self) -> tuple[tuple[str, str], ...]:
        """The other addresses of this version, each with its host name to show."""
        return tuple((url, urlsplit(url).hostname or url) for url in self.also_at)


@dataclass(frozen=True)
class DateBounds:
    """What the sources show of an issue date they do not give."""

    not_after: str
    basis: str


@dataclass(frozen=True)
class Statement:
    """One known response. `source` is None while the archive does not hold its text."""

    id: str
    year: int
    slug: str
    tier: str
    title: str | None
    issued: str | None
    issued_bounds: DateBounds | None
    office_name: str | None
    office_wording: str | None
    office_holder: str | None
    occasion_kind: str
    occasion: str
    summary: str
    source: Source | None
    versions: tuple[Version, ...]
    related: tuple[Link, ...]
    claims: tuple[ClaimInStatement, ...]
    report_quotes: tuple[ReportQuote, ...]
    revised: str
    text_html: str
    notes_html: str
    plain_text: str
    path: str

    # Asked for thousands of times a build (links, addresses, search shards): made once per statement.
    @functools.cached_property
    def url(self) -> str:
        return f"{self.year}/{self.slug}/"

    @property
    def heading(self) -> str:
        """The published title, or a description in the archive's words where there is none."""
        if self.title:
            return self.title
        if self.issued:
            return f"Statement of {self.issued} on the {self.year} report"
        return f"Statement on the {self.year} report"

    @property
    def has_text(self) -> bool:
        return self.source is not None

    @property
    def date(self) -> str:
        """The issue date, or the latest it can be: what orders responses in time."""
        if self.issued is not None:
            return self.issued
        assert self.issued_bounds is not None, "the loader requires bounds where the date is unknown"
        return self.issued_bounds.not_after

    @property
    def official_versions(self) -> tuple[Version, ...]:
        return tuple(v for v in self.versions if v.kind == "official")

    @property
    def reference_version(self) -> Version:
        """Where to read a response the archive holds no text of: an official version first."""
        assert self.versions, "the loader requires a version where the archive holds no text"
        return (self.official_versions or self.versions)[0]

    @property
    def text_is_secondary(self) -> bool:
        """The text we hold is not the government's own, and an official version is known."""
        return self.source is not None and self.source.text in ("machine-translation", "news-report") and bool(self.official_versions)

    @property
    def claim_ids(self) -> tuple[str, ...]:
        return tuple(c.claim.id for c in self.claims)


@dataclass(frozen=True)
class ReportYear:
    """One report year of the tier history, with the statements answering it."""

    year: int
    tier: str
    change: Change
    previous_tier: str | None
    report_published: str | None
    change_note: str
    source: Link
    findings: str | None
    statements: tuple[Statement, ...]
    new_claim_ids: tuple[str, ...]

    @functools.cached_property
    def url(self) -> str:
        return f"{self.year}/"


@dataclass(frozen=True)
class Correction:
    date: str
    paths: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class SiteConfig:
    title: str
    description: str
    base_url: str
    language: str
    publisher: str
    corrections_contact: str | None


@dataclass(frozen=True)
class Archive:
    site: SiteConfig
    years: tuple[ReportYear, ...]
    claims: tuple[ClaimDefinition, ...]
    corrections: tuple[Correction, ...]
    redirects: tuple[tuple[str, str], ...]
    # Pages that became several (a claim split in two): old path -> the new paths.
    splits: tuple[tuple[str, tuple[str, ...]], ...] = ()

    # Computed once per archive (views ask for them per page): the archive never changes.
    @functools.cached_property
    def statements(self) -> tuple[Statement, ...]:
        """Every known response, oldest first, whether or not the archive holds its text."""
        return tuple(s for y in self.years for s in y.statements)

    @functools.cached_property
    def archived(self) -> tuple[Statement, ...]:
        """The responses whose text the archive holds, oldest first."""
        return tuple(s for s in self.statements if s.has_text)

    def statements_with_claim(self, claim_id: str) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if claim_id in s.claim_ids)
