#include "ssd/ssd_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata::controller {

namespace {
struct FtlDone {
  uint32_t cmd;
};
}  // namespace

namespace {
bool IsDftl(const SsdControllerConfig& config) {
  return config.mapping == SsdControllerConfig::Mapping::kPage && config.mapping_cache_entries > 0;
}
// DFTL: 4-byte PPN entries per translation page.
uint32_t EntriesPerTranslationPage(const nand::NandGeometry& g) { return g.page_bytes / 4; }

// Units in the order plane_allocation stripes over them (empty: as
// numbered, unit u = channel u % C, die (u / C) % D, plane u / (C * D)).
std::vector<uint32_t> StripeOrder(const nand::NandGeometry& g, const SsdControllerConfig& config) {
  if (config.plane_allocation.empty() || config.plane_allocation == "CWDP") return {};
  const uint32_t dies_per_chip = std::max<uint32_t>(config.dies_per_chip, 1);
  const uint32_t chips = std::max<uint32_t>(g.dies_per_channel / dies_per_chip, 1);
  const uint32_t radix[4] = {g.channels, chips, dies_per_chip, g.planes_per_die};  // C, W, D, P
  const uint32_t units = g.channels * g.dies_per_channel * g.planes_per_die;
  std::vector<uint32_t> order(units);
  for (uint32_t i = 0; i < units; ++i) {
    uint32_t digit[4] = {0, 0, 0, 0};
    uint32_t rest = i;
    for (char letter : config.plane_allocation) {
      const int k = letter == 'C' ? 0 : letter == 'W' ? 1 : letter == 'D' ? 2 : 3;
      digit[k] = rest % radix[k];
      rest /= radix[k];
    }
    const uint32_t die = digit[2] * chips + digit[1];  // die d / W of chip d % W
    order[i] = digit[0] + g.channels * (die + g.dies_per_channel * digit[3]);
  }
  return order;
}

// The FTL's view of the NAND: one allocation unit per plane of every die.
// DFTL over all the NAND's blocks leaves its translation blocks out.
FtlConfig FtlConfigFor(const nand::NandGeometry& g, const SsdControllerConfig& config) {
  FtlConfig f = config.ftl;
  f.planes = g.channels * g.dies_per_channel * g.planes_per_die;
  f.blocks_per_plane = config.ftl_blocks_per_plane == 0 ? g.blocks_per_plane : config.ftl_blocks_per_plane;
  f.pages_per_block = g.pages_per_block();
  f.bits_per_cell = g.bits_per_cell;
  f.stripe_order = StripeOrder(g, config);
  if (IsDftl(config) && config.ftl_blocks_per_plane == 0) {
    const uint32_t t = DftlMapping::TranslationBlocksPerPlane(f, EntriesPerTranslationPage(g));
    f.blocks_per_plane = f.blocks_per_plane > t ? f.blocks_per_plane - t : 1;
  }
  return f;
}
}  // namespace

uint64_t SsdController::LogicalPages(const nand::NandConfig& nand, const SsdControllerConfig& config) {
  const FtlConfig f = FtlConfigFor(nand.geometry, config);
  return config.mapping == SsdControllerConfig::Mapping::kPage ? Geometry(f).logical_pages()
                                                               : BlockFtl::LogicalPages(f);
}

uint64_t SsdController::FtlTableBytes(const nand::NandConfig& nand, const SsdControllerConfig& config) {
  const FtlConfig f = FtlConfigFor(nand.geometry, config);
  // DFTL's cache: a node (LPN, LRU and dirty links) and a hash slot per
  // entry, about 48 B; its translation-area records are small beside it.
  if (IsDftl(config)) return PageFtl::TableBytes(f) + config.mapping_cache_entries * 48;
  if (config.mapping == SsdControllerConfig::Mapping::kPage) return PageFtl::TableBytes(f);
  BlockFtlConfig b;
  b.ftl = f;
  b.log_blocks_per_plane =
      config.mapping == SsdControllerConfig::Mapping::kHybrid ? config.hybrid_log_blocks_per_plane : 0;
  return BlockFtl::TableBytes(b);
}

