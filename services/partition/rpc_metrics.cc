#include "rpc_metrics.h"

#include <chrono>
#include <mutex>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/histogram.h"

namespace strata::partition {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The grpc_code label: the canonical upper-case names, as in gRPC's docs.
const char* CodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {
      "OK",           "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND",    "ALREADY_EXISTS",     "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",      "OUT_OF_RANGE",       "UNIMPLEMENTED",  "INTERNAL",         "UNAVAILABLE",
      "DATA_LOSS",    "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < static_cast<int>(std::size(kNames)) ? kNames[i] : "UNKNOWN";
}

// Shared by every call's interceptor: the histogram family and the methods
// seen so far (the label-set bound).
class RpcLatency {
 public:
  explicit RpcLatency(prometheus::Registry& registry)
      : family_(prometheus::BuildHistogram()
                    .Name("strata_grpc_server_handling_seconds")
                    .Help("Wall time from an RPC's start to its status, by service, method and status code")
                    .Register(registry)) {}

  void Observe(const std::string& path, grpc::StatusCode code, double seconds) {
    // "/strata.v1.JobService/SubmitJob" -> service, method.
    const size_t slash = path.rfind('/');
    std::string service = slash == std::string::npos || slash == 0 ? "" : path.substr(1, slash - 1);
    std::string method = slash == std::string::npos ? path : path.substr(slash + 1);
    std::lock_guard<std::mutex> lock(mu_);
    if (!methods_.contains(path)) {
      if (methods_.size() >= static_cast<size_t>(kMaxRpcMethods)) {
        service = "other";
        method = "other";
      } else {
        methods_.insert(path);
      }
    }
    // From 100 us (a unary call on loopback) to 1000 s (a long job watched).
    static const prometheus::Histogram::BucketBoundaries kBuckets = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1,
                                                                    0.3,  1,    3,    10,   30,   100,  1000};
    family_
        .Add({{"grpc_service", std::move(service)}, {"grpc_method", std::move(method)}, {"grpc_code", CodeName(code)}},
             kBuckets)
        .Observe(seconds);
  }

 private:
  prometheus::Family<prometheus::Histogram>& family_;
  std::mutex mu_;
  absl::flat_hash_set<std::string> methods_;
};

// One per call: created when the call starts, records when destroyed.
class LatencyInterceptor final : public grpc::experimental::Interceptor {
 public:
  LatencyInterceptor(std::shared_ptr<RpcLatency> latency, grpc::experimental::ServerRpcInfo* info)
      : latency_(std::move(latency)), info_(info), method_(info->method() != nullptr ? info->method() : ""),
        start_(std::chrono::steady_clock::now()) {}
  ~LatencyInterceptor() override {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
    latency_->Observe(method_, code_, took.count());
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      code_ = methods->GetSendStatus().error_code();
      // A call the client's deadline or cancellation already ended never
      // delivers the handler's status (a WatchJob whose Write failed
      // returns OK): record what the client saw.
      grpc::ServerContextBase* context = info_->server_context();
      if (context != nullptr && context->IsCancelled()) {
        code_ = context->deadline() <= std::chrono::system_clock::now() ? grpc::StatusCode::DEADLINE_EXCEEDED
                                                                          : grpc::StatusCode::CANCELLED;
      }
    }
    methods->Proceed();
  }

 private:
  std::shared_ptr<RpcLatency> latency_;
  grpc::experimental::ServerRpcInfo* info_;  // outlives this interceptor (it owns it)
  std::string method_;
  std::chrono::steady_clock::time_point start_;
  // Until a status is sent: a call that ends without one was cancelled.
  grpc::StatusCode code_ = grpc::StatusCode::CANCELLED;
};

class LatencyInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit LatencyInterceptorFactory(std::shared_ptr<RpcLatency> latency) : latency_(std::move(latency)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new LatencyInterceptor(latency_, info);
  }

 private:
  std::shared_ptr<RpcLatency> latency_;
};

}  // namespace

void AddRpcMetrics(grpc::ServerBuilder& builder, std::shared_ptr<prometheus::Registry> registry) {
  if (registry == nullptr) return;
  auto latency = std::make_shared<RpcLatency>(*registry);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<LatencyInterceptorFactory>(std::move(latency)));
  builder.experimental().SetInterceptorCreators(std::move(creators));
}

}  // namespace strata::partition
