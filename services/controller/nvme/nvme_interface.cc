#include "nvme/nvme_interface.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace strata::controller {

namespace {
struct PhaseDone {
  uint32_t slot;
};

absl::Status Range(const std::string& field, uint64_t value, uint64_t lo, uint64_t hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", value, ": allowed ", lo, "..", hi));
  }
  return absl::OkStatus();
}
absl::Status TimeRange(const std::string& field, SimTime t) {
  if (t < SimTime::Zero() || t > SimTime::Milliseconds(10)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", t.ToString(), ": allowed 0..10 ms"));
  }
  return absl::OkStatus();
}
bool PowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

absl::Status ValidateNvmeConfig(const NvmeConfig& c) {
  if (absl::Status s = Range("nvme.sq_depth", c.sq_depth, 2, 65536); !s.ok()) return s;
  // Up to 256 pairs (a queue per core of a large host), and at most 2^18
  // entries in all (each is a slot the model keeps).
  if (absl::Status s = Range("nvme.queues", c.queues, 1, 256); !s.ok()) return s;
  if (absl::Status s = Range("nvme.queues x sq_depth", uint64_t{c.queues} * c.sq_depth, 2, 1 << 18); !s.ok()) return s;
  if (!PowerOfTwo(c.arbitration_burst) || c.arbitration_burst > 128) {
    return absl::InvalidArgumentError(absl::StrCat("nvme.arbitration_burst = ", c.arbitration_burst,
                                                   ": allowed a power of two in 1..128 (NVMe AB: 2^AB)"));
  }
  if (absl::Status s = ValidatePcieConfig(c.pcie); !s.ok()) return s;
  if (!PowerOfTwo(c.lba_bytes) || c.lba_bytes < 512 || c.lba_bytes > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("nvme.lba_bytes = ", c.lba_bytes, ": allowed a power of two in 512..65536"));
  }
  if (!PowerOfTwo(c.memory_page_bytes) || c.memory_page_bytes < 4096) {
    return absl::InvalidArgumentError(absl::StrCat("nvme.memory_page_bytes = ", c.memory_page_bytes,
                                                   ": allowed a power of two >= 4096"));
  }
  if (absl::Status s = Range("nvme.sqe_bytes", c.sqe_bytes, 1, 4096); !s.ok()) return s;
  if (absl::Status s = Range("nvme.cqe_bytes", c.cqe_bytes, 1, 4096); !s.ok()) return s;
  if (absl::Status s = Range("nvme.doorbell_bytes", c.doorbell_bytes, 1, 64); !s.ok()) return s;
  if (absl::Status s = Range("nvme.msix_bytes", c.msix_bytes, 1, 64); !s.ok()) return s;
  if (absl::Status s = Range("nvme.prp_entry_bytes", c.prp_entry_bytes, 1, 64); !s.ok()) return s;
  if (absl::Status s = TimeRange("nvme.host_submit", c.host_submit); !s.ok()) return s;
  if (absl::Status s = TimeRange("nvme.host_memory_read_latency", c.host_memory_read_latency); !s.ok()) return s;
  if (absl::Status s = TimeRange("nvme.command_processing", c.command_processing); !s.ok()) return s;
  if (absl::Status s = TimeRange("nvme.dma_setup", c.dma_setup); !s.ok()) return s;
  if (absl::Status s = TimeRange("nvme.interrupt_handling", c.interrupt_handling); !s.ok()) return s;
  if (absl::Status s = TimeRange("nvme.poll_detect", c.poll_detect); !s.ok()) return s;
  return absl::OkStatus();
}

std::string_view NvmeStepName(NvmeStep step) {
  static constexpr std::string_view kNames[] = {
      "sq_wait", "host_submit", "doorbell",  "fetch", "decode", "backend_link",  "ftl",
      "flash",   "dma_setup",   "dma_transfer", "cqe", "notify", "host_complete"};
  static_assert(std::size(kNames) == kNvmeSteps);
  return step < kNvmeSteps ? kNames[step] : "unknown";
}

