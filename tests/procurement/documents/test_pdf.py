"""The PDF itself: PDF/A-3b markers, embedded fonts, data.json, pages, the seal; tampered copies."""

import io
import json

import pikepdf
import pypdf
import pytest

from procurement.documents import rendering, services, signing, verification
from procurement.models import DocumentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(make_document):
    document = make_document()
    assert document.status == DocumentStatus.READY, document.error
    return document


@pytest.fixture
def pdf(document) -> bytes:
    return services.document_content(document)


def _fonts(pdf_file: pikepdf.Pdf):
    for obj in pdf_file.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
            yield obj


def test_it_claims_pdfa_3b_with_an_output_intent(pdf):
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        intents = doc.Root.OutputIntents
        assert len(intents) >= 1 and intents[0].S == "/GTS_PDFA1"
        assert intents[0].DestOutputProfile.read_bytes()  # the ICC profile itself


def test_every_font_is_embedded(pdf):
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        fonts = list(_fonts(doc))
        assert fonts
        for font in fonts:
            if font.Subtype == "/Type3":
                continue
            described = font.DescendantFonts[0] if font.Subtype == "/Type0" else font
            if font.Subtype == "/Type0":
                continue  # checked through its descendant, listed among the objects too
            descriptor = described.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")


def test_the_data_is_attached_as_data_json_and_equals_the_stored_data(pdf, document, sample_kind):
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        attached = doc.attachments["data.json"]
        assert json.loads(attached.get_file().read_bytes()) == document.data == sample_kind["data"]
        assert attached.obj.AFRelationship == "/Data"
        # A PDF/A-3 associated file of the document (listed in the catalogue's AF array).
        assert attached.obj.objgen in {entry.objgen for entry in doc.Root.AF}


def test_pages_are_numbered_and_the_footer_carries_reference_and_data_fingerprint(pdf, document):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    assert total >= 2
    short = rendering.data_sha256(document.data)[:4]
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Page {number} / {total}" in text
        assert document.reference in text and short in text
    last = " ".join(reader.pages[-1].extract_text().split())
    assert "Document signé électroniquement" in last and signing.signer_name() in last
    assert "125 000,00 € HT" in reader.pages[0].extract_text().replace("\u202f", " ").replace("\xa0", " ")


def test_the_seal_is_valid_and_its_widget_is_on_the_last_page(pdf):
    result = verification.verify_pdf(pdf, trust_roots=[signing.signer_certificate()])
    assert result.signed and result.intact and result.valid and result.platform_seal
    assert result.signer == signing.signer_name() and result.signed_at
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    widgets = [a.get_object() for a in reader.pages[-1].get("/Annots", [])]
    assert any(w.get("/FT") == "/Sig" or w.get("/Parent", {}).get("/FT") == "/Sig" for w in widgets)


def test_a_document_is_sealed_and_checked_from_a_thread_whose_event_loop_runs(pdf):
    """pyHanko's synchronous calls start an event loop: from code already inside one (an ASGI view, a test
    driving a browser) they would refuse, and the document would fail."""
    import asyncio

    async def inside_a_loop():
        signed = signing.sign_pdf(rendering.html_to_pdf("<p>Sous une boucle</p>", data={"a": 1}).pdf)
        return verification.verify_pdf(signed, trust_roots=[signing.signer_certificate()]), \
            verification.verify_pdf(pdf, trust_roots=[signing.signer_certificate()])

    fresh, issued = asyncio.run(inside_a_loop())
    assert fresh.signed and fresh.intact and fresh.valid and fresh.platform_seal
    assert issued.intact and issued.valid


def test_one_changed_byte_is_not_intact(pdf):
    tampered = bytearray(pdf)
    index = pdf.index(b"stream", len(pdf) // 4) + 40  # inside a signed stream
    tampered[index] ^= 0x01
    result = verification.verify_pdf(bytes(tampered), trust_roots=[signing.signer_certificate()])
    assert result.signed and not result.intact


def test_a_page_appended_after_signing_is_not_intact(pdf):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
    }))
    out = io.BytesIO()
    writer.write(out)
    appended = out.getvalue()
    assert appended.startswith(pdf)  # an incremental update: the signed bytes are untouched

    result = verification.verify_pdf(appended, trust_roots=[signing.signer_certificate()])
    assert result.signed and not result.intact


def test_a_rewritten_copy_is_not_intact(pdf):
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.add_blank_page()
        out = io.BytesIO()
        doc.save(out)
    assert not verification.verify_pdf(out.getvalue(), trust_roots=[signing.signer_certificate()]).intact


def test_garbage_is_not_a_pdf_and_a_damaged_pdf_is_an_answer():
    with pytest.raises(verification.NotAPdf):
        verification.verify_pdf(b"\x00\x01 certainly not a pdf")
    result = verification.verify_pdf(b"%PDF-1.7\n garbage /ByteRange [0 1 2 3] no xref")
    assert not result.intact


def test_french_amounts_and_moments():
    from procurement.documents import formatting

    assert formatting.amount("125000") == "125\xa0000,00\xa0€\xa0HT"
    assert formatting.moment("2026-03-02T14:05:09+00:00") == \
        "lundi 2 mars 2026 à 15:05:09 (heure de Paris, UTC+01:00)"
    assert formatting.moment("2026-07-01T08:00:00+00:00").endswith("10:00:00 (heure de Paris, UTC+02:00)")


def test_with_a_time_stamping_authority_the_signature_is_pades_b_t(settings):
    """B-T: the signature carries a time-stamp token (pyHanko's local timestamper stands in for the TSA)."""
    import datetime as dt

    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    settings.SIGNING_TSA_URL = "http://tsa.example.fr/rfc3161"
    assert isinstance(signing._timestamper(), HTTPTimeStamper)
    settings.SIGNING_TSA_URL = ""
    assert signing._timestamper() is None

    seal = signing.get_signer()
    stamped_at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    tsa = DummyTimeStamper(tsa_cert=seal.signing_cert, tsa_key=seal.signing_key, fixed_dt=stamped_at)
    rendered = rendering.html_to_pdf("<p>Horodatage</p>", data={"a": 1})
    signed = signing.sign_pdf(rendered.pdf, timestamper=tsa)

    with pikepdf.open(io.BytesIO(signed)) as doc:
        sig = next(f for f in doc.Root.AcroForm.Fields if f.get("/FT") == "/Sig").V
        assert sig.SubFilter == "/ETSI.CAdES.detached"
    result = verification.verify_pdf(signed, trust_roots=[signing.signer_certificate()])
    assert result.intact
    assert result.signed_at == stamped_at.isoformat()  # the time-stamp's time, not the signer's clock
