// The command-line flags every strata binary that speaks gRPC shares:
//   --tls_cert, --tls_key   this process's certificate and key (PEM)
//   --tls_ca                the CA that signs its peers' certificates
//   --token_file            a bearer token to send (else $STRATA_TOKEN)
//   --tls_service_name      the name in the partition services' certificates
//   --allow_insecure_listen serve plaintext on a non-loopback address
// Linked only into binaries that call RpcSecurityFromFlags.
#ifndef STRATA_COMMON_RPC_SECURITY_FLAGS_H_
#define STRATA_COMMON_RPC_SECURITY_FLAGS_H_

#include "absl/status/statusor.h"
#include "strata/common/rpc_security.h"

namespace strata {

// Loads the files the flags name (and the token from $STRATA_TOKEN when
// --token_file is empty).
absl::StatusOr<RpcSecurity> RpcSecurityFromFlags();

// --allow_insecure_listen.
bool AllowInsecureListenFlag();

}  // namespace strata

#endif  // STRATA_COMMON_RPC_SECURITY_FLAGS_H_