NvmeInterface::NvmeInterface(std::string name, const NvmeConfig& config)
    : Component(std::move(name)), config_(config), pcie_(config.pcie) {
  host_ = DeclarePort("host");
  backend_ = DeclarePort("backend");
  const uint32_t entries = config_.sq_depth * config_.queues;
  slots_.resize(entries);
  for (uint32_t i = entries; i-- > 0;) free_slots_.push_back(i);  // slot 0 popped first
  waiters_.resize(config_.queues);
  queue_occupancy_.assign(config_.queues, 0);
  to_fetch_.resize(config_.queues);
  stats_.commands_per_queue.assign(config_.queues, 0);
}

NvmeStep NvmeInterface::StepOf(Phase phase) {
  switch (phase) {
    case Phase::kSubmitSw: return kStepHostSubmit;
    case Phase::kDoorbell: return kStepDoorbell;
    case Phase::kFetchRequest:
    case Phase::kFetchMemory:
    case Phase::kFetchCompletion: return kStepFetch;
    case Phase::kDecode: return kStepDecode;
    case Phase::kBackend: return kStepBackendLink;
    case Phase::kDmaSetupSw:
    case Phase::kPrpRequest:
    case Phase::kPrpMemory:
    case Phase::kPrpCompletion: return kStepDmaSetup;
    case Phase::kDataPosted:
    case Phase::kDataRequest:
    case Phase::kDataMemory:
    case Phase::kDataCompletion: return kStepDmaTransfer;
    case Phase::kCqe: return kStepCqe;
    case Phase::kMsix: return kStepNotify;
    case Phase::kHostComplete: return kStepHostComplete;
  }
  return kStepHostComplete;
}

SimTime NvmeInterface::Transfer(Dir dir, SimTime ready, uint64_t payload) {
  const uint64_t wire = pcie_.WireBytes(payload);
  const SimTime busy = pcie_.WireTime(wire);
  const SimTime start = link_[dir].Reserve(ctx().Now(), ready, busy);
  stats_.pcie_wire_bytes[dir] += wire;
  stats_.pcie_busy[dir] += busy;
  return start + busy + config_.pcie.one_way_latency - ready;
}

void NvmeInterface::TrackOccupancy() {
  const SimTime now = ctx().Now();
  stats_.sq_occupancy_integral += (now - stats_.last_change) * occupancy_;
  stats_.last_change = now;
}

void NvmeInterface::Handle(const sim::Event& e) {
  switch (e.type) {
    case kNvmeSubmit: {
      const NvmeSubmit cmd = e.PayloadAs<NvmeSubmit>();
      const auto q = static_cast<uint32_t>(next_queue_++ % config_.queues);
      if (queue_occupancy_[q] == config_.sq_depth) {
        waiters_[q].push_back({cmd, ctx().Now()});
        stats_.host_waiters_max = std::max<uint64_t>(stats_.host_waiters_max, ++waiting_);
      } else {
        Admit(cmd, ctx().Now(), q);
      }
      return;
    }
    case kNvmePhaseDone:  // the last phase ended: the host has the completion
      Complete(e.PayloadAs<PhaseDone>().slot);
      return;
    case kNvmeDoorbellRung: {
      const uint32_t s = e.PayloadAs<PhaseDone>().slot;
      to_fetch_[slots_[s].rec.queue].push_back(s);
      Arbitrate();
      return;
    }
    case kNvmeFetchDone:
      fetching_ = false;
      Arbitrate();
      return;
    case kBackendResponse: {
      const BackendResponse r = e.PayloadAs<BackendResponse>();
      if (r.tag >= slots_.size() || slots_[r.tag].phases == 0 ||
          slots_[r.tag].program[slots_[r.tag].pc] != Phase::kBackend) {
        ctx().Fail(absl::InternalError(absl::StrCat(name(), ": backend response for idle slot ", r.tag)));
        return;
      }
      Slot& slot = slots_[r.tag];
      const SimTime ftl = SimTime::Picoseconds(r.ftl_ps);
      const SimTime flash = SimTime::Picoseconds(r.flash_ps);
      slot.rec.steps[kStepFtl] += ftl;
      slot.rec.steps[kStepFlash] += flash;
      slot.rec.status = r.status;
      // The rest of the back-end interval is the interconnect both ways.
      slot.rec.steps[kStepBackendLink] += ctx().Now() - slot.phase_start - ftl - flash;
      ++slot.pc;
      // A failed read moves no data: skip its DMA.
      if (slot.rec.status != NvmeStatus::kSuccess && slot.cmd.opcode == NvmeOpcode::kRead) {
        while (slot.pc < slot.phases && StepOf(slot.program[slot.pc]) != kStepCqe) ++slot.pc;
      }
      RunPhases(static_cast<uint32_t>(r.tag), ctx().Now());
      return;
    }
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unexpected event type ", e.type)));
  }
}

