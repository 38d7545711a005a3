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
// The job `id` if `caller` may see and act on it: its owner or an admin.
// PERMISSION_DENIED otherwise (the job's existence is no secret: ids are
// 128 random bits, so only someone who was told one can ask).
absl::StatusOr<v1::Job> OwnedJob(JobManager& manager, const Caller& caller, const std::string& id) {
  auto job = manager.Get(id);
  if (!job.ok() || caller.admin || job->owner() == caller.name) return job;
  return absl::PermissionDeniedError(absl::StrCat("job '", id, "' belongs to another user; '", caller.name,
                                                  "' may see and cancel only its own jobs (admins: any)"));
}

// A raw request parsed here rather than by gRPC (whose failed parse answers
// INTERNAL with an empty message): INVALID_ARGUMENT naming a string field
// that holds invalid UTF-8, or saying the bytes are not the message.
template <class Request>
grpc::Status ParseRawRequest(const grpc::ByteBuffer& raw, Request* out) {
  std::vector<grpc::Slice> slices;
  if (!raw.Dump(&slices).ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request");
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  if (out->ParseFromString(bytes)) return grpc::Status::OK;
  const std::string field = systems::InvalidUtf8FieldPath(bytes, *Request::descriptor());
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      field.empty() ? absl::StrCat("the request is not a ", Request::descriptor()->full_name(),
                                                   " in protobuf wire format")
                                    : absl::StrCat(field, " is not valid UTF-8; allowed: UTF-8 text"));
}

// A unary method over raw bytes: parse, `handle`, serialise the answer.
template <class Request, class Response, class Handle>
grpc::ServerUnaryReactor* RawUnary(grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw,
                                   grpc::ByteBuffer* response, Handle handle) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request request;
  grpc::Status status = ParseRawRequest(*raw, &request);
  if (status.ok()) {
    Response out;
    status = handle(request, &out);
    if (status.ok()) {
      const std::string bytes = out.SerializeAsString();
      grpc::Slice slice(bytes);
      *response = grpc::ByteBuffer(&slice, 1);
    }
  }
  reactor->Finish(status);
  return reactor;
}

// SubmitJob, GetJob, CancelJob and ListJobs take raw bytes (see
// ParseRawRequest); WatchJob, a stream, is still parsed by gRPC.
using JobServiceBase = v1::JobService::WithRawCallbackMethod_SubmitJob<v1::JobService::WithRawCallbackMethod_GetJob<
    v1::JobService::WithRawCallbackMethod_CancelJob<v1::JobService::WithRawCallbackMethod_ListJobs<
        v1::JobService::Service>>>>;

