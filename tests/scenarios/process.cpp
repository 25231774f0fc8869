#include "process.hpp"

#include "scenario.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

namespace starling::scenarios {
namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& argv, int output_fd) {
    dup2(output_fd, STDOUT_FILENO);
    dup2(output_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    dprintf(output_fd, "cannot execute %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, const std::string& output_file) {
    int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    require(fd >= 0, "cannot open " + output_file + ": " + std::strerror(errno));
    pid_t pid = fork();
    require(pid >= 0, std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) exec_child(argv, fd);
    close(fd);
    return pid;
}

std::optional<int> wait_process(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) return status;
        require(done == 0, std::string("waitpid failed: ") + std::strerror(errno));
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

bool command_result::exited_with(int code) const {
    return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
    char path[] = "/tmp/starling-command-XXXXXX";
    int fd = mkstemp(path);
    require(fd >= 0, std::string("mkstemp failed: ") + std::strerror(errno));
    close(fd);
    pid_t pid = spawn_process(argv, path);
    command_result result;
    auto status = wait_process(pid, timeout);
    if (!status) {
        kill(pid, SIGKILL);
        status = wait_process(pid, std::chrono::seconds(5));
    }
    result.status = status.value_or(-1);
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    result.output = text.str();
    unlink(path);
    return result;
}

namespace {

std::string read_whole(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

bool split_result::exited_with(int code) const {
    return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

std::string split_result::describe() const {
    return describe_status(status) + ", stdout [" + out + "], stderr [" + err + "]";
}

split_result run_split(const std::vector<std::string>& argv, const std::string& input,
                       std::chrono::milliseconds timeout) {
    temp_dir files;
    const std::string in_path = files.file("stdin");
    const std::string out_path = files.file("stdout");
    const std::string err_path = files.file("stderr");
    {
        std::ofstream in(in_path);
        in << input;
        require(static_cast<bool>(in), "cannot write " + in_path);
    }
    pid_t pid = fork();
    require(pid >= 0, std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
        int in_fd = open(in_path.c_str(), O_RDONLY);
        int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in_fd < 0 || out_fd < 0 || err_fd < 0) _exit(127);
        dup2(in_fd, STDIN_FILENO);
        dup2(out_fd, STDOUT_FILENO);
        dup2(err_fd, STDERR_FILENO);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        dprintf(err_fd, "cannot execute %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    auto status = wait_process(pid, timeout);
    if (!status) {
        kill(pid, SIGKILL);
        status = wait_process(pid, std::chrono::seconds(5));
    }
    split_result result;
    result.status = status.value_or(-1);
    result.out = read_whole(out_path);
    result.err = read_whole(err_path);
    return result;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

std::uint64_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    throw scenario_failure("no VmRSS for process " + std::to_string(pid));
}

double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The command name may hold spaces: fields are counted from the ")" that ends it.
    const auto end = text.rfind(')');
    require(end != std::string::npos, "no /proc stat for process " + std::to_string(pid));
    std::istringstream fields(text.substr(end + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {  // field 3 is the state
        if (i == 14) utime = std::stoull(field);
        if (i == 15) {
            stime = std::stoull(field);
            break;
        }
    }
    return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

}  // namespace starling::scenarios
