#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "la3d/vad/checkpoint.hpp"
#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad_encoder.hpp"
#include "la3d/vad/vad_weights.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

const test::fs::path kVectors = test::fs::path(LA3D_SHARED_DIR) / "vectors";

std::string absent_message(const test::fs::path& p) {
  return "the shared reference vectors are absent (" + p.string() + ")";
}

struct ManifestRow {
  std::string key;
  std::vector<int64_t> shape;
  double sum = 0;
  double first = 0;
};

// The table of one model in shared/vectors/MANIFEST.md: key, shape, sum and first value per tensor.
std::vector<ManifestRow> manifest_table(const std::string& model) {
  std::ifstream in(kVectors / "MANIFEST.md");
  std::vector<ManifestRow> rows;
  bool inside = false;
  const std::regex row(
      R"(^\| \d+ \| `([^`]+)` \| \[([^\]]*)\] \| \w+ \| \w+ \| \d* \| ([-0-9.e]+) \| ([-0-9.e]+) \|)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("### ", 0) == 0) inside = line.find("`" + model + "`") != std::string::npos;
    std::smatch m;
    if (!inside || !std::regex_search(line, m, row)) continue;
    ManifestRow r;
    r.key = m[1];
    std::stringstream dims(m[2].str());
    for (std::string d; std::getline(dims, d, ',');) r.shape.push_back(std::stoll(d));
    r.sum = std::stod(m[3]);
    r.first = std::stod(m[4]);
    rows.push_back(r);
  }
  return rows;
}

void expect_matches_manifest(const std::string& model, const ModelSchema& schema, double gain) {
  const auto rows = manifest_table(model);
  ASSERT_EQ(rows.size(), schema.size()) << model;
  const StateDict sd = formula_weights(schema, gain);
  for (size_t k = 0; k < rows.size(); ++k) {
    EXPECT_EQ(sd[k].first, rows[k].key) << model << " entry " << k;
    EXPECT_EQ(sd[k].second.shape, rows[k].shape) << rows[k].key;
    double sum = 0;
    for (float v : sd[k].second.values) sum += v;
    EXPECT_NEAR(sum, rows[k].sum, 1e-9 * std::max(1.0, std::fabs(rows[k].sum))) << rows[k].key;
    if (!sd[k].second.values.empty()) {
      EXPECT_NEAR(sd[k].second.values[0], rows[k].first,
                  1e-8 * std::max(1.0, std::fabs(rows[k].first)))
          << rows[k].key;
    }
  }
}

TEST(FormulaWeights, MatchTheManifestTensorByTensor) {
  if (!test::fs::exists(kVectors / "MANIFEST.md")) {
    GTEST_SKIP() << absent_message(kVectors / "MANIFEST.md");
  }
  expect_matches_manifest("pel4vad_ucf", pel4vad_schema(9), 2.0);
  expect_matches_manifest("pel4vad_xd", pel4vad_schema(3), 2.0);
  expect_matches_manifest("mgfn_ucf", mgfn_schema(2048), 2.0);
  expect_matches_manifest("mgfn_xd", mgfn_schema(1024), 2.0);
  expect_matches_manifest("i3d_inception", i3d_inception_schema(), 2.0);
  expect_matches_manifest("i3d_r50_nl", i3d_r50_nl_schema(), 1.5);
}

TEST(FormulaWeights, FollowTheFormula) {
  // Independent of the MANIFEST: entry k = 0 is a scalar, so its value is sin(0 + 0 + 0.25); entry
  // 1 of PEL4VAD is sin(0.5 + 0.25); a bias is 0.01 sin(b i^2 + c k + phase).
  const StateDict sd = formula_weights(pel4vad_schema(9), 2.0);
  EXPECT_EQ(sd[0].second.values[0], float(std::sin(0.25)));
  EXPECT_EQ(sd[1].second.values[0], float(std::sin(0.75)));
  const double b = 3.883222077450933;
  EXPECT_EQ(sd[3].second.values[7], float(0.01 * std::sin(b * 49.0 + 1.5 + 0.25)));
  EXPECT_EQ(sd[2].second.values[2], float(2.0 / 32.0 * std::sin(b * 4.0 + 1.0 + 0.25)));
}

