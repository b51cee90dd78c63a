"""Layout checks for browser tests: does a page fit the width of a phone?

``PHONE`` is the viewport the portal is checked at (a 390 × 844 phone held upright). ``overflow(page)``
measures the page as it is displayed; ``assert_fits(page)`` fails with the elements that stick out, so a
test can take a journey at that size and check every page on the way::

    page = ui.new_page("contractor", viewport=PHONE)
    page.goto("/")
    assert_fits(page)

Nothing scrolls sideways on purpose in the portal: an element inside a horizontally scrolling box is
reported like any other (on a phone, a table that has to be swiped is one the contractor will not read).
"""

from __future__ import annotations

PHONE = {"width": 390, "height": 844}

# The page's scroll width, and every displayed element whose right edge is past the viewport (one pixel of
# rounding allowed). Elements not rendered (display: none, hidden, visibility: hidden, zero size) are left
# out, and so is text meant for screen readers only (clipped to nothing). Outermost offenders first, as
# document order gives them; each described by tag, id, classes and the start of its text.
OVERFLOW_JS = """
() => {
  const limit = window.innerWidth + 1;
  const clippedAway = (el) => {
    const style = getComputedStyle(el);
    return style.position === "absolute" && style.overflow === "hidden" && el.offsetWidth <= 1;
  };
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) text += "." + el.className.trim().split(/\\s+/).join(".");
    const label = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return label ? `${text} «${label}»` : text;
  };
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || rect.right <= limit) continue;
    if (clippedAway(el) || el.closest("script, style, template")) continue;
    offenders.push(`${describe(el)} (right edge at ${Math.round(rect.right)} px)`);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    offenders: offenders,
  };
}
"""


def overflow(page) -> list[str]:
    """What sticks out of the viewport of ``page``, as it is now: nothing when the page fits."""
    measured = page.evaluate(OVERFLOW_JS)
    problems = []
    if measured["scrollWidth"] > measured["innerWidth"]:
        problems.append(
            f"the page scrolls sideways: {measured['scrollWidth']} px wide in a "
            f"{measured['innerWidth']} px viewport"
        )
    problems.extend(measured["offenders"])
    return problems


def assert_fits(page, *, shot=None) -> None:
    """Fail, naming the elements past the right edge, unless ``page`` fits its viewport's width.

    ``shot`` is a screenshot path to name in the message (the UI fixture's ``screenshot`` returns one).
    """
    problems = overflow(page)
    where = f"{page.url}" + (f"; screenshot: {shot}" if shot else "")
    assert not problems, f"wider than the viewport ({where}):\n  " + "\n  ".join(problems[:25])


def in_viewport(page, locator) -> bool:
    """Whether ``locator``'s box is entirely inside the visible part of the page (scroll position included)."""
    return locator.evaluate(
        """el => { const r = el.getBoundingClientRect();
                   return r.width > 0 && r.top >= 0 && r.left >= 0
                          && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }"""
    )
