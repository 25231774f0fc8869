#pragma once

#include <string>

namespace starling::scenarios {

/// A private directory under /tmp, removed with everything in it when this goes away, unless the
/// run asked to keep it for a post-mortem (STARLING_KEEP_SCENARIO_DIRS=1).
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace starling::scenarios
