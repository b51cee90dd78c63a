"""Decisions people must not take by accident: every irreversible action asks for a confirmation first.

The list below is the platform's irreversible actions. Each one, posted without ``confirmed=1``, answers with
the confirmation page and does nothing. Every page URL of the console and the portal is either in that list
or in the list of the others, so a new page cannot be added without someone deciding which it is.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.html import escape

from procurement import confirmation
from procurement.templatetags.confirmation import confirm_attrs
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ANY = str(uuid.uuid4())

# (url name, url args, posted data): the irreversible actions.
IRREVERSIBLE = [
    ("console:application_decide", [ANY], {"decision_x": "reject", "reason_x": "Références insuffisantes"}),
    ("console:admission_action", [ANY, "suspendre"], {"reason": "Attestation expirée"}),
    ("console:admission_action", [ANY, "exclure"], {"reason": "Fausse déclaration"}),
    ("console:dps_publish", [ANY], {}),
    ("console:dps_terminate", [ANY], {"reason": "Fin du programme"}),
    ("tenders_console:publish", [ANY], {}),
    ("tenders_console:open", [ANY], {}),
    ("tenders_console:cancel", [ANY], {"cancel-reason": "Besoin disparu"}),
    ("tenders_console:unsuccessful", [ANY], {"unsuccessful-reason": "Aucune offre"}),
    ("tenders_console:award_propose", [ANY], {"bid": ANY, "reason": "Mieux-disant"}),
    (
        "tenders_console:award_withdraw",
        [ANY],
        {"withdraw-reason": "Pièces manquantes", "withdraw-eliminate": "on"},
    ),
    ("tenders_console:award_approve", [ANY], {}),
    ("tenders_console:contract_sign", [ANY], {}),
    ("tenders_console:contract_notify", [ANY], {}),
    ("tenders_console:debrief_answer", [ANY], {"dx-text": "Voici les motifs."}),
    ("tenders_console:panel_submit", [ANY], {}),
    ("tenders_portal:bid", [ANY], {"action": "submit", "total_price": "1000"}),
    ("tenders_portal:bid_withdraw", [ANY], {"reason": "Erreur de prix"}),
    ("tenders_portal:bid_document_delete", [ANY, ANY], {}),
    ("tenders_portal:bid_debrief", [ANY], {"debrief-text": "Pourquoi ?"}),
    ("tenders_portal:contract_sign", [ANY], {}),
    ("portal:application_withdraw", [ANY], {"reason": "Plan de charge"}),
    ("portal:document_delete", [ANY], {}),
]

# Every other page of the console and the portal: reading pages, downloads, and posts that can be taken back
# or that only prepare a decision (a draft, a question, a request for more, a score before the grid is handed in).
NOT_IRREVERSIBLE = {
    # console: suppliers and DPS
    "console:dashboard",
    "console:applications",
    "console:applications_export",
    "console:application_review",
    "console:application_request_info",
    "console:application_extend",
    "console:directory",
    "console:directory_export",
    "console:company_detail",
    "console:document_preview",
    "console:admissions",
    "console:admissions_export",
    "console:renewals_request",
    "console:dps_list",
    "console:dps_create",
    "console:dps_detail",
    "console:category_add",
    # console: tenders (reinstating an admission is the same URL as suspending: see test_reinstating_…)
    "tenders_console:list",
    "tenders_console:list_export",
    "tenders_console:create",
    "tenders_console:invitee_count",
    "tenders_console:approvals",
    "tenders_console:debriefs",
    "tenders_console:contracts",
    "tenders_console:contract",
    "tenders_console:detail",
    "tenders_console:edit",
    "tenders_console:document_upload",
    "tenders_console:invitations",
    "tenders_console:invitations_export",
    "tenders_console:questions",
    "tenders_console:bids",
    "tenders_console:register_export",
    "tenders_console:opened_bids_export",
    "tenders_console:documents",
    "tenders_console:documents_progress",
    "tenders_console:generated_document",
    "tenders_console:generated_document_retry",
    "tenders_console:document",
    "tenders_console:answer",
    "tenders_console:bid",
    "tenders_console:bid_document",
    "tenders_console:evaluation",
    "tenders_console:evaluation_bids",
    "tenders_console:evaluation_regularisation",
    "tenders_console:evaluation_anomalies",
    "tenders_console:evaluation_panel",
    "tenders_console:evaluation_consensus",
    "tenders_console:evaluation_ranking",
    "tenders_console:evaluation_ranking_csv",
    "tenders_console:evaluation_ranking_xlsx",
    "tenders_console:award",
    "tenders_console:award_request_evidence",
    "tenders_console:evaluation_classify",
    "tenders_console:evaluation_justification",
    "tenders_console:evaluation_consensus_record",
    "tenders_console:evaluation_request_document",
    "tenders_console:panels",
    "tenders_console:panel",
    "tenders_console:panel_declare",
    "tenders_console:panel_scores",
    "tenders_console:bid_document_view",
    # portal
    "portal:dashboard",
    "portal:company_create",
    "portal:company",
    "portal:company_edit",
    "portal:company_invite",
    "portal:declaration",
    "portal:documents",
    "portal:document_download",
    "portal:invitation",
    "portal:apply",
    "portal:application",
    "portal:application_submit",
    "tenders_portal:inbox",
    "tenders_portal:my_bids",
    "tenders_portal:tender_document",
    "tenders_portal:generated_document",
    "tenders_portal:receipt",
    "tenders_portal:bid_document",
    "tenders_portal:bid_respond",
    "tenders_portal:contract",
    "tenders_portal:request_document",
    "tenders_portal:tender",
    "tenders_portal:dpgf",
    "tenders_portal:question_ask",
    "tenders_portal:bid_start",
}

PAGE_NAMESPACES = {"console", "tenders_console", "portal", "tenders_portal"}


def _page_urls(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}:{pattern.namespace}"
                if namespace and pattern.namespace
                else (pattern.namespace or namespace)
            )
            yield from _page_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and namespace in PAGE_NAMESPACES:
            yield f"{namespace}:{pattern.name}", pattern.callback


def _case_id(case):
    name, args, _data = case
    return f"{name}-{args[1]}" if name == "console:admission_action" else name


def test_every_page_is_classified():
    """A new page of the console or the portal must be put in one list or the other."""
    names = {name for name, _view in _page_urls()}
    irreversible = {name for name, _args, _data in IRREVERSIBLE}
    assert not irreversible & NOT_IRREVERSIBLE
    assert names - irreversible - NOT_IRREVERSIBLE == set(), "classify these pages in test_confirmation.py"
    assert (irreversible | NOT_IRREVERSIBLE) - names == set(), "these pages are gone: take them off the lists"


def test_the_register_is_exactly_the_list():
    """Every listed action is declared irreversible on its view, and nothing else is."""
    listed = {
        confirmation.view_key(resolve(reverse(name, args=args)).func) for name, args, _data in IRREVERSIBLE
    }
    assert listed == set(confirmation.REGISTRY)
    for name, view in _page_urls():
        declared = bool(getattr(view, "irreversible_actions", ()))
        assert declared == (name in {n for n, _a, _d in IRREVERSIBLE}), name


def _user_for(name):
    if name.startswith(("console:", "tenders_console:")):
        return StaffFactory(roles=["buyer", "evaluator", "approver"])
    return UserFactory()


@pytest.mark.parametrize("case", IRREVERSIBLE, ids=_case_id)
def test_each_irreversible_action_asks_first_and_does_nothing(client, case):
    """Without confirmed=1 the view answers with the confirmation page before it even looks the object up
    (the ids here exist nowhere: reaching the view would be a 404)."""
    name, args, data = case
    url = reverse(name, args=args)
    client.force_login(_user_for(name))
    response = client.post(url, data)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "confirm.html"
    body = response.content.decode()
    action = confirmation.action_for_url(url, data)
    assert escape(str(action.question)) in body
    assert escape(str(action.consequences)) in body
    assert f'<form method="post" action="{url}">' in body
    assert '<input type="hidden" name="confirmed" value="1">' in body
    for key, value in data.items():  # the same post, sent again once confirmed
        assert f'<input type="hidden" name="{key}" value="{escape(value)}">' in body
    assert "csrfmiddlewaretoken" in body


@pytest.mark.parametrize("case", IRREVERSIBLE, ids=_case_id)
def test_confirmed_posts_reach_the_view(client, case):
    name, args, data = case
    client.force_login(_user_for(name))
    response = client.post(reverse(name, args=args), {**data, "confirmed": "1"})
    assert "confirm.html" not in [t.name for t in response.templates]


def test_reinstating_and_saving_a_draft_are_not_asked(client, buyer):
    client.force_login(buyer)
    response = client.post(reverse("console:admission_action", args=[ANY, "reintegrer"]), {"reason": "x"})
    assert response.status_code == 404  # the view itself answered: this admission does not exist
    client.force_login(UserFactory())
    response = client.post(reverse("tenders_portal:bid", args=[ANY]), {"action": "save"})
    assert response.status_code == 404


def test_anonymous_and_suppliers_are_not_asked_to_confirm_console_actions(client):
    url = reverse("tenders_console:open", args=[ANY])
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.post(url).status_code == 403


def test_cancel_goes_back_to_the_page_of_the_form_only_on_this_site(client, buyer):
    client.force_login(buyer)
    url = reverse("tenders_console:open", args=[ANY])
    back = "http://testserver" + reverse("tenders_console:detail", args=[ANY])
    response = client.post(url, HTTP_REFERER=back)
    assert f'href="{back}"' in response.content.decode()
    response = client.post(url, HTTP_REFERER="https://evil.example/phish")
    body = response.content.decode()
    assert "evil.example" not in body
    assert f'href="{reverse("console:dashboard")}"' in body


def test_portal_confirmation_uses_the_portal_layout(client):
    client.force_login(UserFactory())
    response = client.post(reverse("tenders_portal:bid_withdraw", args=[ANY]))
    names = [t.name for t in response.templates]
    assert "portal/base.html" in names and "console/base.html" not in names
    assert 'href="/portail/"' in response.content.decode()


def test_forms_ask_the_register_for_their_question():
    open_url = reverse("tenders_console:open", args=[ANY])
    attrs = confirm_attrs("tenders_console:open", ANY)
    assert attrs == confirm_attrs(open_url)
    assert 'data-confirm="Ouvrir les plis ?"' in attrs
    assert "data-confirm-details=" in attrs
    assert confirm_attrs("tenders_console:detail", ANY) == ""
    assert confirm_attrs("console:admission_action", ANY, "reintegrer") == ""
    assert "Exclure définitivement" in confirm_attrs("console:admission_action", ANY, "exclure")
    assert confirm_attrs("tenders_portal:bid", ANY) == ""  # saving the draft
    assert "Déposer cette offre" in confirm_attrs("tenders_portal:bid", ANY, action="submit")
