#include "certificate.hpp"

#include "process.hpp"
#include "scenario.hpp"

namespace starling::scenarios {

certificate_files make_self_signed_certificate(const std::string& dir, const std::string& domain) {
    certificate_files files{dir + "/" + domain + ".crt", dir + "/" + domain + ".key"};
    auto result = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                               "-keyout", files.key, "-out", files.certificate,
                               "-subj", "/CN=" + domain,
                               "-addext", "subjectAltName=DNS:" + domain},
                              std::chrono::seconds(20));
    require(result.exited_with(0), "openssl req for " + domain + " failed (" +
                                       describe_status(result.status) + "): " + result.output);
    return files;
}

}  // namespace starling::scenarios
