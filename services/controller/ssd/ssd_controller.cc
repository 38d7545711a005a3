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

absl::StatusOr<std::unique_ptr<SsdController>> SsdController::Create(std::string name, const nand::NandConfig& nand,
                                                                      const SsdControllerConfig& config) {
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
  if (config.ftl_per_command < SimTime::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("controller.ftl_per_command = ", config.ftl_per_command.ToString(), ": allowed >= 0"));
  }
  FtlConfig f = config.ftl;
  f.planes = g.channels * g.dies_per_channel * g.planes_per_die;
  f.blocks_per_plane = config.ftl_blocks_per_plane == 0 ? g.blocks_per_plane : config.ftl_blocks_per_plane;
  f.pages_per_block = g.pages_per_block();
  f.bits_per_cell = g.bits_per_cell;
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(f);
  if (!ftl.ok()) return ftl.status();
  return std::unique_ptr<SsdController>(new SsdController(std::move(name), nand, config, *std::move(ftl)));
}

SsdController::SsdController(std::string name, const nand::NandConfig& nand, const SsdControllerConfig& config,
                             PageFtl ftl)
    : Component(std::move(name)), geo_(nand.geometry), config_(config), ftl_(std::move(ftl)) {
  frontend_ = DeclarePort("frontend");
  for (uint32_t c = 0; c < geo_.channels; ++c) channel_ports_.push_back(DeclarePort(absl::StrCat("ch", c)));
  dies_.resize(geo_.dies());
}

uint64_t SsdController::logical_lbas() const {
  return ftl_.geometry().logical_pages() * (geo_.page_bytes / config_.lba_bytes);
}

