"""The project's wiring: the pages and routes that put the three apps together.

The code is in layers, each importing only those below it: ``procurement`` (the DPS and what every app
shares) ← ``suppliers`` ← ``tenders`` (import-linter holds the contract; see pyproject.toml). A few
things belong to no single app: the console dashboard shows applications and tenders, the portal dashboard
shows companies and their invitations to tender, the DPS page shows the supplier's declaration renewals.
They are composed here, in a package of its own, so that a reader sees at once that this is wiring and not
the DPS core, and so that the one exception to the layers (this package, the root URLs, the API routes,
settings, celery and the commands that seed or schedule everything) stays small and named.

- ``console.py``: the console dashboard (the supplier part, then the tenders block);
- ``portal.py``: the portal dashboard (companies, open DPS, invitations to tender still open);
- ``urls.py``: the "console" and "portal" namespaces, composed from each app's routes;
- ``legal.py``: the footer's pages (accessibility statement, legal notice, personal data, terms, contact).
"""