absl::StatusOr<std::unique_ptr<SsdController>> SsdController::Create(std::string name, const nand::NandConfig& nand,
                                                                      const SsdControllerConfig& config,
                                                                      const std::atomic<bool>* cancel) {
  if (absl::Status s = nand::ValidateNandConfig(nand); !s.ok()) return s;
  const nand::NandGeometry& g = nand.geometry;
  if (config.ftl_blocks_per_plane > g.blocks_per_plane) {
    return absl::InvalidArgumentError(absl::StrCat("controller.ftl_blocks_per_plane = ", config.ftl_blocks_per_plane,
                                                   ": allowed 0..", g.blocks_per_plane,
                                                   " (geometry.blocks_per_plane)"));
  }
  const uint32_t lba = config.lba_bytes;
  if (lba < 512 || (lba & (lba - 1)) != 0 || lba > g.page_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("controller.lba_bytes = ", lba,
                                                   ": allowed a power of two in 512..", g.page_bytes));
  }
  if (config.max_outstanding_per_die < 1 || config.max_outstanding_per_die > 64) {
    return absl::InvalidArgumentError(absl::StrCat("controller.max_outstanding_per_die = ",
                                                   config.max_outstanding_per_die, ": allowed 1..64"));
  }
  if (static_cast<uint32_t>(config.scheduler) > 1) {
    return absl::InvalidArgumentError(absl::StrCat("controller.scheduler = ", static_cast<uint32_t>(config.scheduler),
                                                   ": allowed 0 (fifo) or 1 (priority)"));
  }
  if (config.host_reads_first && config.scheduler != DieScheduler::kFifo) {
    return absl::InvalidArgumentError(
        "controller.host_reads_first = true: allowed only with scheduler = fifo (priority serves host reads first)");
  }
  if (config.suspend_for_reads && config.scheduler != DieScheduler::kPriority) {
    return absl::InvalidArgumentError("controller.suspend_for_reads = true: allowed only with scheduler = priority");
  }
  if (config.suspend_for_reads && config.max_outstanding_per_die != 1) {
    return absl::InvalidArgumentError(absl::StrCat("controller.max_outstanding_per_die = ",
                                                   config.max_outstanding_per_die,
                                                   " with suspend_for_reads: allowed 1"));
  }
  if (config.max_suspends_per_op < 1 || config.max_suspends_per_op > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("controller.max_suspends_per_op = ", config.max_suspends_per_op,
                                                   ": allowed 1..1000"));
  }
  if (config.ftl_per_command < SimTime::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("controller.ftl_per_command = ", config.ftl_per_command.ToString(), ": allowed >= 0"));
  }
  {
    std::string letters = config.plane_allocation;
    std::sort(letters.begin(), letters.end());
    if (!config.plane_allocation.empty() && letters != "CDPW") {
      return absl::InvalidArgumentError(absl::StrCat("controller.plane_allocation = \"", config.plane_allocation,
                                                     "\"; allowed: empty, or C, W, D and P once each (e.g. CWDP)"));
    }
    if (config.dies_per_chip < 1 || g.dies_per_channel % config.dies_per_chip != 0) {
      return absl::InvalidArgumentError(absl::StrCat("controller.dies_per_chip = ", config.dies_per_chip,
                                                     "; allowed: a divisor of the ", g.dies_per_channel,
                                                     " dies per channel"));
    }
  }
  const FtlConfig f = FtlConfigFor(g, config);
  if (config.mapping_cache_entries > 0 && config.mapping != SsdControllerConfig::Mapping::kPage) {
    return absl::InvalidArgumentError(absl::StrCat("controller.mapping_cache_entries = ",
                                                   config.mapping_cache_entries,
                                                   "; allowed: 0 with block or hybrid mapping (DFTL is page-level)"));
  }
  std::unique_ptr<FtlMapping> mapping;
  if (IsDftl(config)) {
    if (absl::Status s = ValidateFtlConfig(f); !s.ok()) return s;
    const uint32_t t = DftlMapping::TranslationBlocksPerPlane(f, EntriesPerTranslationPage(g));
    if (uint64_t{f.blocks_per_plane} + t > g.blocks_per_plane) {
      return absl::InvalidArgumentError(absl::StrCat(
          "controller.ftl_blocks_per_plane = ", f.blocks_per_plane, " with DFTL's ", t,
          " translation blocks per plane; allowed: at most ", g.blocks_per_plane > t ? g.blocks_per_plane - t : 0,
          " (geometry.blocks_per_plane less the translation blocks)"));
    }
    DftlConfig d;
    d.cache_entries = config.mapping_cache_entries;
    d.entries_per_page = EntriesPerTranslationPage(g);
    d.lookup_read_bytes = nand.ecc.codeword_bytes < g.page_bytes ? nand.ecc.codeword_bytes : 0;
    absl::StatusOr<std::unique_ptr<DftlMapping>> ftl = DftlMapping::Create(f, d, cancel);
    if (!ftl.ok()) return ftl.status();
    mapping = *std::move(ftl);
  } else if (config.mapping == SsdControllerConfig::Mapping::kPage) {
    absl::StatusOr<PageFtl> ftl = PageFtl::Create(f, cancel);
    if (!ftl.ok()) return ftl.status();
    mapping = std::make_unique<PageFtl>(*std::move(ftl));
  } else {
    BlockFtlConfig b;
    b.ftl = f;
    b.log_blocks_per_plane =
        config.mapping == SsdControllerConfig::Mapping::kHybrid ? config.hybrid_log_blocks_per_plane : 0;
    absl::StatusOr<BlockFtl> ftl = BlockFtl::Create(b, cancel);
    if (!ftl.ok()) return ftl.status();
    mapping = std::make_unique<BlockFtl>(*std::move(ftl));
  }
  return std::unique_ptr<SsdController>(new SsdController(std::move(name), nand, config, std::move(mapping)));
}

