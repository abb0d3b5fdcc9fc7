#!/usr/bin/env python3
"""Single-case wall time and peak RSS of `rdx extract` against PyRadiomics with
equivalent settings, in the same run, for two suites:

  firstorder: rdx intensity statistics + intensity histogram vs PyRadiomics'
              firstorder class (fixed bin width 25, no resampling, no re-segmentation);
  all:        all PyRadiomics default classes (firstorder, shape, glcm, glrlm, glszm,
              gldm, ngtdm) vs rdx's equivalent families in 3D (statistics, histogram,
              morphology without Moran's I / Geary's C, GLCM, GLRLM, GLSZM, NGTDM, NGLDM),
              fixed bin width 25 on the CT phantom; on the synthetic CT every rdx family
              with 64 bins (fixed bin number) and default morphology settings.

Cases: the IBSI CT phantom (datasets/ibsi_ct_phantom) and a synthetic
512 x 512 x 300 int16 CT with an ellipsoidal ROI of about 20 million voxels
(PyRadiomics is not run there in the `all` suite: it takes hours).
Usage: python3 benchmarks/bench_extract.py [--suite firstorder|all] [--rdx build/rdx]
                                           [--skip-large] [--repeat N]
Needs numpy, SimpleITK and pyradiomics. PyRadiomics 3.0.1 builds from source and needs its build
requirements present first:
  pip install numpy SimpleITK pywavelets pykwalify six versioneer
  pip install --no-build-isolation pyradiomics"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SETTINGS = {
    "firstorder": """families: [intensity_statistics, intensity_histogram]
discretisation: {method: fixed_bin_size, bin_width: 25, min: -2000}
""",
    # The families PyRadiomics' default classes have (firstorder = statistics +
    # histogram entropy/uniformity, shape, glcm, glrlm, glszm, gldm = ngldm, ngtdm);
    # its shape class has no Moran's I / Geary's C: they are off here.
    "all": """families: [intensity_statistics, intensity_histogram, morphology, glcm, glrlm, glszm, ngtdm, ngldm]
texture: {aggregation: [3D]}
morphology: {autocorrelation: off}
discretisation: {method: fixed_bin_size, bin_width: 25, min: -2000}
""",
    "all_large": """texture: {aggregation: [3D]}
discretisation: {method: fixed_bin_number, bin_number: 64}
""",
}

PYRAD = r"""
import sys, logging
import SimpleITK as sitk
from radiomics import featureextractor
logging.getLogger("radiomics").setLevel(logging.ERROR)
ext = featureextractor.RadiomicsFeatureExtractor(binWidth=25, additionalInfo=False)
if sys.argv[3] == "firstorder":
    ext.disableAllFeatures()
    ext.enableFeatureClassByName("firstorder")
