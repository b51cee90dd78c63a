"""French elision before a name: "l'offre d'Isol'Nord", "de Boulonnais"; English text is never touched."""

import pytest
from django.template import Context, Template
from django.utils import translation

from procurement.locale import de, elide, elides


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Isol'Nord", "d'Isol'Nord"),
        ("Artois Façades", "d'Artois Façades"),
        ("Écoval Bâtiment", "d'Écoval Bâtiment"),
        ("ÎLE Rénov", "d'ÎLE Rénov"),
        ("Yvelines Toitures", "d'Yvelines Toitures"),
        ("Boulonnais Rénovation", "de Boulonnais Rénovation"),
        ("Hauts-de-France Isolation", "de Hauts-de-France Isolation"),  # h left alone (aspirated here)
        ("Yaourt & Co", "de Yaourt & Co"),  # a "y" before a vowel is a consonant
        ("3F Habitat", "de 3F Habitat"),  # read as a number
    ],
)
def test_de_elides_before_a_vowel_sound_only(name, expected):
    assert de(name) == expected


def test_nothing_elides_before_nothing():
    assert not elides("") and not elides("   ")


def test_elide_spells_a_french_sentence_before_the_name_only():
    with translation.override("fr"):
        sentence = (
            "L'acheteur a retenu l'offre de Isol'Nord ; Commande Isol'Nord, le Isol'Nord que Isol'Nord."
        )
        assert elide(sentence, "Isol'Nord") == (
            "L'acheteur a retenu l'offre d'Isol'Nord ; Commande Isol'Nord, l'Isol'Nord qu'Isol'Nord."
        )
        assert elide("l'offre de Boulonnais", "Boulonnais") == "l'offre de Boulonnais"


def test_elide_leaves_other_languages_alone():
    with translation.override("en"):
        assert elide("the bid de Isol'Nord", "Isol'Nord") == "the bid de Isol'Nord"


def test_the_template_filter_finds_the_escaped_name_of_an_html_page():
    template = Template(
        "{% load i18n french %}{% blocktranslate with company=name asvar s %}Offre de {{ company }}"
        "{% endblocktranslate %}{{ s|elide:name }} — {{ name|de }}"
    )
    with translation.override("fr"):
        assert template.render(Context({"name": "Isol'Nord <b>"})) == (
            "Offre d'Isol&#x27;Nord &lt;b&gt; — d&#x27;Isol&#x27;Nord &lt;b&gt;"
        )
    with translation.override("en"):
        assert template.render(Context({"name": "Isol'Nord"})).startswith("Bid from Isol&#x27;Nord")
