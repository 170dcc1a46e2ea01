#include "la3d/vad/checkpoint.hpp"

#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "la3d/io/io.hpp"
#include "vad/half_float.hpp"
#include "vad/unpickler.hpp"
#include "vad/zip_archive.hpp"

namespace la3d {
namespace {

using K = PyValue::Kind;

size_t element_size(const std::string& dtype) {
  if (dtype == "float64" || dtype == "int64") return 8;
  if (dtype == "float32" || dtype == "int32") return 4;
  if (dtype == "float16" || dtype == "bfloat16" || dtype == "int16") return 2;
  return 1;
}

float element(const char* p, const std::string& dtype) {
  if (dtype == "float32") {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  if (dtype == "float64") {
    double d;
    std::memcpy(&d, p, 8);
    return float(d);
  }
  if (dtype == "float16" || dtype == "bfloat16") {
    uint16_t h;
    std::memcpy(&h, p, 2);
    if (dtype == "float16") return half_to_float(h);
    const uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  if (dtype == "int64") {
    int64_t v;
    std::memcpy(&v, p, 8);
    return float(v);
  }
  if (dtype == "int32") {
    int32_t v;
    std::memcpy(&v, p, 4);
    return float(v);
  }
  if (dtype == "int16") {
    int16_t v;
    std::memcpy(&v, p, 2);
    return float(v);
  }
  if (dtype == "int8") return float(int8_t(*p));
  return float(uint8_t(*p));
}

// Where each storage's bytes are, by its key.
using Storages = std::map<std::string, std::string_view>;

// Larger than any VAD model's tensor (I3D's largest is about 4M elements) by far; a claim beyond it
// is a hostile or broken file, not something to allocate.
constexpr int64_t kMaxTensorElements = int64_t(1) << 28;

Result<TensorData> materialize(const PyValue& t, const Storages& storages) {
  const PyValue& st = *t.items.at(0);
  const auto it = storages.find(st.s);
  if (it == storages.end()) return make_error("storage '" + st.s + "' is missing");
  const size_t esize = element_size(st.dtype);
  const int64_t avail = int64_t(it->second.size() / esize);
  TensorData out;
  out.dtype = st.dtype;
  out.shape = t.shape;
  if (t.stride.size() != t.shape.size()) return make_error("tensor stride and shape disagree");
  if (t.i < 0) return make_error("negative storage offset");
  // Element count and the furthest element read, checked for overflow: a crafted stride must not
  // wrap around into a small, "valid" offset.
  int64_t n = 1, last = t.i;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < 0 || t.stride[d] < 0) return make_error("negative tensor size or stride");
    if (__builtin_mul_overflow(n, t.shape[d], &n) || n > kMaxTensorElements)
      return make_error("tensor has more than 2^28 elements");
    int64_t span = 0;
    if (t.shape[d] > 0 && (__builtin_mul_overflow(t.shape[d] - 1, t.stride[d], &span) ||
                           __builtin_add_overflow(last, span, &last)))
      return make_error("tensor runs past its storage '" + st.s + "'");
  }
  if (n > 0 && last >= avail) return make_error("tensor runs past its storage '" + st.s + "'");
  out.values.resize(size_t(n));
  std::vector<int64_t> idx(t.shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = t.i;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.stride[d];
    out.values[size_t(k)] = element(it->second.data() + size_t(off) * esize, st.dtype);
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// The dict of tensors: the top object, or one it holds under a usual name. `depth` bounds the
// search, so a dict that holds itself under "state_dict" ends it.
const PyValue* find_state_dict(const PyValue& top, int depth = 0) {
  if (top.kind != K::Dict || depth > 4) return nullptr;
  bool all_tensors = !top.dict.empty();
  for (const auto& [k, v] : top.dict) all_tensors = all_tensors && v->kind == K::Tensor;
  if (all_tensors) return &top;
  for (const char* name : {"state_dict", "model", "net", "module", "model_state_dict"})
    for (const auto& [k, v] : top.dict)
      if (k->kind == K::Str && k->s == name)
        if (const PyValue* d = find_state_dict(*v, depth + 1)) return d;
  // A state dict may also hold non-tensor entries (rare): keep its tensors.
  for (const auto& [k, v] : top.dict)
    if (v->kind == K::Tensor) return &top;
  return nullptr;
}

Result<StateDict> collect(const PyValue& top, const Storages& storages) {
  const PyValue* d = find_state_dict(top);
  if (!d) return make_error("holds no state dict (a dict of tensors)");
  StateDict out;
  for (const auto& [k, v] : d->dict) {
    if (k->kind != K::Str || v->kind != K::Tensor) continue;
    auto t = materialize(*v, storages);
    if (!t) return make_error("tensor '" + k->s + "': " + t.error().message);
    out.emplace_back(k->s, std::move(t.value()));
  }
  return out;
}

Result<StateDict> read_zip(std::string_view bytes) {
  auto records = list_zip(bytes);
  if (!records) return records.error();
  // The top folder is named after the file when it was saved; do not assume "archive/".
  std::string prefix;
  for (const auto& [name, e] : records.value())
    if (name.size() >= 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0)
      prefix = name.substr(0, name.size() - 8);
  if (prefix.empty()) return make_error("zip archive without data.pkl: not a torch.save file");
  const ZipEntry pkl = records->at(prefix + "data.pkl");
  size_t pos = 0;
  PyArena arena;
  auto top = unpickle(bytes.substr(pkl.offset, pkl.size), pos, arena);
  if (!top) return top.error();
  Storages storages;
  const std::string data_dir = prefix + "data/";
  for (const auto& [name, e] : records.value())
    if (name.rfind(data_dir, 0) == 0)
      storages[name.substr(data_dir.size())] = bytes.substr(e.offset, e.size);
  return collect(*top.value(), storages);
}

// The pre-1.6 stream: magic number, protocol version, system info, the object, the list of storage
// keys, then each storage as an int64 element count and its raw bytes.
Result<StateDict> read_legacy(std::string_view bytes) {
  size_t pos = 0;
  PyArena arena;
  PyRef header[3];
  for (PyRef& h : header) {
    auto v = unpickle(bytes, pos, arena);
    if (!v)
      return make_error("neither a zip nor a legacy torch.save file (" + v.error().message + ")");
    h = v.value();
  }
  if (header[1]->kind != K::Int || header[1]->i != 1001)
    return make_error("unknown legacy torch.save protocol");
  auto top = unpickle(bytes, pos, arena);
  if (!top) return top.error();
  auto keys = unpickle(bytes, pos, arena);
  if (!keys) return keys.error();
  // Element sizes come from the storages the object refers to. Each value is visited once: a
  // list that holds itself must not send this walk round for ever.
  std::map<std::string, std::string> dtypes;
  std::set<const PyValue*> seen;
  std::vector<const PyValue*> todo{top.value()};
  while (!todo.empty()) {
    const PyValue* v = todo.back();
    todo.pop_back();
    if (!seen.insert(v).second) continue;
    if (v->kind == K::Storage) dtypes[v->s] = v->dtype;
    for (const PyRef& x : v->items) todo.push_back(x);
    for (const auto& kv : v->dict) todo.push_back(kv.second);
  }
  Storages storages;
  for (const PyRef& k : keys.value()->items) {
    if (bytes.size() - pos < 8) return make_error("legacy file truncated in the storages");
    int64_t n;
    std::memcpy(&n, bytes.data() + pos, 8);
    pos += 8;
    const size_t esize = element_size(dtypes[k->s]);
    if (n < 0 || uint64_t(n) > (bytes.size() - pos) / esize)
      return make_error("legacy file truncated in the storages");
    const size_t len = size_t(n) * esize;
    storages[k->s] = bytes.substr(pos, len);
    pos += len;
  }
  return collect(*top.value(), storages);
}

}  // namespace

int64_t TensorData::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<StateDict> parse_checkpoint(std::string_view bytes) {
  return looks_like_zip(bytes) ? read_zip(bytes) : read_legacy(bytes);
}

Result<StateDict> read_checkpoint(const std::filesystem::path& file) {
  auto read = read_file(file);
  if (!read) return make_error("cannot read checkpoint " + file.string());
  auto sd = parse_checkpoint(read.value());
  if (!sd) return make_error("checkpoint " + file.string() + ": " + sd.error().message);
  return sd;
}

}  // namespace la3d
