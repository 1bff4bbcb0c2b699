"""What the outbox tells the rest of kyocho, without knowing who listens.

``email_outcome`` is sent inside the transaction that records a row's new status (sent, failed or
bounced), so a listener's change (a contact attempt's outcome) commits with it or not at all.
Listeners receive ``email`` (the locked ``OutboundEmail``) and must not send mail themselves.
"""

from django.dispatch import Signal

email_outcome = Signal()
