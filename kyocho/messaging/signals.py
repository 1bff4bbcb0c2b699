"""What the outbox tells the rest of kyocho, without knowing who listens.

``email_outcome`` is sent inside the transaction that records a row's new status (sent, failed or
bounced), so a listener's change (a contact attempt's outcome) commits with it or not at all.
Listeners receive ``emails``, the locked ``OutboundEmail`` rows whose outcome was just recorded (one
signal per recorded chunk of a delivery batch, so a listener can handle hundreds with a few queries),
and must not send mail themselves.
"""

from django.dispatch import Signal

email_outcome = Signal()
