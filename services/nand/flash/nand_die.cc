#include "flash/nand_die.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "flash/stream_pipeline.h"

namespace strata::nand {

namespace {
constexpr double kSecondsPerYear = 365.25 * 24 * 3600;

uint64_t WeightsPerPage(const NandConfig& c) {
  return uint64_t{c.geometry.page_bytes} * 8 / OperandBits(c.pe.operand);
}
SimTime PePageTime(const NandConfig& c) {
  const uint64_t cycles = (WeightsPerPage(c) + c.pe.macs_per_cycle - 1) / c.pe.macs_per_cycle;
  return sim::CyclesAt(cycles, c.pe.clock_hz);
}
SimTime ComputePageTime(const NandConfig& c) {
  const SimTime ecc =
      c.ecc.kind == EccKind::kEccLite ? EccLiteLatency(c.ecc, c.geometry.page_bytes) : SimTime::Zero();
  return std::max(ecc, PePageTime(c));
}
}  // namespace

uint32_t DataOutBytes(const NandConfig& c, const NandRequest& r) {
  const uint32_t page = c.geometry.page_bytes;
  if (r.op != NandOp::kRead || r.read_bytes == 0) return page;
  const uint32_t codeword = c.ecc.codeword_bytes;
  return std::min(page, (r.read_bytes + codeword - 1) / codeword * codeword);
}

SimTime MinimumDieTime(const NandConfig& c, const NandRequest& r) {
  if (r.op == NandOp::kProgram) {  // after its data-in; suspends only add
    return PageProgramTime(c.timing, ToWordlinePage(c.geometry, r.page).page_type);
  }
  if (r.op == NandOp::kErase) return c.timing.erase;
  if ((r.op != NandOp::kRead && r.op != NandOp::kGemv) || r.page_count == 0) return SimTime::Zero();
  // The die's own pipeline (stream_pipeline.h, which PAGE events follow to
  // the picosecond when nothing contends) at the fastest step times the
  // request's pages allow: each page type's fewest read levels over both
  // codings, with cr-read wherever a wordline follows the last (and on step
  // 0, which may follow the die's previous read). Every update of the
  // recurrence is a max of sums, so faster steps never give a later end,
  // and contention for the bus or an LDPC engine only adds.
  const NandGeometry& g = c.geometry;
  const bool cr_allowed = c.timing.cr_read && r.retry_level == 0;
  auto fastest = [&](uint32_t page_type, bool cr) {
    SimTime t = SimTime::Infinite();
    for (BlockCoding coding : {BlockCoding::kDefault, BlockCoding::kBiasErrorEncoding}) {
      const absl::StatusOr<SimTime> read = PageReadTime(c.timing, g.bits_per_cell, coding, page_type, cr);
      if (read.ok()) t = std::min(t, *read);
    }
    return t;
  };
  auto wordline_page = [&](uint32_t step) { return ToWordlinePage(g, r.page + step * r.page_stride); };
  uint32_t period = 1;
  while ((uint64_t{period} * r.page_stride) % g.bits_per_cell != 0) ++period;
  StreamSteps steps;
  steps.count = r.page_count;
  // Step 0 charge-recycles only after a read of the wordline before it.
  steps.first = fastest(wordline_page(0).page_type, cr_allowed && wordline_page(0).wordline > 0);
  steps.periodic.resize(period);
  for (uint32_t residue = 0; residue < period; ++residue) {
    const uint32_t s = residue == 0 ? period : residue;
    const bool cr = cr_allowed && wordline_page(s).wordline == wordline_page(s - 1).wordline + 1;
    steps.periodic[residue] = fastest(wordline_page(s).page_type, cr);
  }
  if (steps.first.IsInfinite()) return SimTime::Zero();  // no known read time: bound nothing
  for (SimTime t : steps.periodic) {
    if (t.IsInfinite()) return SimTime::Zero();
  }
  StreamPipelineShape shape;
  shape.gemv = r.op == NandOp::kGemv;
  shape.ecclite = c.ecc.kind == EccKind::kEccLite;
  shape.cache_read = c.timing.cache_read;
  const bool per_plane = c.pe.placement == PePlacement::kPerPlane;
  for (uint32_t p = r.plane; p < uint32_t{r.plane} + r.plane_count; ++p) shape.unit_of_plane.push_back(per_plane ? p : 0);
  shape.units = per_plane ? g.planes_per_die : 1;
  shape.decode = EccLiteLatency(c.ecc, DataOutBytes(c, r));
  shape.xfer = sim::TransferTime(DataOutBytes(c, r), c.bus.bytes_per_second());
  shape.compute = ComputePageTime(c);
  return RunStreamPipeline(shape, SimTime::Zero(), steps).end;
}

NandDie::NandDie(std::string name, const NandConfig& config, const std::atomic<bool>* cancel)
    : Component(std::move(name)),
      config_(config),
      rber_(config.reliability, config.ecc.codeword_bytes),
      weights_per_page_(WeightsPerPage(config)),
      pe_page_time_(PePageTime(config)),
      compute_page_time_(ComputePageTime(config)) {
  channel_ = DeclarePort("channel");
  const NandGeometry& g = config_.geometry;
  BlockState initial;
  initial.pe_cycles = config_.reliability.initial_pe_cycles;
  // Plane by plane so a cancel is seen within one plane's fill (at most
  // 10^6 blocks, tens of milliseconds).
  blocks_.reserve(g.planes_per_die);
  for (uint32_t p = 0; p < g.planes_per_die; ++p) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) break;
    blocks_.emplace_back(g.blocks_per_plane, initial);
  }
  planes_.resize(g.planes_per_die);
  units_.resize(config_.pe.placement == PePlacement::kPerPlane ? g.planes_per_die : 1);
}