SsdController::SsdController(std::string name, const nand::NandConfig& nand, const SsdControllerConfig& config,
                             std::unique_ptr<FtlMapping> ftl)
    : Component(std::move(name)),
      geo_(nand.geometry),
      codeword_bytes_(nand.ecc.codeword_bytes),
      config_(config),
      ftl_(std::move(ftl)) {
  frontend_ = DeclarePort("frontend");
  for (uint32_t c = 0; c < geo_.channels; ++c) channel_ports_.push_back(DeclarePort(absl::StrCat("ch", c)));
  dies_.resize(geo_.dies());
}

uint64_t SsdController::logical_lbas() const {
  return ftl_->logical_pages() * (geo_.page_bytes / config_.lba_bytes);
}

absl::Status SsdController::Precondition(uint64_t first_lpn, uint64_t count, const std::atomic<bool>* cancel) {
  return FillSequential(*ftl_, first_lpn, count, cancel);
}

absl::Status SsdController::PreconditionRandom(uint64_t first_lpn, uint64_t count, uint64_t writes,
                                               sim::RandomStream& random, const std::atomic<bool>* cancel) {
  return UniformWrites(*ftl_, random, first_lpn, count, writes, cancel);
}

absl::StatusOr<SteadyStateReport> SsdController::PreconditionToSteadyState(uint64_t first_lpn, uint64_t count,
                                                                           sim::RandomStream& random,
                                                                           const std::atomic<bool>* cancel) {
  SteadyStateRule rule;
  rule.round_writes = std::max<uint64_t>(1, count / 4);
  return RandomWritesToSteadyState(*ftl_, random, first_lpn, count, rule, cancel);
}

void SsdController::Handle(const sim::Event& e) {
  switch (e.type) {
    case kBackendRequest: OnRequest(e.PayloadAs<BackendRequest>()); return;
    case kCtrlFtlDone: OnFtlDone(e.PayloadAs<FtlDone>().cmd); return;
    case nand::kNandResponse: OnNandResponse(e.PayloadAs<nand::NandResponse>()); return;
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), ": unexpected event type ", e.type)));
  }
}

