"""Buyer console for mini-tenders: list, wizard, tender page, invitations, questions, deposit register, bids."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tenders import services
from tenders.models import Bid, BidStatus, Invitation, Question, Tender, TenderStatus
from tests.factories import (
    PRICED_TOTAL,
    UserFactory,
    admitted_company,
    company_owner,
    draft_bid,
    draft_tender,
    open_category,
    pdf_file,
    published_tender,
    submitted_bid,
    tender_data,
)
from tests.pages import messages_of

pytestmark = pytest.mark.django_db

NOTES = "Équipe de 6 compagnons, échafaudage en propre."


def form_data(category, **overrides) -> dict:
    """What the wizard posts for tests.factories.tender_data(category)."""
    data = tender_data(category)

    def local(value):
        return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%dT%H:%M")

    posted = {
        "category": str(category.id),
        "title": data["title"], "description": data["description"],
        "operation_name": data["operation"]["name"], "operation_address": data["operation"]["address"],
        "operation_commune": data["operation"]["commune"], "operation_insee_code": data["operation"]["insee_code"],
        "dwellings": "48", "energy_label_before": "F", "energy_label_target": "C",
        "estimated_value": "250000", "budget_ceiling": "300000", "works_duration_weeks": "16",
        "questions_deadline": local(data["questions_deadline"]), "bid_deadline": local(data["bid_deadline"]),
        "price_method": "proportional", "standstill": "on", "deadline_agreement": "",
        "criteria-code": [c["code"] for c in data["criteria"]],
        "criteria-name": [c["name"] for c in data["criteria"]],
        "criteria-kind": [c["kind"] for c in data["criteria"]],
        "criteria-weight": [str(c["weight"]) for c in data["criteria"]],
        "lines-ref": [line["ref"] for line in data["price_schedule"]],
        "lines-label": [line["label"] for line in data["price_schedule"]],
        "lines-unit": [line["unit"] for line in data["price_schedule"]],
        "lines-quantity": [line["quantity"] for line in data["price_schedule"]],
    }
    posted.update(overrides)
    return posted


def table_figures(body: str, companies) -> str:
    """The first table of a page's main content, without company names, SIRETs, attributes, dates and times:
    what is left are the figures it shows, so that a price can be looked for as bare digits ("167")."""
    main = body[body.index("<main"):]
    table = main[main.index("<table"):main.index("</table>")]
    for company in companies:
        table = table.replace(escape(company.name), "").replace(company.identifier, "")
    table = re.sub(r'[a-z-]+="[^"]*"', "", table)
    return re.sub(r"\d\d/\d\d/\d{4}|\d\d:\d\d(:\d\d)?", "", table)


def url(name, *args):
    return reverse(f"tenders_console:{name}", args=args)


@pytest.fixture
def opened_tender():
    """A tender with two bids submitted in time, one late deposit, opened by its buyer after the deadline."""
    tender, invited = published_tender(suppliers=3)
    first = submitted_bid(tender, invited[0][1])
    second = submitted_bid(tender, invited[1][1], total_price="170000.00",
                          lines=[{"ref": "1.1", "unit_price": "8000.00"}, {"ref": "2.1", "unit_price": "95.00"},
                                 {"ref": "2.2", "unit_price": "40.00"}])
    late = draft_bid(tender, invited[2][1])
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5)):
        with pytest.raises(services.LateBid):
            services.bid_submit(actor=invited[2][1], bid=late)
        services.tender_open(actor=tender.dps.created_by, tender=tender)
    tender.refresh_from_db()
    return tender, first, second, late


# --- access ----------------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login_and_a_supplier_gets_403(client):
    tender, invited = published_tender(suppliers=1)
    pages = [url("list"), url("create"), url("detail", tender.id), url("invitations", tender.id),
             url("questions", tender.id), url("bids", tender.id)]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(invited[0][1])  # even an invited supplier: the console is staff-only
    for page in pages:
        assert client.get(page).status_code == 403
    assert client.post(url("publish", tender.id), {"confirmed": "1"}).status_code == 403
    assert client.post(url("open", tender.id), {"confirmed": "1"}).status_code == 403


def test_every_page_renders_for_a_buyer_with_its_actions(client, buyer):
    tender, invited = published_tender(suppliers=2)
    services.question_ask(actor=invited[0][1], tender=tender, text="Les nacelles sont-elles autorisées ?")
    client.force_login(buyer)
    body = client.get(url("list")).content.decode()
    assert tender.reference in body and "Nouveau marché" in body
    body = client.get(url("detail", tender.id)).content.decode()
    assert "Déclarer sans suite" in body and "data-deadline=" in body and "Ajouter un document modificatif" in body
    assert "Les plis pourront être ouverts après la date limite" in body
    body = client.get(url("invitations", tender.id)).content.decode()
    for company, _user in invited:
        assert company.name in body and company.identifier in body
    body = client.get(url("questions", tender.id)).content.decode()
    assert "Les nacelles sont-elles autorisées ?" in body and invited[0][0].name in body
    assert "Publier la réponse" in body
    assert client.get(url("bids", tender.id)).status_code == 200


def test_an_evaluator_reads_every_page_without_action_buttons(client, evaluator):
    draft = draft_tender()
    tender, invited = published_tender(suppliers=1)
    services.question_ask(actor=invited[0][1], tender=tender, text="Quelle teinte pour l’enduit ?")
    client.force_login(evaluator)
    body = client.get(url("list")).content.decode()
    assert "Nouveau marché" not in body
    body = client.get(url("detail", draft.id)).content.decode()
    assert "Avant publication" in body
    assert url("publish", draft.id) not in body and url("edit", draft.id) not in body
    body = client.get(url("detail", tender.id)).content.decode()
    assert url("cancel", tender.id) not in body and url("document_upload", tender.id) not in body
    body = client.get(url("questions", tender.id)).content.decode()
    assert "Quelle teinte pour l’enduit ?" in body and url("answer", Question.objects.get().id) not in body
    response = client.get(url("create"), follow=True)
    assert response.redirect_chain[-1][0] == url("list") and "réservée au rôle" in " ".join(messages_of(response))
    assert client.get(url("edit", draft.id)).status_code == 302
    # and a forged POST changes nothing
    response = client.post(url("create"), form_data(draft.category))
    assert response.status_code == 302 and Tender.objects.count() == 2
    response = client.post(url("publish", draft.id), {"confirmed": "1"}, follow=True)
    assert "réservée au rôle" in " ".join(messages_of(response))
    draft.refresh_from_db()
    assert draft.status == TenderStatus.DRAFT


# --- list ------------------------------------------------------------------------------------------------

def test_list_filters_by_state_category_deadline_and_text(client, buyer):
    category = open_category()
    draft = draft_tender(category, title="Menuiseries — Les Acacias")
    published, _invited = published_tender(suppliers=1)
    client.force_login(buyer)

    response = client.get(url("list"), {"state": "published"})
    refs = [row["tender"].reference for row in response.context["rows"]]
    assert refs == [published.reference]
    response = client.get(url("list"), {"category": str(category.id)})
    assert [row["tender"].id for row in response.context["rows"]] == [draft.id]
    response = client.get(url("list"), {"q": "acacias"})
    assert [row["tender"].id for row in response.context["rows"]] == [draft.id]
    day = timezone.localtime(published.bid_deadline).date()
    response = client.get(url("list"), {"deadline_from": day.isoformat(), "deadline_to": day.isoformat()})
    assert {row["tender"].id for row in response.context["rows"]} == {draft.id, published.id}
    response = client.get(url("list"), {"deadline_to": (day - dt.timedelta(days=1)).isoformat()})
    assert response.context["rows"] == []
    response = client.get(url("list"))
    row = next(r for r in response.context["rows"] if r["tender"].id == published.id)
    assert row["tender"].invitation_count == 1
    assert re.search(r'<span class="small tender-due"><time class="countdown" [^>]*>dans 1[34] jours</time>',
                     response.content.decode())


def test_list_bad_filters_are_ignored_not_an_error(client, buyer):
    draft_tender()
    client.force_login(buyer)
    response = client.get(url("list"), {"state": "nonsense", "deadline_from": "31/31/2026", "category": "x"})
    assert response.status_code == 200


def test_list_query_count_is_fixed(client, buyer, django_assert_max_num_queries):
    tender, invited = published_tender(suppliers=1)
    client.force_login(buyer)
    client.get(url("list"))
    with django_assert_max_num_queries(9):
        client.get(url("list"))
    category = open_category()
    for _ in range(6):
        draft_tender(category)
    services.question_ask(actor=invited[0][1], tender=tender, text="?")
    submitted_bid(tender, invited[0][1])
    with django_assert_max_num_queries(9):
        response = client.get(url("list"))
    assert len(response.context["rows"]) == 7
    row = next(r for r in response.context["rows"] if r["tender"].id == tender.id)
    assert (row["tender"].deposit_count, row["tender"].open_question_count) == (1, 1)


# --- wizard ----------------------------------------------------------------------------------------------

def test_wizard_creates_a_draft_with_criteria_and_schedule(client, buyer):
    category = open_category()
    admitted_company(category)
    client.force_login(buyer)
    response = client.get(url("create"), {"category": str(category.id)})
    assert response.status_code == 200
    assert response.context["invitee_count"] == 1
    assert "1 entreprise serait invitée aujourd&#x27;hui." in response.content.decode()

    response = client.post(url("create"), form_data(category))
    tender = Tender.objects.get()
    assert response.status_code == 302 and response.url == url("detail", tender.id)
    assert tender.status == TenderStatus.DRAFT and tender.created_by == buyer
    assert tender.category == category and tender.dps == category.dps
    assert [(c.code, c.kind, c.weight) for c in tender.criteria.all()] == [
        ("price", "price", 50), ("tech", "technical", 30), ("env", "environmental", 20)]
    assert [line.ref for line in tender.price_lines.all()] == ["1.1", "2.1", "2.2"]
    expected = timezone.localtime(dt.datetime.fromisoformat(tender_data(category)["bid_deadline"]))
    assert timezone.localtime(tender.bid_deadline).strftime("%Y-%m-%d %H:%M") == expected.strftime("%Y-%m-%d %H:%M")


def test_wizard_bad_input_keeps_what_was_typed_and_maps_service_errors(client, buyer):
    category = open_category()
    client.force_login(buyer)
    posted = form_data(category, title="Ravalement — Le Clos Fleuri", operation_insee_code="6A0X7",
                       **{"criteria-weight": ["50", "0", "20"], "lines-quantity": ["1", "-3", "1200"]})
    response = client.post(url("create"), posted)
    assert response.status_code == 400
    assert not Tender.objects.exists()
    form = response.context["form"]
    assert "operation_insee_code" in form.errors
    assert form.criteria_rows[1]["errors"]["weight"]
    assert form.line_rows[1]["errors"]["quantity"]
    body = response.content.decode()
    assert 'value="Ravalement — Le Clos Fleuri"' in body and 'value="6A0X7"' in body
    assert 'name="criteria-weight" value="0"' in body and 'name="lines-quantity" value="-3"' in body
    assert "Le code INSEE d&#x27;une commune a 5 caractères" in body


def test_wizard_form_errors_keep_the_tables(client, buyer):
    category = open_category()
    client.force_login(buyer)
    posted = form_data(category, dwellings="beaucoup", bid_deadline="demain",
                       **{"criteria-code": ["price", "tech", "env", "social"],
                          "criteria-name": ["Prix", "Technique", "Environnement", "Insertion"],
                          "criteria-kind": ["price", "technical", "environmental", "social"],
                          "criteria-weight": ["40", "30", "20", "10"]})
    response = client.post(url("create"), posted)
    assert response.status_code == 400
    form = response.context["form"]
    assert {"dwellings", "bid_deadline"} <= set(form.errors)
    assert [row["values"]["code"] for row in form.criteria_rows] == ["price", "tech", "env", "social"]
    assert form.weight_total == 100
    assert 'value="beaucoup"' in response.content.decode()


def test_wizard_offers_only_categories_of_open_dps(client, buyer):
    from tests.factories import CategoryFactory, DPSFactory

    closed = CategoryFactory(dps=DPSFactory())  # a draft DPS
    category = open_category()
    client.force_login(buyer)
    choices = dict(client.get(url("create")).context["form"].fields["category"].choices)
    assert str(category.id) in choices and str(closed.id) not in choices
    response = client.post(url("create"), form_data(closed))
    assert response.status_code == 400 and not Tender.objects.exists()


def test_invitee_count_endpoint(client, buyer):
    category = open_category()
    admitted_company(category)
    admitted_company(category)
    client.force_login(buyer)
    response = client.get(url("invitee_count"), {"category": str(category.id)})
    assert response.json()["count"] == 2 and "2 entreprises" in response.json()["label"]
    assert client.get(url("invitee_count"), {"category": "not-a-uuid"}).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url("invitee_count"), {"category": str(category.id)}).status_code == 403


def test_edit_a_draft_and_refuse_to_edit_once_published(client, buyer):
    tender = draft_tender()
    client.force_login(buyer)
    response = client.get(url("edit", tender.id))
    assert response.status_code == 200
    form = response.context["form"]
    assert [row["values"]["quantity"] for row in form.line_rows] == ["1", "1\xa0200", "1\xa0200"]  # the French way
    body = response.content.decode()
    assert f'value="{escape(tender.title)}"' in body
    posted = form_data(tender.category, title="Nouvel intitulé",
                       **{"criteria-weight": ["60", "20", "20"]})
    response = client.post(url("edit", tender.id), posted)
    assert response.status_code == 302
    tender.refresh_from_db()
    assert tender.title == "Nouvel intitulé"
    assert [c.weight for c in tender.criteria.all()] == [60, 20, 20]

    published, _invited = published_tender(suppliers=1)
    response = client.get(url("edit", published.id), follow=True)
    assert "ne se modifie plus" in " ".join(messages_of(response))


# --- tender page: publication, documents, opening, ending --------------------------------------------

def test_publication_checklist_lists_every_problem_and_publish_is_refused(client, buyer):
    category = open_category()
    tender = draft_tender(category, criteria=[
        {"code": "price", "name": "Prix", "kind": "price", "weight": 60},
        {"code": "tech", "name": "Technique", "kind": "technical", "weight": 30}])
    client.force_login(buyer)
    body = client.get(url("detail", tender.id)).content.decode()
    assert "Les pondérations totalisent 90 au lieu de 100." in body
    assert "Au moins un critère environnemental est obligatoire" in body
    assert "Aucune entreprise n&#x27;est admise" in body
    response = client.post(url("publish", tender.id), {"confirmed": "1"}, follow=True)
    shown = " ".join(messages_of(response))
    assert "Les pondérations totalisent 90 au lieu de 100." in shown
    assert "critère environnemental" in shown
    tender.refresh_from_db()
    assert tender.status == TenderStatus.DRAFT


def test_publish_through_the_page_invites_the_admitted_suppliers(client, buyer, django_capture_on_commit_callbacks):
    category = open_category()
    admissions = [admitted_company(category) for _ in range(2)]
    for admission in admissions:
        company_owner(admission.company)
    tender = draft_tender(category)
    client.force_login(buyer)
    body = client.get(url("detail", tender.id)).content.decode()
    assert "Toutes les règles de publication sont respectées." in body
    assert "Publier et inviter 2 entreprises" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("publish", tender.id), {"confirmed": "1"}, follow=True)
    assert "2 entreprises invitées" in " ".join(messages_of(response))
    tender.refresh_from_db()
    assert tender.status == TenderStatus.PUBLISHED and tender.published_by == buyer
    assert Invitation.objects.filter(tender=tender).count() == 2
    body = client.get(url("detail", tender.id)).content.decode()
    assert "Publication et invitations" in body  # the timeline, from the audit history


def test_open_before_the_deadline_is_refused_with_the_date(client, buyer):
    tender, _invited = published_tender(suppliers=1)
    client.force_login(buyer)
    body = client.get(url("detail", tender.id)).content.decode()
    assert url("open", tender.id) not in body
    response = client.post(url("open", tender.id), {"confirmed": "1"}, follow=True)
    assert "qu'après la date limite de remise des offres" in " ".join(messages_of(response))
    tender.refresh_from_db()
    assert tender.status == TenderStatus.PUBLISHED and tender.opened_at is None


def test_open_after_the_deadline_through_the_page(client, buyer):
    tender, invited = published_tender(suppliers=1)
    submitted_bid(tender, invited[0][1])
    with time_machine.travel(tender.bid_deadline + dt.timedelta(hours=1)):
        client.force_login(buyer)  # a fresh session: the first one would have expired by then
        body = client.get(url("detail", tender.id)).content.decode()
        assert url("open", tender.id) in body
        assert url("open", tender.id) in client.get(url("bids", tender.id)).content.decode()
        response = client.post(url("open", tender.id), {"confirmed": "1"})
    assert response.status_code == 302 and response.url == url("bids", tender.id)
    tender.refresh_from_db()
    assert tender.status == TenderStatus.OPENED and tender.opened_by == buyer


def test_document_upload_before_and_after_publication(client, buyer):
    tender = draft_tender()
    client.force_login(buyer)
    response = client.post(url("document_upload", tender.id),
                           {"kind": "rules", "title": "Règlement de consultation", "file": pdf_file("rc.pdf")})
    assert response.status_code == 302
    document = tender.documents.get()
    assert not document.is_addendum
    assert client.get(url("document", document.id)).status_code == 200

    published, _invited = published_tender(suppliers=1)
    response = client.post(url("document_upload", published.id),
                           {"kind": "plans", "title": "Plans modifiés", "file": pdf_file("plans.pdf")}, follow=True)
    assert "modificatif" in " ".join(messages_of(response))
    assert published.documents.get().is_addendum
    assert "modificatif" in response.content.decode()

    response = client.post(url("document_upload", published.id), {"kind": "plans", "title": "Vide"})
    assert response.status_code == 400 and published.documents.count() == 1


def test_cancel_needs_a_reason_and_then_ends_the_tender(client, buyer):
    tender, _invited = published_tender(suppliers=1)
    client.force_login(buyer)
    response = client.post(url("cancel", tender.id), {"confirmed": "1", "cancel-reason": ""})
    assert response.status_code == 400
    tender.refresh_from_db()
    assert tender.status == TenderStatus.PUBLISHED
    response = client.post(url("cancel", tender.id), {"confirmed": "1", "cancel-reason": "Besoin redéfini."}, follow=True)
    assert "sans suite" in " ".join(messages_of(response))
    tender.refresh_from_db()
    assert tender.status == TenderStatus.CANCELLED and tender.end_reason == "Besoin redéfini."
    # declaring a published (not closed) tender unsuccessful is refused as a message, not an error page
    response = client.post(url("unsuccessful", tender.id), {"confirmed": "1", "unsuccessful-reason": "Aucune offre."}, follow=True)
    assert response.status_code == 200 and messages_of(response)


# --- questions -------------------------------------------------------------------------------------------

def test_answering_a_question(client, buyer, django_capture_on_commit_callbacks, mailoutbox):
    tender, invited = published_tender(suppliers=2)
    question = services.question_ask(actor=invited[0][1], tender=tender, text="Accès au chantier par la cour ?")
    client.force_login(buyer)
    response = client.post(url("answer", question.id), {f"q{question.pk}-text": ""})
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("answer", question.id), {f"q{question.pk}-text": "Oui, par la rue Ingres."},
                               follow=True)
    assert "La réponse est publiée" in " ".join(messages_of(response))
    question.refresh_from_db()
    assert question.answer == "Oui, par la rue Ingres." and question.answered_by == buyer
    body = response.content.decode()
    assert "Oui, par la rue Ingres." in body and "Aucune question n'attend de réponse." in body
    response = client.post(url("answer", question.id), {f"q{question.pk}-text": "Encore"}, follow=True)
    assert "déjà reçu une réponse" in " ".join(messages_of(response))


# --- deposit register and bids --------------------------------------------------------------------------

def test_register_before_opening_shows_no_content(client, buyer):
    tender, invited = published_tender(suppliers=2)
    bid = submitted_bid(tender, invited[0][1])
    second = submitted_bid(tender, invited[1][1])
    replacement = submitted_bid(tender, invited[1][1])  # replaces the second
    client.force_login(buyer)
    response = client.get(url("bids", tender.id))
    body = response.content.decode()
    assert invited[0][0].name in body and invited[1][0].name in body
    assert timezone.localtime(bid.submitted_at).strftime("%d/%m/%Y %H:%M:%S") in body
    assert "Retirée" in body and "remplacée par le dépôt du" in body
    figures = table_figures(body, [company for company, _user in invited])
    assert "Retirée" in figures and not re.search(r"\d", re.sub(r"<[^>]*>", "", figures))
    for secret in ("167000", "167 000", "167\xa0000", "5000,00", "95,00", NOTES, "compagnons"):
        assert secret not in body, secret
    assert "opened_bids" not in response.context
    assert url("open", tender.id) not in body and "data-deadline=" in body
    assert second.id and replacement.id
    # the bid page itself is not reachable before the opening
    assert client.get(url("bid", bid.id)).status_code == 404


def test_register_query_count_is_fixed(client, buyer, django_assert_max_num_queries):
    tender, invited = published_tender(suppliers=4)
    submitted_bid(tender, invited[0][1])
    client.force_login(buyer)
    client.get(url("bids", tender.id))
    with django_assert_max_num_queries(8):
        client.get(url("bids", tender.id))
    for _company, user in invited[1:]:
        submitted_bid(tender, user)
    submitted_bid(tender, invited[0][1])
    with django_assert_max_num_queries(8):
        response = client.get(url("bids", tender.id))
    assert len(response.context["register"]) == 5


def test_after_opening_the_bids_are_compared(client, buyer, opened_tender):
    tender, first, second, late = opened_tender
    client.force_login(buyer)
    response = client.get(url("bids", tender.id))
    body = response.content.decode()
    assert [b.id for b in response.context["opened_bids"]] == [first.id, second.id]
    figures = table_figures(body, [b.company for b in (first, second, late)])
    assert "167" in figures and "170" in figures and "<svg" in body
    assert "+1.8 %" in body or "+1,8 %" in body
    assert "Dépôts non examinés" in body and "Hors délai" in body
    assert url("bid", first.id) in body and url("bid", late.id) not in body

    response = client.get(url("bid", first.id))
    body = response.content.decode()
    assert NOTES in body
    rows = response.context["rows"]
    assert [r["amount"] for r in rows] == [5000, 114000, 48000]
    assert str(response.context["schedule_total"]) == PRICED_TOTAL
    assert client.get(url("bid", late.id)).status_code == 404


def test_bid_document_download_after_opening(client, buyer):
    tender, invited = published_tender(suppliers=1)
    bid = draft_bid(tender, invited[0][1])
    services.bid_document_upload(actor=invited[0][1], bid=bid, kind="technical_memo",
                                 uploaded_file=pdf_file("memoire-technique.pdf"))
    services.bid_submit(actor=invited[0][1], bid=bid)
    document = bid.documents.get()
    client.force_login(buyer)
    assert "memoire-technique" not in client.get(url("bids", tender.id)).content.decode()
    assert client.get(url("bid_document", document.id)).status_code == 404
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=1)):
        services.tender_open(actor=tender.dps.created_by, tender=tender)
    body = client.get(url("bid", bid.id)).content.decode()
    assert "memoire-technique.pdf" in body
    response = client.get(url("bid_document", document.id))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF-")
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.OPENED


# --- dashboard and navigation ----------------------------------------------------------------------------

def test_the_dashboard_counts_tenders_to_open_and_questions_waiting(client, evaluator,
                                                                    django_assert_max_num_queries):
    draft_tender()
    tender, invited = published_tender(suppliers=1)
    question = services.question_ask(actor=invited[0][1], tender=tender, text="Horaires de chantier ?")
    client.force_login(evaluator)
    response = client.get(reverse("console:dashboard"))
    body = response.content.decode()
    assert "Marchés spécifiques" in body
    assert f'href="{url("list")}" aria-current' not in body  # the nav entry is there, not marked current
    block = response.context["tenders"]
    states = {s["status"]: s["count"] for s in block["states"]}
    assert states["draft"] == 1 and states["published"] == 1
    assert block["waiting"] == [question] and block["to_open"] == []
    assert url("questions", tender.id) in body
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=1)):
        client.force_login(evaluator)
        response = client.get(reverse("console:dashboard"))
    assert [t.id for t in response.context["tenders"]["to_open"]] == [tender.id]
    assert url("bids", tender.id) in response.content.decode() or url("detail", tender.id) in response.content.decode()


def test_the_console_nav_marks_the_tender_section(client, buyer):
    tender = draft_tender()
    client.force_login(buyer)
    body = client.get(url("list")).content.decode()
    assert f'href="{url("list")}" aria-current="page"' in body
    body = client.get(url("detail", tender.id)).content.decode()
    assert f'href="{url("list")}" aria-current="true"' in body


def test_the_invitations_page_shows_how_many_mails_the_server_accepted(client, buyer,
                                                                        django_capture_on_commit_callbacks):
    from procurement.models import EmailStatus, OutboundEmail

    with django_capture_on_commit_callbacks(execute=True):
        tender, invited = published_tender(suppliers=2)
    client.force_login(buyer)
    body = client.get(url("invitations", tender.id)).content.decode()
    assert "remis au serveur de messagerie : 2 sur 2" in body
    assert 'http-equiv="refresh"' not in body

    OutboundEmail.objects.filter(key__startswith=f"tender-invitation:{tender.id}:", to=invited[0][1].email).update(
        status=EmailStatus.FAILED)
    body = client.get(url("invitations", tender.id)).content.decode()
    assert "remis au serveur de messagerie : 1 sur 2" in body
    assert "1 envoi en échec" in body and 'http-equiv="refresh"' in body
