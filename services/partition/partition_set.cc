#include "partition_set.h"

#include "absl/strings/str_cat.h"
#include "phold/phold.h"
#include "plan_checked_transport.h"
#include "services/systems/core/run_summary.h"
#include "strata/sim/partitioner.h"

namespace strata::partition {

absl::StatusOr<BuiltModel> BuildModel(const v1::LoadPartitions& load) {
  BuiltModel model;
  if (load.has_job()) {
    // The coordinator sends the normalised spec; normalising again is a
    // no-op for it and a check for anyone else's.
    auto spec = systems::NormalizeJobSpec(load.job());
    if (!spec.ok()) return absl::InvalidArgumentError(absl::StrCat("load.job: ", spec.status().message()));
    auto job = systems::BuildJob(*spec);
    if (!job.ok()) return job.status();
    model.job = std::move(*job);
    return model;
  }
  if (load.has_phold()) {
    const v1::PholdSpec& p = load.phold();
    // The bounds the proto documents, and the initial events' memory: a
    // load is a request from the network, not a trusted caller.
    if (p.lps() < 1 || p.lps() > kMaxPholdLps) {
      return absl::InvalidArgumentError(absl::StrCat("load.phold.lps = ", p.lps(), "; allowed: 1 to ", kMaxPholdLps));
    }
    if (p.events_per_lp() < 1 || p.events_per_lp() > kMaxPholdEventsPerLp) {
      return absl::InvalidArgumentError(absl::StrCat("load.phold.events_per_lp = ", p.events_per_lp(),
                                                     "; allowed: 1 to ", kMaxPholdEventsPerLp));
    }
    if (int64_t{p.lps()} * p.events_per_lp() > kMaxPholdEvents) {
      return absl::InvalidArgumentError(absl::StrCat(
          "load.phold.lps x load.phold.events_per_lp = ", int64_t{p.lps()} * p.events_per_lp(), "; allowed: at most ",
          kMaxPholdEvents, " (", kMaxPholdEvents * int64_t{sizeof(sim::Event)} >> 20, " MiB of events)"));
    }
    sim::phold::PholdConfig config;
    config.lps = p.lps();
    config.events_per_lp = p.events_per_lp();
    config.remote_fraction = p.remote_fraction();
    config.lookahead = sim::SimTime::Picoseconds(p.lookahead_ps());
    config.mean_delay = sim::SimTime::Picoseconds(p.mean_delay_ps());
    model.phold = std::make_unique<sim::Simulation>();
    if (absl::Status s = sim::phold::BuildPhold(config, model.phold.get()); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("load.phold: ", s.message()));
    }
    return model;
  }
  return absl::InvalidArgumentError("load.model: set load.job or load.phold");
}

sim::RunOptions RunOptionsOf(const v1::LoadPartitions& load) {
  sim::RunOptions options;
  options.seed = load.seed() == 0 ? 1 : load.seed();
  options.sync = load.sync() == v1::NULL_MESSAGE ? sim::SyncAlgorithm::kNullMessage : sim::SyncAlgorithm::kWindow;
  if (load.end_time_ps() > 0) options.end_time = sim::SimTime::Picoseconds(load.end_time_ps());
  options.partitions = load.plan().partition_count();
  if (load.has_job()) options.event_set = systems::EventSetOf(load.job());
  return options;
}

v1::PartitionPlan ToProto(const sim::PartitionPlan& plan) {
  v1::PartitionPlan out;
  out.set_partition_count(plan.partition_count);
  for (sim::PartitionId p : plan.partition_of) out.add_partition_of(p);
  return out;
}

v1::PartitionStatistics ToProto(const sim::PartitionStats& s) {
  v1::PartitionStatistics out;
  out.set_partition(s.partition);
  out.set_components(s.components);
  out.set_committed_events(s.committed_events);
  out.set_remote_events_sent(s.remote_events_sent);
  out.set_messages_sent(s.messages_sent);
  out.set_null_messages_sent(s.null_messages_sent);
  out.set_windows(s.windows);
  out.set_recoveries(s.recoveries);
  out.set_peak_pending_events(s.peak_pending_events);
  out.set_wall_seconds(s.wall_seconds);
  out.set_blocked_seconds(s.blocked_seconds);
  out.set_local_time_ps(s.local_time.ps());
  return out;
}

sim::PartitionStats FromProto(const v1::PartitionStatistics& s) {
  sim::PartitionStats out;
  out.partition = s.partition();
  out.components = s.components();
  out.committed_events = s.committed_events();
  out.remote_events_sent = s.remote_events_sent();
  out.messages_sent = s.messages_sent();
  out.null_messages_sent = s.null_messages_sent();
  out.windows = s.windows();
  out.recoveries = s.recoveries();
  out.peak_pending_events = s.peak_pending_events();
  out.wall_seconds = s.wall_seconds();
  out.blocked_seconds = s.blocked_seconds();
  out.local_time = sim::SimTime::Picoseconds(s.local_time_ps());
  return out;
}

