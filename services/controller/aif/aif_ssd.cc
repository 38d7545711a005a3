#include "aif/aif_ssd.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata::controller {

namespace {
uint64_t CeilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
}  // namespace

std::string_view AifStepName(AifStep step) {
  static constexpr std::array<std::string_view, kAifSteps> kNames = {
      "sq_wait", "host_submit", "doorbell", "fetch",  "decode", "firmware", "dma_setup", "vector_in",
      "vector_load", "place",   "flash",    "reduce", "dma_out", "cqe",     "notify",    "host_complete"};
  return step < kAifSteps ? kNames[step] : "unknown";
}

absl::Status ValidateAifSsdConfig(const AifSsdConfig& c) {
  if (absl::Status s = ValidateNvmeConfig(c.nvme); !s.ok()) return s;
  if (absl::Status s = nand::ValidateNandConfig(c.nand); !s.ok()) return s;
  if (c.reduce_bytes_per_s == 0) return absl::InvalidArgumentError("reduce_bytes_per_s = 0; allowed: >= 1");
  if (c.channel_link <= SimTime::Zero()) {
    return absl::InvalidArgumentError(absl::StrCat("channel_link = ", c.channel_link.ToString(),
                                                   "; allowed: > 0 (cross-partition lookahead)"));
  }
  if (c.be_enc && c.nand.geometry.bits_per_cell != 3) {
    return absl::InvalidArgumentError(absl::StrCat("be_enc with nand.geometry.bits_per_cell = ",
                                                   c.nand.geometry.bits_per_cell, "; allowed: 3 (TLC)"));
  }
  if (c.nand.pe.placement == nand::PePlacement::kNone) {
    return absl::InvalidArgumentError("nand.pe.placement = 0 (none); allowed: 1 (per die) or 2 (per plane)");
  }
  if (c.nand.pe.operand != nand::PeOperand::kInt8) {
    return absl::InvalidArgumentError("nand.pe.operand: allowed 0 (INT8); aif_post places one byte per weight");
  }
  return absl::OkStatus();
}

AifSsd::AifSsd(std::string name, const AifSsdConfig& config)
    : Component(std::move(name)), config_(config), geo_(config.nand.geometry), pcie_(config.nvme.pcie) {
  host_ = DeclarePort("host");
  for (uint32_t c = 0; c < geo_.channels; ++c) channel_ports_.push_back(DeclarePort(absl::StrCat("ch", c)));
  next_block_.assign(geo_.dies(), 0);
}

uint64_t AifSsd::BlockGroupBytes() const {
  const uint64_t pages = config_.be_enc ? geo_.wordlines_per_block : geo_.pages_per_block();
  return uint64_t{geo_.planes_per_die} * pages * geo_.page_bytes;
}

AifStep AifSsd::StepOf(Phase p) {
  switch (p) {
    case Phase::kSubmitSw: return kAifHostSubmit;
    case Phase::kDoorbell: return kAifDoorbell;
    case Phase::kFetchRequest:
    case Phase::kFetchMemory:
    case Phase::kFetchCompletion: return kAifFetch;
    case Phase::kDecode: return kAifDecode;
    case Phase::kFirmware: return kAifFirmware;
    case Phase::kDmaSetupSw:
    case Phase::kPrpRequest:
    case Phase::kPrpMemory:
    case Phase::kPrpCompletion: return kAifDmaSetup;
    case Phase::kVecRequest:
    case Phase::kVecMemory:
    case Phase::kVecCompletion: return kAifVectorIn;
    case Phase::kVectorLoad: return kAifVectorLoad;
    case Phase::kPlace: return kAifPlace;
    case Phase::kFlash: return kAifFlash;
    case Phase::kReduce: return kAifReduce;
    case Phase::kDmaOut: return kAifDmaOut;
    case Phase::kCqe: return kAifCqe;
    case Phase::kMsix: return kAifNotify;
    case Phase::kHostComplete: return kAifHostComplete;
  }
  return kAifHostComplete;
}

