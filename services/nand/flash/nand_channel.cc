#include "flash/nand_channel.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "flash/reliability.h"

namespace strata::nand {

namespace {
// A request's command/address cycles on the bus. GEMV: AiF's per-chip
// command carries (block, offset, page count) like a read's address:
// charged as a read's command/address cycles (assumption).
SimTime CommandTime(const NandTiming& t, const NandRequest& r) {
  const uint32_t cycles = r.op == NandOp::kRead || r.op == NandOp::kGemv ? t.read_cmd_addr_cycles
                          : r.op == NandOp::kProgram ? t.program_cmd_addr_cycles
                                                     : t.erase_cmd_addr_cycles;
  return t.cmd_addr_cycle * (int64_t{cycles} * r.plane_count);
}
}  // namespace

NandChannel::NandChannel(std::string name, const NandConfig& config)
    : Component(std::move(name)),
      config_(config),
      bus_bytes_per_s_(config.bus.bytes_per_second()),
      chips_(config.geometry.chips_per_channel()),
      chip_serial_(config.chip_interleave == ChipInterleave::kChipSerial && config.geometry.dies_per_chip > 1) {
  host_ = DeclarePort("host");
  for (uint32_t d = 0; d < config_.geometry.dies_per_channel; ++d) {
    die_ports_.push_back(DeclarePort(absl::StrCat("die", d)));
  }
  dies_.resize(config_.geometry.dies_per_channel);
  chip_busy_dies_.assign(chips_, 0);
  chip_busy_since_.assign(chips_, SimTime::Zero());
  stats_.chip_busy.assign(chips_, SimTime::Zero());
  soonest_response_ = SimTime::Infinite();
  for (NandOp op : {NandOp::kRead, NandOp::kProgram, NandOp::kErase}) {
    for (uint32_t page = 0; page < config_.geometry.bits_per_cell; ++page) {  // every page type of a wordline
      NandRequest one;
      one.op = op;
      one.page = page;
      soonest_response_ =
          std::min(soonest_response_, CommandTime(config_.timing, one) + MinimumDieTime(config_, one));
    }
  }
  DeclareReaction(host_, host_, soonest_response_);
  // Arrivals send to the dies (a bus job's end is sent when it starts), so
  // no reaction toward a die is declared: the dies share the channel's
  // partition group, and their links never cross partitions.
}

absl::Status NandChannel::CheckRequest(const NandRequest& r) const {
  const NandGeometry& g = config_.geometry;
  auto bad = [&](absl::string_view field, uint64_t v, absl::string_view allowed) {
    return absl::InvalidArgumentError(absl::StrCat(name(), ": request ", r.id, " ", field, " = ", v, "; allowed: ", allowed));
  };
  if (r.die >= g.dies_per_channel) return bad("die", r.die, absl::StrCat("0 to ", g.dies_per_channel - 1));
  if (static_cast<uint8_t>(r.op) > 3) {
    return bad("op", static_cast<uint8_t>(r.op), "0 (read), 1 (program), 2 (erase), 3 (gemv)");
  }
  if (r.plane_count == 0 || uint32_t{r.plane} + r.plane_count > g.planes_per_die) {
    return bad("plane + plane_count", uint32_t{r.plane} + r.plane_count, absl::StrCat("plane_count >= 1 and sum <= ", g.planes_per_die));
  }
  if (r.block >= g.blocks_per_plane) return bad("block", r.block, absl::StrCat("0 to ", g.blocks_per_plane - 1));
  if (r.op == NandOp::kErase) return absl::OkStatus();
  if (r.page_count == 0) return bad("page_count", 0, ">= 1");
  if (r.page_stride == 0) return bad("page_stride", 0, ">= 1");
  const uint64_t last = uint64_t{r.page} + uint64_t{r.page_count - 1u} * r.page_stride;
  if (last >= g.pages_per_block()) {
    return bad("page + (page_count - 1) * page_stride", last, absl::StrCat("0 to ", g.pages_per_block() - 1));
  }
  if (r.op == NandOp::kGemv) {
    if (config_.pe.placement == PePlacement::kNone) {
      return bad("op (gemv) with pe.placement", 0, "1 (per die) or 2 (per plane)");
    }
    if (config_.ecc.kind == EccKind::kLdpc) {
      return bad("op (gemv) with ecc.kind", 2, "0 (none) or 1 (ECCLITE): in-array compute needs on-die ECC");
    }
    if (r.vector_dim == 0) return bad("vector_dim", 0, ">= 1");
    if (r.output_rows == 0) return bad("output_rows", 0, ">= 1");
    const uint64_t capacity =
        uint64_t{r.page_count} * r.plane_count * g.page_bytes * 8 / OperandBits(config_.pe.operand);
    const uint64_t tile = uint64_t{r.vector_dim} * r.output_rows;
    if (tile > capacity) {
      return bad("vector_dim * output_rows", tile, absl::StrCat("<= weights in the pages (", capacity, ")"));
    }
    if (uint64_t{r.output_rows} * config_.pe.accumulator_bytes > 0xFFFFFFFFu) {
      return bad("output_rows", r.output_rows, "partial sums must fit 4 GiB");
    }
  }
  if (r.op == NandOp::kProgram && (r.flags & kFlagBeEnc) && g.bits_per_cell != 3) {
    return bad("flags (be-enc) with bits_per_cell", g.bits_per_cell, "be-enc only on TLC (3)");
  }
  return absl::OkStatus();
}

void NandChannel::Handle(const sim::Event& e) {
  HandleEvent(e);
  PromiseResponses();
}

void NandChannel::PromiseResponses() {
  SimTime earliest = SimTime::Infinite();
  for (const DieSlot& slot : dies_) {
    if (slot.busy) earliest = std::min(earliest, slot.earliest_response);
    if (slot.suspending_read_out) earliest = std::min(earliest, slot.earliest_suspending_response);
  }
  ctx().PromiseNoOutputBefore(host_, earliest, host_);
}

void NandChannel::HandleEvent(const sim::Event& e) {
  switch (e.type) {
    case kNandRequest: {
      const auto r = e.PayloadAs<NandRequest>();
      ++stats_.requests;
      if (!CheckRequest(r).ok()) {
        ++stats_.invalid_requests;
        NandResponse resp;
        resp.id = r.id;
        resp.op = r.op;
        resp.status = NandStatus::kInvalidRequest;
        ctx().Send(host_, kNandResponse, resp, soonest_response_);
        return;
      }
      if (CanSuspendFor(r)) {
        DieSlot& slot = dies_[r.die];
        ++stats_.suspending_reads;
        slot.suspending_read_out = true;
        slot.suspending_read = NandResponse{};
        slot.suspending_read.id = r.id;
        slot.suspending_read.op = r.op;
        slot.suspending_read.pages = uint32_t{r.page_count} * r.plane_count;
        NandRequest read = r;
        read.flags &= static_cast<uint8_t>(~kFlagStream);
        IssueCommand(r.die, read);
        return;
      }
      NandRequest queued = r;
      queued.flags &= static_cast<uint8_t>(~kFlagSuspend);
      dies_[r.die].pending.push_back({queued, arrivals_++});
      TryIssue(r.die);
      return;
    }
    case kBusRequest: {
      const auto r = e.PayloadAs<BusRequest>();
      const uint32_t die = e.port - die_ports_[0];
      EnqueueBus(BusJob{r.data_in ? JobKind::kDataIn : JobKind::kDataOut, die,
                        sim::TransferTime(r.bytes, bus_bytes_per_s_), NandRequest{}, r});
      return;
    }
    case kDieOpDone: {
      const auto d = e.PayloadAs<DieOpDone>();
      DieSlot& slot = dies_[e.port - die_ports_[0]];
      if (slot.suspending_read_out && d.id == slot.suspending_read.id) {
        NandResponse& resp = slot.suspending_read;
        resp.bit_errors = d.bit_errors;
        resp.corrected_codewords = d.ecclite_corrected_codewords;
        resp.uncorrectable_pages = d.ecclite_failed_pages;
        resp.status = resp.uncorrectable_pages > 0 ? NandStatus::kUncorrectable : NandStatus::kOk;
        slot.suspending_read_out = false;
        ctx().Send(host_, kNandResponse, resp);
        return;
      }
      slot.die_done = true;
      slot.earliest_response = ctx().Now();  // decodes and retries may follow
      slot.response.bit_errors += d.bit_errors;
      slot.response.corrected_codewords += d.ecclite_corrected_codewords;
      slot.response.uncorrectable_pages += d.ecclite_failed_pages;
      stats_.bytes_out += d.streamed_bytes_out;  // a STREAM read's data-outs
      stats_.bus_busy += d.streamed_bus_busy;
      MaybeComplete(e.port - die_ports_[0]);
      return;
    }
    case kBusJobDone:  // an LDPC data-out ended
      bus_end_event_ = false;
      EndBusJob(bus_current_, SimTime::Zero());
      StartBus();
      return;
    case kBusFree:
      bus_wake_pending_ = false;
      StartBus();
      return;
    case kLdpcDone: {
      const DecodeJob job = ldpc_queue_.front();
      ldpc_queue_.pop_front();
      ldpc_busy_ = false;
      DieSlot& slot = dies_[job.die];
      const LdpcOutcome o = LdpcDecode(config_.ecc, job.data.max_codeword_errors);
      if (o.success) {
        stats_.corrected_codewords += job.data.codewords_with_errors;
        slot.response.corrected_codewords += job.data.codewords_with_errors;
      } else if (job.data.retry_level < config_.ecc.max_read_retries) {
        slot.retries.push_back({job.data.plane, job.data.block, job.data.page, job.data.retry_level + 1u});
        ++stats_.read_retries;
        ++slot.response.read_retries;
      } else {
        ++stats_.uncorrectable_pages;
        ++slot.response.uncorrectable_pages;
      }
      --slot.decodes_pending;
      MaybeComplete(job.die);
      StartLdpc();
      return;
    }
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unknown event type ", e.type)));
  }
}

// A suspending read needs on-die ECC (no LDPC retries to sequence beside the
// operation in progress) and a program or erase to suspend.
bool NandChannel::CanSuspendFor(const NandRequest& r) const {
  const DieSlot& slot = dies_[r.die];
  if (chip_serial_) {  // only past the die that holds the chip
    for (uint32_t d = config_.geometry.ChipOf(r.die); d < dies_.size(); d += chips_) {
      if (d != r.die && dies_[d].busy) return false;
    }
  }
  return (r.flags & kFlagSuspend) && r.op == NandOp::kRead && config_.ecc.kind != EccKind::kLdpc && slot.busy &&
         !slot.suspending_read_out && r.id != slot.current.id &&
         (slot.current.op == NandOp::kProgram || slot.current.op == NandOp::kErase);
}

int NandChannel::NextDieOfChip(uint32_t die) const {
  int next = -1;
  for (uint32_t d = config_.geometry.ChipOf(die); d < dies_.size(); d += chips_) {
    if (dies_[d].busy) return -1;
    if (!dies_[d].pending.empty() &&
        (next < 0 || dies_[d].pending.front().arrival < dies_[next].pending.front().arrival)) {
      next = static_cast<int>(d);
    }
  }
  return next;
}

void NandChannel::DieStarted(uint32_t die) {
  const uint32_t chip = config_.geometry.ChipOf(die);
  if (chip_busy_dies_[chip]++ == 0) chip_busy_since_[chip] = ctx().Now();
}

void NandChannel::DieEnded(uint32_t die) {
  const uint32_t chip = config_.geometry.ChipOf(die);
  if (--chip_busy_dies_[chip] == 0) stats_.chip_busy[chip] += ctx().Now() - chip_busy_since_[chip];
}

void NandChannel::TryIssue(uint32_t die) {
  if (chip_serial_) {
    const int next = NextDieOfChip(die);
    if (next < 0) return;
    die = static_cast<uint32_t>(next);
  }
  DieSlot& slot = dies_[die];
  if (slot.busy || slot.pending.empty() || streaming_die_ >= 0) return;
  slot.current = slot.pending.front().request;
  slot.pending.pop_front();
  slot.busy = true;
  DieStarted(die);
  slot.die_done = false;
  slot.decodes_pending = 0;
  slot.retries.clear();
  slot.response = NandResponse{};
  slot.response.id = slot.current.id;
  slot.response.op = slot.current.op;
  slot.response.pages =
      slot.current.op == NandOp::kErase ? 0u : uint32_t{slot.current.page_count} * slot.current.plane_count;
  if (slot.current.op == NandOp::kGemv) {
    slot.response.output_bytes = slot.current.output_rows * config_.pe.accumulator_bytes;
  }
  // STREAM fidelity for a read: granted only when no other die can contend
  // for this bus (one die per channel) and no LDPC sits behind it; the die
  // then runs the read as one event. Otherwise the read stays at PAGE
  // fidelity. (A GEMV uses the bus only for its partial sums, which always
  // go through the bus queue, so the die streams it whenever the fidelity is
  // STREAM.)
  slot.current.flags &= static_cast<uint8_t>(~kFlagStream);
  bool alone = dies_.size() == 1;
  if (!alone && config_.stream_serialises_dies && !BusBusy() && bus_queue_.empty()) {
    alone = true;
    for (uint32_t d = 0; d < dies_.size(); ++d) alone &= d == die || !dies_[d].busy;
  }
  if (config_.fidelity == Fidelity::kStream && slot.current.op == NandOp::kRead && alone &&
      config_.ecc.kind != EccKind::kLdpc) {
    slot.current.flags |= kFlagStream;
    if (dies_.size() > 1) streaming_die_ = static_cast<int>(die);
  }
  IssueCommand(die, slot.current);
}

void NandChannel::IssueCommand(uint32_t die, const NandRequest& r) {
  const SimTime command = CommandTime(config_.timing, r);
  DieSlot& slot = dies_[die];
  const SimTime earliest = ctx().Now() + command + MinimumDieTime(config_, r);
  (slot.suspending_read_out && r.id == slot.suspending_read.id ? slot.earliest_suspending_response
                                                                : slot.earliest_response) = earliest;
  EnqueueBus(BusJob{JobKind::kCommand, die, command, r, BusRequest{}});
}

void NandChannel::EnqueueBus(BusJob job) {
  bus_queue_.push_back(job);
  if (BusBusy()) {
    WakeWhenBusFree();
  } else {
    StartBus();
  }
}

void NandChannel::WakeWhenBusFree() {
  if (bus_end_event_ || bus_wake_pending_) return;  // an event at bus_free_at_ is due already
  bus_wake_pending_ = true;
  ctx().Schedule(bus_free_at_ - ctx().Now(), kBusFree);
}

// A bus job's end used to be an event that sent the die its command or told
// it the transfer was over. Both are known when the job starts, so they are
// sent then, timed to arrive at the end; the bus itself is busy until
// bus_free_at_, and an event marks that time only when jobs wait for it
// (issue 18: events per I/O). Only an LDPC data-out keeps its end event:
// it queues a decode whose start depends on the decoder then.
void NandChannel::StartBus() {
  if (BusBusy() || bus_queue_.empty()) return;
  auto next = bus_queue_.begin();
  if (config_.channel_arbitration == ChannelArbitration::kCommandFirst) {
    auto command = std::find_if(bus_queue_.begin(), bus_queue_.end(),
                                [](const BusJob& j) { return j.kind == JobKind::kCommand; });
    if (command != bus_queue_.end()) next = command;
  } else if (config_.channel_arbitration == ChannelArbitration::kReadComputeFirst) {
    auto first = std::find_if(bus_queue_.begin(), bus_queue_.end(), [](const BusJob& j) {
      return j.kind == JobKind::kCommand || (j.kind == JobKind::kDataOut && j.data.partial_sums);
    });
    if (first != bus_queue_.end()) next = first;
  }
  const BusJob job = *next;
  bus_queue_.erase(next);
  stats_.bus_busy += job.duration;
  bus_free_at_ = ctx().Now() + job.duration;
  if (job.kind == JobKind::kDataOut && !job.data.partial_sums && config_.ecc.kind == EccKind::kLdpc) {
    bus_current_ = job;
    bus_end_event_ = true;
    ctx().Schedule(job.duration, kBusJobDone);
  } else {
    EndBusJob(job, job.duration);
  }
  if (!bus_queue_.empty()) WakeWhenBusFree();
}

void NandChannel::EndBusJob(const BusJob& job, SimTime after) {
  switch (job.kind) {
    case JobKind::kCommand:
      ++stats_.commands;
      ctx().Send(die_ports_[job.die], kDieCommand, job.command, after);
      break;
    case JobKind::kDataOut:
      stats_.bytes_out += job.data.bytes;
      if (job.data.partial_sums) {
        stats_.partial_sum_bytes += job.data.bytes;
      } else if (config_.ecc.kind == EccKind::kLdpc) {
        ++dies_[job.die].decodes_pending;
        ldpc_queue_.push_back({job.die, job.data});
        StartLdpc();
      }
      ctx().Send(die_ports_[job.die], kBusDone, BusDone{job.data.plane, 0}, after);
      break;
    case JobKind::kDataIn:
      stats_.bytes_in += job.data.bytes;
      ctx().Send(die_ports_[job.die], kBusDone, BusDone{job.data.plane, 1}, after);
      break;
  }
}

void NandChannel::StartLdpc() {
  if (ldpc_busy_ || ldpc_queue_.empty()) return;
  ldpc_busy_ = true;
  const LdpcOutcome o = LdpcDecode(config_.ecc, ldpc_queue_.front().data.max_codeword_errors);
  ++stats_.ldpc_decodes;
  stats_.ldpc_iterations += o.iterations;
  stats_.ldpc_busy += o.latency;
  ctx().Schedule(o.latency, kLdpcDone);
}

void NandChannel::MaybeComplete(uint32_t die) {
  DieSlot& slot = dies_[die];
  if (!slot.busy || !slot.die_done || slot.decodes_pending > 0) return;
  if (!slot.retries.empty()) {
    const Retry rt = slot.retries.front();
    slot.retries.pop_front();
    NandRequest r = slot.current;
    r.op = NandOp::kRead;
    r.block = rt.block;
    r.page = rt.page;
    r.page_count = 1;
    r.plane = static_cast<uint8_t>(rt.plane);
    r.plane_count = 1;
    r.page_stride = 1;
    r.retry_level = static_cast<uint8_t>(rt.level);
    slot.die_done = false;
    IssueCommand(die, r);
    return;
  }
  slot.response.status = slot.response.uncorrectable_pages > 0 ? NandStatus::kUncorrectable : NandStatus::kOk;
  ctx().Send(host_, kNandResponse, slot.response);
  slot.busy = false;
  DieEnded(die);
  if (streaming_die_ == static_cast<int>(die)) {
    // The channel is free again: the other dies first, in turn, then this one.
    streaming_die_ = -1;
    const auto n = static_cast<uint32_t>(dies_.size());
    for (uint32_t k = 1; k < n; ++k) TryIssue((die + k) % n);
  }
  TryIssue(die);
}

void NandChannel::AddToDigest(sim::DigestBuilder& d) const {
  const Stats& s = stats_;
  d.Add(s.requests).Add(s.invalid_requests).Add(s.commands).Add(s.bytes_out).Add(s.bytes_in);
  d.Add(s.ldpc_decodes).Add(s.ldpc_iterations).Add(s.corrected_codewords).Add(s.read_retries);
  d.Add(s.uncorrectable_pages).Add(s.bus_busy).Add(s.ldpc_busy).Add(s.partial_sum_bytes);
  if (s.suspending_reads > 0) d.Add(s.suspending_reads);  // absent when zero: older runs keep their digests
  if (chip_serial_) {  // the rule changes timing; multi-LUN runs keep their digests
    for (SimTime t : s.chip_busy) d.Add(t);
  }
}

void NandChannel::CollectStatistics(std::vector<sim::Statistic>* out) const {
  const Stats& s = stats_;
  auto add = [&](const char* name, double v, const char* unit) { out->push_back({name, v, unit}); };
  add("requests_total", static_cast<double>(s.requests), "count");
  add("invalid_requests_total", static_cast<double>(s.invalid_requests), "count");
  add("commands_total", static_cast<double>(s.commands), "count");
  add("bytes_out_total", static_cast<double>(s.bytes_out), "bytes");
  add("bytes_in_total", static_cast<double>(s.bytes_in), "bytes");
  add("ldpc_decodes_total", static_cast<double>(s.ldpc_decodes), "count");
  add("ldpc_iterations_total", static_cast<double>(s.ldpc_iterations), "count");
  add("corrected_codewords_total", static_cast<double>(s.corrected_codewords), "count");
  add("read_retries_total", static_cast<double>(s.read_retries), "count");
  add("uncorrectable_pages_total", static_cast<double>(s.uncorrectable_pages), "count");
  add("partial_sum_bytes_total", static_cast<double>(s.partial_sum_bytes), "bytes");
  add("suspending_reads_total", static_cast<double>(s.suspending_reads), "count");
  add("bus_busy_seconds", s.bus_busy.ToSeconds(), "seconds");
  add("ldpc_busy_seconds", s.ldpc_busy.ToSeconds(), "seconds");
  SimTime chips;
  for (SimTime t : s.chip_busy) chips += t;
  add("chip_busy_seconds", chips.ToSeconds(), "seconds");  // summed over the channel's chips
}

absl::StatusOr<NandArray> BuildNandArray(const NandConfig& config, sim::Simulation* sim,
                                         const std::string& prefix, const std::atomic<bool>* cancel) {
  if (absl::Status s = ValidateNandConfig(config); !s.ok()) return s;
  NandArray array;
  const NandGeometry& g = config.geometry;
  for (uint32_t c = 0; c < g.channels; ++c) {
    const std::string group = absl::StrCat(prefix, "_ch", c);
    NandChannel* ch = sim->Emplace<NandChannel>(group, group, config);
    array.channels.push_back(ch);
    array.dies.emplace_back();
    for (uint32_t d = 0; d < g.dies_per_channel; ++d) {
      NandDie* die = sim->Emplace<NandDie>(group, absl::StrCat(group, "_die", d), config, cancel);
      if (die->cancelled() || (cancel != nullptr && cancel->load(std::memory_order_relaxed))) {
        return absl::CancelledError("cancelled while building the NAND array");
      }
      array.dies.back().push_back(die);
      if (absl::Status s = sim->Connect(die->id(), "channel", ch->id(), absl::StrCat("die", d), SimTime::Zero());
          !s.ok()) {
        return s;
      }
    }
  }
  return array;
}

}  // namespace strata::nand