class JobServiceImpl final : public JobServiceBase {
 public:
  JobServiceImpl(JobManager* manager, const Authenticator* auth) : manager_(manager), auth_(auth) {}
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    return RawUnary<v1::GetJobRequest, v1::Job>(
        context, request, response, [&](const v1::GetJobRequest& in, v1::Job* job) { return Get(*context, in, job); });
  }
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override {
    return RawUnary<v1::CancelJobRequest, v1::Job>(
        context, request, response,
        [&](const v1::CancelJobRequest& in, v1::Job* job) { return Cancel(*context, in, job); });
  }
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override {
    return RawUnary<v1::ListJobsRequest, v1::ListJobsResponse>(
        context, request, response,
        [&](const v1::ListJobsRequest& r, v1::ListJobsResponse* out) { return List(*context, r, out); });
  }

  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto caller = auth_->Identify(*context);
    reactor->Finish(caller.ok() ? Submit(*caller, *request, response) : ToGrpc(caller.status()));
    return reactor;
  }
  grpc::Status Get(const grpc::ServerContextBase& context, const v1::GetJobRequest& in, v1::Job* job) {
    const v1::GetJobRequest* request = &in;
    auto caller = auth_->Identify(context);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto r = OwnedJob(*manager_, *caller, request->id());
    if (r.ok()) *job = *r;
    return ToGrpc(r.status());
  }
  grpc::Status Cancel(const grpc::ServerContextBase& context, const v1::CancelJobRequest& in, v1::Job* job) {
    const v1::CancelJobRequest* request = &in;
    auto caller = auth_->Identify(context);
    if (!caller.ok()) return ToGrpc(caller.status());
    // A job's owner never changes, so checking first and cancelling next
    // cannot let anyone cancel another's job.
    if (auto owned = OwnedJob(*manager_, *caller, request->id()); !owned.ok()) return ToGrpc(owned.status());
    auto r = manager_->Cancel(request->id());
    if (r.ok()) *job = *r;
    return ToGrpc(r.status());
  }
  grpc::Status List(const grpc::ServerContextBase& context, const v1::ListJobsRequest& in,
                    v1::ListJobsResponse* response) {
    const v1::ListJobsRequest* request = &in;
    auto caller = auth_->Identify(context);
    if (!caller.ok()) return ToGrpc(caller.status());
    auto r = manager_->List(*request, caller->admin ? std::nullopt : std::optional<std::string>(caller->name));
    if (r.ok()) *response = *r;
    return ToGrpc(r.status());
  }
  grpc::Status WatchJob(grpc::ServerContext* context, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override {
    auto caller = auth_->Identify(*context);
    if (!caller.ok()) return ToGrpc(caller.status());
    if (auto owned = OwnedJob(*manager_, *caller, request->id()); !owned.ok()) return ToGrpc(owned.status());
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
  grpc::Status Submit(const Caller& caller, const grpc::ByteBuffer& request, grpc::ByteBuffer* response);
  JobManager* manager_;
  const Authenticator* auth_;
};

grpc::Status JobServiceImpl::Submit(const Caller& caller, const grpc::ByteBuffer& request_bytes,
                                    grpc::ByteBuffer* response) {
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
  auto job = manager_->Submit(request.spec(), request.request_id(), caller.name);
  if (!job.ok()) return ToGrpc(job.status());
  const std::string out = job->SerializeAsString();
  grpc::Slice slice(out);
  *response = grpc::ByteBuffer(&slice, 1);
  return grpc::Status::OK;
}

// Only a service credential registers a service: a registered address
// receives whole job specs and holds up every distributed job it is given.
class ServiceRegistryImpl final : public v1::ServiceRegistry::Service {
 public:
  ServiceRegistryImpl(ServiceDirectory* services, const Authenticator* auth) : services_(services), auth_(auth) {}
  grpc::Status RegisterService(grpc::ServerContext* context, const v1::RegisterServiceRequest* request,
                               v1::RegisterServiceResponse* response) override {
    auto caller = auth_->Identify(*context);
    if (!caller.ok()) return ToGrpc(caller.status());
    if (!caller->service) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("'", caller->name,
                                       "' may not register services; allowed: a token with role 'service' in "
                                       "--auth_token_file or a certificate named in --service_cert_names"));
    }
    response->set_heartbeat_seconds(ServiceDirectory::kHeartbeatSeconds);
    return ToGrpc(services_->Register(request->role(), request->address()));
  }

 private:
  ServiceDirectory* services_;
  const Authenticator* auth_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(const CoordinatorOptions& options) {
  if (absl::Status s = CheckListenAddress(options.listen_address, options.security, options.allow_insecure_listen);
      !s.ok()) {
    return s;
  }
  AuthOptions auth_options = options.auth;
  auth_options.client_certificates = !options.security.cert_pem.empty() && !options.security.ca_pem.empty();
  auto auth = Authenticator::Create(auth_options);
  if (!auth.ok()) return auth.status();
  // TLS alone hides the traffic but lets anyone who reaches the port see
  // and cancel every job and register services.
  if (!auth->enabled() && !IsLoopbackAddress(options.listen_address) && !options.allow_insecure_listen) {
    return absl::FailedPreconditionError(absl::StrCat(
        "listen = '", options.listen_address,
        "' without authentication; allowed: a loopback address, or --auth_token_file or --tls_ca (client "
        "certificates) (docs/security.md), or --allow_insecure_listen on a network you trust"));
  }
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer());
  server->auth_ = std::make_unique<Authenticator>(std::move(*auth));
  auto store = JobStore::Open(options.database);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  for (const ServiceEndpoint& s : options.services) server->services_.AddStatic(s.role, s.address);
  server->services_.set_startup_grace(options.service_grace);
  server->manager_ = std::make_unique<JobManager>(server->store_.get(), options.max_concurrent_jobs, options.registry,
                                                  &server->services_, options.metrics_linger);
  server->manager_->SetAdmissionLimits(options.admission);
  if (absl::Status s = server->manager_->Recover(); !s.ok()) return s;
  server->service_ = std::make_unique<JobServiceImpl>(server->manager_.get(), server->auth_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address,
                           ServerCredentialsFor(options.security, ClientCertificates::kOptional), &server->port_);
  builder.RegisterService(server->service_.get());
  server->registry_service_ = std::make_unique<ServiceRegistryImpl>(&server->services_, server->auth_.get());
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