SimTime AifSsd::Reserve(Dir dir, uint64_t payload, SimTime earliest) {
  const SimTime start = std::max(earliest, link_free_[dir]);
  link_free_[dir] = start + pcie_.PayloadTime(payload);
  return link_free_[dir] + config_.nvme.pcie.one_way_latency;
}

AifStatus AifSsd::Allocate(uint32_t rows, uint32_t cols, Matrix* out) {
  const uint64_t group = BlockGroupBytes();
  if (rows == 0 || cols == 0 || cols > group) return AifStatus::kInvalidField;
  const uint32_t dies = geo_.dies();
  const uint64_t rows_per_die = CeilDiv(rows, dies);
  const uint64_t rows_per_group = group / cols;
  const uint64_t step_bytes = uint64_t{geo_.planes_per_die} * geo_.page_bytes;
  // Per die, its blocks in order; then interleave die-minor for the DMA.
  std::vector<std::vector<Extent>> per_die(dies);
  for (uint32_t d = 0; d < dies; ++d) {
    const uint64_t first = uint64_t{d} * rows_per_die;
    if (first >= rows) break;
    uint64_t left = std::min<uint64_t>(rows_per_die, rows - first);
    uint32_t block = next_block_[d];
    while (left > 0) {
      if (block >= geo_.blocks_per_plane) return AifStatus::kCapacityExceeded;
      Extent e;
      e.die = d;
      e.block = block++;
      e.rows = static_cast<uint32_t>(std::min(left, rows_per_group));
      e.bytes = uint64_t{e.rows} * cols;
      e.steps = static_cast<uint32_t>(CeilDiv(e.bytes, step_bytes));
      e.planes = e.steps == 1 ? static_cast<uint32_t>(CeilDiv(e.bytes, geo_.page_bytes)) : geo_.planes_per_die;
      per_die[d].push_back(e);
      left -= e.rows;
    }
  }
  out->rows = rows;
  out->cols = cols;
  out->extents.clear();
  for (size_t j = 0;; ++j) {
    bool any = false;
    for (uint32_t d = 0; d < dies; ++d) {
      if (j < per_die[d].size()) {
        out->extents.push_back(per_die[d][j]);
        any = true;
      }
    }
    if (!any) break;
  }
  for (uint32_t d = 0; d < dies; ++d) next_block_[d] += static_cast<uint32_t>(per_die[d].size());
  return AifStatus::kSuccess;
}

void AifSsd::Handle(const sim::Event& e) {
  switch (e.type) {
    case kAifSubmit: {
      const AifSubmit s = e.PayloadAs<AifSubmit>();
      if (busy_) {
        waiting_.push_back({s, ctx().Now()});
      } else {
        Start(s, ctx().Now());
      }
      return;
    }
    case kAifPhaseDone:
      EndPhase();
      return;
    case kAifChunkArrived: {
      const Chunk& x = chunks_[e.PayloadAs<uint32_t>()];
      nand::NandRequest r;
      r.op = nand::NandOp::kProgram;
      r.block = x.block;
      r.page = x.page;
      r.page_count = 1;
      r.plane = 0;
      r.plane_count = static_cast<uint8_t>(x.planes);
      r.flags = config_.be_enc ? nand::kFlagBeEnc : 0;
      SendNand(x.die, r);
      return;
    }
    case nand::kNandResponse:
      OnNandResponse(e.PayloadAs<nand::NandResponse>());
      return;
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unexpected event type ", e.type)));
  }
}

void AifSsd::SendNand(uint32_t die, nand::NandRequest r) {
  r.id = next_nand_id_++;
  r.die = static_cast<uint8_t>(die % geo_.dies_per_channel);
  ++rec_.nand_requests;
  ctx().Send(channel_ports_[die / geo_.dies_per_channel], nand::kNandRequest, r);
}

