"""Data tables for the demonstration data set (``manage.py seed_demo``): trades, territories, communes,
companies. Fictitious companies; real communes of Hauts-de-France."""

from __future__ import annotations

from decimal import Decimal

DPS_REFERENCE = "SAD-HDF-2026-01"
DPS_TITLE = "SAD Rénovation énergétique — Hauts-de-France"
DPS_DESCRIPTION = (
    "Système d'acquisition dynamique pour les travaux de rénovation énergétique du patrimoine locatif "
    "social (logements étiquetés F et G) dans les cinq départements des Hauts-de-France : isolation, "
    "menuiseries, chauffage, ventilation, toitures et électricité."
)
DPS_CPV_CODES = ["45321000-3", "45421100-5", "45331100-7", "45331210-1", "45261410-1", "45311000-0"]
DPS_PUBLISHED_DAYS_AGO = 45
DPS_VALIDITY_YEARS = 4
DPS_INITIAL_DECISION_DAYS = None  # the standard 10 jours ouvrables

STAFF = [
    # email, password, roles, first name, last name, Django admin
    ("acheteur@sad-renovation.fr", "demo-acheteur-2026", ["buyer"], "Claire", "Dubois", False),
    ("evaluateur@sad-renovation.fr", "demo-evaluateur-2026", ["evaluator"], "Karim", "Benali", False),
    ("evaluatrice@sad-renovation.fr", "demo-evaluatrice-2026", ["evaluator"], "Nadia", "Roussel", False),
    ("approbateur@sad-renovation.fr", "demo-approbateur-2026", ["approver"], "Sophie", "Lefebvre", False),
    ("admin@sad-renovation.fr", "demo-admin-2026", [], "Admin", "Plateforme", True),
]
SUPPLIER_EMAIL = "fournisseur@demo.fr"
SUPPLIER_PASSWORD = "demo-fournisseur-2026"

DEPARTEMENTS = {"02": "Aisne", "59": "Nord", "60": "Oise", "62": "Pas-de-Calais", "80": "Somme"}

BASE_EVIDENCE = ["kbis", "urssaf_vigilance", "tax_certificate", "liability_insurance"]

# trade, code prefix, label, max contract value (€ HT), minimum annual turnover, extra required evidence
TRADES = [
    ("external_wall_insulation", "ITE", "Isolation thermique par l'extérieur",
     Decimal("800000"), Decimal("1000000"), ["rge_certificate", "decennial_insurance"]),
    ("windows", "MEN", "Menuiseries extérieures", Decimal("450000"), Decimal("500000"),
     ["rge_certificate"]),
    ("heating", "CHA", "Chauffage et eau chaude sanitaire", Decimal("600000"), Decimal("750000"),
     ["rge_certificate", "decennial_insurance"]),
    ("ventilation", "VMC", "Ventilation mécanique contrôlée", Decimal("250000"), Decimal("300000"),
     ["rge_certificate"]),
    ("roof_insulation", "TOI", "Isolation des toitures et combles", Decimal("350000"), Decimal("400000"),
     ["rge_certificate", "decennial_insurance"]),
    ("electrical", "ELE", "Électricité et mise en sécurité", Decimal("200000"), Decimal("250000"),
     ["qualibat_certificate", "references"]),
]

# Communes: (name, postal code, INSEE département)
COMMUNES = [
    ("Lille", "59000"), ("Roubaix", "59100"), ("Tourcoing", "59200"), ("Valenciennes", "59300"),
    ("Dunkerque", "59140"), ("Douai", "59500"), ("Maubeuge", "59600"), ("Villeneuve-d'Ascq", "59650"),
    ("Cambrai", "59400"), ("Armentières", "59280"),
    ("Arras", "62000"), ("Lens", "62300"), ("Béthune", "62400"), ("Calais", "62100"),
    ("Boulogne-sur-Mer", "62200"), ("Liévin", "62800"), ("Hénin-Beaumont", "62110"), ("Saint-Omer", "62500"),
    ("Amiens", "80000"), ("Abbeville", "80100"), ("Albert", "80300"), ("Péronne", "80200"),
    ("Beauvais", "60000"), ("Compiègne", "60200"), ("Creil", "60100"), ("Senlis", "60300"),
    ("Noyon", "60400"),
    ("Saint-Quentin", "02100"), ("Soissons", "02200"), ("Laon", "02000"), ("Château-Thierry", "02400"),
    ("Chauny", "02300"),
]

