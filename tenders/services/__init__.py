"""Every write on a mini-tender, one module per concern; this package re-exports them all.

- ``inputs``: the cleaning of the text, amounts, integers and moments every tender service receives;
- ``drafting``: the tender while draft, its documents and addenda;
- ``publication``: the checks, the invitations (the category's live admissions at the instant of
  publication, R2162-49; a deadline at least 10 days later unless agreed by all, R2162-50), their mails;
- ``questions``: asked by invited suppliers, answered to all without the asker's name;
- ``bids``: sealed from the first save (R2132-9); the time of receipt is taken under the tender's row
  lock, a bid at or after the deadline is kept as ``late`` and never evaluated (R2151-5);
- ``opening``: the deadline, the recorded opening, the end of a tender;
- ``evaluation``: classification, regularisation and justification requests, the panel, scores,
  consensus and the ranking;
- ``award``: the proposal of the first-ranked bid, the winner's evidence, the four-eyes approval, the
  letters, the withdrawal (R2144-7) and the debriefing (R2181-4);
- ``contracts``: the contract created at the award, its signatures after the standstill, its notification
  and the URSSAF vigilance asked again during the works.
"""

from .award import (  # noqa: F401
    award_approve,
    award_propose,
    award_withdraw,
    debrief_answer,
    debrief_request_create,
    expected_works_start,
    live_proposal,
    proposable_bid_id,
    winner_checklist,
    winner_evidence_request,
)
from .bids import (  # noqa: F401
    LateBid,
    bid_content,
    bid_create,
    bid_document_delete,
    bid_document_upload,
    bid_submit,
    bid_update,
    bid_withdraw,
    document_content,
    document_name,
    priced_schedule,
    receipt,
    submission_problems,
)
from .contracts import (  # noqa: F401
    contract_notify,
    contract_sign,
    contracts_vigilance_reminders,
)
from .drafting import (  # noqa: F401
    tender_as_data,
    tender_create,
    tender_document_upload,
    tender_update,
)
from .evaluation import (  # noqa: F401
    PRICE_FIELDS,
    bid_classify,
    bid_respond,
    clean_evaluation_settings,
    consensus_record,
    impartiality_declare,
    is_frozen,
    justification_request,
    panel_set,
    ranking_freeze,
    regularisation_request,
    regularisations_expire,
    score_put,
    scored_criteria,
    scores_submit,
    sheet_fingerprint,
    sheet_lines,
)
from .inputs import (  # noqa: F401
    CENT,
    MAX_TEXT,
    money,
    when,
)
from .opening import (  # noqa: F401
    tender_cancel,
    tender_declare_unsuccessful,
    tender_open,
    tenders_close_expired,
)
from .publication import (  # noqa: F401
    invitation_mails_queue,
    invitation_mails_sweep,
    live_admissions,
    publication_problems,
    tender_publish,
)
from .questions import (  # noqa: F401
    invited_company,
    question_answer,
    question_ask,
)