void AifSsd::Start(const AifSubmit& cmd, SimTime submitted) {
  busy_ = true;
  cmd_ = cmd;
  rec_ = CommandRecord{};
  rec_.cid = cmd.cid;
  rec_.opcode = cmd.opcode;
  rec_.matrix = cmd.matrix;
  rec_.submitted = submitted;
  rec_.steps[kAifSqWait] = ctx().Now() - submitted;
  nand_failed_ = false;
  prp_fetches_done_ = 0;
  program_ = {Phase::kSubmitSw,        Phase::kDoorbell, Phase::kFetchRequest, Phase::kFetchMemory,
              Phase::kFetchCompletion, Phase::kDecode};
  pc_ = 0;
  phase_start_ = ctx().Now();
  StartPhase();
}

// After decode: the rest of the command's phases.
void AifSsd::BuildProgram() {
  AifStatus bad = AifStatus::kSuccess;
  if (cmd_.opcode == AifOpcode::kPost) {
    bad = Allocate(cmd_.rows, cmd_.cols, &pending_matrix_);
  } else if (cmd_.opcode != AifOpcode::kGemv || cmd_.matrix >= matrices_.size()) {
    bad = AifStatus::kInvalidField;
  }
  program_.push_back(Phase::kFirmware);
  if (bad != AifStatus::kSuccess) {
    rec_.status = bad;
    program_.insert(program_.end(), {Phase::kCqe, Phase::kMsix, Phase::kHostComplete});
    return;
  }
  // NVMe PRP rules: a buffer spanning more than two memory pages needs a PRP
  // list; each list is one MRd round trip. post: the weights; gemv: the
  // vector in and the result out.
  prp_lists_.clear();
  auto add = [&](uint64_t bytes) {
    const uint64_t pages = CeilDiv(bytes, config_.nvme.memory_page_bytes);
    if (pages > 2) prp_lists_.push_back((pages - 1) * config_.nvme.prp_entry_bytes);
  };
  if (cmd_.opcode == AifOpcode::kPost) {
    add(uint64_t{cmd_.rows} * cmd_.cols);
  } else {
    const Matrix& m = matrices_[cmd_.matrix];
    add(m.cols);
    add(uint64_t{m.rows} * config_.nand.pe.accumulator_bytes);
  }
  program_.push_back(Phase::kDmaSetupSw);
  for (size_t i = 0; i < prp_lists_.size(); ++i) {
    program_.insert(program_.end(), {Phase::kPrpRequest, Phase::kPrpMemory, Phase::kPrpCompletion});
  }
  if (cmd_.opcode == AifOpcode::kPost) {
    rec_.data_bytes = uint64_t{cmd_.rows} * cmd_.cols;
    program_.push_back(Phase::kPlace);
  } else {
    rec_.data_bytes = matrices_[cmd_.matrix].cols;
    program_.insert(program_.end(), {Phase::kVecRequest, Phase::kVecMemory, Phase::kVecCompletion,
                                     Phase::kVectorLoad, Phase::kFlash, Phase::kReduce, Phase::kDmaOut});
  }
  program_.insert(program_.end(), {Phase::kCqe, Phase::kMsix, Phase::kHostComplete});
}

