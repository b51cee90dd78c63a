"""The buyer's console lists on a phone: a buyer checks them between two site visits.

At 390 × 844 every list (applications, directory, admissions, tenders, DPS, a tender's bids and register,
approvals, contracts, panels) fits the width, one card per row, each value preceded by its column name;
the same pages on a 1366 px laptop are plain tables, as before, and fit too.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import (
    DEFAULT_PASSWORD,
    StaffFactory,
    awarded_tender,
    open_category,
    proposed_tender,
    published_tender,
    seat_evaluators,
    submitted_application,
    submitted_bid,
)

from .layout import PHONE, overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}

# For the first body row of every table on the page: the data-label of each displayed cell and what its
# ::before shows, whether the rows are laid out as cards (flex) or as table rows, whether the column
# headers are displayed (and whether they sort the list), and what sticks out of the row's box.
ROWS_JS = """
() => Array.from(document.querySelectorAll("main table")).map(table => {
  const row = table.querySelector("tbody tr");
  const cells = Array.from(row.querySelectorAll("td[data-label]")).filter(td => td.checkVisibility());
  const edge = row.getBoundingClientRect().right + 1;
  const clippedAway = (el) => getComputedStyle(el).position === "absolute" && el.offsetWidth <= 1;
  return {
    caption: (table.caption && table.caption.textContent.trim()) || table.id || table.className,
    display: getComputedStyle(row).display,
    headVisible: table.tHead.offsetWidth > 1,
    sortable: table.tHead.querySelector(".sort-link") !== null,
    labels: cells.map(td => [td.dataset.label, getComputedStyle(td, "::before").content]),
    outside: Array.from(row.querySelectorAll("*"))
      .filter(el => el.checkVisibility() && !clippedAway(el) && el.getBoundingClientRect().right > edge)
      .map(el => el.outerHTML.slice(0, 80)),
  };
})
"""


@pytest.fixture
def console_lists():
    """Something in every list: a pending application, admitted companies, a published tender with one bid
    deposited (its register) on whose panel the buyer sits, a proposed award and an awarded one (opened bids,
    a withdrawn deposit, a contract). Returns the buyer and the pages to open as (name, url, expected text)."""
    category = open_category()
    user = StaffFactory(email="lea.roussel@bailleur-social.fr", roles=["buyer", "evaluator"])
    submitted_application(dps=category.dps)
    registered, invited = published_tender(suppliers=1, category=category)
    submitted_bid(registered, invited[0][1])
    seat_evaluators(registered, [user], declare=False, buyer=category.dps.created_by)
    proposed = proposed_tender(category=category)
    awarded = awarded_tender(category=category, withdrawn=1)
    company = awarded.contract.holder
    pages = [
        ("applications", reverse("console:applications"), category.dps.reference),
        ("directory", reverse("console:directory"), company.name),
        ("admissions", reverse("console:admissions"), company.name),
        ("tenders", reverse("tenders_console:list"), awarded.tender.reference),
        ("dps", reverse("console:dps_list"), category.dps.reference),
        ("bids-opened", reverse("tenders_console:bids", args=[awarded.tender.id]), company.name),
        ("bids-register", reverse("tenders_console:bids", args=[registered.id]), invited[0][0].name),
        ("approvals", reverse("tenders_console:approvals"), proposed.tender.reference),
        ("contracts", reverse("tenders_console:contracts"), awarded.contract.number),
        ("panels", reverse("tenders_console:panels"), registered.reference),
    ]
    return user, pages


def test_console_lists_fit_a_phone_and_a_laptop(ui, console_lists):
    user, pages = console_lists
    page = ui.new_page("buyer", viewport=PHONE)
    page.set_default_timeout(30_000)
    ui.log_in(page, user.email, DEFAULT_PASSWORD)
    problems = {}

    for viewport in (PHONE, LAPTOP):
        page.set_viewport_size(viewport)
        width = viewport["width"]
        for name, url, expected in pages:
            response = page.goto(url)
            assert response.ok, ui.why(page, f"{name}: HTTP {response.status}")
            expect(page.get_by_role("row").filter(has_text=expected).first, ui.why(page, name)).to_be_visible()
            shot = ui.screenshot(page, f"{width}-{name}")
            wide = overflow(page)
            if wide:
                problems[f"{width}-{name}"] = [f"{page.url} (screenshot {shot})", *wide[:10]]
            tables = page.evaluate(ROWS_JS)
            assert tables, ui.why(page, f"{name}: a table")
            for table in tables:
                where = ui.why(page, f"{width}-{name}, table {table['caption']!r}")
                if viewport is PHONE:
                    # A card per row, nothing past its edge; each value shows its column's name. The column
                    # headers are left to screen readers, unless they sort the list (a line of links then).
                    assert table["display"] == "flex", where
                    assert not table["outside"], f"{where}: past the card's edge: {table['outside']}"
                    assert table["headVisible"] == table["sortable"], where
                    assert table["labels"], where
                    for label, before in table["labels"]:
                        assert label and label in before, f"{where}: {label!r} shown as {before!r}"
                else:
                    # Unchanged on a laptop: table rows under visible column headers, no labels in the cells.
                    assert table["display"] == "table-row", where
                    assert table["headVisible"], where
                    assert all(before in ("none", "normal") for _label, before in table["labels"]), where

    assert not problems, "pages wider than the screen:\n" + "\n".join(
        f"- {name}: " + "\n    ".join(lines) for name, lines in problems.items()
    )