import time
t0 = time.perf_counter()
r = ext.execute(sys.argv[1], sys.argv[2])
print("compute_seconds", time.perf_counter() - t0)
"""


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time -v; return (seconds, peak RSS in MiB, its own
    compute time when it prints one)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    inner = re.search(r"compute_seconds (\S+)", p.stdout)
    return wall, rss_kb / 1024.0, float(inner.group(1)) if inner else wall


def in_memory(rdx, img, mask, settings, threads):
    """Seconds per case of the computation alone (volumes already read), from
    bench_extract_mem next to rdx: what the thread count can speed up."""
    mem = os.path.join(os.path.dirname(os.path.abspath(rdx)), "bench_extract_mem")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    p = subprocess.run([mem, img, mask, settings, "50", "cpu"], capture_output=True, text=True, env=env)
    m = re.search(r"compute_s (\S+)", p.stdout)
    return float(m.group(1)) if p.returncode == 0 and m else float("nan")


def best(cmd, repeat, env=None):
    runs = [timed(cmd, env) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)


def synthetic_case(folder):
    import numpy as np
    import SimpleITK as sitk
    nx, ny, nz = 512, 512, 300
    rng = np.random.default_rng(1)
    z, y, x = np.ogrid[:nz, :ny, :nx]
    roi = ((x - 255.5) / 200.0) ** 2 + ((y - 255.5) / 200.0) ** 2 + ((z - 149.5) / 120.0) ** 2 <= 1.0
    img = rng.normal(-700, 150, size=(nz, ny, nx)).astype(np.int16)
    img[roi] = rng.normal(40, 120, size=int(roi.sum())).astype(np.int16)
    paths = []
    for arr, name in ((img, "image.nii.gz"), (roi.astype(np.uint8), "mask.nii.gz")):
        im = sitk.GetImageFromArray(arr)
        im.SetSpacing((0.8, 0.8, 1.0))
        path = os.path.join(folder, name)
        sitk.WriteImage(im, path, useCompression=False)
        paths.append(path)
    return paths[0], paths[1], int(roi.sum()), img.size


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rdx", default=os.path.join(ROOT, "build", "rdx"))
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--suite", choices=("firstorder", "all"), default="firstorder")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rdx_bench_")
    pyrad = os.path.join(tmp, "pyrad.py")
    open(pyrad, "w").write(PYRAD)
    cases = [("IBSI CT phantom", os.path.join(ROOT, "datasets/ibsi_ct_phantom/image.nii.gz"),
              os.path.join(ROOT, "datasets/ibsi_ct_phantom/mask.nii.gz"), 125256, 204 * 201 * 60)]
    if not a.skip_large:
        img, mask, n_roi, n_vox = synthetic_case(tmp)
        cases.append(("synthetic 512x512x300", img, mask, n_roi, n_vox))
    print(f"{'case':22} {'tool':23} {'wall s':>7} {'compute s':>9} {'RSS MiB':>8} {'PyRad/tool wall':>15}")
    print(f"suite: {a.suite}")
    for name, img, mask, n_roi, n_vox in cases:
        large = n_roi > 1e6
        settings = os.path.join(tmp, "settings.yaml")
        open(settings, "w").write(SETTINGS["all_large" if a.suite == "all" and large else a.suite])
        out = os.path.join(tmp, "out.csv")
        rows = []
        for threads in (1, 2):
            env = dict(os.environ, OMP_NUM_THREADS=str(threads))
            cmd = [a.rdx, "extract", "--image", img, "--mask", mask, "--settings", settings, "--out", out, "-q"]
            wall, rss, inner = best(cmd, a.repeat, env)
            if not large:
                inner = in_memory(a.rdx, img, mask, settings, threads)
            rows.append((f"rdx, {threads} thread{'s' if threads > 1 else ''}", wall, rss, inner))
        py = None
        if not (large and a.suite == "all"):
            py = best([sys.executable, pyrad, img, mask, a.suite], 1 if large else a.repeat)
            rows.append((f"PyRadiomics {a.suite}",) + py)
        for tool, wall, rss, inner in rows:
            ratio = f"{py[0] / wall:15.1f}" if py else f"{'-':>15}"
            print(f"{name:22} {tool:23} {wall:7.3f} {inner:9.3f} {rss:8.0f} {ratio}")
        print(f"  rdx speed-up from 1 to 2 threads: {rows[0][1] / rows[1][1]:.2f}x whole process"
              + ("" if large else f", {rows[0][3] / rows[1][3]:.2f}x computation with the volumes in memory"))
        f32 = n_vox * 4 / 2**20
        print(f"  ROI {n_roi} voxels; image {n_vox} voxels = {f32:.0f} MiB as float32; "
              f"RSS bound 3 x {f32:.0f} + 256 = {3 * f32 + 256:.0f} MiB")
        print("  rdx compute s: " + ("= wall, reading included" if large else
              "computation alone, volumes in memory (bench_extract_mem); PyRadiomics: execute(), reading included"))
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
