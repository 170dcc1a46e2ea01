#pragma once
// Video anomaly detection heads: feature snippets in, one anomaly score per snippet out.
#include <memory>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/vad/checkpoint.hpp"
#include "la3d/vad/npy.hpp"

namespace la3d {

enum class HeadKind { Pel4vad, Mgfn };
enum class Dataset { Ucf, Xd };

// The four configurations LA3D ships (vad-spec section 1).
struct HeadConfig {
  HeadKind kind = HeadKind::Pel4vad;
  Dataset dataset = Dataset::Xd;
  int feature_dim() const;   // D: 2048 for MGFN-UCF (I3D ResNet-50), else 1024 (I3D Inception)
  int crops() const;         // 10 for UCF, 5 for XD
  std::string name() const;  // "PEL4VAD-XD"
};
Result<HeadConfig> parse_head_config(const std::string& head, const std::string& dataset);

// Snippet scores and, per crop, the scores before crops are averaged.
struct HeadScores {
  std::vector<float> snippet;                // (N)
  std::vector<std::vector<float>> per_crop;  // (crops, N)
};

class VadHead {
 public:
  virtual ~VadHead() = default;
  virtual const HeadConfig& config() const = 0;
  // `features` is (N, crops, D) or (N, crops, D+1) as LA3D hands them on (the last channel being
  // the L2 magnitude, which MGFN uses and PEL4VAD drops; it is computed when absent). All crops
  // the array has are scored and averaged.
  virtual Result<HeadScores> score(const NpyArray& features) = 0;
};

// Threads libtorch uses inside one model call (0 = one per hardware thread). libtorch's own
// default counts physical cores, which on a 2-vCPU machine is 1.
void set_vad_threads(int threads);

// True when this build has libtorch (the PEL4VAD and MGFN heads and the I3D encoders).
bool torch_available();

// Builds the head from a state dict (a checkpoint, or formula_weights for tests and benchmarks),
// after the strict key and shape check. A checkpoint of another configuration is named as such.
Result<std::unique_ptr<VadHead>> make_head(const HeadConfig& config, const StateDict& weights);
// Loads the checkpoint file and builds the head.
Result<std::unique_ptr<VadHead>> load_head(const HeadConfig& config,
                                           const std::filesystem::path& checkpoint);

// The configuration whose schema these weights fit, if any (for error messages).
std::string guess_head_config(const StateDict& weights);

}  // namespace la3d
