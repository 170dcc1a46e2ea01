#pragma once
// The VAD scorer built from one options struct (head, encoder, checkpoints), and its streaming
// form: add anonymized frames, get a score each time a 16-frame snippet completes.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "la3d/models/models.hpp"
#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_encoder.hpp"
#include "la3d/vad/vad_pipeline.hpp"

namespace la3d {

// What a VAD run scores with. The member initialisers are the CLI's defaults.
struct ScorerOptions {
  std::string head = "motion";   // motion (training-free), pel (PEL4VAD) or mgfn
  std::string dataset = "xd";    // learned heads: ucf or xd
  std::string encoder = "auto";  // inception, r50, or auto (the head's pairing)
  // Checkpoints; empty: the official file name in <model_dir>/vad/.
  std::filesystem::path weights, encoder_weights;
  // The reference vectors' synthetic weights (benchmarks and tests only: scores mean nothing).
  bool formula_weights = false;
  // Snippets scoring at or above it raise an alert (and do not teach the motion head).
  double alert_threshold = 0.5;
  int threads = 0;  // libtorch intra-op threads (0: its default)
  std::filesystem::path model_dir = default_cache_dir();
};

// Opens the head and encoder (or the motion head) that `options` name.
Result<std::unique_ptr<SnippetScorer>> make_scorer(const ScorerOptions& options);

// A head alone (for scoring saved features) and an encoder alone (for extracting them), found as
// make_scorer finds them.
Result<std::unique_ptr<VadHead>> open_head(const HeadConfig& config, const ScorerOptions& options);
Result<EncoderKind> parse_encoder(const std::string& name, const HeadConfig* head);
Result<std::unique_ptr<VideoEncoder>> open_encoder(EncoderKind kind, const ScorerOptions& options);

// One completed snippet's streaming score.
struct SnippetScore {
  long long snippet = 0;                      // from 0
  long long first_frame = 0, last_frame = 0;  // frames it covers
  float score = 0;
  bool alert = false;  // score >= the alert threshold
};

// Streaming VAD: each snippet is scored as it completes, over the last `window` snippets.
class StreamingScorer {
 public:
  StreamingScorer(std::unique_ptr<SnippetScorer> scorer, int window, double alert_threshold);
  // Adds one anonymized frame; a score when it completed a snippet.
  Result<std::optional<SnippetScore>> add_frame(const cv::Mat& bgr);
  // Every streaming score so far, in snippet order.
  const std::vector<float>& scores() const { return scores_; }
  SnippetScorer& scorer() { return *scorer_; }

 private:
  std::unique_ptr<SnippetScorer> scorer_;
  int window_;
  double alert_threshold_;
  std::vector<float> scores_;
};

}  // namespace la3d