void AifSsd::StartPhase() {
  const Phase p = program_[pc_];
  const NvmeConfig& n = config_.nvme;
  SimTime delay;
  switch (p) {
    case Phase::kSubmitSw: delay = n.host_submit; break;
    case Phase::kDoorbell: delay = Transfer(kDown, n.doorbell_bytes); break;
    case Phase::kFetchRequest:
    case Phase::kPrpRequest:
    case Phase::kVecRequest: delay = Transfer(kUp, 0); break;  // header-only MRd
    case Phase::kFetchMemory:
    case Phase::kPrpMemory:
    case Phase::kVecMemory: delay = n.host_memory_read_latency; break;
    case Phase::kFetchCompletion: delay = Transfer(kDown, n.sqe_bytes); break;
    case Phase::kDecode: delay = n.command_processing; break;
    case Phase::kFirmware: delay = config_.firmware_per_command; break;
    case Phase::kDmaSetupSw: delay = n.dma_setup; break;
    case Phase::kPrpCompletion: delay = Transfer(kDown, prp_lists_[prp_fetches_done_++]); break;
    case Phase::kVecCompletion: delay = Transfer(kDown, matrices_[cmd_.matrix].cols); break;
    case Phase::kVectorLoad: {
      const nand::NandTiming& t = config_.nand.timing;
      const SimTime per_die = t.cmd_addr_cycle * t.program_cmd_addr_cycles +
                              sim::TransferTime(matrices_[cmd_.matrix].cols, config_.nand.bus.bytes_per_second());
      delay = per_die * geo_.dies_per_channel;
      break;
    }
    case Phase::kPlace: StartPlace(); return;
    case Phase::kFlash: StartFlash(); return;
    case Phase::kReduce: delay = sim::TransferTime(rec_.partial_sum_bytes, config_.reduce_bytes_per_s); break;
    case Phase::kDmaOut:
      delay = Transfer(kUp, uint64_t{matrices_[cmd_.matrix].rows} * config_.nand.pe.accumulator_bytes);
      break;
    case Phase::kCqe: delay = Transfer(kUp, n.cqe_bytes); break;
    case Phase::kMsix:
      delay = n.completion == CompletionMode::kInterrupt ? Transfer(kUp, n.msix_bytes) : SimTime::Zero();
      break;
    case Phase::kHostComplete:
      delay = n.completion == CompletionMode::kInterrupt ? n.interrupt_handling : n.poll_detect;
      break;
  }
  ctx().Schedule(delay, kAifPhaseDone);
}

void AifSsd::EndPhase() {
  const Phase p = program_[pc_];
  rec_.steps[StepOf(p)] += ctx().Now() - phase_start_;
  phase_start_ = ctx().Now();
  if (p == Phase::kDecode) BuildProgram();
  if ((p == Phase::kPlace || p == Phase::kFlash) && nand_failed_) {
    // Skip to the completion entry.
    rec_.status = AifStatus::kFlashError;
    while (program_[pc_ + 1] != Phase::kCqe) ++pc_;
  }
  if (++pc_ == program_.size()) {
    Complete(rec_.status);
    return;
  }
  StartPhase();
}

void AifSsd::StartPlace() {
  // The weights move in program units: one multi-plane page step of one
  // die's extent (planes x page_bytes, the last step of an extent only its
  // bytes), step-major over the dies so every die's programs start early.
  // Every unit's MRd leaves back to back; its data follows host memory
  // latency later, FIFO on the downstream direction; its program request
  // goes to the die when it has arrived (the channel queues it behind the
  // die's previous program).
  chunks_.clear();
  const uint32_t dies = geo_.dies();
  std::vector<std::vector<uint32_t>> per_die(dies);
  for (uint32_t i = 0; i < pending_matrix_.extents.size(); ++i) per_die[pending_matrix_.extents[i].die].push_back(i);
  const uint64_t step_bytes = uint64_t{geo_.planes_per_die} * geo_.page_bytes;
  const uint32_t stride = config_.be_enc ? geo_.bits_per_cell : 1;
  std::vector<size_t> ext(dies, 0);
  std::vector<uint32_t> step(dies, 0);
  for (bool any = true; any;) {
    any = false;
    for (uint32_t d = 0; d < dies; ++d) {
      if (ext[d] >= per_die[d].size()) continue;
      any = true;
      const Extent& x = pending_matrix_.extents[per_die[d][ext[d]]];
      Chunk c;
      c.die = d;
      c.block = x.block;
      c.page = step[d] * stride;
      c.planes = x.planes;
      c.bytes = std::min(step_bytes, x.bytes - uint64_t{step[d]} * step_bytes);
      chunks_.push_back(c);
      if (++step[d] == x.steps) {
        step[d] = 0;
        ++ext[d];
      }
    }
  }
  const SimTime now = ctx().Now();
  nand_pending_ = static_cast<uint32_t>(chunks_.size());
  for (uint32_t i = 0; i < chunks_.size(); ++i) {
    const SimTime request_at = Reserve(kUp, 0, now);
    const SimTime arrival = Reserve(kDown, chunks_[i].bytes, request_at + config_.nvme.host_memory_read_latency);
    ctx().Schedule(arrival - now, kAifChunkArrived, i);
  }
}

