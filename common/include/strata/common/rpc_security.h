// RpcSecurity: the one place every strata process chooses its gRPC
// credentials. A server listens with ServerCredentialsFor, a client dials
// with Dial; both take an RpcSecurity that is either empty (plaintext, the
// laptop default, loopback only) or holds PEM files read once at start
// (TLS, with mutual TLS when a client certificate is given) and an optional
// bearer token sent as `authorization: Bearer <token>` on every call.
//
// Each binary loads its RpcSecurity from its flags (RpcSecurityFromFlags,
// rpc_security_flags.h) and installs it with SetProcessRpcSecurity; code
// deep inside a process (the coordinator dialling services, a service
// dialling its peers) uses ProcessRpcSecurity(). Tests build their own.
#ifndef STRATA_COMMON_RPC_SECURITY_H_
#define STRATA_COMMON_RPC_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace strata {

// Where the PEM files are; every field optional. A server needs cert+key
// to serve TLS; a client needs ca to dial TLS, and cert+key to present
// its own certificate (mutual TLS).
struct TlsFiles {
  std::string cert_file;  // this process's certificate chain
  std::string key_file;   // its private key
  std::string ca_file;    // the CA that signs the peers' certificates
};

struct RpcSecurity {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
  std::string bearer_token;  // empty: none sent
  // The name partition services' certificates carry, checked instead of
  // the address dialled on the kernel wire: services advertise pod IPs,
  // which no certificate made in advance can name. Empty: the address.
  std::string service_name;

  bool tls() const { return !ca_pem.empty() || !cert_pem.empty(); }
};

// Reads the files named in `files` and the token in `token_file` (its first
// non-empty line; empty name: none). Errors name the flag and the file.
absl::StatusOr<RpcSecurity> LoadRpcSecurity(const TlsFiles& files, const std::string& token_file);

// How a TLS server treats client certificates.
enum class ClientCertificates {
  kOptional,  // verified against the CA when sent (users may send a token instead)
  kRequired,  // every client shows a certificate the CA signed (service to service)
};

// Plaintext when `security` holds no certificate; else TLS with its
// certificate, and client certificates checked against its CA as `policy`
// says (without a CA, none are asked for).
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const RpcSecurity& security,
                                                              ClientCertificates policy);

// A channel to `address`: plaintext when `security` has no CA, else TLS
// checking the server against the CA (and presenting this process's
// certificate when it has one); the bearer token, if any, on every call.
std::shared_ptr<grpc::Channel> Dial(const std::string& address, const RpcSecurity& security,
                                    const grpc::ChannelArguments& args = grpc::ChannelArguments());

// Whether `address` (HOST:PORT, [V6]:PORT or unix:PATH) is reachable only
// from this machine: 127.0.0.0/8, ::1, localhost or a unix socket.
bool IsLoopbackAddress(absl::string_view address);

// OK when a server may listen on `address` with `security`: with TLS
// anywhere; without TLS only on a loopback host (127.0.0.0/8, ::1,
// localhost), unless `allow_insecure` says the operator knows better.
absl::Status CheckListenAddress(absl::string_view address, const RpcSecurity& security, bool allow_insecure);

// The process's own credentials (empty until a main installs them).
void SetProcessRpcSecurity(RpcSecurity security);
RpcSecurity ProcessRpcSecurity();

}  // namespace strata

#endif  // STRATA_COMMON_RPC_SECURITY_H_
