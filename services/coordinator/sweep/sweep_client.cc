#include "sweep/sweep_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "strata/sim/digest.h"

namespace strata::coordinator {
namespace {

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), absl::StrCat(what, ": ", s.error_message()));
}

// Follows job `id` to its end; its result, or why it has none.
absl::StatusOr<v1::JobResult> WaitForJob(v1::JobService::StubInterface& stub, const std::string& id) {
  v1::WatchJobRequest request;
  request.set_id(id);
  grpc::ClientContext context;
  auto reader = stub.WatchJob(&context, request);
  v1::Job job;
  bool any = false;
  while (reader->Read(&job)) any = true;
  if (grpc::Status s = reader->Finish(); !s.ok()) return FromGrpc(s, absl::StrCat("watching job ", id));
  if (!any) return absl::UnavailableError(absl::StrCat("job ", id, ": the watch ended without a message"));
  if (job.state() == v1::SUCCEEDED) return job.result();
  return absl::AbortedError(absl::StrCat("job ", id, " ended ", v1::JobState_Name(job.state()), ": ", job.error()));
}

}  // namespace

std::string SweepRequestId(const v1::SweepSpec& sweep, size_t index) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(sweep, &text);  // field order: stable
  sim::DigestBuilder d;
  d.Add(std::string_view(text));
  return absl::StrCat("sweep-", sim::DigestToHex(d.value()), "-", index);
}

SweepSubmission RunSweepOnCoordinator(v1::JobService::StubInterface& stub, const v1::SweepSpec& sweep,
                                      const std::vector<SweepPoint>& points,
                                      std::function<void(size_t, size_t)> on_done) {
  SweepSubmission out;
  out.job_ids.assign(points.size(), "");
  out.results.assign(points.size(), absl::UnknownError("not submitted"));
  // Submit everything first: the coordinator queues the points and runs
  // as many at once as it is configured to.
  for (size_t i = 0; i < points.size(); ++i) {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = points[i].job;
    request.set_request_id(SweepRequestId(sweep, i));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::Job job;
    if (grpc::Status s = stub.SubmitJob(&context, request, &job); !s.ok()) {
      out.results[i] = FromGrpc(s, absl::StrCat("submitting grid point ", i));
      continue;
    }
    out.job_ids[i] = job.id();
  }
  for (size_t i = 0; i < points.size(); ++i) {
    if (!out.job_ids[i].empty()) out.results[i] = WaitForJob(stub, out.job_ids[i]);
    if (on_done) on_done(i + 1, points.size());
  }
  return out;
}

}  // namespace strata::coordinator