void AifSsd::StartFlash() {
  const Matrix& m = matrices_[cmd_.matrix];
  nand_pending_ = static_cast<uint32_t>(m.extents.size());
  for (const Extent& x : m.extents) {
    nand::NandRequest r;
    r.op = nand::NandOp::kGemv;
    r.block = x.block;
    r.page = 0;
    r.page_count = static_cast<uint16_t>(x.steps);
    r.page_stride = static_cast<uint8_t>(config_.be_enc ? geo_.bits_per_cell : 1);
    r.plane = 0;
    r.plane_count = static_cast<uint8_t>(x.planes);
    r.vector_dim = m.cols;
    r.output_rows = x.rows;
    SendNand(x.die, r);
  }
}

void AifSsd::OnNandResponse(const nand::NandResponse& r) {
  if (nand_pending_ == 0) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": NAND response ", r.id, " with none pending")));
    return;
  }
  if (r.status != nand::NandStatus::kOk) nand_failed_ = true;
  if (r.op == nand::NandOp::kGemv) rec_.partial_sum_bytes += r.output_bytes;
  if (--nand_pending_ == 0) EndPhase();
}

void AifSsd::Complete(AifStatus status) {
  rec_.completed = ctx().Now();
  rec_.status = status;
  AifComplete c;
  c.cid = rec_.cid;
  c.status = status;
  if (status == AifStatus::kSuccess && rec_.opcode == AifOpcode::kPost) {
    rec_.matrix = static_cast<uint32_t>(matrices_.size());
    for (const Extent& x : pending_matrix_.extents) stats_.ifp_blocks += x.planes;
    stats_.weight_bytes += rec_.data_bytes;
    matrices_.push_back(std::move(pending_matrix_));
    pending_matrix_ = Matrix{};
  }
  c.matrix = rec_.matrix;
  c.flash_ps = (rec_.opcode == AifOpcode::kGemv ? rec_.steps[kAifFlash] : rec_.steps[kAifPlace]).ps();
  c.latency_ps = rec_.latency().ps();
  if (status != AifStatus::kSuccess) ++stats_.errors;
  if (rec_.opcode == AifOpcode::kPost) {
    ++stats_.posts;
    stats_.post_latency_sum += rec_.latency();
  } else {
    ++stats_.gemvs;
    stats_.gemv_latency_sum += rec_.latency();
    stats_.partial_sum_bytes += rec_.partial_sum_bytes;
  }
  if (config_.record_commands) records_.push_back(rec_);
  ctx().Send(host_, kAifComplete, c);
  // CQ head doorbell: off the critical path, but it uses the link.
  Transfer(kDown, config_.nvme.doorbell_bytes);
  busy_ = false;
  if (!waiting_.empty()) {
    const Waiting w = waiting_.front();
    waiting_.pop_front();
    Start(w.cmd, w.submitted);
  }
}

void AifSsd::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(stats_.posts).Add(stats_.gemvs).Add(stats_.errors).Add(stats_.ifp_blocks).Add(stats_.weight_bytes);
  d.Add(stats_.partial_sum_bytes).Add(stats_.post_latency_sum).Add(stats_.gemv_latency_sum);
  for (const CommandRecord& r : records_) {
    d.Add(r.cid).Add(r.completed);
    for (SimTime t : r.steps) d.Add(t);
  }
}

