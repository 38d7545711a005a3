#include "services/systems/job/build_job.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "services/systems/core/energy_model.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/job/system_registry.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

using sim::SimTime;

absl::StatusOr<BuiltJob> BuildJob(const v1::JobSpec& spec, const std::atomic<bool>* cancel) {
  const SystemBuilder* system = FindSystem(spec.system().kind_case());
  if (system == nullptr) return absl::InvalidArgumentError("system: no system set (normalise the spec first)");
  ASSIGN_OR_RETURN(const host::ModelShape shape, ShapeOf(spec.model()));
  BuiltJob job;
  job.cancel = cancel;
  job.shape = shape;
  job.sim = std::make_unique<sim::Simulation>();
  host::DriverConfig dc;
  dc.shape = shape;
  dc.weight_type = WeightTypeOf(spec.model().weight_type());
  dc.batch = spec.workload().batch_size();
  dc.prompt_tokens = spec.workload().prompt_tokens();
  dc.decode_tokens = spec.workload().decode_tokens();
  dc.moe_routing_skew = spec.workload().moe_routing_skew();
  system->ConfigureDriver(spec.system(), &dc);
  job.driver = job.sim->Emplace<host::DecodeDriver>("host", dc);
  RETURN_IF_ERROR(system->Build(spec, dc, &job));
  // A cancel after the last long loop: still not worth running.
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
    return absl::CancelledError("cancelled while building the job");
  }
  job.cancel = nullptr;  // the caller's flag need not outlive the build
  return job;
}

v1::JobFigures ExtractFigures(const BuiltJob& job, const std::function<bool(sim::ComponentId)>& ran_here) {
  v1::JobFigures f;
  if (ran_here(job.driver->id())) {
    const host::DecodeDriver& d = *job.driver;
    f.set_has_driver(true);
    f.set_driver_finished(d.finished());
    f.set_tokens_decoded(static_cast<uint32_t>(d.token_ends().size()));
    f.set_start_ps(d.start_time().ps());
    f.set_prefill_end_ps(d.prefill_end().ps());
    if (!d.token_ends().empty()) f.set_last_token_end_ps(d.token_ends().back().ps());
    for (int64_t ps : d.decode_breakdown_ps()) f.add_decode_breakdown_ps(ps);
    f.set_decode_weight_bytes(d.decode_weight_bytes());
  }
  if (job.setup && ran_here(job.setup->component)) {
    f.set_has_setup(true);
    f.set_setup_ps(job.setup->time().ps());
  }
  for (const auto& res : job.resources) {
    v1::JobFigures::Resource* r = f.add_resources();
    r->set_name(res.name);
    r->set_busy_ps(res.busy().ps());
    r->set_bytes(res.bytes());
    r->set_units(res.units);
  }
  for (const auto& a : job.activities) {
    v1::JobFigures::Activity* out = f.add_activities();
    out->set_name(a.name);
    out->set_count(a.count());
  }
  return f;
}

void MergeFigures(const v1::JobFigures& part, v1::JobFigures* total) {
  if (part.has_driver()) {
    total->set_has_driver(true);
    total->set_driver_finished(part.driver_finished());
    total->set_tokens_decoded(part.tokens_decoded());
    total->set_start_ps(part.start_ps());
    total->set_prefill_end_ps(part.prefill_end_ps());
    total->set_last_token_end_ps(part.last_token_end_ps());
    *total->mutable_decode_breakdown_ps() = part.decode_breakdown_ps();
    total->set_decode_weight_bytes(part.decode_weight_bytes());
  }
  if (part.has_setup()) {
    total->set_has_setup(true);
    total->set_setup_ps(part.setup_ps());
  }
  // Activities by position, like resources (every process lists the same).
  if (total->activities_size() == 0) {
    *total->mutable_activities() = part.activities();
  } else {
    for (int i = 0; i < total->activities_size() && i < part.activities_size(); ++i) {
      v1::JobFigures::Activity* a = total->mutable_activities(i);
      a->set_count(a->count() + part.activities(i).count());
    }
  }
  if (total->resources_size() == 0) {
    *total->mutable_resources() = part.resources();
    return;
  }
  for (int i = 0; i < total->resources_size() && i < part.resources_size(); ++i) {
    v1::JobFigures::Resource* r = total->mutable_resources(i);
    r->set_busy_ps(r->busy_ps() + part.resources(i).busy_ps());
    r->set_bytes(r->bytes() + part.resources(i).bytes());
  }
}

