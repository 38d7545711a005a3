// Event types and payloads between the host workload, the NVMe host
// interface and the controller back end.
//
// Host -> NVMe interface "host" port:     kNvmeSubmit   (NvmeSubmit): the host
//                                         wants a command run (it enters the
//                                         submission queue, or waits for a slot)
// NVMe interface -> host:                 kNvmeComplete (NvmeComplete): the
//                                         host has seen the completion
// NVMe interface -> controller "frontend": kBackendRequest (BackendRequest):
//                                         a fetched, decoded read/write
// Controller -> NVMe interface "backend": kBackendResponse (BackendResponse):
//                                         its flash work is done
#ifndef STRATA_CONTROLLER_NVME_NVME_EVENTS_H_
#define STRATA_CONTROLLER_NVME_NVME_EVENTS_H_

#include <cstdint>
#include <type_traits>

#include "strata/sim/event.h"

namespace strata::controller {

enum NvmeEventType : sim::EventType {
  kNvmeSubmit = 0x4300,  // 'C'
  kNvmeComplete,
  kBackendRequest,
  kBackendResponse,
  // Self-scheduled.
  kNvmePhaseDone,
  kCtrlFtlDone,
  kNvmeDoorbellRung,  // queues > 1: a command's SQE awaits the fetch arbiter
  kNvmeFetchDone,     // queues > 1: the arbiter's burst has arrived
};

// NVM command set opcodes (NVMe base spec, NVM command set: Write 01h, Read 02h).
enum class NvmeOpcode : uint8_t { kWrite = 0x01, kRead = 0x02 };

enum class NvmeStatus : uint8_t {
  kSuccess = 0,
  kLbaOutOfRange = 1,   // NVMe "LBA Out of Range"
  kInternalError = 2,   // flash reported an uncorrectable page or an invalid request
  kInvalidField = 3,    // zero length or an unknown opcode
};

struct NvmeSubmit {
  uint64_t cid = 0;   // host's command id, echoed in the completion
  uint64_t slba = 0;  // first logical block
  uint32_t nlb = 1;   // number of logical blocks (1-based here, not NVMe's 0-based field)
  NvmeOpcode opcode = NvmeOpcode::kRead;
};

struct NvmeComplete {
  uint64_t cid = 0;
  NvmeStatus status = NvmeStatus::kSuccess;
};

struct BackendRequest {
  uint64_t tag = 0;  // the interface's slot
  uint64_t slba = 0;
  uint32_t nlb = 1;
  NvmeOpcode opcode = NvmeOpcode::kRead;
};

struct BackendResponse {
  uint64_t tag = 0;
  int64_t ftl_ps = 0;    // firmware (FTL) time in the controller
  int64_t flash_ps = 0;  // first flash op issued .. last flash op done
  uint32_t flash_ops = 0;
  NvmeStatus status = NvmeStatus::kSuccess;
};

static_assert(std::is_trivially_copyable_v<NvmeSubmit> && sizeof(NvmeSubmit) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<BackendRequest> && sizeof(BackendRequest) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<BackendResponse> && sizeof(BackendResponse) <= sim::kEventPayloadBytes);

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_NVME_NVME_EVENTS_H_