void SsdController::OnRequest(const BackendRequest& r) {
  uint32_t id;
  if (free_cmds_.empty()) {
    id = static_cast<uint32_t>(cmds_.size());
    cmds_.emplace_back();
  } else {
    id = free_cmds_.back();
    free_cmds_.pop_back();
  }
  Cmd& c = cmds_[id];
  std::vector<FlashOp> ops = std::move(c.ops);  // keep its capacity (Respond cleared it)
  c = Cmd{};
  c.ops = std::move(ops);
  c.frontend_tag = r.tag;
  c.opcode = r.opcode;
  if (r.opcode == NvmeOpcode::kRead) ++stats_.read_commands;
  if (r.opcode == NvmeOpcode::kWrite) ++stats_.write_commands;
  if (r.nlb == 0 || (r.opcode != NvmeOpcode::kRead && r.opcode != NvmeOpcode::kWrite)) {
    c.status = NvmeStatus::kInvalidField;
  } else if (r.slba >= logical_lbas() || r.nlb > logical_lbas() - r.slba) {
    c.status = NvmeStatus::kLbaOutOfRange;
  } else {
    const uint64_t page = geo_.page_bytes;
    const uint64_t first = r.slba * config_.lba_bytes / page;
    const uint64_t last = ((r.slba + r.nlb) * config_.lba_bytes - 1) / page;
    if (r.opcode == NvmeOpcode::kRead && first == last) {
      // The whole ECC codewords the asked bytes touch: the READ command's
      // column address starts the data-out at the first, and the controller
      // stops clocking it out after the last (ONFI random data-out).
      const uint64_t begin = r.slba * config_.lba_bytes % page;
      const uint64_t end = begin + uint64_t{r.nlb} * config_.lba_bytes;
      const uint64_t out = ((end + codeword_bytes_ - 1) / codeword_bytes_ - begin / codeword_bytes_) * codeword_bytes_;
      if (out < page) c.read_bytes = static_cast<uint32_t>(out);
    }
    for (uint64_t lpn = first; lpn <= last; ++lpn) {
      absl::Status s = r.opcode == NvmeOpcode::kRead ? ftl_->Read(lpn, &c.ops) : ftl_->Write(lpn, &c.ops);
      if (absl::IsNotFound(s)) {
        ++stats_.unmapped_reads;
      } else if (!s.ok()) {
        c.status = NvmeStatus::kInternalError;
      }
    }
  }
  ctx().Schedule(config_.ftl_per_command, kCtrlFtlDone, FtlDone{id});
}

void SsdController::OnFtlDone(uint32_t id) {
  Cmd& c = cmds_[id];
  c.flash_start = ctx().Now();
  c.pending = 0;
  c.next_op = 0;
  if (c.ops.empty()) {
    Respond(id);
    return;
  }
  // DFTL: the lookups' translation reads (and the write-backs they need)
  // before the data accesses. Only DFTL makes them: without it the
  // partition (which allocates a buffer) would run on every command for
  // nothing.
  if (IsDftl(config_)) {
    std::stable_partition(c.ops.begin(), c.ops.end(), [](const FlashOp& op) { return op.cause == OpCause::kMapping; });
  }
  EnqueuePhase(id);
}