absl::Status SsdController::Precondition(uint64_t first_lpn, uint64_t count) {
  std::vector<FlashOp> ops;
  for (uint64_t lpn = first_lpn; lpn < first_lpn + count; ++lpn) {
    ops.clear();
    if (absl::Status s = ftl_.Write(lpn, &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SsdController::PreconditionRandom(uint64_t first_lpn, uint64_t count, uint64_t writes,
                                               sim::RandomStream& random) {
  std::vector<FlashOp> ops;
  for (uint64_t i = 0; i < writes; ++i) {
    ops.clear();
    if (absl::Status s = ftl_.Write(first_lpn + random.UniformInt(count), &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
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
  c = Cmd{};
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
    for (uint64_t lpn = first; lpn <= last; ++lpn) {
      absl::Status s = r.opcode == NvmeOpcode::kRead ? ftl_.Read(lpn, &c.ops) : ftl_.Write(lpn, &c.ops);
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
  if (c.ops.empty()) {
    Respond(id);
    return;
  }
  auto die_of = [&](const FlashOp& op) {
    const uint32_t u = op.addr.plane;
    const uint32_t channel = u % geo_.channels;
    return channel * geo_.dies_per_channel + (u / geo_.channels) % geo_.dies_per_channel;
  };
  std::vector<uint32_t> touched;
  if (config_.coalesce_reads) {
    std::vector<std::vector<FlashOp>> per_die(dies_.size());
    for (const FlashOp& op : c.ops) per_die[die_of(op)].push_back(op);
    for (uint32_t die = 0; die < per_die.size(); ++die) {
      if (per_die[die].empty()) continue;
      const size_t before = dies_[die].queue.size();
      Coalesce(id, per_die[die], &dies_[die].queue);
      c.pending += static_cast<uint32_t>(dies_[die].queue.size() - before);
      stats_.max_die_queue = std::max<uint64_t>(stats_.max_die_queue, dies_[die].queue.size());
      touched.push_back(die);
    }
  } else {
    for (const FlashOp& op : c.ops) {
      const uint32_t die = die_of(op);
      dies_[die].queue.push_back({id, op});
      ++c.pending;
      stats_.max_die_queue = std::max<uint64_t>(stats_.max_die_queue, dies_[die].queue.size());
      touched.push_back(die);
    }
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (uint32_t die : touched) TryIssue(die);
}

void SsdController::Coalesce(uint32_t cmd, const std::vector<FlashOp>& ops, std::deque<QueuedOp>* out) const {
  const uint32_t units_per_plane = geo_.channels * geo_.dies_per_channel;
  auto plane_of = [&](const FlashOp& op) { return op.addr.plane / units_per_plane; };
  // Pass 1: the same page of consecutive planes -> one multi-plane entry.
  std::vector<QueuedOp> multi_plane;
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
    if (!out->empty() && out->back().cmd == cmd) {
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

void SsdController::TryIssue(uint32_t die) {
  DieQueue& q = dies_[die];
  while (q.outstanding < config_.max_outstanding_per_die && !q.queue.empty()) {
    auto it = q.queue.begin();
    if (config_.host_reads_first) {
      auto read = std::find_if(q.queue.begin(), q.queue.end(), [](const QueuedOp& o) {
        return o.op.kind == FlashOpKind::kRead && o.op.cause == OpCause::kHost;
      });
      if (read != q.queue.end()) it = read;
    }
    const QueuedOp qo = *it;
    q.queue.erase(it);
    ++q.outstanding;
    const uint32_t units_per_plane = geo_.channels * geo_.dies_per_channel;
    nand::NandRequest req;
    req.id = (uint64_t{qo.cmd} << 32) | die;
    req.block = qo.op.addr.block;
    req.die = static_cast<uint8_t>(die % geo_.dies_per_channel);
    req.plane = static_cast<uint8_t>(qo.op.addr.plane / units_per_plane);
    switch (qo.op.kind) {
      case FlashOpKind::kRead:
        req.op = nand::NandOp::kRead;
        req.page = qo.op.addr.page;
        req.page_count = qo.page_count;
        req.plane_count = qo.plane_count;
        break;
      case FlashOpKind::kProgram:
        req.op = nand::NandOp::kProgram;
        req.page = qo.op.addr.page;
        if (qo.op.be_enc) req.flags = nand::kFlagBeEnc;
        break;
      case FlashOpKind::kErase:
        req.op = nand::NandOp::kErase;
        break;
    }
    stats_.flash_ops[static_cast<int>(qo.op.kind)][static_cast<int>(qo.op.cause)] +=
        uint64_t{qo.page_count} * qo.plane_count;
    ctx().Send(channel_ports_[die / geo_.dies_per_channel], nand::kNandRequest, req);
  }
}

void SsdController::OnNandResponse(const nand::NandResponse& r) {
  const uint32_t id = static_cast<uint32_t>(r.id >> 32);
  const uint32_t die = static_cast<uint32_t>(r.id & 0xFFFFFFFFu);
  if (id >= cmds_.size() || die >= dies_.size() || cmds_[id].pending == 0 || dies_[die].outstanding == 0) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": NAND response for unknown request ", r.id)));
    return;
  }
  --dies_[die].outstanding;
  Cmd& c = cmds_[id];
  if (r.status != nand::NandStatus::kOk) {
    ++stats_.nand_errors;
    c.status = NvmeStatus::kInternalError;
  }
  if (--c.pending == 0) Respond(id);
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
  for (const auto& row : stats_.flash_ops) {
    for (uint64_t v : row) d.Add(v);
  }
  d.Add(stats_.max_die_queue).Add(stats_.nand_errors).Add(ftl_.Digest());
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
  out->push_back({name() + ".max_die_queue", static_cast<double>(stats_.max_die_queue), "count"});
  out->push_back({name() + ".write_amplification", ftl_.stats().WriteAmplification(), "ratio"});
  out->push_back({name() + ".gc_page_copies", static_cast<double>(ftl_.stats().gc_page_copies), "count"});
  out->push_back({name() + ".gc_erases", static_cast<double>(ftl_.stats().gc_erases), "count"});
}

}  // namespace strata::controller
