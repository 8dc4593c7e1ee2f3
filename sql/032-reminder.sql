-- sql/032-reminder.sql - expiry reminders (../shared/spec/owner-control.md
-- 10.2): one reminder per key and due date.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
-- due: the due date (epoch seconds) the reminder was about; a new expiry
-- moves the due date, so the next reminder has a row of its own.
CREATE TABLE reminder_sent (
	key_id		bigint NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
	due		bigint NOT NULL,
	sent		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (key_id, due)
);
