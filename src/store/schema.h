/*
 * store/schema.h - the schema migrations compiled into the program.
 *
 * The definitions are generated from sql/NNN-*.sql by scripts/embed-sql.sh
 * into build/gen/store_schema.c, so `keymail initdb` needs no files at run
 * time. store_initdb() (schema.c) applies each migration once, in version
 * order, each in its own transaction, and records it in schema_version.
 * Memory: static, read-only. The SQL text is ours (trusted), not mail input.
 */
#ifndef KM_STORE_SCHEMA_H
#define KM_STORE_SCHEMA_H

#include <stddef.h>

struct store_migration {
	int version;		/* NNN of the file name, strictly increasing */
	const char *name;	/* file name, e.g. "001-schema.sql" */
	const char *sql;	/* the whole file; may hold several statements */
};

extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

#endif