absl::StatusOr<v1::JobResult> ResultFromFigures(const v1::JobSpec& spec, const BuiltJob& job,
                                                const v1::JobFigures& f, const RunSummary& run) {
  const int tokens = spec.workload().decode_tokens();
  if (!f.driver_finished()) {
    return absl::InternalError(absl::StrCat("the run ended after ", f.tokens_decoded(), " of ", tokens,
                                            " decode tokens"));
  }
  v1::JobResult r;
  r.set_job_name(spec.name());
  r.set_model(job.shape.name);
  r.set_system(job.system);
  const SimTime decode = SimTime::Picoseconds(f.last_token_end_ps() - f.prefill_end_ps());
  r.set_tokens_per_second(static_cast<double>(tokens) * spec.workload().batch_size() / decode.ToSeconds());
  r.set_time_per_token_us(decode.ToMicroseconds() / tokens);
  auto us = [&](host::Category c) {
    const int i = static_cast<int>(c);
    return i < f.decode_breakdown_ps_size() ? static_cast<double>(f.decode_breakdown_ps(i)) * 1e-6 / tokens : 0.0;
  };
  v1::TimeBreakdown* b = r.mutable_time_per_token_breakdown();
  b->set_flash_array_us(us(host::Category::kFlashArray));
  b->set_ecc_us(us(host::Category::kEcc));
  b->set_flash_bus_us(us(host::Category::kFlashBus));
  b->set_pe_compute_us(us(host::Category::kPeCompute));
  b->set_host_attention_us(us(host::Category::kHostAttention));
  b->set_host_gemv_us(us(host::Category::kHostGemv));
  b->set_host_other_us(us(host::Category::kHostOther));
  b->set_pcie_nvme_us(us(host::Category::kPcieNvme));
  b->set_synchronization_us(us(host::Category::kSynchronization));
  r.set_prefill_seconds(SimTime::Picoseconds(f.prefill_end_ps() - f.start_ps()).ToSeconds());
  if (f.has_setup()) r.set_setup_seconds(SimTime::Picoseconds(f.setup_ps()).ToSeconds());
  SetRunFields(run, &r);
  r.set_weight_bytes_per_token(f.decode_weight_bytes() / tokens);
  for (const auto& res : f.resources()) {
    v1::ResourceUtilization* u = r.add_utilization();
    u->set_resource(res.name());
    const double t = run.final_time.ToSeconds();
    // Integer division as the busy time of one average unit, in picoseconds.
    const SimTime busy = SimTime::Picoseconds(res.busy_ps() / std::max<int64_t>(1, res.units()));
    u->set_utilization(t > 0 ? busy.ToSeconds() / t : 0);
    u->set_bytes_per_second(t > 0 ? static_cast<double>(res.bytes()) / t : 0);
  }
  std::vector<ActivityCount> dynamic, static_loads;
  for (const auto& a : f.activities()) dynamic.push_back({a.name(), static_cast<double>(a.count())});
  for (const auto& l : job.static_loads) static_loads.push_back({l.name, l.units});
  const double run_seconds = run.final_time.ToSeconds();
  ASSIGN_OR_RETURN(const auto joules, JoulesByPart(dynamic, static_loads, run_seconds));
  *r.mutable_energy() =
      EnergyBreakdownOf(joules, run_seconds, static_cast<int64_t>(tokens) * spec.workload().batch_size(),
                        r.tokens_per_second());
  return r;
}

}  // namespace strata::systems