void SsdController::EnqueuePhase(uint32_t id) {
  Cmd& c = cmds_[id];
  const auto first = c.ops.begin() + c.next_op;
  const bool mapping = first->cause == OpCause::kMapping;
  const auto last = std::find_if(first, c.ops.end(),
                                 [mapping](const FlashOp& op) { return (op.cause == OpCause::kMapping) != mapping; });
  c.next_op = static_cast<uint32_t>(last - c.ops.begin());
  auto die_of = [&](const FlashOp& op) {
    const uint32_t u = op.addr.plane;
    const uint32_t channel = u % geo_.channels;
    return channel * geo_.dies_per_channel + (u / geo_.channels) % geo_.dies_per_channel;
  };
  if (config_.scheduler == DieScheduler::kPriority && !mapping) TrackCopies(&c.ops);
  // Scratch buffers kept across commands: allocating them per command was
  // a tenth of a random-read run's time.
  std::vector<uint32_t>& touched = touched_scratch_;
  touched.clear();
  if (config_.coalesce_reads) {
    std::vector<std::vector<FlashOp>>& per_die = per_die_scratch_;
    per_die.resize(dies_.size());
    for (auto op = first; op != last; ++op) {
      const uint32_t die = die_of(*op);
      if (per_die[die].empty()) touched.push_back(die);
      per_die[die].push_back(*op);
    }
    std::sort(touched.begin(), touched.end());  // dies in order, as before
    std::vector<QueuedOp>& merged = merged_scratch_;
    for (uint32_t die : touched) {
      merged.clear();
      Coalesce(id, per_die[die], &merged);
      per_die[die].clear();
      for (const QueuedOp& q : merged) Enqueue(die, q);
      c.pending += static_cast<uint32_t>(merged.size());
    }
  } else {
    for (auto op = first; op != last; ++op) {
      const uint32_t die = die_of(*op);
      Enqueue(die, {id, *op});
      ++c.pending;
      touched.push_back(die);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (uint32_t die : touched) TryIssue(die);
}

void SsdController::Coalesce(uint32_t cmd, const std::vector<FlashOp>& ops, std::vector<QueuedOp>* out) {
  const uint32_t units_per_plane = geo_.channels * geo_.dies_per_channel;
  auto plane_of = [&](const FlashOp& op) { return op.addr.plane / units_per_plane; };
  // Pass 1: the same page of consecutive planes -> one multi-plane entry.
  std::vector<QueuedOp>& multi_plane = multi_plane_scratch_;
  multi_plane.clear();
  for (const FlashOp& op : ops) {
    if (!multi_plane.empty()) {
      QueuedOp& last = multi_plane.back();
      if (op.kind == FlashOpKind::kRead && last.op.kind == FlashOpKind::kRead && op.cause == last.op.cause &&
          op.addr.block == last.op.addr.block && op.addr.page == last.op.addr.page &&
          plane_of(op) == plane_of(last.op) + last.plane_count) {
        ++last.plane_count;
        continue;
      }
    }
    multi_plane.push_back({cmd, op});
  }
  // Pass 2: multi-plane entries on consecutive pages of one block, same
  // planes -> one multi-page entry.
  for (const QueuedOp& q : multi_plane) {
    if (!out->empty()) {
      QueuedOp& last = out->back();
      if (q.op.kind == FlashOpKind::kRead && last.op.kind == FlashOpKind::kRead && q.op.cause == last.op.cause &&
          q.op.addr.block == last.op.addr.block && q.op.addr.plane == last.op.addr.plane &&
          q.plane_count == last.plane_count && q.op.addr.page == last.op.addr.page + last.page_count &&
          last.page_count < 0xFFFF) {
        ++last.page_count;
        continue;
      }
    }
    out->push_back(q);
  }
}

namespace {
bool IsCopy(const FlashOp& op) { return op.cause == OpCause::kGc || op.cause == OpCause::kWearLevel; }
std::tuple<uint32_t, uint32_t, uint32_t> PageKey(const FlashAddr& a) { return {a.plane, a.block, a.page}; }
}  // namespace

void SsdController::TrackCopies(std::vector<FlashOp>* ops) {
  const FlashAddr* copy_source = nullptr;
  for (FlashOp& op : *ops) {
    if (op.kind == FlashOpKind::kRead && IsCopy(op)) {
      copy_source = &op.addr;  // RelocateValid / static WL: read, then its program
    } else if (op.kind == FlashOpKind::kProgram && IsCopy(op) && copy_source != nullptr) {
      moving_[PageKey(op.addr)] = *copy_source;
      copy_source = nullptr;
    } else if (op.kind == FlashOpKind::kRead && ClassOf(op) <= OpClass::kHostRead) {
      bool redirected = false;
      for (auto m = moving_.find(PageKey(op.addr)); m != moving_.end(); m = moving_.find(PageKey(op.addr))) {
        op.addr = m->second;
        redirected = true;
      }
      stats_.redirected_reads += redirected;
    }
  }
}

void SsdController::Enqueue(uint32_t die, QueuedOp op) {
  DieQueue& q = dies_[die];
  op.seq = q.next_seq++;
  if (config_.scheduler == DieScheduler::kPriority) {
    for (const BlockKey& key : BlocksOf(op)) {
      q.on_block[key].push_back({op.seq, op.op.kind, op.op.addr.page, op.page_count});
    }
  }
  q.queue.push_back(op);
  stats_.max_die_queue = std::max<uint64_t>(stats_.max_die_queue, q.queue.size());
}

std::vector<SsdController::BlockKey> SsdController::BlocksOf(const QueuedOp& op) const {
  // A die's planes are FTL planes u, u + C*D, u + 2*C*D, ... (channel-first map).
  const uint32_t units_per_plane = geo_.channels * geo_.dies_per_channel;
  std::vector<BlockKey> keys;
  for (uint32_t p = 0; p < op.plane_count; ++p) {
    keys.emplace_back(op.op.addr.plane + p * units_per_plane, op.op.addr.block);
  }
  return keys;
}

bool SsdController::DependsOnOlder(const DieQueue& q, const QueuedOp& op) const {
  const uint32_t first = op.op.addr.page, last = first + op.page_count;  // [first, last)
  for (const BlockKey& key : BlocksOf(op)) {
    for (const BlockUse& older : q.on_block.at(key)) {
      if (older.seq == op.seq) break;
      if (op.op.kind != FlashOpKind::kRead) return true;
      if (older.kind == FlashOpKind::kProgram && older.first_page >= first && older.first_page < last) return true;
    }
  }
  return false;
}

std::deque<SsdController::QueuedOp>::iterator SsdController::Pick(DieQueue& q) const {
  if (config_.scheduler == DieScheduler::kPriority) {
    for (int c = 0; c < kOpClasses; ++c) {
      auto oldest = std::find_if(q.queue.begin(), q.queue.end(),
                                 [c](const QueuedOp& o) { return static_cast<int>(ClassOf(o.op)) == c; });
      if (oldest == q.queue.end()) continue;
      if (!DependsOnOlder(q, *oldest)) return oldest;
    }
    return q.queue.begin();  // not reached: the oldest queued op is always eligible
  }
  if (config_.host_reads_first) {
    auto read = std::find_if(q.queue.begin(), q.queue.end(), [](const QueuedOp& o) {
      return o.op.kind == FlashOpKind::kRead && o.op.cause == OpCause::kHost;
    });
    if (read != q.queue.end()) return read;
  }
  return q.queue.begin();
}

void SsdController::Dequeue(DieQueue& q, std::deque<QueuedOp>::iterator it) const {
  if (config_.scheduler == DieScheduler::kPriority) {
    for (const BlockKey& key : BlocksOf(*it)) {
      auto k = q.on_block.find(key);
      auto& uses = k->second;
      uses.erase(std::find_if(uses.begin(), uses.end(), [&](const BlockUse& u) { return u.seq == it->seq; }));
      if (uses.empty()) q.on_block.erase(k);
    }
  }
  q.queue.erase(it);
}

void SsdController::TryIssue(uint32_t die) {
  DieQueue& q = dies_[die];
  while (q.outstanding < config_.max_outstanding_per_die && !q.queue.empty()) {
    auto it = Pick(q);
    const QueuedOp qo = *it;
    Dequeue(q, it);
    ++q.outstanding;
    // A copy's source stays readable until its program is done; with more
    // than one op per die at the channel, the victim's erase may be queued
    // there behind it, so only until the program is sent.
    if (config_.max_outstanding_per_die > 1 && qo.op.kind == FlashOpKind::kProgram && IsCopy(qo.op)) {
      moving_.erase(PageKey(qo.op.addr));
    }
    q.at_channel = qo;
    q.at_channel_suspends = 0;
    Issue(die, qo, 0);
  }
  MaybeSuspend(die);
}

void SsdController::MaybeSuspend(uint32_t die) {
  DieQueue& q = dies_[die];
  if (!config_.suspend_for_reads || q.outstanding == 0 || q.suspending_read_out || q.queue.empty()) return;
  const QueuedOp& running = q.at_channel;
  if (running.op.kind == FlashOpKind::kRead || q.at_channel_suspends >= config_.max_suspends_per_op) return;
  auto it = Pick(q);
  if (it->op.kind != FlashOpKind::kRead || ClassOf(it->op) > OpClass::kHostRead) return;
  // Not on the plane + block being programmed or erased.
  for (const BlockKey& key : BlocksOf(*it)) {
    for (const BlockKey& busy : BlocksOf(running)) {
      if (key == busy) return;
    }
  }
  const QueuedOp qo = *it;
  Dequeue(q, it);
  q.suspending_read_out = true;
  ++q.at_channel_suspends;
  ++stats_.suspending_reads;
  q.suspending_read_id = Issue(die, qo, nand::kFlagSuspend);
}

uint64_t SsdController::Issue(uint32_t die, const QueuedOp& qo, uint8_t flags) {
  const uint32_t units_per_plane = geo_.channels * geo_.dies_per_channel;
  nand::NandRequest req;
  req.id = (uint64_t{qo.cmd} << 32) | die;
  req.block = qo.op.addr.block;
  req.die = static_cast<uint8_t>(die % geo_.dies_per_channel);
  req.plane = static_cast<uint8_t>(qo.op.addr.plane / units_per_plane);
  req.flags = flags;
  switch (qo.op.kind) {
    case FlashOpKind::kRead:
      req.op = nand::NandOp::kRead;
      req.page = qo.op.addr.page;
      req.page_count = qo.page_count;
      req.plane_count = qo.plane_count;
      if (qo.op.cause == OpCause::kHost && qo.page_count == 1 && qo.plane_count == 1) {
        req.read_bytes = cmds_[qo.cmd].read_bytes;
      } else if (qo.op.read_bytes != 0 && qo.page_count == 1 && qo.plane_count == 1) {
        req.read_bytes = qo.op.read_bytes;  // a DFTL lookup: the entry's codeword
      }
      break;
    case FlashOpKind::kProgram:
      req.op = nand::NandOp::kProgram;
      req.page = qo.op.addr.page;
      if (qo.op.be_enc) req.flags |= nand::kFlagBeEnc;
      break;
    case FlashOpKind::kErase:
      req.op = nand::NandOp::kErase;
      break;
  }
  stats_.flash_ops[static_cast<int>(qo.op.kind)][static_cast<int>(qo.op.cause)] +=
      uint64_t{qo.page_count} * qo.plane_count;
  ctx().Send(channel_ports_[die / geo_.dies_per_channel], nand::kNandRequest, req);
  return req.id;
}

void SsdController::OnNandResponse(const nand::NandResponse& r) {
  const uint32_t id = static_cast<uint32_t>(r.id >> 32);
  const uint32_t die = static_cast<uint32_t>(r.id & 0xFFFFFFFFu);
  const bool suspending_read =
      die < dies_.size() && dies_[die].suspending_read_out && dies_[die].suspending_read_id == r.id;
  if (id >= cmds_.size() || die >= dies_.size() || cmds_[id].pending == 0 ||
      (!suspending_read && dies_[die].outstanding == 0)) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": NAND response for unknown request ", r.id)));
    return;
  }
  if (suspending_read) {
    dies_[die].suspending_read_out = false;
  } else {
    --dies_[die].outstanding;
    const FlashOp& done = dies_[die].at_channel.op;
    if (config_.max_outstanding_per_die == 1 && done.kind == FlashOpKind::kProgram && IsCopy(done)) {
      moving_.erase(PageKey(done.addr));
    }
  }
  Cmd& c = cmds_[id];
  if (r.status != nand::NandStatus::kOk) {
    ++stats_.nand_errors;
    c.status = NvmeStatus::kInternalError;
  }
  if (--c.pending == 0) {
    if (c.next_op < c.ops.size()) {
      EnqueuePhase(id);
    } else {
      Respond(id);
    }
  }
  TryIssue(die);
}

