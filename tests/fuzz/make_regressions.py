#!/usr/bin/env python3
"""Writes the hostile inputs that once crashed, hung or fooled la3d's parsers, one file each, into
regressions/<target>/. The unit tests (tests/cli/test_hostile_files.cpp) run every file through its
parser and expect a worded error, and `make fuzz` starts each fuzzer from them. Re-run after adding
a case; the files are committed so that neither tests nor fuzzers need Python. The ONNX seed is
the TF.js seed converted by la3d itself (`la3d models convert`), kept as a file; the dashboard_config
seeds are plain JSON bodies, kept as files too."""
import struct
import zipfile
import io
from pathlib import Path

out = Path(__file__).parent / "regressions"


def write(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# --- pickle pieces (protocol 2 opcodes) -------------------------------------------------------
def s(text):  # SHORT_BINUNICODE
    b = text.encode()
    return b"\x8c" + bytes([len(b)]) + b


def i(v):  # BININT
    return b"J" + struct.pack("<i", v)


def long1(v):
    n = (v.bit_length() + 8) // 8
    return b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True)


def legacy(top, keys=b"]."):
    """A pre-1.6 torch.save stream: magic, protocol 1001, sys info, the object, the storage keys."""
    return long1(0x1950A86A20F9469CFC6C) + b"." + i(1001) + b"." + b"N." + top + keys


def tensor(storage_key, offset, shape, stride, numel=4):
    """_rebuild_tensor_v2((storage...), offset, shape, stride, False, OrderedDict())"""
    tup = lambda xs: b"(" + b"".join(long1(x) for x in xs) + b"t"
    pid = b"(" + s("storage") + b"ctorch\nFloatStorage\n" + s(storage_key) + s("cpu") + i(numel) + b"tQ"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + long1(offset) + tup(shape) + tup(stride)
            + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR")


# A tensor whose stride makes offset arithmetic wrap to a small "valid" value (was: SIGSEGV).
top = b"}" + s("w") + tensor("0", 0, [3], [2**62 + 1]) + b"s."
write("checkpoint", "stride_overflow.pt", legacy(top, b"]" + s("0") + b"a.") + struct.pack("<q", 4) + bytes(16))
# Shape whose element count overflows int64.
top = b"}" + s("w") + tensor("0", 0, [2**40, 2**40], [0, 0]) + b"s."
write("checkpoint", "numel_overflow.pt", legacy(top, b"]" + s("0") + b"a.") + struct.pack("<q", 4) + bytes(16))
# A dict that holds itself under "state_dict" (was: stack overflow in the search).
write("checkpoint", "self_dict.pt", legacy(b"}q\x00" + s("state_dict") + b"h\x00s."))
# A list that holds itself (was: endless loop in the legacy storage walk).
write("checkpoint", "self_list.pt", legacy(b"]q\x00h\x00a."))
# 200k nested lists (was: stack overflow freeing them).
write("checkpoint", "nested_lists.pt", legacy(b"]" * 200000 + b"a" * 199999 + b"."))
# A storage element count so large that count * size wraps.
write("checkpoint", "storage_count_wrap.pt", legacy(b"}.", b"]" + s("0") + b"a.") + struct.pack("<q", 2**61 + 1))


def zip_with(data_pkl):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/data/0", bytes(16))
    return bytearray(buf.getvalue())


base = zip_with(b"}.")
eocd = base.rfind(b"PK\x05\x06")
# ZIP64: the classic record says "see zip64", whose central directory offset wraps when 46 is added.
z = bytearray(base[:eocd])
rec = len(z)
z += b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 1, 1, 46, 2**64 - 10)
z += b"PK\x06\x07" + struct.pack("<IQI", 0, rec, 1)
z += b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
write("checkpoint", "zip64_directory_wrap.pt", bytes(z))
# A central entry whose zip64 local-header offset wraps when the header size is added.
z = bytearray(base)
cd = z.find(b"PK\x01\x02")
struct.pack_into("<I", z, cd + 42, 0xFFFFFFFF)
name_len, extra_len = struct.unpack_from("<HH", z, cd + 28)
extra = struct.pack("<HHQ", 1, 8, 2**64 - 20)
z[cd + 46 + name_len:cd + 46 + name_len] = extra
struct.pack_into("<H", z, cd + 30, extra_len + len(extra))
e = z.rfind(b"PK\x05\x06")
size, off = struct.unpack_from("<II", z, e + 12)
struct.pack_into("<I", z, e + 12, size + len(extra))
write("checkpoint", "zip64_local_wrap.pt", bytes(z))
# A record whose size runs past the end of the file.
z = bytearray(base)
cd = z.find(b"PK\x01\x02")
struct.pack_into("<II", z, cd + 20, 0x7FFFFFFF, 0x7FFFFFFF)
write("checkpoint", "record_past_end.pt", bytes(z))


