# src/storage: the Database interface, its SQLite and PostgreSQL drivers, migrations and the stores.
libstarling_la_SOURCES += \
	src/storage/worker_thread.cpp \
	src/storage/database.cpp \
	src/storage/grouped_database.cpp \
	src/storage/migrate.cpp \
	src/storage/account_store.cpp \
	src/storage/quota_guard.cpp \
	src/storage/sqlite/sqlite_database.cpp \
	src/storage/sqlite/private_files.cpp \
	src/storage/postgres/postgres_database.cpp \
	src/storage/database.hpp \
	src/storage/account_store.hpp \
	src/storage/quota_guard.hpp \
	src/storage/worker_thread.hpp \
	src/storage/grouped_database.hpp \
	src/storage/sqlite/sqlite_database.hpp \
	src/storage/sqlite/private_files.hpp \
	src/storage/postgres/postgres_database.hpp

tests_unit_run_unit_SOURCES += \
	tests/unit/storage/storage_contract.cpp \
	tests/unit/storage/test_grouped_database.cpp \
	tests/unit/storage/test_sqlite_storage.cpp \
	tests/unit/storage/test_postgres_storage.cpp \
	tests/unit/storage/test_open_database.cpp \
	tests/unit/storage/storage_contract.hpp \
	tests/unit/storage/temp_dir.hpp

# Roster and last
libstarling_la_SOURCES += \
	src/storage/roster_store.cpp \
	src/storage/roster_store.hpp \
	src/storage/last_store.cpp \
	src/storage/last_store.hpp

tests_unit_run_unit_SOURCES += \
	tests/unit/storage/driver_databases.hpp \
	tests/unit/storage/test_roster_store.cpp \
	tests/unit/storage/test_last_store.cpp

# Offline and documents: the stores of mod_offline, mod_vcard and mod_private.
libstarling_la_SOURCES += \
	src/storage/offline_store.cpp \
	src/storage/offline_store.hpp \
	src/storage/xml_document_store.cpp \
	src/storage/xml_document_store.hpp \
	src/storage/stored_xml.cpp \
	src/storage/stored_xml.hpp

tests_unit_run_unit_SOURCES += \
	tests/unit/storage/test_databases.hpp \
	tests/unit/storage/test_offline_store.cpp \
	tests/unit/storage/test_xml_document_store.cpp

# Blocking: the store of mod_blocking.
libstarling_la_SOURCES += \
	src/storage/blocklist_store.cpp \
	src/storage/blocklist_store.hpp

tests_unit_run_unit_SOURCES += tests/unit/storage/test_blocklist_store.cpp \
	tests/unit/storage/driver_suites.hpp

# The message archive: the store of mod_mam, and its ids (the encrypted row).
libstarling_la_SOURCES += \
	src/storage/archive_store.cpp \
	src/storage/archive_store.hpp \
	src/storage/archive_ids.cpp \
	src/storage/archive_ids.hpp

tests_unit_run_unit_SOURCES += tests/unit/storage/test_archive_store.cpp \
	tests/unit/storage/test_archive_ids.cpp
# Push notifications: the store of mod_push.
libstarling_la_SOURCES += \
	src/storage/push_store.cpp \
	src/storage/push_store.hpp

tests_unit_run_unit_SOURCES += tests/unit/storage/test_push_store.cpp
# PEP and OMEMO prekeys: the stores of mod_pep.
libstarling_la_SOURCES += \
	src/storage/pubsub_store.cpp \
	src/storage/pubsub_store.hpp \
	src/storage/prekey_store.cpp \
	src/storage/prekey_store.hpp \
	src/storage/pep_subscription_store.cpp \
	src/storage/pep_subscription_store.hpp

tests_unit_run_unit_SOURCES += tests/unit/storage/test_pubsub_store.cpp \
	tests/unit/storage/test_prekey_store.cpp \
	tests/unit/storage/test_pep_subscription_store.cpp

# Multi-user chat: the store of mod_muc.
libstarling_la_SOURCES += \
	src/storage/muc_store.cpp \
	src/storage/muc_store.hpp

tests_unit_run_unit_SOURCES += tests/unit/storage/test_muc_store.cpp

# HTTP File Upload: the slots' store and the blob store of mod_http_upload.
libstarling_la_SOURCES += \
	src/storage/upload_store.cpp \
	src/storage/upload_store.hpp \
	src/storage/await_values.hpp \
	src/storage/blob_store.hpp \
	src/storage/file_blob_store.cpp \
	src/storage/file_blob_store.hpp

tests_unit_run_unit_SOURCES += tests/unit/storage/test_upload_store.cpp \
	tests/unit/storage/test_file_blob_store.cpp