void SsdController::Respond(uint32_t id) {
  Cmd& c = cmds_[id];
  if (c.status != NvmeStatus::kSuccess) ++stats_.error_commands;
  BackendResponse resp;
  resp.tag = c.frontend_tag;
  resp.ftl_ps = config_.ftl_per_command.ps();
  resp.flash_ps = (ctx().Now() - c.flash_start).ps();
  resp.flash_ops = static_cast<uint32_t>(c.ops.size());
  resp.status = c.status;
  ctx().Send(frontend_, kBackendResponse, resp);
  c.ops.clear();
  free_cmds_.push_back(id);
}

void SsdController::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(stats_.read_commands).Add(stats_.write_commands).Add(stats_.error_commands).Add(stats_.unmapped_reads);
  // The mapping column only when DFTL moved translation pages, so runs
  // with the table in DRAM keep their digests.
  const bool mapping_ops = stats_.flash_ops[0][static_cast<int>(OpCause::kMapping)] +
                               stats_.flash_ops[1][static_cast<int>(OpCause::kMapping)] +
                               stats_.flash_ops[2][static_cast<int>(OpCause::kMapping)] >
                           0;
  for (const auto& row : stats_.flash_ops) {
    for (int cause = 0; cause < kOpCauses; ++cause) {
      if (cause != static_cast<int>(OpCause::kMapping) || mapping_ops) d.Add(row[cause]);
    }
  }
  d.Add(stats_.max_die_queue).Add(stats_.nand_errors).Add(ftl_->Digest());
  // Absent when zero: runs of the FIFO scheduler keep their digests.
  if (stats_.suspending_reads + stats_.redirected_reads > 0) {
    d.Add(stats_.suspending_reads).Add(stats_.redirected_reads);
  }
}

