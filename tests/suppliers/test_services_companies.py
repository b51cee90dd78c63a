"""Companies: identifiers (SIRET, SIREN, VAT, foreign ids), duplicates, membership."""

import pytest
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from procurement.errors import Conflict, NotAllowed, ValidationFailed
from suppliers.models import Company, Membership, MembershipRole
from suppliers.services import company_create, company_update
from tests.factories import CompanyFactory, UserFactory, french_vat, valid_siren, valid_siret

pytestmark = pytest.mark.django_db


def data(**extra):
    return {"name": "Isolation Picarde SAS", "siret": valid_siret(42), "postal_code": "80000", "city": "Amiens",
            **extra}


def test_valid_siret_helper_produces_luhn_valid_numbers():
    numbers = {valid_siret(n) for n in range(300)}
    assert len(numbers) == 300
    assert all(stdnum_siret.is_valid(n) and luhn.is_valid(n) and luhn.is_valid(n[:9]) for n in numbers)


def test_company_with_valid_siret_is_created_and_creator_is_admin():
    user = UserFactory()
    company = company_create(actor=user, data=data())

    assert company.siret == valid_siret(42)
    assert company.siren == valid_siret(42)[:9]
    assert Membership.objects.get(company=company).role == MembershipRole.ADMIN
    assert Membership.objects.get(company=company).user == user


def test_siret_with_wrong_check_digit_is_refused():
    good = valid_siret(42)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)

    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=UserFactory(), data=data(siret=bad))

    assert "siret" in exc.value.errors
    assert "clé de contrôle" in exc.value.errors["siret"][0]
    assert not Company.objects.exists()


def test_siret_with_wrong_length_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=UserFactory(), data=data(siret="1234567890"))
    assert "siret" in exc.value.errors


def test_la_poste_siret_is_accepted_although_not_luhn_valid():
    la_poste = "35600000000010"  # digit sum multiple of 5: La Poste's rule instead of Luhn
    assert not luhn.is_valid(la_poste)

    company = company_create(actor=UserFactory(), data=data(siret=la_poste, name="La Poste — bureau"))

    assert company.siret == la_poste


def test_la_poste_siret_with_bad_digit_sum_is_refused():
    with pytest.raises(ValidationFailed):
        company_create(actor=UserFactory(), data=data(siret="35600000000011"))


def test_vat_number_must_match_the_siren():
    siren = valid_siret(42)[:9]
    company = company_create(actor=UserFactory(), data=data(vat_number=french_vat(siren)))
    assert company.vat_number == french_vat(siren)

    other = valid_siren(7)
    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=UserFactory(), data=data(siret=valid_siret(43), vat_number=french_vat(other)))
    assert "SIREN" in exc.value.errors["vat_number"][0]


def test_invalid_vat_key_is_refused():
    siren = valid_siret(42)[:9]
    vat = french_vat(siren)
    wrong = f"FR{(int(vat[2:4]) + 1) % 100:02d}{siren}"
    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=UserFactory(), data=data(vat_number=wrong))
    assert "vat_number" in exc.value.errors


def test_foreign_company_registers_with_its_national_id():
    company = company_create(actor=UserFactory(), data={
        "name": "Bouwbedrijf Vlaanderen NV", "country": "BE", "national_id": "0403.170.701"})

    assert company.siret is None
    assert company.country == "BE"
    assert company.national_id == "0403.170.701"


def test_foreign_company_without_any_identifier_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=UserFactory(), data={"name": "Baufirma GmbH", "country": "DE"})
    assert "national_id" in exc.value.errors


def test_foreign_company_same_national_id_twice_is_a_conflict():
    company_create(actor=UserFactory(), data={"name": "A", "country": "BE", "national_id": "0403170701"})
    with pytest.raises(Conflict):
        company_create(actor=UserFactory(), data={"name": "B", "country": "BE", "national_id": "0403170701"})


def test_duplicate_siret_is_a_conflict():
    company = CompanyFactory()
    with pytest.raises(Conflict):
        company_create(actor=UserFactory(), data=data(siret=company.siret))
    assert Company.objects.filter(siret=company.siret).count() == 1


def test_unverified_user_cannot_create_a_company():
    with pytest.raises(NotAllowed):
        company_create(actor=UserFactory(unverified=True), data=data())


def test_name_is_required_and_postal_code_checked():
    with pytest.raises(ValidationFailed) as exc:
        company_create(actor=UserFactory(), data=data(name="  ", postal_code="800"))
    assert set(exc.value.errors) >= {"name", "address.postal_code"}


def test_only_an_admin_member_may_update_and_siret_cannot_change():
    company = CompanyFactory()
    outsider = UserFactory()
    with pytest.raises(NotAllowed):
        company_update(actor=outsider, company=company, data={"name": "Autre"})

    member = UserFactory()
    Membership.objects.create(user=member, company=company, role=MembershipRole.MEMBER)
    with pytest.raises(NotAllowed):
        company_update(actor=member, company=company, data={"name": "Autre"})

    owner = company.memberships.get(role=MembershipRole.ADMIN).user
    original = company.siret
    company_update(actor=owner, company=company, data={"name": "Nouveau nom", "siret": valid_siret(999)})
    company.refresh_from_db()
    assert company.name == "Nouveau nom"
    assert company.siret == original
