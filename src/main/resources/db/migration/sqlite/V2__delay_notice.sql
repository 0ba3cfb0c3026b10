-- A delay notice (DSN with Action: delayed) was sent for this transaction.
ALTER TABLE transactions ADD COLUMN delay_notified BOOLEAN NOT NULL DEFAULT FALSE;