void NandDie::SetBlockCoding(uint32_t plane, uint32_t block, BlockCoding coding) {
  blocks_[plane][block].coding = coding;
}

void NandDie::SetBlockWear(uint32_t plane, uint32_t block, uint32_t pe_cycles, uint32_t reads) {
  blocks_[plane][block].pe_cycles = pe_cycles;
  blocks_[plane][block].reads = reads;
}

double NandDie::RetentionYears(const BlockState& b, SimTime at) const {
  if (!b.programmed_in_run) return config_.reliability.initial_retention_years;
  return (at - b.programmed_at).ToSeconds() / kSecondsPerYear;
}

void NandDie::Handle(const sim::Event& e) {
  switch (e.type) {
    case kDieCommand:
      if ((e.PayloadAs<NandRequest>().flags & kFlagSuspend) && TrySuspend(e.PayloadAs<NandRequest>())) return;
      queue_.push_back(e.PayloadAs<NandRequest>());
      if (!active_) StartNext();
      return;
    case kSuspendDone:  // the array is stopped: the suspending read runs now
      stats_.busy += ctx().Now() - started_;
      active_ = false;
      StartNext();
      return;
    case kArrayDone:
      array_busy_ = false;
      data_full_ = true;
      TryAdvanceRead();
      return;
    case kComputeDone: {
      const uint32_t u = e.PayloadAs<uint32_t>();
      PeUnit& unit = units_[u];
      const uint32_t p = unit.queue.front();
      unit.queue.pop_front();
      unit.busy = false;
      if (config_.ecc.kind == EccKind::kEccLite) AccountEcc(planes_[p].cache_errors);
      AccountCompute();
      planes_[p].cache_full = false;
      ++done_.pages;
      --full_caches_;
      if (++computed_ == uint32_t{cur_.page_count} * cur_.plane_count) {
        SendPartialSums();
      } else {
        units_to_start_.push_back(u);
        TryAdvanceRead();
      }
      StartCompute(u);
      return;
    }
    case kStreamDone:
      if (cur_.op == NandOp::kGemv) {
        SendPartialSums();
      } else {
        EndCommand();
      }
      return;
    case kPsumPathDone:
      EndCommand();
      return;
    case kBusDone: {
      const auto bd = e.PayloadAs<BusDone>();
      if (cur_.op == NandOp::kGemv) {  // the partial sums are out
        EndCommand();
        return;
      }
      ++transfers_done_;
      if (bd.data_in) {
        stats_.bytes_in += config_.geometry.page_bytes;
        if (transfers_done_ == cur_.plane_count) {
          const SimTime program =
              PageProgramTime(config_.timing, ToWordlinePage(config_.geometry, PageOf(next_step_)).page_type);
          stats_.array_busy += program * cur_.plane_count;
          ScheduleArrayOp(program, kProgramDone);
        }
        return;
      }
      stats_.bytes_out += DataOutBytes(config_, cur_);
      planes_[bd.plane].cache_full = false;
      --full_caches_;
      ++done_.pages;
      if (transfers_done_ == uint32_t{cur_.page_count} * cur_.plane_count) {
        EndCommand();
      } else {
        TryAdvanceRead();
      }
      return;
    }
    case kProgramDone: {
      if (e.PayloadAs<uint32_t>() != array_epoch_) return;  // superseded by a suspension
      array_op_pending_ = false;
      for (uint32_t p = cur_.plane; p < uint32_t{cur_.plane} + cur_.plane_count; ++p) {
        BlockState& b = blocks_[p][cur_.block];
        b.coding = (cur_.flags & kFlagBeEnc) ? BlockCoding::kBiasErrorEncoding : BlockCoding::kDefault;
        b.reads = 0;
        b.programmed_in_run = true;
        b.programmed_at = ctx().Now();
        planes_[p].cr_valid = false;
        ++stats_.pages_programmed;
        ++done_.pages;
      }
      ++next_step_;
      if (next_step_ < cur_.page_count) {
        RequestDataIn();
      } else {
        EndCommand();
      }
      return;
    }
    case kEraseDone:
      if (e.PayloadAs<uint32_t>() != array_epoch_) return;  // superseded by a suspension
      array_op_pending_ = false;
      for (uint32_t p = cur_.plane; p < uint32_t{cur_.plane} + cur_.plane_count; ++p) {
        BlockState& b = blocks_[p][cur_.block];
        ++b.pe_cycles;
        b.reads = 0;
        b.coding = BlockCoding::kDefault;
        b.programmed_in_run = false;
        planes_[p].cr_valid = false;
        ++stats_.blocks_erased;
      }
      EndCommand();
      return;
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unknown event type ", e.type)));
  }
}

