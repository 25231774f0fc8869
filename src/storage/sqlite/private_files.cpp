#include "storage/sqlite/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace starling::storage {

void create_private_database_file(const std::string& path) {
    // O_EXCL: a file that is already there (or a symlink) is never touched here. The umask can
    // only take bits away from 0600. When the file cannot be made (no such directory, no
    // permission), SQLite fails on it next and says so in its own words.
    if (path.empty() || path == ":memory:") return;  // SQLite's name for no file at all
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
}

std::vector<std::string> database_files_open_to_others(const std::string& path) {
    std::vector<std::string> open;
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const std::string file = path + suffix;
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) open.push_back(file);
    }
    return open;
}

}  // namespace starling::storage
