// RpcMetrics: how long every RPC a server handles takes, as a Prometheus
// histogram, strata_grpc_server_handling_seconds{grpc_service, grpc_method,
// grpc_code} (go-grpc-prometheus's names and labels; `_count` by code is the
// handled-RPC counter). Measured by a gRPC server interceptor from the call's
// start to its status, so a streaming RPC (WatchJob, RunPartitions) counts
// its whole life. Every strata server installs it when it has a registry.
#ifndef STRATA_PARTITION_RPC_METRICS_H_
#define STRATA_PARTITION_RPC_METRICS_H_

#include <memory>

#include "grpcpp/server_builder.h"
#include "prometheus/registry.h"

namespace strata::partition {

// Installs the interceptor on `builder` (before BuildAndStart). The label
// set stays bounded: after kMaxRpcMethods distinct methods (a client can
// call any path) the rest are counted as grpc_method="other".
void AddRpcMetrics(grpc::ServerBuilder& builder, std::shared_ptr<prometheus::Registry> registry);
inline constexpr int kMaxRpcMethods = 64;

}  // namespace strata::partition

#endif  // STRATA_PARTITION_RPC_METRICS_H_