def npy(header, data=b""):
    h = header.encode()
    h += b" " * (63 - (10 + len(h)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data


# Element count overflows int64 (was: signed overflow, then a tiny allocation).
write("npy", "numel_overflow.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", bytes(16)))
# A dimension with more digits than any int64 (was: std::out_of_range escaping as internal error).
write("npy", "huge_dimension.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9" * 40 + ",), }"))
write("npy", "huge_width.npy", npy("{'descr': '<f99999999999', 'fortran_order': False, 'shape': (1,), }"))
write("npy", "long_header.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" + " " * 60000 + "1, ", bytes(4)))

line = '{"frame": 0, "width": 64, "height": 48, "objects": [{"class": "person", %s}]}\n'
for name, obj in [("box_1e10", '"box": [0, 0, 1e10, 1e10]'),
                  ("box_int_max", '"box": [-10, 0, 2147483647, 47]'),
                  ("box_60000", '"box": [0, 0, 60000, 60000]'),
                  ("polygon_1e300", '"polygons": [[0, 0, 1e300, 0, 1e300, 1e300, 0, 1e300]]')]:
    write("detections", name + ".jsonl", line % obj)
write("detections", "width_wraps.jsonl", '{"frame": 0, "width": 4294968064, "height": 576, "objects": []}\n')
write("detections", "rle_count_wraps.jsonl", line.replace("64", "4").replace("48", "4") %
      '"mask": {"size": [4, 4], "counts": [16, 4294967296]}')

# Found by fuzz_detections: a number beyond double's range is nlohmann's out_of_range, not a
# parse_error, and escaped the parser.
write("detections", "number_out_of_range.jsonl",
      '{"frame": 0, "width": 4, "height": 4, "objects": [{"class": "person", "polygons": [[0, 0, 1e300, 0, 1e300, 1e3300]]}]}\n')
# Found by fuzz_tfjs: a weight without "name" reached a const operator[] (an assert in debug builds,
# undefined behaviour in release ones).
write("tfjs", "weight_without_name.txt",
      '{"modelTopology": {"node": []}, "weightsManifest": [{"paths": ["w.bin"], "weights": [{"shape": [1]}]}]}'
      '\n--weights--\n' + "\0\0\0\0")
# Found by fuzz_tfjs: a Relu with no input (the converter read in[0] of an empty list), and a
# float32 weight of shape [0] (memcpy from the null data() of an empty vector).
write("tfjs", "node_without_inputs.txt",
      '{"modelTopology": {"node": [{"name": "r", "op": "Relu"}]}, "signature": {"outputs": {"r:0": {"name": "r:0"}}}}')
write("tfjs", "empty_weight.txt",
      '{"modelTopology": {"node": [{"name": "w", "op": "Const"}, {"name": "r", "op": "Relu", "input": ["w"]}]},'
      ' "signature": {"outputs": {"r:0": {"name": "r:0"}}},'
      ' "weightsManifest": [{"paths": ["w.bin"], "weights": [{"name": "w", "shape": [0], "dtype": "float32"}]}]}'
      '\n--weights--\n')
# Found by fuzz_tfjs: a shape of 1.1e135, a float read as int64 (undefined: float-cast-overflow).
write("tfjs", "float_dimension.txt",
      '{"modelTopology": {"node": []}, "weightsManifest": [{"paths": ["w.bin"], "weights":'
      ' [{"name": "w", "shape": [1.11111e135], "dtype": "float32"}]}]}\n--weights--\n')

# --- seed corpora: small valid files of each format, where the fuzzers start ------------------
seeds = Path(__file__).parent / "seeds"


def seed(target, name, data):
    d = seeds / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


