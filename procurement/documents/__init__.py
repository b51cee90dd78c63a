"""Generated documents: PDF/A-3b rendering (WeasyPrint), PAdES sealing (pyHanko), storage, verification.

This package holds the framework only. The apps above ``procurement`` register each kind of document they
issue (``registry.register``): a builder that turns the owner into the document's data, and a template that
turns the data into HTML. Procurement never imports them.

- ``registry``: kinds, their builders and templates;
- ``formatting``: French dates and amounts for the templates;
- ``rendering``: HTML → PDF/A-3b with its data embedded as ``data.json``;
- ``signing``: the landlord's seal (PAdES B-B, or B-T with a time-stamping authority);
- ``verification``: what a PDF says about itself (signed, intact, signer, PDF/A claims, issued here);
- ``services``: request, generate (the task's body), retry, read back.
"""
