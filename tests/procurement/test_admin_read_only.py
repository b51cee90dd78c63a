"""Who may do what is never changed from the back office, superuser or not.

A company member reads the company's sealed bids: a superuser who could add himself to a bidding company
(a membership, or a staff role) from the admin could read its bid without a trace. Memberships, staff
roles (groups), invitations and the audit log are therefore view-only there, API tokens are not listed,
and a company correction made there is recorded in the audit chain.
"""

import pytest
from django.contrib.auth.models import Group

from procurement import audit
from procurement.models import AuditEntry
from suppliers.models import CompanyInvitation, Membership
from tests.factories import CompanyFactory, StaffFactory, company_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return CompanyFactory(name="Isolation Oise SARL", city="Beauvais", postal_code="60000")


def test_a_superuser_cannot_add_a_membership(admin_client, admin_user, company):
    response = admin_client.post("/admin/suppliers/membership/add/",
                                 {"user": admin_user.pk, "company": company.pk, "role": "admin"})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=admin_user).exists()


def test_a_superuser_cannot_change_or_delete_a_membership(admin_client, admin_user, company):
    membership = Membership.objects.get(company=company)
    url = f"/admin/suppliers/membership/{membership.pk}/"

    assert admin_client.get(url + "change/").status_code == 200  # shown, read-only
    changed = admin_client.post(url + "change/", {"user": admin_user.pk, "company": company.pk, "role": "admin"})
    deleted = admin_client.post(url + "delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    membership.refresh_from_db()
    assert membership.user == company_owner(company) and Membership.objects.filter(pk=membership.pk).exists()


def test_the_company_page_cannot_add_a_member_and_records_a_correction(admin_client, admin_user, company):
    response = admin_client.post(f"/admin/suppliers/company/{company.pk}/change/", {
        "name": "Isolation Oise SAS", "street": company.street, "postal_code": "60000", "city": "Beauvais",
        "legal_form": "", "naf_code": "", "employees": "25",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-user": admin_user.pk, "memberships-0-role": "admin",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Membership.objects.filter(user=admin_user).exists()
    (entry,) = [e for e in audit.history("company", company.id) if e.action == "update"]
    assert entry.actor == admin_user
    assert entry.details["changes"] == {"name": ["Isolation Oise SARL", "Isolation Oise SAS"]}


def test_a_superuser_cannot_give_himself_or_anyone_a_staff_role(admin_client, admin_user):
    buyer = StaffFactory(roles=["buyer"])
    groups = {g.name: g.pk for g in Group.objects.all()}

    admin_client.post(f"/admin/accounts/user/{admin_user.pk}/change/", {
        "first_name": "Root", "last_name": "", "is_active": "on", "groups": [groups["buyer"], groups["approver"]]})
    admin_client.post(f"/admin/accounts/user/{buyer.pk}/change/", {
        "first_name": buyer.first_name, "last_name": buyer.last_name, "is_active": "on", "groups": []})

    assert list(admin_user.groups.all()) == []
    assert sorted(buyer.groups.values_list("name", flat=True)) == ["buyer"]
    assert not AuditEntry.objects.filter(object_type="user", object_id=str(admin_user.pk)).exists()


def test_staff_groups_are_view_only(admin_client):
    buyer_group = Group.objects.get_or_create(name="buyer")[0]

    assert admin_client.get("/admin/auth/group/").status_code == 200
    assert admin_client.post("/admin/auth/group/add/", {"name": "super-buyer"}).status_code == 403
    assert admin_client.post(f"/admin/auth/group/{buyer_group.pk}/change/", {"name": "x"}).status_code == 403
    assert admin_client.post(f"/admin/auth/group/{buyer_group.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Group.objects.filter(pk=buyer_group.pk, name="buyer").exists()
    assert not Group.objects.filter(name__in=["super-buyer", "x"]).exists()


def test_invitations_cannot_be_forged(admin_client, admin_user, company):
    response = admin_client.post("/admin/suppliers/companyinvitation/add/",
                                 {"company": company.pk, "email": admin_user.email, "role": "admin"})
    assert response.status_code == 403
    assert not CompanyInvitation.objects.exists()


def test_the_audit_log_is_view_only(admin_client, company):
    entry = AuditEntry.objects.filter(object_type="company").first()
    url = f"/admin/procurement/auditentry/{entry.pk}/"

    assert admin_client.get(url + "change/").status_code == 200
    assert admin_client.post(url + "change/", {"reason": "falsifié"}).status_code == 403
    assert admin_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post("/admin/procurement/auditentry/add/", {}).status_code == 403
    assert audit.verify().valid


def test_api_tokens_are_not_in_the_admin(admin_client, company):
    from procurement.accounts.services import api_token_issue

    owner = company_owner(company)
    key, token = api_token_issue(user=owner)
    assert admin_client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert admin_client.get("/admin/accounts/apitoken/").status_code == 404
    for page in ("/admin/", f"/admin/accounts/user/{owner.pk}/change/", "/admin/accounts/user/"):
        content = admin_client.get(page).content.decode()
        assert key not in content and token.digest not in content