absl::StatusOr<std::unique_ptr<PartitionSet>> PartitionSet::Load(const v1::LoadPartitions& load,
                                                                 ProgressFn progress) {
  auto model = BuildModel(load);
  if (!model.ok()) return model.status();
  std::unique_ptr<PartitionSet> set(new PartitionSet(std::move(*model)));
  sim::Simulation& sim = set->model_.sim();
  const v1::PartitionPlan& plan = load.plan();
  if (plan.partition_count() < 1 || plan.partition_count() > sim::kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat("load.plan.partition_count = ", plan.partition_count(),
                                                   "; allowed: 1 to ", sim::kMaxPartitions));
  }
  if (static_cast<size_t>(plan.partition_of_size()) != sim.size()) {
    return absl::InvalidArgumentError(absl::StrCat("load.plan.partition_of has ", plan.partition_of_size(),
                                                   " entries; the job's graph has ", sim.size(), " components"));
  }
  for (int i = 0; i < plan.partition_of_size(); ++i) {
    if (plan.partition_of(i) >= static_cast<uint32_t>(plan.partition_count())) {
      return absl::InvalidArgumentError(absl::StrCat("load.plan.partition_of[", i, "] = ", plan.partition_of(i),
                                                     "; allowed: 0 to ", plan.partition_count() - 1));
    }
  }
  set->plan_.partition_count = plan.partition_count();
  set->plan_.partition_of.assign(plan.partition_of().begin(), plan.partition_of().end());
  set->local_.assign(plan.partition_count(), false);
  std::vector<sim::PartitionId> local;
  for (uint32_t p : load.local_partitions()) {
    if (p >= static_cast<uint32_t>(plan.partition_count()) || set->local_[p]) {
      return absl::InvalidArgumentError(absl::StrCat("load.local_partitions has ", p, "; allowed: distinct, 0 to ",
                                                     plan.partition_count() - 1));
    }
    set->local_[p] = true;
    local.push_back(static_cast<sim::PartitionId>(p));
  }
  if (local.empty()) return absl::InvalidArgumentError("load.local_partitions is empty; allowed: at least one");
  sim::RunOptions options = RunOptionsOf(load);
  options.plan = set->plan_;
  if (progress) {
    PartitionSet* self = set.get();
    options.on_progress = [self, progress](const sim::ProgressSnapshot& s) {
      v1::PartitionsProgress p;
      for (const sim::PartitionStats& stats : s.partitions) *p.add_partitions() = ToProto(stats);
      p.set_wall_seconds(s.wall_seconds);
      if (self->model_.job && self->RanHere(self->model_.job->driver->id())) {
        p.set_has_driver(true);
        p.set_tokens_done(self->model_.job->driver->tokens_done_live());
      }
      progress(p, self->ModelSnapshots());
    };
  }
  set->published_.resize(plan.partition_count());
  for (int p = 0; p < plan.partition_count(); ++p) set->published_[p].partition = p;
  // Each partition's own thread snapshots its components between events
  // (reading them from the monitor thread would race), and once at its end.
  options.sample_interval = absl::FromChrono(kModelSampleInterval);
  options.on_sample = systems::ModelSampler(sim, [self = set.get()](const systems::ModelFigures& figures) {
    std::lock_guard<std::mutex> lock(self->model_mu_);
    self->published_[figures.partition] = figures;
  });
  auto runner = sim::PartitionRunner::Create(sim, options, set->plan_, local);
  if (!runner.ok()) return absl::InvalidArgumentError(std::string(runner.status().message()));
  set->runner_ = std::move(*runner);
  return set;
}

bool PartitionSet::RanHere(sim::ComponentId id) const { return local_[plan_.partition_of[id]]; }

absl::Status PartitionSet::Run(sim::Transport& transport) {
  PlanCheckedTransport checked(transport, model_.sim(), plan_);
  absl::Status status = runner_->Run(checked);
  if (absl::Status refused = checked.refusal(); !refused.ok()) return refused;
  return status;
}

std::vector<systems::ModelFigures> PartitionSet::ModelSnapshots() const {
  std::vector<systems::ModelFigures> out;
  std::lock_guard<std::mutex> lock(model_mu_);
  for (size_t p = 0; p < local_.size(); ++p) {
    if (local_[p]) out.push_back(published_[p]);
  }
  return out;
}

v1::PartitionsDone PartitionSet::Done(const absl::Status& status) const {
  v1::PartitionsDone done;
  done.set_code(static_cast<int>(status.code()));
  done.set_error(std::string(status.message()));
  done.set_local_final_time_ps(runner_->local_final_time().ps());
  done.set_committed_events(runner_->local_committed_events());
  for (const sim::PartitionStats& s : runner_->stats()) *done.add_partitions() = ToProto(s);
  return done;
}

v1::PartitionsReport PartitionSet::Report(sim::SimTime global_final_time) {
  v1::PartitionsReport report;
  for (const auto& [id, digest] : runner_->FinishAndDigest(global_final_time)) {
    v1::ComponentDigest* d = report.add_digests();
    d->set_component(id);
    d->set_digest(digest);
  }
  if (model_.job) {
    *report.mutable_figures() =
        systems::ExtractFigures(*model_.job, [this](sim::ComponentId id) { return RanHere(id); });
  }
  return report;
}

}  // namespace strata::partition
