"""The archive's content model: immutable, fully validated, ready to render."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

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


@dataclass(frozen=True)
class Statement:
    id: str
    year: int
    slug: str
    tier: str
    title: str | None
    issued: str
    office_name: str
    office_wording: str | None
    office_holder: str | None
    occasion_kind: str
    occasion: str
    summary: str
    source: Source
    related: tuple[Link, ...]
    claims: tuple[ClaimInStatement, ...]
    report_quotes: tuple[ReportQuote, ...]
    revised: str
    text_html: str
    notes_html: str
    plain_text: str
    path: str

    @property
    def url(self) -> str:
        return f"{self.year}/{self.slug}/"

    @property
    def heading(self) -> str:
        """The published title, or a description in the archive's words where there is none."""
        return self.title or f"Statement of {self.issued} on the {self.year} report"

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

    @property
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

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every statement, oldest first."""
        return tuple(s for y in self.years for s in y.statements)

    def statements_with_claim(self, claim_id: str) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if claim_id in s.claim_ids)
