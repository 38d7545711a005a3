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
// Die -> channel, a page ready for the bus (data-out) or awaiting data-in,
// or a GEMV's partial sums (partial_sums = 1):
//                                    kBusRequest   (BusRequest)
// Channel -> die, that transfer done: kBusDone     (BusDone)
// (A read flagged kFlagSuspend may reach a die that is programming or
// erasing: the die suspends the operation, serves the read, resumes.)
// Die -> channel, its part done:     kDieOpDone    (DieOpDone)
#ifndef STRATA_NAND_FLASH_NAND_EVENTS_H_
#define STRATA_NAND_FLASH_NAND_EVENTS_H_

#include <cstdint>
#include <type_traits>

#include "strata/sim/event.h"
#include "strata/sim/time.h"

namespace strata::nand {

using sim::SimTime;

enum NandEventType : sim::EventType {
  kNandRequest = 0x4E00,  // 'N'
  kNandResponse,
  kDieCommand,
  kBusRequest,
  kBusDone,
  kDieOpDone,
  // Self-scheduled.
  kArrayDone,
  kProgramDone,
  kEraseDone,
  kBusJobDone,   // a bus job whose end changes channel state (an LDPC data-out)
  kBusFree,      // the bus is free and jobs wait for it
  kLdpcDone,
  kComputeDone,   // a PE array (with its ECC check) finished a page
  kStreamDone,    // STREAM fidelity: a die's run of pages is done
  kPsumPathDone,  // partial sums left over the dedicated output path
  kSuspendDone,   // a program / erase is suspended: the suspending read starts
};

// kGemv: in-array GEMV (AiF's aif_gemv per chip; NVLLM's per-plane PEs).
// The planes stream the pages as a read does (cache read, cr-read), each page
// is ECC-checked and multiplied on the die's PE array(s), and the die returns
// output_rows partial sums (output_rows x pe.accumulator_bytes bytes) over
// the channel, or over pe.dedicated_output_path. The input vector is assumed
// to sit in the planes' spare latches already (AiF: 8-32 KiB vector loaded
// before the stream; its transfer is not modelled here).
enum class NandOp : uint8_t { kRead = 0, kProgram = 1, kErase = 2, kGemv = 3 };

inline constexpr uint8_t kFlagBeEnc = 1;   // program: code the block with be-enc (1,3,3)
inline constexpr uint8_t kFlagStream = 2;  // set by the channel only: the die may run the read as one STREAM event
// Read only, set by the requester: if the die is programming or erasing, the
// channel issues the read at once and the die suspends that operation for it
// (NandTiming::program_suspend / erase_suspend / suspend_resume). At most one
// such read per die at a time; its id must differ from the operation's.
// Otherwise (no program or erase in progress, LDPC on the channel) it is an
// ordinary read.
inline constexpr uint8_t kFlagSuspend = 4;

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
  // kGemv: the tile is output_rows x vector_dim weights, laid out over the
  // pages in stream order (step-major, plane-minor); a last page the tile
  // does not fill is padded (the PE array streams whole pages).
  uint32_t vector_dim = 0;
  uint32_t output_rows = 0;
  // kRead: bytes of each page moved over the channel and decoded (ONFI
  // random data-out: a 4 KiB read of a 16 KiB page moves 4 KiB), rounded up
  // to whole ECC codewords; 0: the whole page.
  uint32_t read_bytes = 0;
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
  uint32_t output_bytes = 0;         // kGemv: partial-sum bytes returned
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
  uint8_t partial_sums = 0;  // 1: GEMV partial sums (no page, no LDPC)
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
  // A STREAM read reports the bus use it computed (the channel never saw
  // its data-outs as jobs).
  uint32_t streamed_bytes_out = 0;
  SimTime streamed_bus_busy;
};

static_assert(std::is_trivially_copyable_v<NandRequest> && sizeof(NandRequest) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<NandResponse> && sizeof(NandResponse) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<BusRequest> && sizeof(BusRequest) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<BusDone> && sizeof(BusDone) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<DieOpDone> && sizeof(DieOpDone) <= sim::kEventPayloadBytes);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_NAND_EVENTS_H_
