/*
 * serve/hkp_db.h - the HKP backend (serve/hkp.h struct hkp_backend) on
 * the key store: lookups through cmd_find_keys and its formatters (the
 * same code as the mail robot's GET, INDEX and VERBOSE INDEX), uploads
 * through cmd_add_blob (ADD's own parser, checks, limits, merge and peer
 * queue), the key count from the table statistics.
 *
 * Connections (server.md 4, 7) are a struct pipeline_db, as the LMTP
 * worker's: lookups read from database_ro when it is set and up, and from
 * the primary in the same request when the standby fails (it is tried
 * again no sooner than 30 s later); uploads go to the primary. A request
 * that finds its connection broken reconnects and runs once more before
 * it is answered 503. State changes are logged once each.
 *
 * Memory: struct hkp_db owns its connections; hkp_db_close() releases.
 * Never used across fork().
 */
#ifndef KM_SERVE_HKP_DB_H
#define KM_SERVE_HKP_DB_H

#include "cmd/pipeline.h"
#include "serve/hkp.h"

struct hkp_db {
	const struct conf *conf;
	struct pipeline_db db;
	bool policy_differs;		/* logged: the database records another policy */
};

/* Set up and open the connections now (failures are logged, not fatal:
 * each request tries again); be is filled to call into db. */
void hkp_db_open(struct hkp_db *db, const struct conf *c, struct hkp_backend *be);
void hkp_db_close(struct hkp_db *db);

#endif
