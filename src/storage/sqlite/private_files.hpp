#pragma once
// The SQLite database holds every account's SCRAM secrets and the message archive, so its files
// are for the server's user alone, like the control socket and the key files.

#include <string>
#include <vector>

namespace starling::storage {

/// Creates `path` empty with mode 0600 when it does not exist, whatever the umask (an empty
/// file is an empty SQLite database). SQLite gives the -wal and -shm files it creates beside
/// it the database file's mode, so those are 0600 too. An existing file is left as it is.
void create_private_database_file(const std::string& path);

/// The database file and its -wal and -shm files, of those that exist, that users other than
/// the owner may read or write (a group or other permission bit set).
std::vector<std::string> database_files_open_to_others(const std::string& path);

}  // namespace starling::storage
