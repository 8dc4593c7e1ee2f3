-- sql/003-ratelimit.sql - the per-recipient reply rate limit.
--
-- Applied by `keymail initdb` (no BEGIN/COMMIT here: initdb supplies them).
--
-- Anyone can forge a From: line, so without a limit the robot could be
-- made to mail-bomb a third party (reflection). Before each reply the
-- filter counts it here with one atomic upsert (store_reply_count in
-- src/store/store_pg.c):
--
--   INSERT ... VALUES (address, date_trunc('hour', now()), 1)
--   ON CONFLICT (address, hour) DO UPDATE SET count = reply_log.count + 1
--   RETURNING count
--
-- and sends the reply only if count <= max_replies_per_hour. The upsert
-- takes the row lock, so concurrent filters replying to the same address
-- each see a distinct count: no two of them can both slip in as number 20.
-- Dropped replies are counted too, so the table shows how hard an address
-- was hammered. Rows of hours more than a day old are deleted by the
-- filter whenever it starts a new (address, hour) row (best effort, via
-- the hour index), so the table holds about a day of history.
CREATE TABLE reply_log (
	address		text NOT NULL,		-- lower-case addr-spec replied to
	hour		timestamptz NOT NULL,	-- start of the clock hour
	count		bigint NOT NULL,	-- replies asked for in that hour
	PRIMARY KEY (address, hour)
);
CREATE INDEX reply_log_hour_idx ON reply_log (hour);
