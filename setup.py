"""Builds the Python package with the project's CMake: `pip install . --no-build-isolation`.

setuptools (Debian's python3-setuptools) only drives CMake here; CMake builds libla3d and the
pybind11 module exactly as `make` does. The package gets its own copy of libla3d beside the module
(the module finds it through RPATH $ORIGIN), so it keeps working when the build folder is gone.
LA3D_BUILD_DIR reuses an existing build folder (the tests do, to install in seconds).
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.environ.get("LA3D_BUILD_DIR") or os.path.join(ROOT, "build", "pip")
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
                               "-DCMAKE_BUILD_TYPE=Release", f"-DPython_EXECUTABLE={sys.executable}",
                               "-DLA3D_PYTHON=ON"])
        subprocess.check_call(["cmake", "--build", build, "--target", "la3d_python"])
        package = os.path.join(build, "python", "la3d")
        dest = os.path.dirname(os.path.abspath(self.get_ext_fullpath(ext.name)))
        os.makedirs(dest, exist_ok=True)
        for f in os.listdir(package):
            shutil.copy2(os.path.join(package, f), dest)
        # libla3d itself, under the name the module was linked against (its soname).
        soname = subprocess.check_output(
            ["sh", "-c", f"readelf -d {glob.glob(os.path.join(package, '_la3d*.so'))[0]} | "
                         "sed -n 's/.*NEEDED.*\\[\\(libla3d[^]]*\\)\\].*/\\1/p'"], text=True).strip()
        shutil.copy2(os.path.realpath(os.path.join(build, soname)), os.path.join(dest, soname))


setup(packages=["la3d"], package_dir={"la3d": "python/la3d"},
      package_data={"la3d": ["*.pyi", "py.typed"]},
      ext_modules=[Extension("la3d._la3d", sources=[])], cmdclass={"build_ext": CMakeBuild})