void NandDie::StartNext() {
  if (queue_.empty()) return;
  cur_ = queue_.front();
  queue_.pop_front();
  const NandGeometry& g = config_.geometry;
  const uint64_t last_page = uint64_t{cur_.page} + uint64_t{cur_.page_count - 1u} * cur_.page_stride;
  if (cur_.plane_count == 0 || uint32_t{cur_.plane} + cur_.plane_count > g.planes_per_die ||
      cur_.block >= g.blocks_per_plane || cur_.page_count == 0 || cur_.page_stride == 0 ||
      last_page >= g.pages_per_block()) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": command ", cur_.id, " out of range (block ", cur_.block,
                                                ", page ", cur_.page, ", pages ", cur_.page_count, ")")));
    return;
  }
  active_ = true;
  started_ = ctx().Now();
  ++stats_.commands;
  next_step_ = 0;
  array_busy_ = false;
  data_full_ = false;
  transfers_done_ = 0;
  computed_ = 0;
  done_ = DieOpDone{};
  done_.id = cur_.id;
  switch (cur_.op) {
    case NandOp::kRead:
      if (cur_.flags & kFlagStream) {
        RunStream();
      } else {
        TryAdvanceRead();
      }
      return;
    case NandOp::kGemv:
      if (config_.fidelity == Fidelity::kStream) {
        RunStream();
      } else {
        TryAdvanceRead();
      }
      return;
    case NandOp::kProgram:
      RequestDataIn();
      return;
    case NandOp::kErase:
      stats_.array_busy += config_.timing.erase * cur_.plane_count;
      ScheduleArrayOp(config_.timing.erase, kEraseDone);
      return;
  }
}

void NandDie::EndCommand() {
  ctx().Send(channel_, kDieOpDone, done_);
  stats_.busy += ctx().Now() - started_;
  active_ = false;
  if (suspended_) {
    Resume();
    return;
  }
  StartNext();
}