void NvmeInterface::Admit(const NvmeSubmit& cmd, SimTime submitted, uint32_t queue) {
  const uint32_t s = free_slots_.back();
  free_slots_.pop_back();
  TrackOccupancy();
  ++occupancy_;
  ++queue_occupancy_[queue];
  stats_.sq_max = std::max(stats_.sq_max, occupancy_);
  Slot& slot = slots_[s];
  slot = Slot{};
  slot.cmd = cmd;
  slot.rec.cid = cmd.cid;
  slot.rec.opcode = cmd.opcode;
  slot.rec.bytes = uint64_t{cmd.nlb} * config_.lba_bytes;
  slot.rec.submitted = submitted;
  slot.rec.queue = queue;
  slot.rec.steps[kStepSqWait] = ctx().Now() - submitted;

  const uint64_t pages = MemoryPages(slot);
  for (Phase p : {Phase::kSubmitSw, Phase::kDoorbell, Phase::kFetchRequest, Phase::kFetchMemory,
                  Phase::kFetchCompletion, Phase::kDecode}) {
    slot.Add(p);
  }
  auto dma = [&] {
    slot.Add(Phase::kDmaSetupSw);
    if (pages > 2) {  // PRP2 points to a PRP list in host memory
      for (Phase p : {Phase::kPrpRequest, Phase::kPrpMemory, Phase::kPrpCompletion}) slot.Add(p);
    }
    if (cmd.opcode == NvmeOpcode::kRead) {
      slot.Add(Phase::kDataPosted);
    } else {
      for (Phase p : {Phase::kDataRequest, Phase::kDataMemory, Phase::kDataCompletion}) slot.Add(p);
    }
  };
  if (cmd.opcode == NvmeOpcode::kRead) {
    slot.Add(Phase::kBackend);
    dma();
  } else {
    dma();
    slot.Add(Phase::kBackend);
  }
  slot.Add(Phase::kCqe);
  if (config_.completion == CompletionMode::kInterrupt) slot.Add(Phase::kMsix);
  slot.Add(Phase::kHostComplete);
  RunPhases(s, ctx().Now());
}

// One event per command step would cost ~11 events an I/O (issue 18 asks for
// <= 10 in all). The steps between the submission and the back end, and
// between the back end and the completion, touch no state other commands
// change except the link, which LinkCalendar reserves ahead; so each run of
// steps is computed at once, and each step still gets its own duration in
// the command's record.
void NvmeInterface::RunPhases(uint32_t s, SimTime start) {
  Slot& slot = slots_[s];
  const SimTime now = ctx().Now();
  SimTime t = start;
  while (slot.pc < slot.phases) {
    const Phase phase = slot.program[slot.pc];
    if (phase == Phase::kFetchRequest && config_.queues > 1 && !slot.fetch_granted) {
      slot.phase_start = t;  // the doorbell has rung: the SQE waits for the arbiter
      ctx().Schedule(t - now, kNvmeDoorbellRung, PhaseDone{s});
      return;
    }
    if (phase == Phase::kBackend) {
      slot.phase_start = t;
      BackendRequest r;
      r.tag = s;
      r.slba = slot.cmd.slba;
      r.nlb = slot.cmd.nlb;
      r.opcode = slot.cmd.opcode;
      ctx().Send(backend_, kBackendRequest, r, t - now);
      return;  // continues on kBackendResponse
    }
    const SimTime d = PhaseDuration(slot, phase, t);
    slot.rec.steps[StepOf(phase)] += d;
    t += d;
    ++slot.pc;
  }
  ctx().Schedule(t - now, kNvmePhaseDone, PhaseDone{s});
}

