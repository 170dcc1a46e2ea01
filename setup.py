"""Builds the Python package with the project's CMake: `pip install . --no-build-isolation`.

setuptools (Debian's python3-setuptools) only drives CMake here; CMake builds the la3d libraries and the
pybind11 module exactly as `make` does. The package gets its own copy of the la3d libraries beside the module
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
        reused = os.environ.get("LA3D_BUILD_DIR")
        build = reused or os.path.join(ROOT, "build", "pip")
        # A reused build keeps its own interpreter: writing this (often temporary) venv's into its
        # cache would break that build's next configure once the venv is gone. The venv runs the
        # same Debian python3, so the module built for it loads here.
        python = [] if reused else [f"-DPython_EXECUTABLE={sys.executable}"]
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-G", "Ninja",
                               "-DCMAKE_BUILD_TYPE=Release", *python, "-DLA3D_PYTHON=ON"])
        subprocess.check_call(["cmake", "--build", build, "--target", "la3d_python"])
        package = os.path.join(build, "python", "la3d")
        dest = os.path.dirname(os.path.abspath(self.get_ext_fullpath(ext.name)))
        os.makedirs(dest, exist_ok=True)
        for f in os.listdir(package):
            shutil.copy2(os.path.join(package, f), dest)
        # The la3d module libraries (libla3d_core, ...), each under its soname, the name the
        # module and the other libraries look for; they find each other through RPATH $ORIGIN.
        for lib in glob.glob(os.path.join(build, "libla3d_*.so")):
            soname = subprocess.check_output(
                ["sh", "-c", f"readelf -d {lib} | sed -n 's/.*SONAME.*\\[\\(.*\\)\\].*/\\1/p'"],
                text=True).strip()
            shutil.copy2(os.path.realpath(lib), os.path.join(dest, soname))


setup(packages=["la3d"], package_dir={"la3d": "python/la3d"},
      package_data={"la3d": ["*.pyi", "py.typed"]},
      ext_modules=[Extension("la3d._la3d", sources=[])], cmdclass={"build_ext": CMakeBuild})
