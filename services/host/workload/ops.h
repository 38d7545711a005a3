// Ops: the units of work a decoded token is made of, and the messages the
// workload driver and the executors (CPU, GPU, flash) exchange about them.
#ifndef STRATA_HOST_WORKLOAD_OPS_H_
#define STRATA_HOST_WORKLOAD_OPS_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "strata/sim/event.h"
#include "strata/sim/time.h"

namespace strata::host {

enum class OpKind : uint8_t {
  kGemv,         // weight matrix x activation vector(s)
  kAttention,    // scores and weighted sum over the KV cache
  kElementwise,  // norms, rotary, activation, residual, softmax, sampling
  kKvLoad,       // KV cache rows moved from DRAM into the attention engine's on-chip buffer (prefetch)
};

// Where time goes; the same categories as strata.v1.TimeBreakdown.
enum class Category : uint8_t {
  kFlashArray,
  kEcc,
  kFlashBus,
  kPeCompute,
  kHostAttention,
  kHostGemv,
  kHostOther,
  kPcieNvme,
  kSynchronization,
  kCount,
};
inline constexpr int kCategoryCount = static_cast<int>(Category::kCount);
std::string_view CategoryName(Category c);

// What an op is. Byte counts are what the op moves from memory: weights it
// reads (0 for attention and element-wise ops) and other memory traffic
// (KV cache, activations).
struct Op {
  uint32_t id = 0;          // unique within the run, increasing
  uint32_t token = 0;       // 0 = prefill, 1.. = decode tokens
  uint16_t layer = 0;       // kLmHeadLayer for the LM head and sampling
  OpKind kind = OpKind::kGemv;
  uint8_t flags = 0;        // kLastInLayer | kFfn | kHostShare
  uint16_t matrix = 0;      // which weight matrix of the layer (kMatrix*), for placement
  int64_t weight_bytes = 0;
  int64_t flops = 0;
  int64_t memory_bytes = 0;
};
static_assert(sizeof(Op) <= sim::kEventPayloadBytes);
inline constexpr uint16_t kLmHeadLayer = 0xFFFF;
inline constexpr uint8_t kLastInLayer = 1;  // the layer's weights are no longer needed after it
inline constexpr uint8_t kFfn = 2;          // an FFN matrix (what NVLLM and AiF offload)
// The host's rows of a GEMV split between the host and the offload unit
// (AiF's parallel execution): runs on the host whatever the offload policy.
inline constexpr uint8_t kHostShare = 4;
// Op::matrix values. Expert e's FFN input matrix (fc1, or gate+up) is
// kMatrixExpertBase + 2e, its output matrix (fc2, down) + 1; dense models
// have one "expert".
inline constexpr uint16_t kMatrixNone = 0;
inline constexpr uint16_t kMatrixQkv = 1;
inline constexpr uint16_t kMatrixOut = 2;
inline constexpr uint16_t kMatrixRouter = 3;
inline constexpr uint16_t kMatrixLmHead = 4;
inline constexpr uint16_t kMatrixExpertBase = 16;

// An executor's account of one op: up to four (category, time) parts that
// add up to the time between the op's arrival and its completion. Each part
// is packed as (category << 59) | picoseconds to fit one event payload
// (2^59 ps is 6.7 days: no op part comes near it).
struct OpDone {
  uint32_t id = 0;
  uint32_t parts = 0;
  std::array<uint64_t, 4> part{};

  static constexpr int kShift = 59;
  void Add(Category c, sim::SimTime t) {
    if (t <= sim::SimTime::Zero()) return;
    for (uint32_t i = 0; i < parts; ++i) {
      if (category(i) == c) {
        part[i] += static_cast<uint64_t>(t.ps());
        return;
      }
    }
    // Executors use at most four categories per op; a fifth joins the last.
    if (parts == part.size()) {
      part[parts - 1] += static_cast<uint64_t>(t.ps());
      return;
    }
    part[parts++] = (static_cast<uint64_t>(c) << kShift) | static_cast<uint64_t>(t.ps());
  }
  Category category(uint32_t i) const { return static_cast<Category>(part[i] >> kShift); }
  sim::SimTime time(uint32_t i) const {
    return sim::SimTime::Picoseconds(static_cast<int64_t>(part[i] & ((uint64_t{1} << kShift) - 1)));
  }
  sim::SimTime total() const {
    sim::SimTime sum;
    for (uint32_t i = 0; i < parts; ++i) sum += time(i);
    return sum;
  }
};
static_assert(sizeof(OpDone) <= sim::kEventPayloadBytes);

// A bulk transfer over a link (PCIe, NVMe DMA): bytes, tagged by the client.
struct Transfer {
  uint64_t tag = 0;
  int64_t bytes = 0;
};

// Event types shared by host-side components.
enum : sim::EventType {
  kOpRequest = 100,  // payload Op: driver -> executor
  kOpComplete,       // payload OpDone: executor -> driver
  kTransferRequest,  // payload Transfer: client -> link
  kTransferDone,     // payload Transfer: link -> client
  kWakeUp,           // self-scheduled: an executor's current op ends
  kOffloadReady,     // offload unit -> driver: weights placed, decode may start
};

}  // namespace strata::host

#endif  // STRATA_HOST_WORKLOAD_OPS_H_
