#include "certificate.hpp"

#include "process.hpp"
#include "scenario.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace starling::scenarios {

certificate_files make_self_signed_certificate(const std::string& dir, const std::string& domain) {
    certificate_files files{dir + "/" + domain + ".crt", dir + "/" + domain + ".key"};
    auto result = run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-keyout", files.key, "-out", files.certificate, "-subj",
         "/CN=" + domain, "-addext", "subjectAltName=DNS:" + domain},
        std::chrono::seconds(20));
    require(result.exited_with(0), "openssl req for " + domain + " failed (" +
                                       describe_status(result.status) + "): " + result.output);
    return files;
}

namespace {

void openssl(const std::vector<std::string>& args, const std::string& what) {
    std::vector<std::string> command{"openssl"};
    command.insert(command.end(), args.begin(), args.end());
    auto result = run_command(command, std::chrono::seconds(20));
    require(result.exited_with(0), "openssl for " + what + " failed (" +
                                       describe_status(result.status) + "): " + result.output);
}

}  // namespace

certificate_files make_test_ca(const std::string& dir) {
    certificate_files files{dir + "/test-ca.crt", dir + "/test-ca.key"};
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "2", "-keyout", files.key, "-out", files.certificate, "-subj",
             "/CN=Starling scenario CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"},
            "the test CA");
    return files;
}

certificate_files make_signed_certificate(const std::string& dir, const certificate_files& ca,
                                          const std::string& domain, int days) {
    certificate_files files{dir + "/" + domain + ".crt", dir + "/" + domain + ".key"};
    const std::string request = dir + "/" + domain + ".csr";
    openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", files.key, "-out", request, "-subj", "/CN=" + domain},
            "the request of " + domain);
    const std::string extensions = dir + "/" + domain + ".ext";
    std::FILE* file = std::fopen(extensions.c_str(), "w");
    require(file != nullptr, "cannot write " + extensions);
    std::fprintf(file, "subjectAltName=DNS:%s\n", domain.c_str());
    std::fclose(file);
    openssl(
        {"x509", "-req", "-in", request, "-CA", ca.certificate, "-CAkey", ca.key, "-CAcreateserial",
         "-days", std::to_string(days), "-extfile", extensions, "-out", files.certificate},
        "the certificate of " + domain);
    return files;
}

}  // namespace starling::scenarios
