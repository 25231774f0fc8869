# schemas: numbered migrations per driver, installed as $(pkgdatadir)/schemas/<driver>/NNN_name.sql
# (STARLING_SCHEMA_DIR), where start-up and `starlingctl db migrate` read them. Every file is
# listed: a migration missing here is missing from make install and make dist, and the installed
# server then refuses to start (the installed-tree scenario in .ci/run catches that).
nobase_dist_pkgdata_DATA = \
	schemas/sqlite/001_accounts.sql \
	schemas/postgres/001_accounts.sql \
	schemas/sqlite/002_roster.sql \
	schemas/postgres/002_roster.sql \
	schemas/sqlite/003_last.sql \
	schemas/postgres/003_last.sql \
	schemas/sqlite/004_offline.sql \
	schemas/postgres/004_offline.sql \
	schemas/sqlite/005_documents.sql \
	schemas/postgres/005_documents.sql \
	schemas/sqlite/006_blocklist.sql \
	schemas/postgres/006_blocklist.sql \
	schemas/sqlite/007_offline_counts.sql \
	schemas/postgres/007_offline_counts.sql \
	schemas/sqlite/008_archive.sql \
	schemas/postgres/008_archive.sql \
	schemas/sqlite/009_pubsub.sql \
	schemas/postgres/009_pubsub.sql \
	schemas/sqlite/010_prekeys.sql \
	schemas/postgres/010_prekeys.sql \
	schemas/sqlite/011_push.sql \
	schemas/postgres/011_push.sql \
	schemas/sqlite/012_archive_ids.sql \
	schemas/postgres/012_archive_ids.sql \
	schemas/sqlite/013_quotas.sql \
	schemas/postgres/013_quotas.sql \
	schemas/sqlite/014_offline_strangers.sql \
	schemas/postgres/014_offline_strangers.sql \
	schemas/sqlite/015_archive_counts.sql \
	schemas/postgres/015_archive_counts.sql \
	schemas/sqlite/016_pep_subscriptions.sql \
	schemas/postgres/016_pep_subscriptions.sql \
	schemas/sqlite/017_muc.sql \
	schemas/postgres/017_muc.sql \
	schemas/sqlite/018_muc_archive.sql \
	schemas/postgres/018_muc_archive.sql \
	schemas/sqlite/019_uploads.sql \
	schemas/postgres/019_uploads.sql