void NandDie::ScheduleArrayOp(SimTime duration, NandEventType done) {
  array_op_pending_ = true;
  array_op_end_ = ctx().Now() + duration;
  ctx().Schedule(duration, done, array_epoch_);
}

bool NandDie::TrySuspend(const NandRequest& read) {
  const SimTime now = ctx().Now();
  if (read.op != NandOp::kRead || !active_ || !array_op_pending_ || suspended_ || array_op_end_ <= now) return false;
  suspended_ = true;
  held_ = Suspended{cur_, next_step_, done_, array_op_end_ - now};
  array_op_pending_ = false;
  ++array_epoch_;
  const bool program = cur_.op == NandOp::kProgram;
  ++(program ? stats_.program_suspends : stats_.erase_suspends);
  queue_.push_front(read);
  ctx().Schedule(program ? config_.timing.program_suspend : config_.timing.erase_suspend, kSuspendDone);
  return true;
}

void NandDie::Resume() {
  suspended_ = false;
  cur_ = held_.cur;
  next_step_ = held_.next_step;
  transfers_done_ = cur_.plane_count;  // a program suspends only after its data-in
  done_ = held_.done;
  active_ = true;
  started_ = ctx().Now();
  ScheduleArrayOp(config_.timing.suspend_resume + held_.remaining,
                  cur_.op == NandOp::kProgram ? kProgramDone : kEraseDone);
}

bool NandDie::CacheEmpty() const { return full_caches_ == 0; }

SimTime NandDie::DrawArrayStep(SimTime at) {
  const NandGeometry& g = config_.geometry;
  const uint32_t page = PageOf(next_step_++);
  const WordlinePage wp = ToWordlinePage(g, page);
  SimTime step_time = SimTime::Zero();
  for (uint32_t p = cur_.plane; p < uint32_t{cur_.plane} + cur_.plane_count; ++p) {
    PlaneState& ps = planes_[p];
    BlockState& b = blocks_[p][cur_.block];
    const bool cr = config_.timing.cr_read && cur_.retry_level == 0 && ps.cr_valid && ps.last_block == cur_.block &&
                    wp.wordline == ps.last_wordline + 1;
    step_time = std::max(step_time, *PageReadTime(config_.timing, g.bits_per_cell, b.coding, wp.page_type, cr));
    double rber = rber_.Rber(g.bits_per_cell, b.coding, wp.page_type, b.pe_cycles, RetentionYears(b, at), b.reads);
    if (cur_.retry_level > 0) rber *= std::pow(config_.ecc.retry_rber_factor, cur_.retry_level);
    // Only the codewords that leave the die are decoded (a partial read).
    ps.data_errors = error_sampler_.Draw(ctx().random(), DataOutBytes(config_, cur_) / config_.ecc.codeword_bytes,
                                         config_.ecc.codeword_bytes * 8, rber, config_.ecc.ecclite_t);
    ps.data_page = page;
    ++b.reads;
    ps.last_block = cur_.block;
    ps.last_wordline = wp.wordline;
    ps.cr_valid = cur_.retry_level == 0;  // a retry shifts the read references: the chain restarts
    ++stats_.pages_read;
    if (cr) ++stats_.cr_reads;
    if (cur_.retry_level > 0) ++stats_.retry_reads;
    stats_.bit_errors += ps.data_errors.total;
    done_.bit_errors += ps.data_errors.total;
  }
  stats_.array_busy += step_time * cur_.plane_count;
  return step_time;
}

void NandDie::StartArrayStep() {
  const SimTime step_time = DrawArrayStep(ctx().Now());
  array_busy_ = true;
  ctx().Schedule(step_time, kArrayDone);
}

void NandDie::AccountEcc(const PageErrors& pe) {
  stats_.ecclite_corrected_codewords += pe.codewords_with_errors - pe.codewords_over_ecclite_t;
  done_.ecclite_corrected_codewords += pe.codewords_with_errors - pe.codewords_over_ecclite_t;
  stats_.ecclite_failed_codewords += pe.codewords_over_ecclite_t;
  if (pe.codewords_over_ecclite_t > 0) {
    ++stats_.ecclite_failed_pages;
    ++done_.ecclite_failed_pages;
  }
}

