#include "server/coordinator_server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "services/systems/job/spec_admission.h"
#include "rpc_metrics.h"
#include "strata/v1/job_service.grpc.pb.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::coordinator {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering. A client always
  // hears why: never an error with an empty message.
  std::string message(s.message());
  if (message.empty()) message = absl::StrCat(absl::StatusCodeToString(s.code()), " (no detail)");
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), message);
}

// SubmitJob takes its request as raw bytes: protobuf refuses a proto3
// string holding invalid UTF-8, and gRPC's own parse would answer INTERNAL
// with an empty message. Parsed here, the client hears INVALID_ARGUMENT
// naming the field. (A callback method: the generated code has no raw
// synchronous kind. Submit is short: admission and one SQLite insert.)
class JobServiceImpl final : public v1::JobService::WithRawCallbackMethod_SubmitJob<v1::JobService::Service> {
 public:
  explicit JobServiceImpl(JobManager* manager) : manager_(manager) {}

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(Submit(*request, response));
    return reactor;
  }
  grpc::Status GetJob(grpc::ServerContext*, const v1::GetJobRequest* request, v1::Job* job) override {
    auto r = manager_->Get(request->id());
    if (r.ok()) *job = *r;
    return ToGrpc(r.status());
  }
  grpc::Status CancelJob(grpc::ServerContext*, const v1::CancelJobRequest* request, v1::Job* job) override {
    auto r = manager_->Cancel(request->id());
    if (r.ok()) *job = *r;
    return ToGrpc(r.status());
  }
  grpc::Status ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override {
    auto r = manager_->List(*request);
    if (r.ok()) *response = *r;
    return ToGrpc(r.status());
  }
  grpc::Status WatchJob(grpc::ServerContext* context, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override {
    uint64_t seen = 0;
    for (;;) {
      uint64_t version = 0;
      auto job = manager_->WaitForChange(request->id(), seen, absl::Seconds(1), &version);
      if (!job.ok()) return ToGrpc(job.status());
      if (version != seen && !writer->Write(*job)) return grpc::Status::OK;  // the client went away
      if (IsFinal(job->state())) return grpc::Status::OK;
      if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the watch");
      seen = version;
    }
  }

 private:
  grpc::Status Submit(const grpc::ByteBuffer& request, grpc::ByteBuffer* response);
  JobManager* manager_;
};

grpc::Status JobServiceImpl::Submit(const grpc::ByteBuffer& request_bytes, grpc::ByteBuffer* response) {
  std::vector<grpc::Slice> slices;
  if (!request_bytes.Dump(&slices).ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request");
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  v1::SubmitJobRequest request;
  if (!request.ParseFromString(bytes)) {
    const std::string field = systems::InvalidUtf8FieldPath(bytes, *v1::SubmitJobRequest::descriptor());
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        field.empty() ? "the request is not a strata.v1.SubmitJobRequest in protobuf wire format"
                                      : absl::StrCat(field, " is not valid UTF-8; allowed: UTF-8 text"));
  }
  auto job = manager_->Submit(request.spec(), request.request_id());
  if (!job.ok()) return ToGrpc(job.status());
  const std::string out = job->SerializeAsString();
  grpc::Slice slice(out);
  *response = grpc::ByteBuffer(&slice, 1);
  return grpc::Status::OK;
}

class ServiceRegistryImpl final : public v1::ServiceRegistry::Service {
 public:
  explicit ServiceRegistryImpl(ServiceDirectory* services) : services_(services) {}
  grpc::Status RegisterService(grpc::ServerContext*, const v1::RegisterServiceRequest* request,
                               v1::RegisterServiceResponse* response) override {
    response->set_heartbeat_seconds(ServiceDirectory::kHeartbeatSeconds);
    return ToGrpc(services_->Register(request->role(), request->address()));
  }

 private:
  ServiceDirectory* services_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(const CoordinatorOptions& options) {
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer());
  auto store = JobStore::Open(options.database);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  for (const ServiceEndpoint& s : options.services) server->services_.AddStatic(s.role, s.address);
  server->services_.set_startup_grace(options.service_grace);
  server->manager_ = std::make_unique<JobManager>(server->store_.get(), options.max_concurrent_jobs, options.registry,
                                                  &server->services_, options.metrics_linger);
  if (absl::Status s = server->manager_->Recover(); !s.ok()) return s;
  server->service_ = std::make_unique<JobServiceImpl>(server->manager_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->service_.get());
  server->registry_service_ = std::make_unique<ServiceRegistryImpl>(&server->services_);
  builder.RegisterService(server->registry_service_.get());
  partition::AddRpcMetrics(builder, options.registry);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on '", options.listen_address, "'"));
  }
  // The standard health service: the server ("") and each service by name.
  for (const char* name : {v1::JobService::service_full_name(), v1::ServiceRegistry::service_full_name()}) {
    server->server_->GetHealthCheckService()->SetServingStatus(name, true);
  }
  return server;
}

void CoordinatorServer::Shutdown(absl::Duration deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  manager_->Shutdown("the coordinator is shutting down");
  server_->GetHealthCheckService()->Shutdown();  // NOT_SERVING from now on
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline));
  manager_.reset();  // joins the workers; running jobs end FAILED with the reason
}

CoordinatorServer::~CoordinatorServer() { Shutdown(); }

}  // namespace strata::coordinator
