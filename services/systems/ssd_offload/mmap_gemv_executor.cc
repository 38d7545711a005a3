#include "services/systems/ssd_offload/mmap_gemv_executor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/controller/nvme/nvme_events.h"

namespace strata::systems {

namespace {
uint64_t Key(uint16_t layer, uint16_t matrix) { return (uint64_t{layer} << 16) | matrix; }
}  // namespace

MmapGemvExecutor::MmapGemvExecutor(const MmapConfig& config, const host::DriverConfig& driver)
    : Component("mmap_cpu"),
      config_(config),
      cache_(config.cache_chunks, config.policy, host::PageCache::InactiveRatio(config.cache_chunks * config.chunk_bytes),
             config.anon_workingset_chunks) {
  driver_ = DeclarePort("driver");
  nvme_ = DeclarePort("nvme");
  offset_ = FileLayout(driver, &file_bytes_);
}

std::map<uint64_t, uint64_t> MmapGemvExecutor::FileLayout(const host::DriverConfig& driver, uint64_t* file_bytes) {
  // The file holds each matrix once, in the order the prefill pass (which
  // reads every matrix, every expert) first uses it.
  std::map<uint64_t, uint64_t> offset;
  *file_bytes = 0;
  const host::TokenGraph prefill =
      host::BuildTokenGraph(driver, 0, 0, std::vector<std::vector<int>>(static_cast<size_t>(driver.shape.layers)));
  for (const host::Op& op : prefill.ops) {
    if (op.kind != host::OpKind::kGemv) continue;
    if (offset.emplace(Key(op.layer, op.matrix), *file_bytes).second) {
      *file_bytes += static_cast<uint64_t>(op.weight_bytes);
    }
  }
  return offset;
}

void MmapGemvExecutor::Handle(const sim::Event& event) {
  switch (event.type) {
    case host::kOpRequest: {
      const host::Op op = event.PayloadAs<host::Op>();
      if (op.kind != host::OpKind::kGemv) {
        ctx().Fail(absl::InvalidArgumentError(absl::StrCat(name(), " got a non-GEMV op ", op.id)));
        return;
      }
      queue_.push_back({op, ctx().Now()});
      StartNext();
      return;
    }
    case controller::kNvmeComplete: {
      const auto c = event.PayloadAs<controller::NvmeComplete>();
      if (c.status != controller::NvmeStatus::kSuccess) {
        ctx().Fail(absl::DataLossError(absl::StrCat(name(), ": NVMe read of chunk ", c.cid, " failed with status ",
                                                    static_cast<int>(c.status))));
        return;
      }
      in_flight_.erase(c.cid);
      // The chunk the thread faulted on is mapped by that fault (young);
      // readahead's chunks wait for their first use.
      const bool faulted_on = busy_ && waiting_ && c.cid == cursor_;
      cache_.Insert(c.cid, faulted_on);
      unmapped_.insert(c.cid);
      FillReadahead();
      if (faulted_on) {
        waiting_ = false;
        io_done_ = ctx().Now();
        Use(cursor_);
        ++cursor_;
        Walk();
      }
      return;
    }
    case host::kWakeUp: {
      const sim::SimTime total = ctx().Now() - current_.arrived;
      const sim::SimTime gemv = std::min(compute_, total);
      if (current_.op.token > 0) decode_end_ = ctx().Now();
      host::OpDone done;
      done.id = current_.op.id;
      done.Add(host::Category::kHostGemv, gemv);
      done.Add(waited_for_io_ ? host::Category::kPcieNvme : host::Category::kSynchronization, total - gemv);
      ctx().Send(driver_, host::kOpComplete, done);
      busy_ = false;
      StartNext();
      return;
    }
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
  }
}

void MmapGemvExecutor::StartNext() {
  if (busy_ || queue_.empty()) return;
  current_ = queue_.front();
  queue_.pop_front();
  auto it = offset_.find(Key(current_.op.layer, current_.op.matrix));
  if (it == offset_.end()) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": op ", current_.op.id, " uses layer ", current_.op.layer,
                                                " matrix ", current_.op.matrix, ", which is not in the file")));
    return;
  }
  busy_ = true;
  ++ops_;
  if (current_.op.token > 0 && !decoding_) {
    decoding_ = true;
    decode_start_ = current_.arrived;
  }
  started_ = ctx().Now();
  io_done_ = started_;
  waited_for_io_ = false;
  compute_ = config_.cpu.per_op_overhead + host::RooflineTime(config_.cpu, current_.op);
  compute_time_ += compute_;
  memory_bytes_ += current_.op.weight_bytes + current_.op.memory_bytes;  // as RooflineExecutor counts
  cursor_ = it->second / config_.chunk_bytes;
  last_chunk_ = (it->second + static_cast<uint64_t>(std::max<int64_t>(current_.op.weight_bytes, 1)) - 1) /
                config_.chunk_bytes;
  Walk();
}

