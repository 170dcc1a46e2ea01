#include "la3d/npy.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "la3d/io.hpp"
#include "vad/half_float.hpp"

namespace la3d {

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<NpyArray> read_npy(const std::filesystem::path& path) {
  auto read = read_file(path);
  if (!read) return read.error();
  const std::string& b = read.value();
  const std::string name = path.string();
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
    return make_error(name + " is not a .npy file");
  size_t header_len, start;
  if (b[6] == 1) {
    header_len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8;
    start = 10;
  } else {
    if (b.size() < 12) return make_error(name + " is truncated");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | uint8_t(b[8 + size_t(i)]);
    start = 12;
  }
  if (start + header_len > b.size()) return make_error(name + " is truncated");
  const std::string header = b.substr(start, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([<>|=])([a-z])(\d+)')")))
    return make_error(name + ": no dtype in the header");
  const char order = m[1].str()[0], kind = m[2].str()[0];
  const int width = std::stoi(m[3]);
  if (order == '>' && width > 1) return make_error(name + ": big-endian arrays are not supported");
  const bool fortran = header.find("'fortran_order': True") != std::string::npos;
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))")))
    return make_error(name + ": no shape in the header");
  NpyArray a;
  std::stringstream dims(m[1].str());
  for (std::string d; std::getline(dims, d, ',');)
    if (d.find_first_of("0123456789") != std::string::npos) a.shape.push_back(std::stoll(d));
  const int64_t n = a.numel();
  const bool known = (kind == 'f' && (width == 2 || width == 4 || width == 8)) ||
                     (kind == 'i' && (width == 4 || width == 8));
  if (!known) return make_error(name + ": dtype " + m.str() + " is not float or int");
  if (start + header_len + size_t(n) * size_t(width) > b.size())
    return make_error(name + ": data shorter than its shape");
  const char* p = b.data() + start + header_len;
  a.data.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i, p += width) {
    float v;
    if (kind == 'f' && width == 4) {
      std::memcpy(&v, p, 4);
    } else if (kind == 'f' && width == 8) {
      double d;
      std::memcpy(&d, p, 8);
      v = float(d);
    } else if (kind == 'f') {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = half_to_float(h);
    } else if (width == 8) {
      int64_t x;
      std::memcpy(&x, p, 8);
      v = float(x);
    } else {
      int32_t x;
      std::memcpy(&x, p, 4);
      v = float(x);
    }
    if (!std::isfinite(v))
      return make_error(name + ": value " + std::to_string(i) + " is not finite (NaN or infinity)");
    a.data[size_t(i)] = v;
  }
  if (fortran && a.shape.size() > 1) {
    // Fortran order: the first index varies fastest. Reorder into C order.
    std::vector<float> c(a.data.size());
    std::vector<int64_t> idx(a.shape.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t f = 0, stride = 1;
      for (size_t d = 0; d < idx.size(); ++d) {
        f += idx[d] * stride;
        stride *= a.shape[d];
      }
      c[size_t(i)] = a.data[size_t(f)];
      for (size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < a.shape[d]) break;
        idx[d] = 0;
      }
    }
    a.data = std::move(c);
  }
  return a;
}

Status write_npy(const std::filesystem::path& path, const NpyArray& a) {
  if (a.numel() != int64_t(a.data.size())) return make_error("array data does not match its shape");
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    shape += std::to_string(a.shape[i]);
    if (i + 1 < a.shape.size() || a.shape.size() == 1) shape += ',';
    if (i + 1 < a.shape.size()) shape += ' ';
  }
  shape += ')';
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + newline: a multiple of 64 bytes.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size() * 4);
  return write_file_atomically(path, out);
}

}  // namespace la3d
