#pragma once
// The I3D video encoders LA3D feeds its heads with, and their exact input preparation: a
// Pillow-compatible Lanczos resize to 340x256, per-encoder normalisation, 10 or 5 crops of 224x224
// over 16-frame snippets (vad-spec sections 2-6).
#include <memory>
#include <opencv2/core.hpp>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/vad/checkpoint.hpp"
#include "la3d/vad/vad_weights.hpp"

namespace la3d {

enum class EncoderKind { I3dInception, I3dResnet50Nl };
int encoder_dim(EncoderKind kind);  // 1024 or 2048
const char* encoder_name(EncoderKind kind);

inline constexpr int kSnippetFrames = 16;

// Pillow's Image.resize(size, LANCZOS) on an 8-bit RGB (or BGR: channels are independent) image,
// bit for bit: separable, horizontal pass first, 22-bit fixed-point weights, clipped 8-bit
// intermediate.
cv::Mat pil_lanczos_resize(const cv::Mat& image, cv::Size size);

// One snippet's encoder input: 16 RGB frames already resized to 340x256 -> (crops, 3, 16, 224,
// 224) float32, normalised for `kind`. Crops: top-left, top-right, centre, bottom-left,
// bottom-right, then the same on the horizontally flipped frames (10 crops).
std::vector<float> snippet_crops(const std::vector<cv::Mat>& resized_rgb, int crops,
                                 EncoderKind kind);

ModelSchema i3d_inception_schema();
ModelSchema i3d_r50_nl_schema();
ModelSchema encoder_schema(EncoderKind kind);

// Per-module outputs that tests compare with the reference vectors.
struct EncoderTrace {
  std::vector<std::string> names;                 // module names, forward order
  std::vector<std::vector<float>> channel_means;  // per channel, over (T, H, W)
  std::vector<float> stem_first4;                 // channels 0-3 of the stem output (B = 1)
};

class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  virtual EncoderKind kind() const = 0;
  // `clips` is (B, 3, 16, 224, 224); returns (B, D) features. `trace`, when given, receives the
  // per-module channel means of clip 0.
  virtual Result<std::vector<float>> encode(const std::vector<float>& clips, int batch,
                                            EncoderTrace* trace = nullptr) = 0;
};

// Strict key/shape check first (num_batches_tracked optional, "module." stripped).
Result<std::unique_ptr<VideoEncoder>> make_encoder(EncoderKind kind, const StateDict& weights);
Result<std::unique_ptr<VideoEncoder>> load_encoder(EncoderKind kind,
                                                   const std::filesystem::path& checkpoint);

}  // namespace la3d
