// MmapGemvExecutor: the host CPU of an SSD-offloading system (llama.cpp
// with its weights file mmapped from a plain NVMe SSD) running every GEMV,
// prefill and decode. Each op's weights must be in the OS page cache
// (PageCache); those that are not fault in from the SSD as NVMe reads.
//
// The weights file: every weight matrix once, in the order the prefill pass
// first uses them (layer by layer, the LM head last), as llama.cpp's GGUF
// files store them; a chunk is one readahead window of it.
//
// Page faults and readahead (Linux mm/filemap.c, mm/readahead.c): the
// thread touches its op's chunks in file order. A cached chunk is a hit. An
// absent one is a fault: the thread blocks until that chunk's read
// completes; the fault starts a synchronous read of it and readahead keeps
// up to `readahead_windows` reads in flight in all, on the chunks that
// follow in the file (crossing into the next matrices), until it meets a
// cached chunk or the end of the file. A chunk that arrives is cached as
// the most recently used. readahead_windows = 1 gives purely synchronous
// faults.
//
// CPU: one GEMV at a time; an op's compute is per-op overhead + its roofline
// time (weights from DRAM), overlapped with its faults chunk by chunk: the
// op ends at max(start + compute, last chunk resident + the compute of that
// chunk's share). The other ops (attention, norms) run on the host's other
// executor; the two overlap only where the op graph lets them (an
// approximation: one CPU modelled as two executors).
//
// Ports: "driver" (ops in, completions out); "nvme" (NvmeInterface "host":
//   kNvmeSubmit out, kNvmeComplete in).
// Breakdown of an op: host_gemv (its compute, at most the op's time) and
//   pcie_nvme (the rest: waiting for faults: NVMe, PCIe, flash).
// Mapping: a chunk read from the SSD costs the CPU map_chunk_time when an op
// first uses it (minor faults, one per 64 KiB fault-around batch); a chunk
// that stayed cached stays mapped.
//
// Statistics: GEMV ops, chunk hits, faults (synchronous reads), readahead
//   reads, bytes read from the SSD, page cache inserts, evictions and
//   activations; decode-phase touches and hits (the hit rate).
#ifndef STRATA_SYSTEMS_MMAP_GEMV_EXECUTOR_H_
#define STRATA_SYSTEMS_MMAP_GEMV_EXECUTOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>

#include "services/host/compute/roofline_executor.h"
#include "services/host/memory/page_cache.h"
#include "strata/sim/component.h"
#include "services/host/workload/decode_driver.h"
#include "services/host/workload/ops.h"

namespace strata::systems {

struct MmapConfig {
  host::RooflineConfig cpu;        // the CPU with its DRAM
  uint64_t chunk_bytes = 4 << 20;  // readahead window = one NVMe read
  uint64_t cache_chunks = 2048;    // page cache capacity
  uint32_t readahead_windows = 4;  // reads in flight, synchronous one included
  uint32_t lba_bytes = 4096;       // the SSD's logical block (NvmeConfig)
  host::PageCachePolicy policy = host::PageCachePolicy::kLinuxTwoList;
  // Anonymous memory counted in the refault distance test (swap on).
  uint64_t anon_workingset_chunks = 0;
  // CPU time to map a chunk just read from the SSD the first time it is
  // used (its 64 KiB fault-around batches).
  sim::SimTime map_chunk_time;
};

class MmapGemvExecutor final : public sim::Component {
 public:
  // `driver` gives the model, weight type and batch (its prefill graph lays
  // out the weights file).
  MmapGemvExecutor(const MmapConfig& config, const host::DriverConfig& driver);
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  uint64_t file_bytes() const { return file_bytes_; }
  // The weights file an executor for `driver` lays out, without building
  // one: each matrix's offset (layer << 16 | matrix), and its total bytes.
  static std::map<uint64_t, uint64_t> FileLayout(const host::DriverConfig& driver, uint64_t* file_bytes);
  uint64_t file_chunks() const { return (file_bytes_ + config_.chunk_bytes - 1) / config_.chunk_bytes; }
  // Chunks read from the SSD, and their bytes, since time zero.
  uint64_t chunks_read() const { return faults_ + readaheads_; }
  uint64_t bytes_read() const { return bytes_read_; }
  // Of those, reads issued while decoding token >= 1 (after warm-up).
  uint64_t decode_bytes_read() const { return decode_bytes_read_; }
  const host::PageCache& cache() const { return cache_; }
  // While decoding (tokens >= 1): chunk touches, and those that hit.
  uint64_t decode_touches() const { return decode_touches_; }
  uint64_t decode_hits() const { return decode_hits_; }
  // From the first decode GEMV's arrival to the last one's completion.
  sim::SimTime decode_span() const { return decode_end_ - decode_start_; }
  // The CPU's own work for the GEMVs it ran (roofline time and bytes from
  // DRAM), for the energy accounting.
  sim::SimTime compute_time() const { return compute_time_; }
  int64_t memory_bytes() const { return memory_bytes_; }

 private:
  struct Pending {
    host::Op op;
    sim::SimTime arrived;
  };
  void StartNext();
  void Walk();  // touches the current op's chunks in order until one is absent
  void Read(uint64_t chunk, bool fault);
  void Use(uint64_t chunk);  // the CPU uses a resident chunk: maps it if just read
  void FillReadahead();

  const MmapConfig config_;
  sim::PortId driver_, nvme_;
  std::map<uint64_t, uint64_t> offset_;  // layer << 16 | matrix -> file offset
  uint64_t file_bytes_ = 0;
  host::PageCache cache_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  Pending current_{};
  sim::SimTime started_, io_done_, compute_;
  bool waited_for_io_ = false;
  uint64_t cursor_ = 0, last_chunk_ = 0;  // current op's chunk range [.., last]
  bool waiting_ = false;                  // blocked on chunk cursor_
  std::set<uint64_t> in_flight_;
  uint64_t ra_next_ = 0;
  bool ra_active_ = false;
  // Statistics.
  uint64_t ops_ = 0, hits_ = 0, faults_ = 0, readaheads_ = 0;
  uint64_t bytes_read_ = 0, decode_bytes_read_ = 0;
  uint64_t decode_touches_ = 0, decode_hits_ = 0;
  bool decoding_ = false;
  sim::SimTime decode_start_, decode_end_;
  std::set<uint64_t> unmapped_;  // read, not yet used by the CPU
  sim::SimTime compute_time_;
  int64_t memory_bytes_ = 0;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_MMAP_GEMV_EXECUTOR_H_
