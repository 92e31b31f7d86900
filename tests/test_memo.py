"""Remembered build steps: an incremental rebuild equals a full build, byte for byte, and reuses what did not change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from site_builder.loader import load_archive
from site_builder.memo import Memo, digest
from site_builder.render import render_site

STATEMENT = "statements/2024-statement-2024-06-25.md"


def test_digest_is_stable_and_refuses_addresses() -> None:
    assert digest(("a", 1, (2.5, None))) == digest(("a", 1, (2.5, None)))
    assert digest(("a", 1)) != digest(("a", 2))
    assert digest(object()) is None


def test_memo_reuses_equal_inputs_and_forgets_unused_results() -> None:
    memo = Memo()
    calls: list[str] = []

    def shout(word: str) -> str:
        calls.append(word)
        return word.upper()

    memo.start_build()
    assert memo.call(shout, "a") == "A" and memo.call(shout, "b") == "B"
    memo.finish_build()
    memo.start_build()
    assert memo.call(shout, "a") == "A"
    assert calls == ["a", "b"] and memo.reused[shout.__qualname__] == 1 and memo.computed[shout.__qualname__] == 0
    memo.finish_build()  # "b" was not used by this build: forgotten
    memo.start_build()
    assert memo.call(shout, "b") == "B"
    assert calls == ["a", "b", "b"]
    # Inputs shown by address are never remembered: a new object could reuse the address.
    assert memo.get("opaque", object(), lambda: 1) == 1 and memo.get("opaque", object(), lambda: 2) == 2


class _CountingStore:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], object] = {}
        self.reads = 0

    def get(self, kind: str, key: str) -> object | None:
        self.reads += 1
        return self.entries.get((kind, key))

    def has(self, kind: str, key: str) -> bool:
        return (kind, key) in self.entries

    def touch(self, kind: str, key: str) -> None:
        pass

    def put(self, kind: str, key: str, value: object) -> None:
        self.entries[(kind, key)] = value

    def get_many(self, kind: str, keys: list[str]) -> dict[str, object]:
        self.reads += 1
        return {key: self.entries[(kind, key)] for key in keys if (kind, key) in self.entries}

    def which(self, kind: str, keys: list[str]) -> set[str]:
        return {key for key in keys if (kind, key) in self.entries}

    def put_many(self, kind: str, entries: list[tuple[str, object]]) -> None:
        self.entries.update(((kind, key), value) for key, value in entries)


def test_a_one_shot_build_leaves_durable_results_in_its_store() -> None:
    """A one-shot build asks for each page once: holding them all in memory too would double its peak."""
    store = _CountingStore()
    one_shot = Memo(remember=False, store=store)
    assert not one_shot.holds
    assert one_shot.get("page", "inputs", lambda: b"page", durable=True) == b"page"
    assert one_shot.get("page", "inputs", lambda: b"again", durable=True) == b"page"
    assert store.reads == 2, "the second ask went back to the store: nothing durable was held"
    assert one_shot.get("small", "inputs", lambda: 1) == 1 and one_shot.get("small", "inputs", lambda: 2) == 1
    serving = Memo(store=store)
    assert serving.holds
    assert serving.get("page", "inputs", lambda: b"x", durable=True) == b"page"
    assert serving.get("page", "inputs", lambda: b"x", durable=True) == b"page" and store.reads == 3


def _rebuild(project: Path, memo: Memo) -> dict[str, bytes]:
    memo.start_build()
    files = render_site(load_archive(project), project, memo=memo)
    memo.finish_build()
    return files


def _full_build(project: Path) -> dict[str, bytes]:
    return render_site(load_archive(project), project)


# One memo through a series of edits, as `serve` keeps it: a statement, the claim vocabulary, a template.
EDITS = (
    (STATEMENT, "summary: News report", "summary: An edited news report"),
    # What other pages show of a statement: its heading (claim pages), its date (its neighbours'
    # links, the claim matrix), a passage (the matrix, claim pages).
    (STATEMENT, 'title: "Gov’t refutes', 'title: "The government refutes'),
    (STATEMENT, 'issued: "2024-06-25"', 'issued: "2024-06-26"'),
    (STATEMENT, '"Under Law No. 6/2008 “Combating the Crime of Human Trafficking”"', '"Under Law No. 6/2008"'),
    ("data/claims.yaml", "label: Cites Law No. 6/2008", "label: Cites the Law No. 6/2008"),
    ("templates/partials/tier.html", "{% macro badge(tier) %}<span", '{% macro badge(tier) %}<span data-edited=""'),
)


def test_incremental_rebuilds_equal_full_builds_and_reuse_what_did_not_change(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    memo = Memo()
    before = _rebuild(project, memo)
    pages = sum(1 for name in before if name.endswith(".html"))
    assert memo.computed["page"] == pages and memo.reused["page"] == 0
    for relative, old, new in EDITS:
        edit(relative, old, new)
        incremental = _rebuild(project, memo)
        if relative == STATEMENT:
            # Its page, its year and the neighbouring years, its claims and the pages listing everything
            # are rendered again; not the other statements' pages nor the other claims'. Its citation is
            # made again unless the edit is in its text (a passage), which a citation never reads.
            assert 0 < memo.computed["page"] < pages
            cited = 0 if old.startswith('"Under Law') else 1
            assert memo.computed["statement citation"] == cited and memo.reused["statement citation"] == 12 - cited
        full = _full_build(project)
        assert incremental.keys() == full.keys()
        assert [name for name in full if incremental[name] != full[name]] == [], f"after editing {relative}"
        assert incremental != before, f"editing {relative} changed nothing: the comparison would prove nothing"
        before = incremental
    _rebuild(project, memo)
    assert memo.computed["page"] == 0 and memo.reused["page"] == pages, "nothing changed: everything is reused"


@dataclass(frozen=True)
class _Holder:
    value: object


def test_a_derived_result_is_known_by_its_recipe() -> None:
    calls: list[tuple[str, int]] = []

    def made(name: str, number: int) -> _Holder:
        calls.append((name, number))
        return _Holder([name] * number)  # a list inside: digested by walking, were it not registered

    memo = Memo()
    first = memo.derive(made, "a", 2)
    assert memo.derive(made, "a", 2) is first and calls == [("a", 2)], "a holding memo makes it once"
    same_recipe = memo.key(first)
    memo.start_build()
    again = memo.derive(made, "a", 2)
    assert memo.key(_Holder(again)) == memo.key(_Holder(first)) and memo.key(again) == same_recipe
    assert memo.key(memo.derive(made, "a", 3)) != same_recipe
    assert memo.key(memo.derive(made, "b", 2)) != same_recipe
    one_shot = Memo(remember=False)
    assert one_shot.derive(made, "a", 2) == _Holder(["a", "a"]) and one_shot.key(first) is None


def test_an_edit_renders_only_the_pages_that_show_what_changed(
    project: Path, edit: Callable[[str, str, str], Path], rendered: list[str]
) -> None:
    memo = Memo()
    _rebuild(project, memo)
    rendered.clear()
    edit(STATEMENT, "summary: News report", "summary: An edited news report")
    _rebuild(project, memo)
    # The summary shows on the statement's page, its year's page and the timeline...
    assert {"2024/statement-2024-06-25/index.html", "2024/index.html", "index.html"} <= set(rendered)
    # ...not on the neighbouring statements and years (they link to it by address and date), nor on
    # the claim matrix and claim pages (they show its heading, date and passages).
    for page in (
        "2023/statement-2023-10-27/index.html",
        "2025/statement-2025-09-30/index.html",
        "2023/index.html",
        "2025/index.html",
        "claims/index.html",
        "claims/law-6-2008/index.html",
    ):
        assert page not in rendered
    rendered.clear()
    edit(STATEMENT, 'issued: "2024-06-25"', 'issued: "2024-06-26"')
    _rebuild(project, memo)
    for page in ("2023/statement-2023-10-27/index.html", "2025/statement-2025-09-30/index.html"):
        assert page in rendered, f"{page} links to it with its date"
    rendered.clear()
    edit(STATEMENT, '"Under Law No. 6/2008 “Combating the Crime of Human Trafficking”"', '"Under Law No. 6/2008"')
    _rebuild(project, memo)
    assert "claims/law-6-2008/index.html" in rendered, "the claim's page quotes the passage"


def test_values_remembered_as_shown_give_the_digests_walking_them_gives() -> None:
    @dataclass(frozen=True)
    class Part:
        text: str

    walked = Memo()
    first, second = Part("first"), Part("second")
    expected = walked.key((first, second)), walked.key(first)
    # Equal copies, remembered by how the first memo shows their originals (a rebuild's read-back
    # statements' parts): the same digests, without walking them; a None shows nothing remembered.
    copies, other = (Part("first"), Part("second")), Part("other")
    remembered = Memo()
    remembered.remember_shown_many([(copies[0], walked.shown(first)), (copies[1], walked.shown(second)), (other, None)])
    assert (remembered.key(copies), remembered.key(copies[0])) == expected
    assert remembered.key(other) == walked.key(Part("other"))
    # Remembered as shown, not walked: a value remembered under another's showing takes that digest.
    swapped = Memo()
    swapped.remember_shown_many([(copies[0], walked.shown(second))])
    assert swapped.key(copies[0]) == walked.key(second)
