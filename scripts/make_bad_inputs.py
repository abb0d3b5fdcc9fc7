#!/usr/bin/env python3
"""Write the small broken (and edge-case) image files in datasets/bad/.

Uses only python3, numpy, gzip, zlib and struct, so the files do not depend on the
readers under test. NIfTI-1 headers are packed by hand (348 bytes + 4-byte
extension flag, data at offset 352); NRRD headers are plain text. Run from the
repository root:  python3 scripts/make_bad_inputs.py
The output is deterministic (fixed seeds, gzip mtime 0).
"""
import gzip
import os
import struct
import sys
import zlib

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "bad")

# The IBSI digital phantom grid: 5x4x4 voxels of 2 mm, sform diag(-2,-2,2) in RAS
# (identity direction in LPS), qform = 180 degree rotation about z (b,c,d) = (0,0,1).
PHANTOM_DIMS = (5, 4, 4)
PHANTOM_SROW = ((-2.0, 0, 0, 0), (0, -2.0, 0, 0), (0, 0, 2.0, 0))

DT = {"uint8": (2, 8), "int16": (4, 16), "float32": (16, 32), "complex64": (32, 64), "rgb24": (128, 24)}


def nifti1_header(dims, dtype, pixdim, srow=None, sform_code=None, qform_code=1,
                  quatern=(0.0, 0.0, 1.0), qoffset=(0.0, 0.0, 0.0), scl=(1.0, 0.0), endian="<"):
    """348-byte NIfTI-1 header (little-endian unless endian is ">") plus the
    4-byte extension flag."""
    code, bitpix = DT[dtype]
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    pix = [1.0] + list(pixdim) + [0.0] * (7 - len(pixdim))
    if sform_code is None:
        sform_code = 0 if srow is None else 1
    srow = srow if srow is not None else ((0.0,) * 4,) * 3
    fields = (
        348, b"", b"", 0, 0, b"r", b"\0",        # sizeof_hdr .. dim_info
        *dim,                                    # dim[8]
        0.0, 0.0, 0.0,                           # intent_p1..3
        0, code, bitpix, 0,                      # intent_code, datatype, bitpix, slice_start
        *pix,                                    # pixdim[8]
        352.0, scl[0], scl[1],                   # vox_offset, scl_slope, scl_inter
        0, b"\0", bytes([2 | 8]),                # slice_end, slice_code, xyzt_units (mm, s)
        0.0, 0.0, 0.0, 0.0, 0, 0,                # cal_max/min, slice_duration, toffset, glmax/min
        b"rdx test file", b"",                   # descrip, aux_file
        qform_code, sform_code,
        *quatern, *qoffset,
        *srow[0], *srow[1], *srow[2],
        b"", b"n+1\0")
    hdr = struct.pack(endian + "i10s18sihcc8h3f4h8f3fhcc4f2i80s24s2h6f12f16s4s", *fields)
    assert len(hdr) == 348
    return hdr + b"\0\0\0\0"


def nifti2_header(dims, srow):
    """540-byte little-endian NIfTI-2 header (float64 voxels, sform only) plus the
    4-byte extension flag; data at offset 544."""
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    pix = [1.0] + [sum(r[c] ** 2 for r in srow) ** 0.5 for c in range(3)] + [0.0] * 4
    fields = (
        540, b"n+2\0\r\n\x1a\n", 64, 64,         # sizeof_hdr, magic, datatype, bitpix
        *dim, 0.0, 0.0, 0.0, *pix,               # dim[8], intent_p1..3, pixdim[8]
        544, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0,       # vox_offset, scl_slope/inter, cal_max/min, slice_duration, toffset
        0, 0, b"rdx test file", b"",             # slice_start/end, descrip, aux_file
        0, 1,                                    # qform_code, sform_code
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0,            # quatern, qoffset
        *srow[0], *srow[1], *srow[2],
        0, 2 | 8, 0, b"", b"\0", b"")            # slice_code, xyzt_units, intent_code, intent_name, dim_info, unused
    hdr = struct.pack("<i8s2h8q3d8dq6d2q80s24s2i6d12d3i16sc15s", *fields)
    assert len(hdr) == 540
    return hdr + b"\0\0\0\0"


def phantom_header(dtype, pixdim=(2.0, 2.0, 2.0), srow=PHANTOM_SROW):
    return nifti1_header(PHANTOM_DIMS, dtype, pixdim, srow)


def voxels(dims, dtype, values):
    """Voxel bytes in NIfTI order (x fastest): values is indexed [k][j][i]."""
    return np.asarray(values, dtype=dtype).reshape(dims[::-1]).tobytes()


