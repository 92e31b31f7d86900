"""Geometry of the tier-history chart, computed here so the SVG template only draws."""

from __future__ import annotations

from dataclasses import dataclass

from .model import ReportYear, tier_rank

RANKED_TIERS = ("Tier 1", "Tier 2", "Tier 2 Watch List", "Tier 3")
WIDTH, HEIGHT = 720, 250
LEFT, RIGHT, TOP, BOTTOM = 150, 24, 20, 56


@dataclass(frozen=True)
class ChartPoint:
    year: int
    tier: str
    x: float
    y: float
    has_statement: bool
    url: str


@dataclass(frozen=True)
class ChartRow:
    tier: str
    y: float


@dataclass(frozen=True)
class TierChart:
    width: int
    height: int
    left: int
    right_edge: int
    axis_y: float
    rows: tuple[ChartRow, ...]
    points: tuple[ChartPoint, ...]
    path: str


def tier_chart(years: tuple[ReportYear, ...]) -> TierChart:
    """Years left to right; better tiers higher. Years with an unranked tier are left out."""
    step_y = (HEIGHT - TOP - BOTTOM) / (len(RANKED_TIERS) - 1)
    rows = tuple(ChartRow(tier, TOP + i * step_y) for i, tier in enumerate(RANKED_TIERS))
    ranked = [y for y in years if tier_rank(y.tier) is not None]
    span = max(len(ranked) - 1, 1)
    step_x = (WIDTH - LEFT - RIGHT) / span
    points = tuple(
        ChartPoint(
            year=y.year,
            tier=y.tier,
            x=round(LEFT + i * step_x, 1),
            y=round(TOP + ((tier_rank(y.tier) or 1) - 1) * step_y, 1),
            has_statement=bool(y.statements),
            url=y.url,
        )
        for i, y in enumerate(ranked)
    )
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(points))
    return TierChart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, HEIGHT - 16, rows, points, path)