void NandDie::AccountCompute() {
  ++stats_.pages_computed;
  stats_.macs += weights_per_page_;
  stats_.pe_busy += pe_page_time_;
}

void NandDie::StartCompute(uint32_t u) {
  PeUnit& unit = units_[u];
  if (unit.busy || unit.queue.empty()) return;
  unit.busy = true;
  ctx().Schedule(compute_page_time_, kComputeDone, u);
}

void NandDie::SendPartialSums() {
  const uint32_t bytes = cur_.output_rows * config_.pe.accumulator_bytes;
  stats_.partial_sum_bytes += bytes;
  if (config_.pe.dedicated_output_path) {
    ctx().Schedule(sim::TransferTime(bytes, config_.pe.output_path_bytes_per_s), kPsumPathDone);
    return;
  }
  BusRequest r;
  r.id = cur_.id;
  r.block = cur_.block;
  r.bytes = bytes;
  r.plane = cur_.plane;
  r.partial_sums = 1;
  ctx().Send(channel_, kBusRequest, r);
}

// STREAM fidelity: the whole command as one event. Times come from the PAGE
// pipeline's rules evaluated as a recurrence (stream_pipeline.h: exact to
// the picosecond); everything a PAGE run counts step by step (array time,
// cr-reads, wear) follows in closed form from the page-type period; bit
// errors are drawn per plane and page type for the run at once
// (DrawRunErrors: the same per-codeword law, at the run's mean read-disturb
// count and its start's retention, so counts agree with PAGE in
// distribution, not draw for draw).
void NandDie::RunStream() {
  ++stats_.stream_runs;
  const SimTime t0 = ctx().Now();
  const NandGeometry& g = config_.geometry;
  const bool gemv = cur_.op == NandOp::kGemv;
  const bool ecclite = config_.ecc.kind == EccKind::kEccLite;
  const uint32_t n = cur_.page_count;
  const uint64_t plane_pages = uint64_t{n} * cur_.plane_count;
  const uint32_t plane_end = uint32_t{cur_.plane} + cur_.plane_count;
  const uint32_t out_bytes = DataOutBytes(config_, cur_);  // per plane-page
  // Page types (and so step times) repeat every `period` steps: the least
  // P with P * stride a multiple of the bits per cell.
  uint32_t period = 1;
  while ((uint64_t{period} * cur_.page_stride) % g.bits_per_cell != 0) ++period;
  auto wordline_page = [&](uint32_t step) { return ToWordlinePage(g, PageOf(step)); };
  // NVLLM's dies stream 64 planes in lockstep whose blocks share a coding:
  // step times are taken over the codings present, not plane by plane.
  bool coding_present[2] = {false, false};
  for (uint32_t p = cur_.plane; p < plane_end; ++p) {
    coding_present[static_cast<int>(blocks_[p][cur_.block].coding)] = true;
  }
  auto read_time = [&](BlockCoding coding, uint32_t page_type, bool cr) {
    return *PageReadTime(config_.timing, g.bits_per_cell, coding, page_type, cr);
  };
  auto slowest_read_time = [&](uint32_t page_type, bool cr) {
    SimTime t = SimTime::Zero();
    for (int c = 0; c < 2; ++c) {
      if (coding_present[c]) t = std::max(t, read_time(static_cast<BlockCoding>(c), page_type, cr));
    }
    return t;
  };
  const bool cr_allowed = config_.timing.cr_read && cur_.retry_level == 0;

  // Step 0 charge-recycles on the planes whose previous read was the
  // wordline before; step s >= 1 does when its wordline follows step s-1's.
  StreamSteps steps;
  steps.count = n;
  uint64_t cr_reads = 0;
  const WordlinePage wp0 = wordline_page(0);
  bool without_cr[2] = {false, false};  // by coding: some plane of it reads step 0 without cr-read
  for (uint32_t p = cur_.plane; p < plane_end; ++p) {
    const PlaneState& ps = planes_[p];
    const bool cr = cr_allowed && ps.cr_valid && ps.last_block == cur_.block && wp0.wordline == ps.last_wordline + 1;
    cr_reads += cr;
    without_cr[static_cast<int>(blocks_[p][cur_.block].coding)] |= !cr;
  }
  for (int c = 0; c < 2; ++c) {
    if (coding_present[c]) {
      steps.first = std::max(steps.first, read_time(static_cast<BlockCoding>(c), wp0.page_type, !without_cr[c]));
    }
  }
  // Steps s in [0, n) with s % period == r.
  auto steps_with_residue = [&](uint32_t r) -> uint64_t { return n > r ? (n - 1 - r) / period + 1 : 0; };
  SimTime array_time = steps.first;
  steps.periodic.resize(period);
  for (uint32_t r = 0; r < period; ++r) {
    const uint32_t s = r == 0 ? period : r;  // a representative step >= 1
    const WordlinePage wp = wordline_page(s);
    const bool cr = cr_allowed && wp.wordline == wordline_page(s - 1).wordline + 1;
    steps.periodic[r] = slowest_read_time(wp.page_type, cr);
    const uint64_t later_steps = steps_with_residue(r) - (r == 0 ? 1 : 0);
    array_time += steps.periodic[r] * static_cast<int64_t>(later_steps);
    if (cr) cr_reads += later_steps * cur_.plane_count;
  }

  StreamPipelineShape shape;
  shape.gemv = gemv;
  shape.ecclite = ecclite;
  shape.cache_read = config_.timing.cache_read;
  for (uint32_t p = cur_.plane; p < plane_end; ++p) shape.unit_of_plane.push_back(UnitOf(p));
  shape.units = static_cast<uint32_t>(units_.size());
  shape.decode = EccLiteLatency(config_.ecc, out_bytes);
  shape.xfer = sim::TransferTime(out_bytes, config_.bus.bytes_per_second());
  shape.compute = compute_page_time_;
  const StreamTiming timing = RunStreamPipeline(shape, t0, steps);

  // Bit errors per page type and per run of planes whose blocks are in the
  // same state (one draw for all of them); read disturb grows by one read per
  // step, so a type's pages see the block's reads plus their mean step.
  RunErrors errors;
  for (uint32_t type = 0; type < g.bits_per_cell; ++type) {
    uint64_t type_steps = 0;
    double step_sum = 0;
    for (uint32_t r = 0; r < period; ++r) {
      if (wordline_page(r).page_type != type) continue;
      const uint64_t c = steps_with_residue(r);
      type_steps += c;
      step_sum += static_cast<double>(c) * r + period * 0.5 * static_cast<double>(c) * static_cast<double>(c - 1);
    }
    if (type_steps == 0) continue;
    const double mean_step = step_sum / static_cast<double>(type_steps);
    for (uint32_t p = cur_.plane; p < plane_end;) {
      const BlockState& b = blocks_[p][cur_.block];
      uint32_t same = p + 1;
      while (same < plane_end && blocks_[same][cur_.block].SameWear(b)) ++same;
      double rber = rber_.Rber(g.bits_per_cell, b.coding, type, b.pe_cycles, RetentionYears(b, t0), b.reads + mean_step);
      if (cur_.retry_level > 0) rber *= std::pow(config_.ecc.retry_rber_factor, cur_.retry_level);
      const RunErrors e = run_error_sampler_.Draw(ctx().random(), type_steps * (same - p),
                                                  out_bytes / config_.ecc.codeword_bytes,
                                                  config_.ecc.codeword_bytes * 8, rber, config_.ecc.ecclite_t);
      errors.total += e.total;
      errors.codewords_with_errors += e.codewords_with_errors;
      errors.codewords_over_ecclite_t += e.codewords_over_ecclite_t;
      errors.pages_over_ecclite_t += e.pages_over_ecclite_t;
      p = same;
    }
  }
  for (uint32_t p = cur_.plane; p < plane_end; ++p) {
    blocks_[p][cur_.block].reads += n;
    PlaneState& ps = planes_[p];
    ps.last_block = cur_.block;
    ps.last_wordline = wordline_page(n - 1).wordline;
    ps.cr_valid = cur_.retry_level == 0;  // a retry shifts the read references: the chain restarts
    ps.data_page = PageOf(n - 1);
  }
  next_step_ = n;

  stats_.pages_read += plane_pages;
  stats_.cr_reads += cr_reads;
  if (cur_.retry_level > 0) stats_.retry_reads += plane_pages;
  stats_.array_busy += array_time * cur_.plane_count;
  stats_.bit_errors += errors.total;
  done_.bit_errors += static_cast<uint32_t>(errors.total);
  if (ecclite) {
    const uint64_t corrected = errors.codewords_with_errors - errors.codewords_over_ecclite_t;
    stats_.ecclite_corrected_codewords += corrected;
    done_.ecclite_corrected_codewords += static_cast<uint32_t>(corrected);
    stats_.ecclite_failed_codewords += errors.codewords_over_ecclite_t;
    stats_.ecclite_failed_pages += errors.pages_over_ecclite_t;
    done_.ecclite_failed_pages += static_cast<uint32_t>(errors.pages_over_ecclite_t);
  }
  if (gemv) {
    stats_.pages_computed += plane_pages;
    stats_.macs += weights_per_page_ * plane_pages;
    stats_.pe_busy += pe_page_time_ * static_cast<int64_t>(plane_pages);
  } else {
    stats_.bytes_out += uint64_t{out_bytes} * plane_pages;
    done_.streamed_bytes_out += static_cast<uint32_t>(uint64_t{out_bytes} * plane_pages);
    done_.streamed_bus_busy = shape.xfer * static_cast<int64_t>(plane_pages);
  }
  done_.pages += static_cast<uint32_t>(plane_pages);
  ctx().Schedule(timing.end - t0, kStreamDone);
}