SimTime NvmeInterface::PhaseDuration(const Slot& slot, Phase phase, SimTime start, uint32_t sqes) {
  switch (phase) {
    case Phase::kSubmitSw: return config_.host_submit;
    case Phase::kDoorbell: return Transfer(kDown, start, config_.doorbell_bytes);
    case Phase::kFetchRequest:
    case Phase::kPrpRequest:
    case Phase::kDataRequest: return Transfer(kUp, start, 0);  // header-only MRd
    case Phase::kFetchMemory:
    case Phase::kPrpMemory:
    case Phase::kDataMemory: return config_.host_memory_read_latency;
    case Phase::kFetchCompletion: return Transfer(kDown, start, config_.sqe_bytes * sqes);
    case Phase::kDecode: return config_.command_processing;
    case Phase::kBackend: break;  // RunPhases sends it
    case Phase::kDmaSetupSw: return config_.dma_setup;
    case Phase::kPrpCompletion: return Transfer(kDown, start, (MemoryPages(slot) - 1) * config_.prp_entry_bytes);
    case Phase::kDataPosted: return Transfer(kUp, start, slot.rec.bytes);
    case Phase::kDataCompletion: return Transfer(kDown, start, slot.rec.bytes);
    case Phase::kCqe: return Transfer(kUp, start, config_.cqe_bytes);
    case Phase::kMsix: return Transfer(kUp, start, config_.msix_bytes);
    case Phase::kHostComplete:
      return config_.completion == CompletionMode::kInterrupt ? config_.interrupt_handling : config_.poll_detect;
  }
  return SimTime::Zero();
}

void NvmeInterface::Arbitrate() {
  if (fetching_) return;
  const uint32_t n = config_.queues;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t q = (arbiter_turn_ + k) % n;
    std::deque<uint32_t>& sq = to_fetch_[q];
    if (sq.empty()) continue;
    arbiter_turn_ = (q + 1) % n;
    const uint32_t take = std::min<uint32_t>(config_.arbitration_burst, static_cast<uint32_t>(sq.size()));
    const SimTime now = ctx().Now();
    // The leader's MRd, host memory read and completion carry the burst.
    Slot& leader = slots_[sq.front()];
    leader.rec.steps[kStepFetch] += now - leader.phase_start;  // its wait for the arbiter
    SimTime t = now;
    for (int i = 0; i < 3; ++i) {  // kFetchRequest, kFetchMemory, kFetchCompletion
      const SimTime d = PhaseDuration(leader, leader.program[leader.pc], t, take);
      leader.rec.steps[kStepFetch] += d;
      t += d;
      ++leader.pc;
    }
    for (uint32_t i = 0; i < take; ++i) {
      const uint32_t s = sq.front();
      sq.pop_front();
      Slot& slot = slots_[s];
      slot.fetch_granted = true;
      if (i > 0) {
        slot.rec.steps[kStepFetch] += t - slot.phase_start;
        slot.pc += 3;  // past the fetch: to kDecode
      }
      RunPhases(s, t);
    }
    fetching_ = true;
    ++stats_.fetch_bursts;
    ctx().Schedule(t - now, kNvmeFetchDone);
    return;
  }
}

void NvmeInterface::Complete(uint32_t s) {
  Slot& slot = slots_[s];
  slot.rec.completed = ctx().Now();
  KindStats& k = slot.cmd.opcode == NvmeOpcode::kRead ? stats_.read : stats_.write;
  ++k.commands;
  if (slot.rec.status != NvmeStatus::kSuccess) ++k.errors;
  k.bytes += slot.rec.bytes;
  const SimTime lat = slot.rec.latency();
  k.latency_sum += lat;
  k.latency_min = std::min(k.latency_min, lat);
  k.latency_max = std::max(k.latency_max, lat);
  for (int i = 0; i < kNvmeSteps; ++i) k.step_sum[i] += slot.rec.steps[i];
  if (config_.record_commands) records_.push_back(slot.rec);
  ctx().Send(host_, kNvmeComplete, NvmeComplete{slot.rec.cid, slot.rec.status});
  // The host consumed the CQE: CQ head doorbell (posted, off the critical path).
  Transfer(kDown, ctx().Now(), config_.doorbell_bytes);
  slot.phases = 0;
  free_slots_.push_back(s);
  TrackOccupancy();
  --occupancy_;
  const uint32_t q = slot.rec.queue;
  ++stats_.commands_per_queue[q];
  --queue_occupancy_[q];
  if (!waiters_[q].empty()) {
    const Waiter w = waiters_[q].front();
    waiters_[q].pop_front();
    --waiting_;
    Admit(w.cmd, w.submitted, q);
  }
}

