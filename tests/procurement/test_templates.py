"""The shared templates: the field partial on real pages, no inline scripts, blocks that exist.

The field partial (templates/_field.html) is held to the accessibility bar of RGAA 4.1 / WCAG 2.1 AA:
every label is tied to its control, help texts and errors are tied by aria-describedby to ids that exist
in the page, an invalid control says so (aria-invalid).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import UserFactory, open_category, valid_siret

TEMPLATES = Path(settings.BASE_DIR) / "templates"
CONTROLS = ("input", "select", "textarea")


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each element that has an id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            self._open.append(attributes.get("id", ""))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag not in ("input", "br", "img", "meta", "link", "hr") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text_by_id[element_id] = self.text_by_id.get(element_id, "") + data


def parse(body: str) -> _Elements:
    parser = _Elements()
    parser.feed(body)
    return parser


def assert_references_exist(page: _Elements) -> None:
    """Every for=, aria-describedby= and aria-labelledby= of the page names an id that is in the page."""
    ids = {attrs["id"] for _tag, attrs in page.elements if attrs.get("id")}
    for tag, attrs in page.elements:
        wanted = attrs.get("aria-describedby", "").split() + attrs.get("aria-labelledby", "").split()
        if tag == "label" and attrs.get("for"):
            wanted.append(attrs["for"])
        missing = [ref for ref in wanted if ref not in ids]
        assert not missing, f"<{tag} {attrs}> points at ids that are not in the page: {missing}"


def control(page: _Elements, name: str) -> dict:
    return next(attrs for tag, attrs in page.elements if tag in CONTROLS and attrs.get("name") == name)


def labels_for(page: _Elements, element_id: str) -> list[dict]:
    return [attrs for tag, attrs in page.elements if tag == "label" and attrs.get("for") == element_id]


# --- the field partial on real pages -------------------------------------------------------------------

@pytest.mark.django_db
def test_portal_company_form_ties_label_help_and_error_to_the_siret(client):
    client.force_login(UserFactory())
    bad = valid_siret(777)[:-1] + str((int(valid_siret(777)[-1]) + 1) % 10)
    response = client.post(reverse("portal:company_create"), {
        "country": "FR", "name": "Isolation Picarde SAS", "siret": bad, "postal_code": "80000",
        "city": "Amiens", "street": "1 rue Jules Verne", "employees": "12"})
    assert response.status_code == 200
    page = parse(response.content.decode())
    assert_references_exist(page)

    siret = control(page, "siret")
    assert labels_for(page, siret["id"])
    assert siret["aria-invalid"] == "true"
    described = siret["aria-describedby"].split()
    assert described == [f"{siret['id']}_helptext", f"{siret['id']}_error"]
    assert "SIREN" in page.text_by_id[described[0]]
    assert "clé de contrôle" in page.text_by_id[described[1]]

    # a valid field with help: described by its help only, and not invalid
    vat = control(page, "vat_number")
    assert vat["aria-describedby"] == f"{vat['id']}_helptext" and "aria-invalid" not in vat
    # every visible control of the form has a label
    for tag, attrs in page.elements:
        if tag in CONTROLS and attrs.get("type") not in ("hidden", "submit"):
            assert labels_for(page, attrs.get("id", "")), f"no label for <{tag} name={attrs.get('name')}>"


@pytest.mark.django_db
def test_console_tender_wizard_ties_label_help_and_error_to_the_deadline(client, buyer):
    from tests.tenders.test_console_pages import form_data

    category = open_category()
    client.force_login(buyer)
    response = client.post(reverse("tenders_console:create"), form_data(category, bid_deadline="demain"))
    assert response.status_code == 400
    page = parse(response.content.decode())
    assert_references_exist(page)

    deadline = control(page, "bid_deadline")
    assert [label["for"] for label in labels_for(page, deadline["id"])] == [deadline["id"]]
    assert deadline["aria-invalid"] == "true"
    assert deadline["aria-describedby"].split() == [f"{deadline['id']}_helptext", f"{deadline['id']}_error"]
    assert "Heure de Paris" in page.text_by_id[f"{deadline['id']}_helptext"]
    assert page.text_by_id[f"{deadline['id']}_error"].strip()

    questions = control(page, "questions_deadline")  # valid: help only
    assert questions["aria-describedby"] == f"{questions['id']}_helptext" and "aria-invalid" not in questions
    standstill = control(page, "standstill")  # a checkbox: control, then its label
    assert standstill["type"] == "checkbox" and labels_for(page, standstill["id"])


@pytest.mark.django_db
def test_console_dps_page_lists_of_checkboxes_are_fieldsets_with_labels(client, buyer):
    category = open_category()
    client.force_login(buyer)
    body = client.get(reverse("console:dps_detail", args=[category.dps_id])).content.decode()
    page = parse(body)
    assert_references_exist(page)
    assert re.search(r'<fieldset class="form-row form-choices">\s*<legend>Départements des Hauts-de-France</legend>',
                     body)
    boxes = [attrs for tag, attrs in page.elements if tag == "input" and attrs.get("name") == "departements"]
    assert boxes and all(labels_for(page, box["id"]) for box in boxes)


# --- the field partial, widget by widget ---------------------------------------------------------------

class _EveryWidget(forms.Form):
    text = forms.CharField(label="Texte", help_text="Aide du texte")
    choice = forms.ChoiceField(label="Liste", choices=[("a", "A"), ("b", "B")], help_text="Aide de la liste")
    agreed = forms.BooleanField(label="J'accepte", help_text="Aide de la case")
    radio = forms.ChoiceField(label="Radio", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect,
                              help_text="Aide des radios")
    boxes = forms.MultipleChoiceField(label="Cases", choices=[("a", "A"), ("b", "B")],
                                      widget=forms.CheckboxSelectMultiple, required=False)
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False, help_text="Aide des notes")
    upload = forms.FileField(label="Fichier")


@pytest.mark.parametrize("bound", [False, True], ids=["blank", "with-errors"])
def test_the_partial_ties_every_kind_of_widget(bound):
    form = _EveryWidget({}, {}) if bound else _EveryWidget()
    if bound:
        assert not form.is_valid()
    body = "".join(render_to_string("_field.html", {"field": field}) for field in form)
    page = parse(body)
    assert_references_exist(page)

    for name in ("text", "choice", "agreed", "notes", "upload"):
        attrs = control(page, name)
        assert labels_for(page, attrs["id"]), name
        assert (attrs.get("aria-invalid") == "true") == (bound and name in form.errors), name
        if bound and name in form.errors:
            assert f"{attrs['id']}_error" in attrs["aria-describedby"].split()
    # a radio list: one fieldset, its legend the label, each radio labelled, the fieldset described
    fieldset = next(attrs for tag, attrs in page.elements if tag == "fieldset")
    assert fieldset["aria-describedby"].split()[0] == "id_radio_helptext"
    radios = [attrs for tag, attrs in page.elements if tag == "input" and attrs.get("name") == "radio"]
    assert len(radios) == 2 and all(labels_for(page, radio["id"]) for radio in radios)
    assert all((radio.get("aria-invalid") == "true") == bound for radio in radios)
    assert body.count('<span class="required" aria-hidden="true">*</span>') == 5  # the required ones


# --- scripts and blocks ---------------------------------------------------------------------------------

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def _html_templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_no_template_has_inline_script_code():
    """Page scripts live in static/js and load with src (a strict Content-Security-Policy can then forbid
    inline code); an inline event handler (onclick=, onsubmit=) is inline code too."""
    offending = []
    for path in _html_templates():
        text = path.read_text(encoding="utf-8")
        for attributes, code in SCRIPT.findall(text):
            if code.strip() or "src=" not in attributes:
                offending.append(f"{path.relative_to(TEMPLATES)}: <script{attributes}>")
        offending += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in HANDLER.finditer(text)]
    assert offending == []


def test_the_scan_would_see_an_inline_script():
    assert SCRIPT.findall('<script>\ndocument.title = "x";\n</script>')
    assert HANDLER.search('<button type="button" onclick="window.print()">')
    assert not HANDLER.search('<a href="/x" data-once>')


BLOCK = re.compile(r"{%\s*block\s+(\w+)")
EXTENDS = re.compile(r"""{%\s*extends\s+["']([^"']+)["']""")


def _blocks_available(name: str) -> set[str]:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    parent = EXTENDS.search(text)
    return set(BLOCK.findall(text)) | (_blocks_available(parent.group(1)) if parent else set())


def test_every_block_a_page_fills_exists_in_its_layout():
    """A block its layout does not have is dropped without a word (say a page still filling extra_js,
    which base.html replaced by scripts): its content would silently vanish."""
    unknown = []
    for path in _html_templates():
        text = path.read_text(encoding="utf-8")
        parent = EXTENDS.search(text)
        if parent:
            available = _blocks_available(parent.group(1))
            unknown += [f"{path.relative_to(TEMPLATES)}: {block}" for block in BLOCK.findall(text)
                        if block not in available]
    assert unknown == []


def test_console_and_portal_pages_extend_their_section_layout():
    for section in ("console", "portal"):
        for path in sorted((TEMPLATES / section).glob("[!_]*.html")):
            if path.name in ("base.html", "forbidden.html"):  # forbidden.html is shown outside the console
                continue
            assert f'{{% extends "{section}/base.html" %}}' in path.read_text(encoding="utf-8"), path.name
