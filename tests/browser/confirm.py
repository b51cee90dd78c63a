"""The confirmation dialog of irreversible actions (templates/_confirm_dialog.html, static/js/forms.js)."""

from __future__ import annotations

from playwright.sync_api import expect

CONFIRM_DIALOG = "#confirm-dialog"


def confirm_dialog(page) -> list[str]:
    """Answer "Confirmer" in the confirmation dialog the last click opened; returns ``[its question]``.

    The dialog is the page's own <dialog>, not a browser prompt: it is found and answered like any element."""
    dialog = page.locator(CONFIRM_DIALOG)
    expect(dialog, f"a confirmation dialog on {page.url}").to_be_visible()
    question = dialog.locator("#confirm-dialog-title").text_content()
    # The click waits for the navigation it starts, whose request does the action itself (a receipt, the
    # letters of an award are generated then): longer than a page load.
    dialog.get_by_role("button", name="Confirmer").click(timeout=60_000)
    return [question]