seed("detections", "box.jsonl", '{"frame": 0, "width": 64, "height": 48, "objects": [{"class": "person", "score": 0.9, "box": [3, 4, 20, 40]}]}')
seed("detections", "mask.jsonl", '{"frame": 2, "width": 4, "height": 3, "objects": [{"class": "person", "mask": {"size": [3, 4], "counts": [2, 5, 5]}}, {"class": "face", "box": [0, 0, 1, 1]}]}')
seed("detections", "polygons.jsonl", '{"frame": 1, "width": 50, "height": 40, "objects": [{"class": "laptop", "polygons": [[10, 10, 30, 10, 30, 20, 10, 20], [1, 1, 5, 1, 3, 6]]}]}')
seed("npy", "f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", struct.pack("<6f", *range(6))))
seed("npy", "f2_fortran.npy", npy("{'descr': '<f2', 'fortran_order': True, 'shape': (2, 2), }", bytes([0, 60, 0, 64, 0, 66, 0, 68])))
seed("npy", "i8.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", struct.pack("<3q", 1, -2, 3)))
seed("npy", "scalar_f8.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", struct.pack("<d", 2.5)))
# {"w": 2x2 float tensor in storage "0", "b": 1 element of storage "1" at offset 1}
entries = s("w") + tensor("0", 0, [2, 2], [2, 1]) + s("b") + tensor("1", 1, [1], [1], numel=2)
storages = struct.pack("<q4f", 4, 1, 2, 3, 4) + struct.pack("<q2f", 2, 5, 6)
seed("checkpoint", "legacy.pt", legacy(b"}(" + entries + b"u.", b"](" + s("0") + s("1") + b"e.") + storages)
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
    z.writestr("model/data.pkl", b"\x80\x02}(" + entries + b"u.")
    z.writestr("model/data/0", struct.pack("<4f", 1, 2, 3, 4))
    z.writestr("model/data/1", struct.pack("<2f", 5, 6))
seed("checkpoint", "zip.pt", buf.getvalue())

import base64
import json as js


def b64(text):
    return base64.b64encode(text.encode()).decode()


nodes = [{"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": [{"size": d} for d in ["1", "5", "6", "2"]]}}}},
         {"name": "w", "op": "Const", "attr": {}}, {"name": "b", "op": "Const", "attr": {}},
         {"name": "conv", "op": "Conv2D", "input": ["x", "w"], "attr": {
             "padding": {"s": b64("SAME")}, "strides": {"list": {"i": ["1", "2", "2", "1"]}},
             "dilations": {"list": {"i": ["1", "1", "1", "1"]}}, "data_format": {"s": b64("NHWC")}}},
         {"name": "biased", "op": "BiasAdd", "input": ["conv", "b"]},
         {"name": "out", "op": "Relu6", "input": ["biased"]}]
model = {"format": "graph-model", "modelTopology": {"node": nodes},
         "signature": {"inputs": {"x:0": {"name": "x:0"}}, "outputs": {"out:0": {"name": "out:0"}}},
         "weightsManifest": [{"paths": ["w.bin"], "weights": [
             {"name": "w", "shape": [3, 3, 2, 4], "dtype": "float32"},
             {"name": "b", "shape": [4], "dtype": "float32"}]}]}
weights = struct.pack("<72f", *[((k * 37) % 11 - 5) / 5 for k in range(72)]) + struct.pack("<4f", 0.1, -0.2, 3, 0)
seed("tfjs", "conv_bias_relu6.txt", js.dumps(model).encode() + b"\n--weights--\n" + weights)
model["weightsManifest"][0]["weights"][0]["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
seed("tfjs", "float16.txt", js.dumps(model).encode() + b"\n--weights--\n" + bytes(144) + struct.pack("<4f", 0, 0, 0, 0))

# Found by fuzz_onnx: a Conv with a stride of 0 stops libonnx's shape inference with SIGFPE; and an
# initializer whose raw data is shorter than its dims (read past the end). Both made from the seed.
onnx_seed = (seeds / "onnx" / "conv_bias_relu6.onnx").read_bytes()
at = onnx_seed.find(b"strides")
assert at > 0
stride = onnx_seed.find(b"\x40\x02", at)
write("onnx", "stride_zero.onnx", onnx_seed[:stride] + b"\x40\x00" + onnx_seed[stride + 2:])