STREETS = [
    "rue de la République", "avenue Jean Jaurès", "rue Nationale", "boulevard Victor Hugo", "rue du Faubourg",
    "rue Pasteur", "zone artisanale des Prés", "rue de l'Industrie", "chemin de la Briqueterie",
    "rue Gambetta", "parc d'activités du Moulin", "rue Roger Salengro",
]

# Company name, legal form, NAF code, main trades (codes above), employees, turnover (€)
COMPANIES = [
    ("Isolation Flandres Rénovation", "SAS", "4329A", ["ITE", "TOI"], 38, 4200000),
    ("Menuiseries du Hainaut", "SARL", "4332A", ["MEN"], 22, 2100000),
    ("Thermi'Nord Chauffage", "SAS", "4322B", ["CHA", "VMC"], 45, 5600000),
    ("Artois Façades", "SARL", "4329A", ["ITE"], 17, 1500000),
    ("Somme Énergies Services", "SAS", "4322B", ["CHA"], 30, 3300000),
    ("Oise Isolation Toitures", "SARL", "4391B", ["TOI", "ITE"], 14, 1200000),
    ("Électricité Picarde Delattre", "SARL", "4321A", ["ELE"], 12, 900000),
    ("Ventil'Air Hauts-de-France", "SAS", "4322B", ["VMC"], 9, 650000),
    ("Bâtisseurs de l'Aisne", "SA", "4120A", ["ITE", "MEN"], 85, 11500000),
    ("Opale Menuiseries", "SARL", "4332A", ["MEN"], 19, 1900000),
    ("Calaisis Thermique", "SAS", "4322B", ["CHA", "VMC"], 26, 2800000),
    ("Douaisis Couverture Isolation", "SARL", "4391B", ["TOI"], 11, 980000),
    ("Lens Bâtiment Rénov'", "SAS", "4399C", ["ITE", "TOI"], 33, 3700000),
    ("Valenciennes Électricité Services", "SARL", "4321A", ["ELE"], 21, 1750000),
    ("Compiègne Confort Habitat", "SAS", "4322B", ["CHA"], 16, 1400000),
    ("Beauvaisis Menuiserie Alu PVC", "SARL", "4332A", ["MEN"], 13, 1100000),
    ("Amiénoise d'Isolation", "SAS", "4329A", ["ITE"], 29, 2950000),
    ("Soissons Ventilation Climatisation", "SARL", "4322B", ["VMC", "CHA"], 10, 870000),
    ("Boulonnais Énergie Bâtiment", "SAS", "4399C", ["ITE", "CHA"], 41, 4800000),
    ("Roubaix Rénovation Durable", "SCOP", "4399C", ["ITE", "MEN"], 24, 2300000),
    ("Saint-Quentin Électricité Générale", "SARL", "4321A", ["ELE"], 15, 1300000),
    ("Tourquennoise de Couverture", "SARL", "4391B", ["TOI"], 8, 720000),
    ("Flandre Maritime Menuiseries", "SAS", "4332A", ["MEN"], 27, 2600000),
    ("Picardie Isol'Toit", "SARL", "4391B", ["TOI"], 12, 1050000),
    ("Arras Thermie Services", "SAS", "4322B", ["CHA"], 34, 3900000),
    ("Cambrésis Électricité", "SARL", "4321A", ["ELE"], 9, 760000),
    ("Béthune Isolation Extérieure", "SAS", "4329A", ["ITE"], 31, 3400000),
    ("Laonnois Menuiserie Bois", "SARL", "4332A", ["MEN"], 7, 610000),
    ("Nord Ventilation Technique", "SAS", "4322B", ["VMC"], 18, 1600000),
    ("Creil Rénovation Énergétique", "SAS", "4399C", ["ITE", "CHA"], 36, 4100000),
    ("Abbeville Couverture Zinguerie", "SARL", "4391A", ["TOI"], 10, 890000),
    ("Dunkerque Électricité Industrielle", "SAS", "4321A", ["ELE"], 40, 5200000),
    ("Hainaut Façades et Enduits", "SARL", "4334Z", ["ITE"], 16, 1450000),
    ("Senlis Chauffage Sanitaire", "SARL", "4322A", ["CHA"], 11, 950000),
    ("Liévin Menuiseries Services", "SARL", "4332A", ["MEN"], 14, 1250000),
    ("Maubeuge Isolation Combles", "SARL", "4329A", ["TOI"], 6, 540000),
    ("Péronne Électricité Rénovation", "EURL", "4321A", ["ELE"], 5, 420000),
    ("Côte d'Opale Ventilation", "SARL", "4322B", ["VMC"], 8, 700000),
    ("Château-Thierry Bâtiment", "SAS", "4120A", ["ITE", "MEN", "TOI"], 52, 6900000),
    ("Armentières Habitat Énergie", "SAS", "4399C", ["CHA", "VMC"], 23, 2200000),
]

