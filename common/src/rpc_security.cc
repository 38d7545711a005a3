#include "strata/common/rpc_security.h"

#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/client_interceptor.h"

namespace strata {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, " = '", path, "' cannot be read; allowed: a readable file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " = '", path, "' is empty; allowed: a non-empty file"));
  return text.str();
}

// Adds `authorization: Bearer <token>` to every call of a channel. An
// interceptor, not call credentials: gRPC refuses call credentials on a
// plaintext channel, and a token on loopback without TLS is a supported
// laptop setup.
class BearerTokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerTokenInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", *header_);
    }
    methods->Proceed();
  }

 private:
  const std::string* header_;
};

class BearerTokenInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenInterceptorFactory(const std::string& token) : header_(absl::StrCat("Bearer ", token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo*) override {
    return new BearerTokenInterceptor(&header_);
  }

 private:
  const std::string header_;  // outlives the channel's interceptors (the channel owns this factory)
};

std::mutex process_mu;
RpcSecurity& ProcessSecurityLocked() {
  static RpcSecurity* security = new RpcSecurity();
  return *security;
}

}  // namespace

absl::StatusOr<RpcSecurity> LoadRpcSecurity(const TlsFiles& files, const std::string& token_file) {
  RpcSecurity security;
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert and tls_key go together; allowed: both (this process's certificate and key) or neither");
  }
  struct Source {
    const char* flag;
    const std::string& path;
    std::string* pem;
  };
  for (const Source& s : {Source{"tls_cert", files.cert_file, &security.cert_pem},
                          Source{"tls_key", files.key_file, &security.key_pem},
                          Source{"tls_ca", files.ca_file, &security.ca_pem}}) {
    if (s.path.empty()) continue;
    auto pem = ReadFile(s.flag, s.path);
    if (!pem.ok()) return pem.status();
    if (!absl::StrContains(*pem, "-----BEGIN ")) {
      return absl::InvalidArgumentError(absl::StrCat(s.flag, " = '", s.path, "' is not PEM; allowed: a PEM file"));
    }
    *s.pem = std::move(*pem);
  }
  if (!token_file.empty()) {
    auto text = ReadFile("token_file", token_file);
    if (!text.ok()) return text.status();
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      security.bearer_token = std::string(line);
      break;
    }
    if (security.bearer_token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("token_file = '", token_file, "' holds no token"));
    }
  }
  return security;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const RpcSecurity& security,
                                                              ClientCertificates policy) {
  if (security.cert_pem.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      security.ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
      : policy == ClientCertificates::kRequired ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                                : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = security.ca_pem;
  options.pem_key_cert_pairs.push_back({security.key_pem, security.cert_pem});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::Channel> Dial(const std::string& address, const RpcSecurity& security,
                                    const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!security.ca_pem.empty()) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = security.ca_pem;
    options.pem_private_key = security.key_pem;
    options.pem_cert_chain = security.cert_pem;
    credentials = grpc::SslCredentials(options);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!security.bearer_token.empty()) {
    interceptors.push_back(std::make_unique<BearerTokenInterceptorFactory>(security.bearer_token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, credentials, args, std::move(interceptors));
}

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:")) return true;  // a socket file: this machine only
  absl::string_view host = address.substr(0, address.rfind(':'));
  if (address.rfind(':') == absl::string_view::npos) host = address;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) host = host.substr(1, host.size() - 2);
  const std::string lower = absl::AsciiStrToLower(host);
  return lower == "localhost" || lower == "::1" || absl::StartsWith(lower, "127.");
}

absl::Status CheckListenAddress(absl::string_view address, const RpcSecurity& security, bool allow_insecure) {
  if (!security.cert_pem.empty() || allow_insecure || IsLoopbackAddress(address)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "listen = '", address,
      "' without TLS; allowed: a loopback address (127.0.0.1, ::1, localhost), or TLS with --tls_cert and "
      "--tls_key (docs/security.md), or --allow_insecure_listen on a network you trust"));
}

void SetProcessRpcSecurity(RpcSecurity security) {
  std::lock_guard<std::mutex> lock(process_mu);
  ProcessSecurityLocked() = std::move(security);
}

RpcSecurity ProcessRpcSecurity() {
  std::lock_guard<std::mutex> lock(process_mu);
  return ProcessSecurityLocked();
}

}  // namespace strata