void AifSsd::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({name() + ".posts", static_cast<double>(stats_.posts), "count"});
  out->push_back({name() + ".gemvs", static_cast<double>(stats_.gemvs), "count"});
  out->push_back({name() + ".errors", static_cast<double>(stats_.errors), "count"});
  out->push_back({name() + ".ifp_blocks", static_cast<double>(stats_.ifp_blocks), "count"});
  out->push_back({name() + ".weight_bytes", static_cast<double>(stats_.weight_bytes), "bytes"});
  out->push_back({name() + ".partial_sum_bytes", static_cast<double>(stats_.partial_sum_bytes), "bytes"});
  out->push_back({name() + ".post_latency_sum", stats_.post_latency_sum.ToSeconds(), "s"});
  out->push_back({name() + ".gemv_latency_sum", stats_.gemv_latency_sum.ToSeconds(), "s"});
  std::array<SimTime, kAifSteps> post{}, gemv{};
  for (const CommandRecord& r : records_) {
    auto& sum = r.opcode == AifOpcode::kPost ? post : gemv;
    for (uint32_t s = 0; s < kAifSteps; ++s) sum[s] += r.steps[s];
  }
  for (uint32_t s = 0; s < kAifSteps; ++s) {
    const std::string step(AifStepName(static_cast<AifStep>(s)));
    out->push_back({name() + ".post_step_sum." + step, post[s].ToSeconds(), "s"});
    out->push_back({name() + ".gemv_step_sum." + step, gemv[s].ToSeconds(), "s"});
  }
}

AifHost::AifHost(std::string name, std::vector<AifSubmit> script)
    : Component(std::move(name)), script_(std::move(script)) {
  ssd_ = DeclarePort("ssd");
}

void AifHost::Init() { Issue(); }

void AifHost::Issue() {
  if (next_ >= script_.size()) return;
  AifSubmit s = script_[next_];
  s.cid = next_++;
  submitted_ = ctx().Now();
  ctx().Send(ssd_, kAifSubmit, s);
}

void AifHost::Handle(const sim::Event& e) {
  if (e.type != kAifComplete) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unexpected event type ", e.type)));
    return;
  }
  done_.push_back({e.PayloadAs<AifComplete>(), submitted_, ctx().Now()});
  Issue();
}

void AifHost::AddToDigest(sim::DigestBuilder& d) const {
  for (const Done& x : done_) {
    d.Add(x.completion.cid).Add(x.completion.matrix).Add(static_cast<uint32_t>(x.completion.status));
    d.Add(x.submitted).Add(x.completed);
  }
}

absl::StatusOr<AifSystem> BuildAifSsd(const AifSsdConfig& config, std::vector<AifSubmit> script,
                                      sim::Simulation* sim) {
  if (absl::Status s = ValidateAifSsdConfig(config); !s.ok()) return s;
  AifSystem out;
  absl::StatusOr<nand::NandArray> array = nand::BuildNandArray(config.nand, sim);
  if (!array.ok()) return array.status();
  out.nand = *array;
  out.ssd = sim->Emplace<AifSsd>("aif", "aif_ssd", config);
  out.host = sim->Emplace<AifHost>("aif", "aif_host", std::move(script));
  if (absl::Status s = sim->Connect(out.host->id(), "ssd", out.ssd->id(), "host", SimTime::Zero()); !s.ok()) {
    return s;
  }
  for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) {
    if (absl::Status s = sim->Connect(out.ssd->id(), absl::StrCat("ch", c), out.nand.channels[c]->id(), "host",
                                      config.channel_link);
        !s.ok()) {
      return s;
    }
  }
  return out;
}

}  // namespace strata::controller