FIRST_NAMES = ["Julien", "Nathalie", "Thomas", "Isabelle", "Mehdi", "Céline", "Nicolas", "Sandrine", "Olivier",
               "Aurélie", "Sébastien", "Laetitia", "Franck", "Émilie", "Rachid", "Virginie"]
LAST_NAMES = ["Lemaire", "Dupont", "Leroy", "Vasseur", "Delattre", "Caron", "Lefebvre", "Deschamps",
              "Dumont", "Carpentier", "Bocquet", "Hennebelle", "Lecomte", "Duhamel", "Vandenberghe", "Mercier"]

REJECTION_REASONS = [
    "Chiffre d'affaires annuel inférieur au minimum exigé pour cette catégorie.",
    "Aucune référence de travaux comparables dans le département.",
    "Qualification RGE non fournie et aucune preuve équivalente jugée suffisante.",
]

INFO_REQUEST_MESSAGES = [
    "Merci de fournir l'attestation d'assurance décennale couvrant l'activité d'isolation thermique "
    "par l'extérieur, ainsi que deux références de chantiers en site occupé.",
    "Votre attestation RGE mentionne la qualification « 5211 » : merci de préciser si elle couvre les "
    "pompes à chaleur collectives ou de transmettre une preuve équivalente.",
]

EVIDENCE_TEXT = {
    "kbis": "Extrait Kbis — Greffe du tribunal de commerce",
    "urssaf_vigilance": "Attestation de vigilance URSSAF",
    "tax_certificate": "Attestation de régularité fiscale — DGFiP",
    "liability_insurance": "Attestation d'assurance responsabilité civile professionnelle",
    "decennial_insurance": "Attestation d'assurance responsabilité civile décennale",
    "rge_certificate": "Certificat RGE — Qualibat",
    "qualibat_certificate": "Certificat de qualification Qualibat",
    "references": "Liste de références de chantiers",
    "other": "Justificatif complémentaire",
}

# Validity of each kind when uploaded (days after issue); None: no expiry date printed.
EVIDENCE_VALIDITY_DAYS = {
    "kbis": None, "urssaf_vigilance": None,  # URSSAF: 6 months by default, set by the service
    "tax_certificate": 365, "liability_insurance": 365, "decennial_insurance": 365,
    "rge_certificate": 3 * 365, "qualibat_certificate": 4 * 365, "references": None, "other": 365,
}
