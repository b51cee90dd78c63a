"""The confirmation dialog of irreversible actions (templates/_confirm_dialog.html, static/js/forms.js)."""

from __future__ import annotations

CONFIRM_DIALOG = "#confirm-dialog"


def accept_next_dialog(page) -> list[str]:
    """Click "Confirmer" in the next confirmation dialog the page opens; the list receives its question.

    The dialog is the page's own <dialog>, not a browser prompt: Playwright answers it when it shows up
    during the next action or assertion (a locator handler, used once)."""
    seen: list[str] = []
    dialog = page.locator(CONFIRM_DIALOG)

    def accept(found):
        seen.append(found.locator("#confirm-dialog-title").text_content())
        found.get_by_role("button", name="Confirmer").click()

    page.add_locator_handler(dialog, accept, times=1)
    return seen