uint64_t SsdController::QueuedOps() const {
  uint64_t queued = 0;
  for (const DieQueue& q : dies_) queued += q.queue.size();
  return queued;
}

void SsdController::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({name() + ".read_commands", static_cast<double>(stats_.read_commands), "count"});
  out->push_back({name() + ".write_commands", static_cast<double>(stats_.write_commands), "count"});
  out->push_back({name() + ".error_commands", static_cast<double>(stats_.error_commands), "count"});
  out->push_back({name() + ".unmapped_read_pages", static_cast<double>(stats_.unmapped_reads), "count"});
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < 4; ++c) {
      out->push_back({absl::StrCat(name(), ".flash_", std::string(FlashOpKindName(static_cast<FlashOpKind>(k))), "_",
                                   std::string(OpCauseName(static_cast<OpCause>(c)))),
                      static_cast<double>(stats_.flash_ops[k][c]), "count"});
    }
  }
  if (IsDftl(config_)) {
    for (int k = 0; k < 3; ++k) {
      out->push_back({absl::StrCat(name(), ".flash_", std::string(FlashOpKindName(static_cast<FlashOpKind>(k))),
                                   "_mapping"),
                      static_cast<double>(stats_.flash_ops[k][static_cast<int>(OpCause::kMapping)]), "count"});
    }
    const FtlStats& f = ftl_->stats();
    out->push_back({name() + ".mapping_lookups", static_cast<double>(f.mapping_lookups), "count"});
    out->push_back({name() + ".mapping_hits", static_cast<double>(f.mapping_hits), "count"});
  }
  out->push_back({name() + ".max_die_queue", static_cast<double>(stats_.max_die_queue), "count"});
  out->push_back({name() + ".suspending_reads", static_cast<double>(stats_.suspending_reads), "count"});
  out->push_back({name() + ".redirected_reads", static_cast<double>(stats_.redirected_reads), "count"});
  out->push_back({name() + ".write_amplification", ftl_->stats().WriteAmplification(), "ratio"});
  out->push_back({name() + ".gc_page_copies", static_cast<double>(ftl_->stats().gc_page_copies), "count"});
  out->push_back({name() + ".gc_erases", static_cast<double>(ftl_->stats().gc_erases), "count"});
  out->push_back({name() + ".gc_invocations", static_cast<double>(ftl_->stats().gc_victims), "count"});
  const WearStats wear = ftl_->Wear();
  out->push_back({name() + ".erase_count_min", static_cast<double>(wear.min_erases), "count"});
  out->push_back({name() + ".erase_count_max", static_cast<double>(wear.max_erases), "count"});
  out->push_back({name() + ".erase_count_stddev", wear.stddev_erases, "count"});
}

}  // namespace strata::controller
