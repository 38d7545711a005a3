// Event types and payloads of the NAND model: what a requester (controller)
// sends a channel, what the channel answers, and the channel <-> die
// protocol. All payloads are trivially copyable and fit an Event (40 bytes).
//
// Requester -> channel "host" port:  kNandRequest  (NandRequest)
// Channel -> requester:              kNandResponse (NandResponse), once the
//                                    request's last page is on the bus and
//                                    decoded (and retried, for LDPC)
// Channel -> die, after the command/address cycles on the bus:
//                                    kDieCommand   (NandRequest)
// Die -> channel, a page ready for the bus (data-out) or awaiting data-in:
//                                    kBusRequest   (BusRequest)
// Channel -> die, that transfer done: kBusDone     (BusDone)
// Die -> channel, its part done:     kDieOpDone    (DieOpDone)
#ifndef STRATA_NAND_FLASH_NAND_EVENTS_H_
#define STRATA_NAND_FLASH_NAND_EVENTS_H_

#include <cstdint>
#include <type_traits>

#include "strata/sim/event.h"

namespace strata::nand {

enum NandEventType : sim::EventType {
  kNandRequest = 0x4E00,  // 'N'
  kNandResponse,
  kDieCommand,
  kBusRequest,
  kBusDone,
  kDieOpDone,
  // Self-scheduled.
  kArrayDone,
  kDecodeDone,
  kProgramDone,
  kEraseDone,
  kBusJobDone,
  kLdpcDone,
};

enum class NandOp : uint8_t { kRead = 0, kProgram = 1, kErase = 2 };

inline constexpr uint8_t kFlagBeEnc = 1;  // program: code the block with be-enc (1,3,3)

// A read, program or erase on one die of the channel. Reads and programs
// cover `page_count` pages: page, page + stride, ... of `block`, on planes
// [plane, plane + plane_count) in lockstep (multi-plane: the same block and
// page on every plane). Erase: `block` on those planes. stride = 1 reads a
// block in page order; stride = bits_per_cell reads one page type (e.g. the
// LSB pages AiF stores weights in) of successive wordlines.
struct NandRequest {
  uint64_t id = 0;
  uint32_t block = 0;
  uint32_t page = 0;
  uint16_t page_count = 1;
  uint8_t die = 0;  // within the channel
  uint8_t plane = 0;
  uint8_t plane_count = 1;
  NandOp op = NandOp::kRead;
  uint8_t page_stride = 1;
  uint8_t flags = 0;
  uint8_t retry_level = 0;  // set by the channel on read-retry
};

enum class NandStatus : uint8_t {
  kOk = 0,
  kUncorrectable = 1,   // some pages failed ECC (after retries)
  kInvalidRequest = 2,  // address or count out of range; nothing was done
};

struct NandResponse {
  uint64_t id = 0;
  NandOp op = NandOp::kRead;
  NandStatus status = NandStatus::kOk;
  uint32_t pages = 0;                // pages transferred (page_count x plane_count)
  uint32_t bit_errors = 0;           // raw bit errors seen, retries included
  uint32_t corrected_codewords = 0;  // codewords with errors that decoded
  uint32_t uncorrectable_pages = 0;
  uint32_t read_retries = 0;
};

struct BusRequest {
  uint64_t id = 0;
  uint32_t block = 0;
  uint32_t page = 0;
  uint32_t bytes = 0;
  uint32_t bit_errors = 0;
  uint16_t max_codeword_errors = 0;
  uint16_t codewords_with_errors = 0;
  uint8_t plane = 0;
  uint8_t data_in = 0;  // 0: data-out (read), 1: data-in (program)
  uint8_t retry_level = 0;
};

struct BusDone {
  uint8_t plane = 0;
  uint8_t data_in = 0;
};

struct DieOpDone {
  uint64_t id = 0;
  uint32_t pages = 0;
  uint32_t bit_errors = 0;
  uint32_t ecclite_corrected_codewords = 0;
  uint32_t ecclite_failed_pages = 0;
};

static_assert(std::is_trivially_copyable_v<NandRequest> && sizeof(NandRequest) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<NandResponse> && sizeof(NandResponse) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<BusRequest> && sizeof(BusRequest) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<DieOpDone> && sizeof(DieOpDone) <= sim::kEventPayloadBytes);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_NAND_EVENTS_H_