void MmapGemvExecutor::Walk() {
  while (cursor_ <= last_chunk_) {
    if (in_flight_.count(cursor_) > 0) {  // readahead is bringing it: wait on the page lock
      waiting_ = waited_for_io_ = true;
      return;
    }
    if (current_.op.token > 0) ++decode_touches_;
    if (cache_.Touch(cursor_)) {
      ++hits_;
      if (current_.op.token > 0) ++decode_hits_;
      Use(cursor_);
      ++cursor_;
      continue;
    }
    // A page fault: read this chunk now and restart readahead after it.
    Read(cursor_, true);
    ra_next_ = cursor_ + 1;
    ra_active_ = true;
    FillReadahead();
    waiting_ = waited_for_io_ = true;
    return;
  }
  // Every chunk is resident. The CPU computed what had arrived while it
  // waited; what is left is at least the share of the last chunk.
  const double share = std::min(1.0, static_cast<double>(config_.chunk_bytes) /
                                         static_cast<double>(std::max<int64_t>(current_.op.weight_bytes, 1)));
  const sim::SimTime tail = sim::SimTime::FromSeconds(compute_.ToSeconds() * share);
  const sim::SimTime end = std::max(started_ + compute_, io_done_ + tail);
  ctx().Schedule(end - ctx().Now(), host::kWakeUp);
}

void MmapGemvExecutor::Use(uint64_t chunk) {
  // A chunk just read is mapped by minor faults on its first use: CPU time
  // the op's compute carries.
  if (unmapped_.erase(chunk) > 0) compute_ += config_.map_chunk_time;
}

void MmapGemvExecutor::Read(uint64_t chunk, bool fault) {
  const uint64_t offset = chunk * config_.chunk_bytes;
  const uint64_t bytes = std::min(config_.chunk_bytes, file_bytes_ - offset);
  controller::NvmeSubmit cmd;
  cmd.cid = chunk;
  cmd.slba = offset / config_.lba_bytes;
  cmd.nlb = static_cast<uint32_t>((bytes + config_.lba_bytes - 1) / config_.lba_bytes);
  cmd.opcode = controller::NvmeOpcode::kRead;
  ctx().Send(nvme_, controller::kNvmeSubmit, cmd);
  in_flight_.insert(chunk);
  (fault ? faults_ : readaheads_) += 1;
  const uint64_t read = uint64_t{cmd.nlb} * config_.lba_bytes;
  bytes_read_ += read;
  if (busy_ && current_.op.token > 0) decode_bytes_read_ += read;
}

void MmapGemvExecutor::FillReadahead() {
  while (ra_active_ && in_flight_.size() < config_.readahead_windows) {
    if (ra_next_ >= file_chunks() || cache_.Contains(ra_next_)) {
      ra_active_ = false;  // readahead stops at the end of the file and at cached pages
      return;
    }
    if (in_flight_.count(ra_next_) == 0) Read(ra_next_, false);
    ++ra_next_;
  }
}

void MmapGemvExecutor::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(ops_).Add(hits_).Add(faults_).Add(readaheads_).Add(bytes_read_).Add(decode_bytes_read_);
  d.Add(cache_.inserts()).Add(cache_.evictions()).Add(cache_.activations());
  d.Add(decode_touches_).Add(decode_hits_);
}

void MmapGemvExecutor::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({"mmap.gemv_ops", static_cast<double>(ops_), "ops"});
  out->push_back({"mmap.chunk_hits", static_cast<double>(hits_), "chunks"});
  out->push_back({"mmap.faults", static_cast<double>(faults_), "reads"});
  out->push_back({"mmap.readahead_reads", static_cast<double>(readaheads_), "reads"});
  out->push_back({"mmap.bytes_read", static_cast<double>(bytes_read_), "bytes"});
  out->push_back({"mmap.page_cache_evictions", static_cast<double>(cache_.evictions()), "chunks"});
  out->push_back({"mmap.page_cache_activations", static_cast<double>(cache_.activations()), "chunks"});
  out->push_back({"mmap.decode_hit_rate",
                  decode_touches_ > 0 ? static_cast<double>(decode_hits_) / static_cast<double>(decode_touches_) : 0,
                  ""});
}

}  // namespace strata::systems
