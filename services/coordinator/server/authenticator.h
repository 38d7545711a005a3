// Authenticator: who is calling the coordinator. A caller proves who it is
// with a bearer token (`authorization: Bearer <token>`, looked up in the
// token file) or with a client certificate the server's CA verified (its
// common name is its identity). Roles: "admin" sees and cancels every job;
// "service" may register partition services. With authentication off (no
// token file, no client certificates asked for) every caller is the
// anonymous admin and service, as on a laptop.
#ifndef STRATA_COORDINATOR_SERVER_AUTHENTICATOR_H_
#define STRATA_COORDINATOR_SERVER_AUTHENTICATOR_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "grpcpp/server_context.h"

namespace strata::coordinator {

struct Caller {
  std::string name;  // a job's owner; empty when authentication is off
  bool admin = false;
  bool service = false;
};

struct AuthOptions {
  // Lines `token owner [admin|service]`; '#' starts a comment. Empty: no tokens.
  std::string token_file;
  // Client-certificate common names with a role (the others are plain users).
  std::vector<std::string> admin_cert_names;
  std::vector<std::string> service_cert_names;
  // Whether the server verifies client certificates (TLS with a CA).
  bool client_certificates = false;
};

class Authenticator {
 public:
  // Authentication is on when `options` names a token file or client
  // certificates are verified. Errors name the file and line.
  static absl::StatusOr<Authenticator> Create(const AuthOptions& options);

  bool enabled() const { return enabled_; }
  // UNAUTHENTICATED (saying how to authenticate) when authentication is on
  // and the call carries no credential, a malformed or unknown token.
  absl::StatusOr<Caller> Identify(const grpc::ServerContextBase& context) const;

 private:
  bool enabled_ = false;
  absl::flat_hash_map<std::string, Caller> by_token_;
  absl::flat_hash_set<std::string> admin_names_;
  absl::flat_hash_set<std::string> service_names_;
};

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SERVER_AUTHENTICATOR_H_
