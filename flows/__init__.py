"""The business: filings, the guided conversation, review, deadlines, documents. No UI, no SQL."""