void NandDie::TryAdvanceRead() {
  const bool ecclite = config_.ecc.kind == EccKind::kEccLite;
  for (bool progressed = true; progressed;) {
    progressed = false;
    if (data_full_ && CacheEmpty()) {
      // Page registers -> cache registers: the array is free for the next step.
      data_full_ = false;
      for (uint32_t p = cur_.plane; p < uint32_t{cur_.plane} + cur_.plane_count; ++p) {
        PlaneState& ps = planes_[p];
        ps.cache_full = true;
        ++full_caches_;
        ps.cache_errors = ps.data_errors;
        ps.cache_page = ps.data_page;
        if (cur_.op == NandOp::kGemv) {
          units_[UnitOf(p)].queue.push_back(p);
          units_to_start_.push_back(UnitOf(p));
        } else if (ecclite) {
          DecodeThenRequestDataOut(p);
        } else {
          RequestDataOut(p);
        }
      }
      progressed = true;
    }
    if (!array_busy_ && !data_full_ && next_step_ < cur_.page_count && (config_.timing.cache_read || CacheEmpty())) {
      StartArrayStep();
      progressed = true;
    }
  }
  if (cur_.op == NandOp::kGemv) {
    // Only a unit that just finished or just got a page can start; in unit
    // order, as a scan over all 64 of NVLLM's per-plane units would (the
    // scan was most of PAGE fidelity's time).
    std::sort(units_to_start_.begin(), units_to_start_.end());
    units_to_start_.erase(std::unique(units_to_start_.begin(), units_to_start_.end()), units_to_start_.end());
    for (uint32_t u : units_to_start_) StartCompute(u);
    units_to_start_.clear();
  }
}