void NvmeInterface::Finish() { TrackOccupancy(); }

double NvmeInterface::MeanSqOccupancy() const {
  const SimTime span = stats_.last_change;
  return span.ps() > 0 ? static_cast<double>(stats_.sq_occupancy_integral.ps()) / static_cast<double>(span.ps())
                       : 0.0;
}

void NvmeInterface::AddToDigest(sim::DigestBuilder& d) const {
  for (const KindStats* k : {&stats_.read, &stats_.write}) {
    d.Add(k->commands).Add(k->errors).Add(k->bytes).Add(k->latency_sum).Add(k->latency_max);
    for (SimTime t : k->step_sum) d.Add(t);
  }
  d.Add(stats_.sq_max).Add(stats_.host_waiters_max).Add(stats_.sq_occupancy_integral);
  for (int i = 0; i < 2; ++i) d.Add(stats_.pcie_wire_bytes[i]).Add(stats_.pcie_busy[i]);
  if (config_.queues > 1) {  // one queue pair keeps its digest
    for (uint64_t c : stats_.commands_per_queue) d.Add(c);
    d.Add(stats_.fetch_bursts);
  }
}

void NvmeInterface::CollectStatistics(std::vector<sim::Statistic>* out) const {
  for (const auto& [kind, k] : {std::pair<const char*, const KindStats*>{"read", &stats_.read},
                                {"write", &stats_.write}}) {
    out->push_back({absl::StrCat(name(), ".", kind, "_commands"), static_cast<double>(k->commands), "count"});
    out->push_back({absl::StrCat(name(), ".", kind, "_errors"), static_cast<double>(k->errors), "count"});
    out->push_back({absl::StrCat(name(), ".", kind, "_bytes"), static_cast<double>(k->bytes), "bytes"});
    if (k->commands == 0) continue;
    const double n = static_cast<double>(k->commands);
    out->push_back({absl::StrCat(name(), ".", kind, "_latency_mean"), k->latency_sum.ToSeconds() / n, "s"});
    out->push_back({absl::StrCat(name(), ".", kind, "_latency_min"), k->latency_min.ToSeconds(), "s"});
    out->push_back({absl::StrCat(name(), ".", kind, "_latency_max"), k->latency_max.ToSeconds(), "s"});
    for (int i = 0; i < kNvmeSteps; ++i) {
      out->push_back({absl::StrCat(name(), ".", kind, "_step_", std::string(NvmeStepName(static_cast<NvmeStep>(i))), "_mean"),
                      k->step_sum[i].ToSeconds() / n, "s"});
    }
  }
  out->push_back({name() + ".sq_occupancy_max", static_cast<double>(stats_.sq_max), "count"});
  out->push_back({name() + ".sq_occupancy_mean", MeanSqOccupancy(), "count"});
  out->push_back({name() + ".host_waiters_max", static_cast<double>(stats_.host_waiters_max), "count"});
  out->push_back({name() + ".pcie_down_wire_bytes", static_cast<double>(stats_.pcie_wire_bytes[0]), "bytes"});
  out->push_back({name() + ".pcie_up_wire_bytes", static_cast<double>(stats_.pcie_wire_bytes[1]), "bytes"});
  out->push_back({name() + ".pcie_down_busy", stats_.pcie_busy[0].ToSeconds(), "s"});
  out->push_back({name() + ".pcie_up_busy", stats_.pcie_busy[1].ToSeconds(), "s"});
  if (config_.queues > 1) {
    for (size_t q = 0; q < stats_.commands_per_queue.size(); ++q) {
      out->push_back({absl::StrCat(name(), ".queue", q, "_commands"), static_cast<double>(stats_.commands_per_queue[q]),
                      "count"});
    }
    out->push_back({name() + ".fetch_bursts", static_cast<double>(stats_.fetch_bursts), "count"});
  }
}

}  // namespace strata::controller
