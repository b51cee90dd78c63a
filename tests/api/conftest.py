"""API fixtures: token-authenticated clients and a small, fully set-up world to call endpoints on."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from procurement.accounts.models import User
from procurement.accounts.services import api_token_issue
from procurement.models import Category, DynamicPurchasingSystem
from procurement.services import dps_publish
from suppliers.models import Admission, Application, Company, EvidenceDocument
from tests.factories import (
    CategoryFactory,
    DPSFactory,
    StaffFactory,
    UserFactory,
    admitted_company,
    ready_company,
    submitted_application,
)

PERSONAS = ("anonymous", "member", "other", "buyer", "evaluator", "approver")


def client_for(user: User | None) -> APIClient:
    """An API client sending ``Authorization: Token …`` for ``user`` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        key, _token = api_token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@dataclass
class World:
    buyer: User
    evaluator: User
    approver: User
    member: User               # admin member of ``company``
    other: User                # admin member of ``other_company``
    company: Company
    other_company: Company
    dps: DynamicPurchasingSystem
    category: Category         # applied for: ``application`` is submitted
    admitted_category: Category
    application: Application
    admission: Admission
    document: EvidenceDocument

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self, persona)

    def client(self, persona: str) -> APIClient:
        return client_for(self.user(persona))


@pytest.fixture
def world(db) -> World:
    buyer = StaffFactory(roles=["buyer"])
    evaluator = StaffFactory(roles=["evaluator"])
    approver = StaffFactory(roles=["approver"])
    dps = DPSFactory(actor=buyer)
    category = CategoryFactory(dps=dps, actor=buyer, code="ITE-59")
    admitted_category = CategoryFactory(dps=dps, actor=buyer, code="ITE-60", territories=["60"])
    dps = dps_publish(actor=buyer, dps=dps)
    category.refresh_from_db()
    admitted_category.refresh_from_db()
    company, member = ready_company([category, admitted_category])
    other_company, other = ready_company([category])
    admission = admitted_company(admitted_category, company=company, actor=buyer)
    application = submitted_application(dps=dps, categories=[category], company=company, user=member)
    return World(
        buyer=buyer, evaluator=evaluator, approver=approver, member=member, other=other, company=company,
        other_company=other_company, dps=dps, category=category, admitted_category=admitted_category,
        application=application, admission=admission, document=company.documents.first(),
    )


@pytest.fixture
def new_user(db):
    return UserFactory