// The decoder is a FIFO whose every decode time is known when the register
// fills, and nothing but the data-out waits on it; so each decode's end is
// computed then and the data-out request sent to arrive at it, instead of an
// event per decode (issue 18: events per I/O). The ECC statistics are pure
// counts, added now.
void NandDie::DecodeThenRequestDataOut(uint32_t plane) {
  const SimTime now = ctx().Now();
  decoder_free_at_ = std::max(now, decoder_free_at_) + EccLiteLatency(config_.ecc, DataOutBytes(config_, cur_));
  AccountEcc(planes_[plane].cache_errors);
  RequestDataOut(plane, decoder_free_at_ - now);
}

void NandDie::RequestDataOut(uint32_t plane, SimTime after) {
  const PlaneState& ps = planes_[plane];
  BusRequest r;
  r.id = cur_.id;
  r.block = cur_.block;
  r.page = ps.cache_page;
  r.bytes = DataOutBytes(config_, cur_);
  r.bit_errors = ps.cache_errors.total;
  r.max_codeword_errors = static_cast<uint16_t>(std::min<uint32_t>(ps.cache_errors.max_per_codeword, 0xFFFF));
  r.codewords_with_errors = static_cast<uint16_t>(ps.cache_errors.codewords_with_errors);
  r.plane = static_cast<uint8_t>(plane);
  r.data_in = 0;
  r.retry_level = cur_.retry_level;
  ctx().Send(channel_, kBusRequest, r, after);
}