TEST(Checkpoint, ReadsTheThreeOfficialFormatsAsTheFormula) {
  if (!test::fs::exists(kVectors / "checkpoints")) {
    GTEST_SKIP() << absent_message(kVectors / "checkpoints");
  }
  const StateDict want = formula_weights(pel4vad_schema(9), 2.0);
  for (const char* name : {"pel4vad_ucf_formula.pkl", "pel4vad_ucf_formula_legacy.pkl",
                           "pel4vad_ucf_formula_cuda18style.pkl"}) {
    auto sd = read_checkpoint(kVectors / "checkpoints" / name);
    ASSERT_TRUE(sd.ok()) << name << ": " << sd.error().message;
    ASSERT_EQ(sd->size(), want.size()) << name;
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(sd->at(k).first, want[k].first) << name;
      EXPECT_EQ(sd->at(k).second.shape, want[k].second.shape) << name << " " << want[k].first;
      EXPECT_EQ(sd->at(k).second.values, want[k].second.values) << name << " " << want[k].first;
    }
    EXPECT_TRUE(check_state_dict(sd.value(), pel4vad_schema(9), "PEL4VAD-UCF").ok());
  }
}

TEST(Checkpoint, BadFilesGiveClearErrors) {
  test::TempDir dir;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  auto r = read_checkpoint(write("text.pkl", "hello, not a checkpoint"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("text.pkl"), std::string::npos) << r.error().message;
  EXPECT_FALSE(read_checkpoint(dir / "absent.pkl").ok());
  EXPECT_FALSE(read_checkpoint(write("zip.pkl", std::string("PK\x03\x04", 4) + "junk")).ok());
  if (test::fs::exists(kVectors / "checkpoints")) {
    std::ifstream in(kVectors / "checkpoints" / "pel4vad_ucf_formula.pkl", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    auto cut = read_checkpoint(write("cut.pkl", bytes.substr(0, bytes.size() / 2)));
    EXPECT_FALSE(cut.ok());
    std::ifstream in2(kVectors / "checkpoints" / "pel4vad_ucf_formula_legacy.pkl",
                      std::ios::binary);
    std::string legacy((std::istreambuf_iterator<char>(in2)), {});
    EXPECT_FALSE(
        read_checkpoint(write("cut_legacy.pkl", legacy.substr(0, legacy.size() - 1000))).ok());
  }
}

TEST(Checkpoint, StrictCheckNamesWhatIsWrong) {
  // XD weights offered to the UCF model: the classifier kernel is 3, not 9.
  auto s =
      check_state_dict(formula_weights(pel4vad_schema(3), 2.0), pel4vad_schema(9), "PEL4VAD-UCF");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("classifier.weight is [1,300,3] not [1,300,9]"),
            std::string::npos)
      << s.error().message;
  StateDict sd = formula_weights(pel4vad_schema(9), 2.0);
  sd.erase(sd.begin() + 4);
  sd.push_back({"extra.weight", TensorData{"float32", {1}, {0.f}}});
  s = check_state_dict(sd, pel4vad_schema(9), "PEL4VAD-UCF");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("missing self_attention.self_attn.k.weight"), std::string::npos);
  EXPECT_NE(s.error().message.find("unexpected extra.weight"), std::string::npos);
  // A DataParallel checkpoint: "module." prefixes are removed as the reference loaders do.
  StateDict wrapped = formula_weights(mgfn_schema(1024), 2.0);
  for (auto& [k, t] : wrapped) k = "module." + k;
  EXPECT_TRUE(
      check_state_dict(strip_module_prefix(wrapped, false), mgfn_schema(1024), "MGFN").ok());
}

TEST(Npy, RoundTripAndRefusals) {
  test::TempDir dir;
  NpyArray a{{2, 3, 4}, {}};
  for (int i = 0; i < 24; ++i) a.data.push_back(float(i) * 0.5f - 3.f);
  ASSERT_TRUE(write_npy(dir / "a.npy", a).ok());
  auto b = read_npy(dir / "a.npy");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->shape, a.shape);
  EXPECT_EQ(b->data, a.data);
  // The independent reader of the tests sees the same array.
  const cv::Mat m = test::read_npy(dir / "a.npy");
  ASSERT_EQ(m.dims, 3);
  EXPECT_EQ(m.ptr<float>()[23], a.data[23]);
  // float16 data, written by hand: 1, -2.5, the smallest normal 2^-14 and the smallest subnormal
  // 2^-24.
  {
    std::string header = "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    std::string bytes("\x93NUMPY\x01\x00", 8);
    bytes += char(header.size());
    bytes += char(0);
    bytes += header;
    for (uint16_t h : {0x3C00, 0xC100, 0x0400, 0x0001}) {
      bytes += char(h & 0xFF);
      bytes += char(h >> 8);
    }
    std::ofstream(dir / "half.npy", std::ios::binary) << bytes;
    auto h = read_npy(dir / "half.npy");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->data,
              (std::vector<float>{1.f, -2.5f, std::ldexp(1.f, -14), std::ldexp(1.f, -24)}));
  }
  a.data[5] = NAN;
  ASSERT_TRUE(write_npy(dir / "nan.npy", a).ok());
  auto n = read_npy(dir / "nan.npy");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message.find("not finite"), std::string::npos);
}

}  // namespace
}  // namespace la3d