def write(name, data, gz=False):
    path = os.path.join(OUT, name)
    if gz:
        data = gzip.compress(data, compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
    assert len(data) < 20000, name
    return data


def nrrd(header_lines, data):
    return ("NRRD0004\n" + "".join(line + "\n" for line in header_lines) + "\n").encode() + data


def corrupt_gzip(stream, header_bytes):
    """Overwrite a run of bytes in the middle of a deflate stream so that zlib
    reports a stream error (not only a CRC mismatch) after at least header_bytes
    decompressed bytes. Tries successive offsets; fails loudly if none works."""
    for start in range(len(stream) // 2, len(stream) - 64, 7):
        bad = bytearray(stream)
        bad[start:start + 48] = b"\xff" * 48
        d = zlib.decompressobj(wbits=31)
        got = 0
        try:
            for i in range(0, len(bad), 16):
                got += len(d.decompress(bytes(bad[i:i + 16])))
        except zlib.error as e:
            if "invalid" in str(e) and got >= header_bytes:
                return bytes(bad)
    sys.exit("could not corrupt the gzip stream")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240601)
    n = int(np.prod(PHANTOM_DIMS))

    # Valid header, gzip stream complete, but only half of the 160 data bytes.
    data = voxels(PHANTOM_DIMS, "<i2", np.arange(n))
    write("truncated.nii.gz", phantom_header("int16") + data[: len(data) // 2], gz=True)

    # 48x48x4 int16 noise (does not compress away) with the deflate stream damaged mid-way.
    dims = (48, 48, 4)
    plain = nifti1_header(dims, "int16", (1.0, 1.0, 1.0)) + voxels(dims, "<i2", rng.integers(0, 30000, 48 * 48 * 4))
    write("corrupt.nii.gz", corrupt_gzip(gzip.compress(plain, 9, mtime=0), 352 + 64))

    # Intact deflate data but a wrong CRC-32 in the gzip trailer.
    stream = bytearray(gzip.compress(phantom_header("int16") + data, 9, mtime=0))
    stream[-8] ^= 0xFF
    write("bad_crc.nii.gz", bytes(stream))

    write("not_nifti.nii", b"This is a text file, not a NIfTI image.\n" * 4)

    c = (np.arange(8) + 1j * np.arange(8)).astype("<c8")
    write("complex.nii", nifti1_header((2, 2, 2), "complex64", (1.0, 1.0, 1.0)) + c.tobytes())
    write("rgb.nii", nifti1_header((2, 2, 2), "rgb24", (1.0, 1.0, 1.0)) + bytes(range(24)))

    # float32 phantom-grid image; NaN at (i,j,k) = (3,2,1): flat index 3 + 5*(2 + 4*1) = 33.
    f = np.arange(n, dtype="<f4")
    f[33] = np.nan
    write("nan.nii.gz", phantom_header("float32") + f.tobytes(), gz=True)

    # float32 NRRD, +Inf at (i,j,k) = (1,3,2): flat index 1 + 5*(3 + 4*2) = 56.
    f = np.arange(n, dtype="<f4")
    f[56] = np.inf
    write("inf.nrrd", nrrd(["type: float", "dimension: 3", "space: left-posterior-superior",
                            "sizes: 5 4 4", "space directions: (2,0,0) (0,2,0) (0,0,2)",
                            "kinds: domain domain domain", "endian: little", "encoding: raw",
                            "space origin: (0,0,0)"], f.tobytes()))

    write("empty_mask.nii.gz", phantom_header("uint8") + bytes(n), gz=True)

    # Same dims as the phantom but 2.5 mm slices.
    m = np.zeros(n, dtype=np.uint8)
    m[20:40] = 1
    srow = (PHANTOM_SROW[0], PHANTOM_SROW[1], (0, 0, 2.5, 0))
    write("mismatch_mask.nii.gz", phantom_header("uint8", (2.0, 2.0, 2.5), srow) + m.tobytes(), gz=True)

    # Raw int16 NRRD declaring 5x4x4 (160 bytes) with only 100 data bytes.
    write("truncated.nrrd", nrrd(["type: short", "dimension: 3", "sizes: 5 4 4", "spacings: 2 2 2",
                                  "endian: little", "encoding: raw"], bytes(100)))

    # 2x2x2 int16 with 3 vector components in dim 5 (an intent-vector field).
    write("vector.nii", nifti1_header((2, 2, 2, 1, 3), "int16", (1.0, 1.0, 1.0, 1.0, 1.0))
          + voxels((2, 2, 2, 1, 3), "<i2", np.arange(24)))
    write("vector.nrrd", nrrd(["type: float", "dimension: 4", "sizes: 3 2 2 2",
                               "kinds: 3-vector domain domain domain", "endian: little",
                               "encoding: raw"], np.arange(24, dtype="<f4").tobytes()))

    # ---- valid edge cases (geometry and scaling rules) ----
    # int16 with scl_slope 0.5, scl_inter -10: stored v reads as 0.5*v - 10.
    write("scaled.nii", nifti1_header((3, 2, 1), "int16", (1.0, 1.0, 1.0), scl=(0.5, -10.0))
          + voxels((3, 2, 1), "<i2", [0, 1, 2, 101, -100, 7]))

    # Big-endian int16 header and data, values 1..6.
    write("big_endian.nii", nifti1_header((3, 2, 1), "int16", (1.0, 1.0, 1.0), endian=">")
          + voxels((3, 2, 1), ">i2", [1, 2, 3, 4, 5, 6]))

    # NIfTI-2, float64 voxels (0.5, 1.5, ..., 7.5), sform with values float32 cannot hold:
    # spacing 0.1 x 0.3 x 1.7, origin (RAS) (-12.345678901234, 0.000123456789, 98.7654321).
    write("nifti2.nii", nifti2_header((2, 2, 2), ((-0.1, 0, 0, -12.345678901234), (0, -0.3, 0, 0.000123456789),
                                                  (0, 0, 1.7, 98.7654321)))
          + (np.arange(8, dtype="<f8") + 0.5).tobytes())

    # qform only: 90 degree rotation about z, (b,c,d) = (0,0,sqrt(1/2)); pixdim 1.5,2,3;
    # qoffset (10,20,30). sform_code 0 with a different srow that must be ignored.
    s = 0.5 ** 0.5
    write("qform_only.nii", nifti1_header((3, 2, 2), "uint8", (1.5, 2.0, 3.0),
                                          srow=((9, 0, 0, 1), (0, 9, 0, 2), (0, 0, 9, 3)),
                                          sform_code=0, qform_code=1, quatern=(0.0, 0.0, s),
                                          qoffset=(10.0, 20.0, 30.0)) + bytes(12))

    # Both set and different: the sform (rotated, sheared-free, origin (5,-6,7)) wins.
    write("sform_and_qform.nii", nifti1_header((3, 2, 2), "uint8", (1.0, 1.0, 1.0),
                                               srow=((0, 0, 4.0, 5.0), (3.0, 0, 0, -6.0), (0, 2.0, 0, 7.0)),
                                               qform_code=1, quatern=(0.0, 0.0, 0.0)) + bytes(12))

    # Neither code set: pixdim spacing, identity direction, zero origin.
    write("pixdim_only.nii", nifti1_header((3, 2, 2), "uint8", (0.5, 0.75, 1.25), sform_code=0,
                                           qform_code=0, srow=PHANTOM_SROW) + bytes(12))

    # RAS-space NRRD: directions and origin are negated in x and y on reading.
    write("ras.nrrd", nrrd(["type: unsigned char", "dimension: 3", "space: right-anterior-superior",
                            "sizes: 3 2 2", "space directions: (-1.5,0,0) (0,0,2) (0,-3,0)",
                            "kinds: domain domain domain", "encoding: raw",
                            "space origin: (10,20,30)"], bytes(range(12))))

    # LAS-space NRRD: only y is negated on reading.
    write("las.nrrd", nrrd(["type: unsigned char", "dimension: 3", "space: left-anterior-superior",
                            "sizes: 3 2 2", "space directions: (1,0,0) (0,2,0) (0,0,3)",
                            "kinds: domain domain domain", "encoding: raw",
                            "space origin: (4,5,6)"], bytes(12)))

    # A space rdx does not map to LPS.
    write("scanner_xyz.nrrd", nrrd(["type: unsigned char", "dimension: 3", "space: scanner-xyz",
                                    "sizes: 3 2 2", "space directions: (1,0,0) (0,1,0) (0,0,1)",
                                    "kinds: domain domain domain", "encoding: raw"], bytes(12)))

    # 2D LPS NRRD: two in-plane directions; the reader adds their unit normal as z.
    write("plane2d_lps.nrrd", nrrd(["type: unsigned char", "dimension: 2", "space: left-posterior-superior",
                                    "sizes: 3 2", "space directions: (0,0.5,0) (0.25,0,0)",
                                    "kinds: domain domain", "encoding: raw",
                                    "space origin: (1,2,3)"], bytes(6)))

    # 2D NRRD without space information: per-axis spacings, nz = 1.
    write("plane2d.nrrd", nrrd(["type: unsigned short", "dimension: 2", "sizes: 3 2",
                                "spacings: 0.5 0.25", "endian: little", "encoding: raw"],
                               np.arange(6, dtype="<u2").tobytes()))


if __name__ == "__main__":
    main()
