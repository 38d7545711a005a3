// The rate at which an out-of-core GPU receives streamed weights, hop by
// hop, as the serving software moves them.
//
// FlexGen's disk offload (FlexGen v0.1, flexgen/pytorch_backend.py, the
// same file in OpenChatKit's flexgen_support): a weight tensor on disk is a
// numpy memmap; TorchDisk runs `num_copy_threads` = 4 copy workers, and
// each worker copies one tensor at a time through its own 1 G-element
// pinned host buffer ("use a pinned cpu buffer as a relay"):
//   hop 1: memmap -> pinned buffer (a CPU memcpy whose page faults read the
//          file from the SSD into the page cache),
//   hop 2: pinned buffer -> GPU (cudaMemcpy on the worker's stream,
//          blocking the worker until it lands).
// The two hops of one tensor run one after the other; different workers'
// tensors overlap, and Policy.overlap=True overlaps layer j+1's loads with
// layer j's compute (the layer-ahead streaming of RooflineExecutor). So
//   rate = min(B_ssd, B_link, B_dram / 4, threads / (1/B_ssd + 1/B_link))
// B_ssd: the drive's read rate; B_link: PCIe host-to-device; B_dram / 4:
// every byte crosses host DRAM four times (the SSD's DMA into the page
// cache, the memcpy's read and write, the GPU's DMA read) at the host's
// sustained bandwidth; the last term: each worker alternates its two hops.
//
// GPUDirect Storage (an option, not FlexGen's path): the SSD DMAs straight
// into GPU memory, one hop: min(B_ssd, B_link).
//
// Weights already in host DRAM (no SSD): one hop from pageable or pinned
// host memory, min(B_dram, B_link).
#ifndef STRATA_SYSTEMS_GPU_OUT_OF_CORE_WEIGHT_STAGING_H_
#define STRATA_SYSTEMS_GPU_OUT_OF_CORE_WEIGHT_STAGING_H_

namespace strata::systems {

struct WeightStaging {
  double ssd_bytes_per_s = 0;   // 0: the weights are in host DRAM
  double link_bytes_per_s = 0;  // PCIe host-to-device, achieved
  double host_dram_bytes_per_s = 0;  // sustained
  int copy_threads = 4;         // FlexGen's TorchDisk default
  bool gpudirect_storage = false;
};

// Bytes per second the GPU receives (see above). Never more than any hop
// alone: min(B_ssd, B_link) bounds it.
double StagedWeightBytesPerSecond(const WeightStaging& s);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_GPU_OUT_OF_CORE_WEIGHT_STAGING_H_