void NandDie::RequestDataIn() {
  transfers_done_ = 0;
  for (uint32_t p = cur_.plane; p < uint32_t{cur_.plane} + cur_.plane_count; ++p) {
    BusRequest r;
    r.id = cur_.id;
    r.block = cur_.block;
    r.page = PageOf(next_step_);
    r.bytes = config_.geometry.page_bytes;
    r.plane = static_cast<uint8_t>(p);
    r.data_in = 1;
    ctx().Send(channel_, kBusRequest, r);
  }
}

void NandDie::AddToDigest(sim::DigestBuilder& d) const {
  const Stats& s = stats_;
  d.Add(s.commands).Add(s.pages_read).Add(s.cr_reads).Add(s.retry_reads).Add(s.pages_programmed);
  d.Add(s.blocks_erased).Add(s.bytes_out).Add(s.bytes_in).Add(s.bit_errors).Add(s.ecclite_corrected_codewords);
  d.Add(s.ecclite_failed_codewords).Add(s.ecclite_failed_pages).Add(s.busy).Add(s.array_busy);
  d.Add(s.pages_computed).Add(s.macs).Add(s.partial_sum_bytes).Add(s.pe_busy);
  // Absent when zero: runs without suspension keep their digests.
  if (s.program_suspends + s.erase_suspends > 0) d.Add(s.program_suspends).Add(s.erase_suspends);
  for (const auto& plane : blocks_) {
    for (const BlockState& b : plane) {
      d.Add(b.pe_cycles).Add(b.reads).Add(static_cast<uint32_t>(b.coding));
    }
  }
}

void NandDie::CollectStatistics(std::vector<sim::Statistic>* out) const {
  const Stats& s = stats_;
  auto add = [&](const char* name, double v, const char* unit) { out->push_back({name, v, unit}); };
  add("commands_total", static_cast<double>(s.commands), "count");
  add("pages_read_total", static_cast<double>(s.pages_read), "count");
  add("cr_reads_total", static_cast<double>(s.cr_reads), "count");
  add("retry_reads_total", static_cast<double>(s.retry_reads), "count");
  add("pages_programmed_total", static_cast<double>(s.pages_programmed), "count");
  add("blocks_erased_total", static_cast<double>(s.blocks_erased), "count");
  add("bytes_out_total", static_cast<double>(s.bytes_out), "bytes");
  add("bytes_in_total", static_cast<double>(s.bytes_in), "bytes");
  add("bit_errors_total", static_cast<double>(s.bit_errors), "count");
  add("ecclite_corrected_codewords_total", static_cast<double>(s.ecclite_corrected_codewords), "count");
  add("ecclite_failed_codewords_total", static_cast<double>(s.ecclite_failed_codewords), "count");
  add("ecclite_failed_pages_total", static_cast<double>(s.ecclite_failed_pages), "count");
  add("busy_seconds", s.busy.ToSeconds(), "seconds");
  add("array_busy_plane_seconds", s.array_busy.ToSeconds(), "seconds");
  add("pages_computed_total", static_cast<double>(s.pages_computed), "count");
  add("macs_total", static_cast<double>(s.macs), "count");
  add("partial_sum_bytes_total", static_cast<double>(s.partial_sum_bytes), "bytes");
  add("pe_busy_seconds", s.pe_busy.ToSeconds(), "seconds");
  add("stream_runs_total", static_cast<double>(s.stream_runs), "count");
  add("program_suspends_total", static_cast<double>(s.program_suspends), "count");
  add("erase_suspends_total", static_cast<double>(s.erase_suspends), "count");
}

}  // namespace strata::nand
