// Built when libtorch is absent: the anonymizer works, the learned VAD heads say why they cannot.
#include "la3d/vad/vad.hpp"
#include "la3d/vad/vad_encoder.hpp"

namespace la3d {

bool torch_available() {
  return false;
}

void set_vad_threads(int) {}

Result<std::unique_ptr<VadHead>> make_head(const HeadConfig& config, const StateDict&) {
  return make_error(config.name() +
                    " needs libtorch, and this la3d was built without it (install libtorch-dev and "
                    "rebuild; --head motion works without it)");
}

Result<std::unique_ptr<VideoEncoder>> make_encoder(EncoderKind kind, const StateDict&) {
  return make_error(std::string(encoder_name(kind)) +
                    " needs libtorch, and this la3d was built without it");
}

}  // namespace la3d
