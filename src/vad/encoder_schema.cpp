// State-dict layouts of the two I3D encoders, in their state_dict order (vad-spec sections 4-5).
#include "la3d/vad/vad_encoder.hpp"
#include "vad/encoder_layout.hpp"

namespace la3d {
namespace {

using P = ParamKind;

void unit3d(ModelSchema& s, const std::string& p, int64_t in, int64_t out, int64_t k) {
  s.push_back({p + ".conv3d.weight", {out, in, k, k, k}, P::Weight});
  add_batch_norm(s, p + ".batch3d", out);
}

}  // namespace

const MixedSpec kMixed[9] = {
    {"mixed_3b", 192, 64, 96, 128, 16, 32, 32},     {"mixed_3c", 256, 128, 128, 192, 32, 96, 64},
    {"mixed_4b", 480, 192, 96, 208, 16, 48, 64},    {"mixed_4c", 512, 160, 112, 224, 24, 64, 64},
    {"mixed_4d", 512, 128, 128, 256, 24, 64, 64},   {"mixed_4e", 512, 112, 144, 288, 32, 64, 64},
    {"mixed_4f", 528, 256, 160, 320, 32, 128, 128}, {"mixed_5b", 832, 256, 160, 320, 32, 128, 128},
    {"mixed_5c", 832, 384, 192, 384, 48, 128, 128}};

ModelSchema i3d_inception_schema() {
  ModelSchema s;
  unit3d(s, "conv3d_1a_7x7", 3, 64, 7);
  unit3d(s, "conv3d_2b_1x1", 64, 64, 1);
  unit3d(s, "conv3d_2c_3x3", 64, 192, 3);
  for (const MixedSpec& m : kMixed) {
    const std::string p = m.name;
    unit3d(s, p + ".branch_0", m.in, m.a, 1);
    unit3d(s, p + ".branch_1.0", m.in, m.b1, 1);
    unit3d(s, p + ".branch_1.1", m.b1, m.b2, 3);
    unit3d(s, p + ".branch_2.0", m.in, m.c1, 1);
    unit3d(s, p + ".branch_2.1", m.c1, m.c2, 3);
    unit3d(s, p + ".branch_3.1", m.in, m.d, 1);
  }
  s.push_back({"conv3d_0c_1x1.conv3d.weight", {400, 1024, 1, 1, 1}, P::Weight});
  s.push_back({"conv3d_0c_1x1.conv3d.bias", {400}, P::Bias});
  return s;
}

const int kR50Blocks[4] = {3, 4, 6, 3};
const int kR50Temporal[4][6] = {{1, 1, 1}, {1, 0, 1, 0}, {1, 0, 1, 0, 1, 0}, {0, 1, 0}};
bool r50_has_nonlocal(int layer, int block) {
  return (layer == 1 && (block == 1 || block == 3)) ||
         (layer == 2 && (block == 1 || block == 3 || block == 5));
}

ModelSchema i3d_r50_nl_schema() {
  ModelSchema s;
  s.push_back({"conv1.weight", {64, 3, 5, 7, 7}, P::Weight});
  add_batch_norm(s, "bn1", 64);
  int64_t in = 64;
  for (int l = 0; l < 4; ++l) {
    const int64_t planes = 64 << l;
    for (int b = 0; b < kR50Blocks[l]; ++b) {
      const std::string p = "layer" + std::to_string(l + 1) + "." + std::to_string(b) + ".";
      const int64_t kt = 1 + 2 * kR50Temporal[l][b];
      s.push_back({p + "conv1.weight", {planes, in, kt, 1, 1}, P::Weight});
      add_batch_norm(s, p + "bn1", planes);
      s.push_back({p + "conv2.weight", {planes, planes, 1, 3, 3}, P::Weight});
      add_batch_norm(s, p + "bn2", planes);
      s.push_back({p + "conv3.weight", {planes * 4, planes, 1, 1, 1}, P::Weight});
      add_batch_norm(s, p + "bn3", planes * 4);
      if (b == 0) {
        s.push_back({p + "downsample.0.weight", {planes * 4, in, 1, 1, 1}, P::Weight});
        add_batch_norm(s, p + "downsample.1", planes * 4);
      }
      in = planes * 4;
      if (r50_has_nonlocal(l, b)) {
        const int64_t ci = in / 2;
        for (const char* n : {"theta", "phi", "g"}) {
          s.push_back({p + "nl." + n + ".weight", {ci, in, 1, 1, 1}, P::Weight});
          s.push_back({p + "nl." + n + ".bias", {ci}, P::Bias});
        }
        s.push_back({p + "nl.out.weight", {in, ci, 1, 1, 1}, P::Weight});
        s.push_back({p + "nl.out.bias", {in}, P::Bias});
        add_batch_norm(s, p + "nl.bn", in);
      }
    }
  }
  s.push_back({"fc.weight", {400, 2048}, P::Weight});
  s.push_back({"fc.bias", {400}, P::Bias});
  return s;
}

ModelSchema encoder_schema(EncoderKind kind) {
  return kind == EncoderKind::I3dInception ? i3d_inception_schema() : i3d_r50_nl_schema();
}

int encoder_dim(EncoderKind kind) {
  return kind == EncoderKind::I3dInception ? 1024 : 2048;
}
const char* encoder_name(EncoderKind kind) {
  return kind == EncoderKind::I3dInception ? "I3D Inception" : "I3D ResNet-50 NL";
}

Result<std::unique_ptr<VideoEncoder>> load_encoder(EncoderKind kind,
                                                   const std::filesystem::path& checkpoint) {
  auto sd = read_checkpoint(checkpoint);
  if (!sd) return sd.error();
  auto enc = make_encoder(kind, sd.value());
  if (!enc) return make_error(checkpoint.string() + ": " + enc.error().message);
  return enc;
}

}  // namespace la3d
