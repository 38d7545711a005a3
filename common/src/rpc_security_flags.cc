#include "strata/common/rpc_security_flags.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"

ABSL_FLAG(std::string, tls_cert, "", "this process's TLS certificate chain, PEM (with --tls_key; empty: plaintext)");
ABSL_FLAG(std::string, tls_key, "", "the private key of --tls_cert, PEM");
ABSL_FLAG(std::string, tls_ca, "",
          "the CA certificate, PEM, that signs the peers' certificates: a client checks the server with it, a "
          "server checks client certificates with it (empty: a client dials plaintext)");
ABSL_FLAG(std::string, token_file, "",
          "a file whose first line is the bearer token sent on every call (empty: $STRATA_TOKEN, if set)");
ABSL_FLAG(std::string, tls_service_name, "",
          "the name the partition services' certificates carry, checked instead of the address dialled (services "
          "advertise IPs); empty: the address");
ABSL_FLAG(bool, allow_insecure_listen, false,
          "serve plaintext gRPC on a non-loopback address (without it, only TLS may listen beyond this machine)");

namespace strata {

absl::StatusOr<RpcSecurity> RpcSecurityFromFlags() {
  auto security = LoadRpcSecurity(
      {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)},
      absl::GetFlag(FLAGS_token_file));
  if (!security.ok()) return security;
  security->service_name = absl::GetFlag(FLAGS_tls_service_name);
  if (security->bearer_token.empty()) {
    if (const char* env = std::getenv("STRATA_TOKEN"); env != nullptr) {
      security->bearer_token = std::string(absl::StripAsciiWhitespace(env));
    }
  }
  return security;
}

bool AllowInsecureListenFlag() { return absl::GetFlag(FLAGS_allow_insecure_listen); }

}  // namespace strata
