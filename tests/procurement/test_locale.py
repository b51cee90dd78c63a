import pytest
from django.conf import settings


@pytest.mark.django_db
def test_it_stays_french_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_it_follows_the_language_the_person_chose(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.get("/")
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_api_honours_accept_language(client):
    response = client.get("/api/v1/dps/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
