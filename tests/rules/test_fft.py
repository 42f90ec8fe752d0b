"""Numerical checks of the numpy.fft rules: every transform, every norm, padding and cropping.

The rows are the ones the coverage test reads; each row is also run under a
short tag (its n/s/axes/norm variant) so that failures name the variant.
"""

import numpy as onp
import pytest

import tapegrad.numpy as np
from tapegrad import grad, make_jvp

from .harness import Row, expand, run

C = ("float64", "complex128")
R = ("float64",)
V, M = ((4,),), ((3, 4),)
T3 = ((2, 3, 4),)
NORMS = (None, "ortho", "forward")

# Two rows deliberately use NumPy 2's deprecated ``s`` without ``axes`` (still supported).
pytestmark = pytest.mark.filterwarnings("ignore:`axes` should not be `None`:DeprecationWarning")


def _variants():
    out = []

    def add(tag, row):
        out.append((tag, row))

    for norm in NORMS:
        nt = norm or "backward"
        # 1-D complex transforms: default length, padding (n=6), cropping (n=3), along each axis.
        for name in ("fft", "ifft"):
            f = getattr(np.fft, name)
            add(nt, Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, norm=norm), [V, M], dtypes=C))
            add(f"{nt}-n6", Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, n=6, norm=norm), [V, M], dtypes=C))
            add(f"{nt}-n3-axis0", Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, 3, 0, norm), [M], dtypes=C))
            add(f"{nt}-n2-axis0", Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, 2, axis=0, norm=norm), [V], dtypes=C))
        # n-dimensional complex transforms, with s padding one axis and cropping another.
        for name in ("fftn", "ifftn"):
            f = getattr(np.fft, name)
            add(nt, Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, norm=norm), [V, M, T3], dtypes=C))
            add(f"{nt}-s", Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, s=(5, 2), axes=(0, 2), norm=norm), [T3], dtypes=C))
            add(f"{nt}-axes", Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, axes=(0,), norm=norm), [M], dtypes=C))
        for name in ("fft2", "ifft2"):
            f = getattr(np.fft, name)
            add(nt, Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, norm=norm), [M, T3], dtypes=C))
            add(f"{nt}-s", Row(f"fft.{name}", lambda x, f=f, norm=norm: f(x, s=(2, 5), norm=norm), [M], dtypes=C))
        # Real input: even and odd lengths, padded and cropped.
        add(nt, Row("fft.rfft", lambda x, norm=norm: np.fft.rfft(x, norm=norm), [V, M], dtypes=R))
        for n in (3, 5, 6):
            add(f"{nt}-n{n}", Row("fft.rfft", lambda x, n=n, norm=norm: np.fft.rfft(x, n, norm=norm), [V, M], dtypes=R))
        add(f"{nt}-axis0", Row("fft.rfft", lambda x, norm=norm: np.fft.rfft(x, axis=0, norm=norm), [M], dtypes=R))
        add(nt, Row("fft.rfftn", lambda x, norm=norm: np.fft.rfftn(x, norm=norm), [V, M, T3], dtypes=R))
        add(f"{nt}-s", Row("fft.rfftn", lambda x, norm=norm: np.fft.rfftn(x, s=(2, 5), axes=(0, 1), norm=norm), [T3], dtypes=R))
        add(f"{nt}-odd", Row("fft.rfftn", lambda x, norm=norm: np.fft.rfftn(x, s=(4, 3), norm=norm), [M], dtypes=R))
        add(nt, Row("fft.rfft2", lambda x, norm=norm: np.fft.rfft2(x, norm=norm), [M, T3], dtypes=R))
        add(f"{nt}-s", Row("fft.rfft2", lambda x, norm=norm: np.fft.rfft2(x, s=(4, 5), norm=norm), [M], dtypes=R))
        # Real output: the Hermitian weights, even/odd n, cropped and padded half-spectra.
        add(nt, Row("fft.irfft", lambda a, norm=norm: np.fft.irfft(a, norm=norm), [V, M], dtypes=C))
        for n in (4, 5, 9, 10):
            add(f"{nt}-n{n}", Row("fft.irfft", lambda a, n=n, norm=norm: np.fft.irfft(a, n, norm=norm), [V, M], dtypes=C))
        add(f"{nt}-axis0", Row("fft.irfft", lambda a, norm=norm: np.fft.irfft(a, axis=0, norm=norm), [M], dtypes=C))
        add(nt, Row("fft.irfftn", lambda a, norm=norm: np.fft.irfftn(a, norm=norm), [V, M, T3], dtypes=C))
        add(f"{nt}-s", Row("fft.irfftn", lambda a, norm=norm: np.fft.irfftn(a, s=(3, 5), axes=(2, 0), norm=norm), [T3], dtypes=C))
        add(f"{nt}-even", Row("fft.irfftn", lambda a, norm=norm: np.fft.irfftn(a, s=(2, 8), norm=norm), [M], dtypes=C))
        add(nt, Row("fft.irfft2", lambda a, norm=norm: np.fft.irfft2(a, norm=norm), [M, T3], dtypes=C))
        add(f"{nt}-s", Row("fft.irfft2", lambda a, norm=norm: np.fft.irfft2(a, s=(4, 5), norm=norm), [M], dtypes=C))
        add(nt, Row("fft.hfft", lambda a, norm=norm: np.fft.hfft(a, norm=norm), [V, M], dtypes=C))
        for n in (5, 8):
            add(f"{nt}-n{n}", Row("fft.hfft", lambda a, n=n, norm=norm: np.fft.hfft(a, n, norm=norm), [V, M], dtypes=C))
        add(nt, Row("fft.ihfft", lambda x, norm=norm: np.fft.ihfft(x, norm=norm), [V, M], dtypes=R))
        add(f"{nt}-n5", Row("fft.ihfft", lambda x, norm=norm: np.fft.ihfft(x, 5, 0, norm), [V, M], dtypes=R))
    for name in ("fftshift", "ifftshift"):
        f = getattr(np.fft, name)
        add("all", Row(f"fft.{name}", f, [V, ((3, 5),)], dtypes=C))
        add("axis0", Row(f"fft.{name}", lambda x, f=f: f(x, axes=0), [((3, 5),)], dtypes=C))
        add("axes", Row(f"fft.{name}", lambda x, f=f: f(x, axes=(1,)), [((3, 5),)], dtypes=C))
    add("d", Row("fft.fftfreq", lambda d: np.fft.fftfreq(5, d), [((),)], domain="positive"))
    add("d", Row("fft.rfftfreq", lambda d: np.fft.rfftfreq(6, d=d), [((),)], domain="positive"))
    return out


VARIANTS = _variants()
ROWS = [row for _, row in VARIANTS]


def _params():
    params = []
    for tag, row in VARIANTS:
        for p in expand([row]):
            params.append(pytest.param(*p.values, id=f"{p.id}-{tag}"))
    return params


@pytest.mark.parametrize("row,shapes,dtype", _params())
def test_rule(row, shapes, dtype):
    run(row, shapes, dtype)


# ----- values and behaviour beyond the numerical check ---------------------------------


def test_values_match_numpy_on_plain_and_traced_inputs():
    x = onp.random.default_rng(1).standard_normal((3, 4))
    for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn", "rfftn", "irfftn",
                 "fft2", "ifft2", "rfft2", "irfft2", "fftshift", "ifftshift"):
        ours, theirs = getattr(np.fft, name), getattr(onp.fft, name)
        onp.testing.assert_allclose(ours(x), theirs(x))
        # Forward mode returns the value computed on the traced input.
        value, _ = make_jvp(ours)(x)(onp.ones_like(x))
        onp.testing.assert_allclose(value, theirs(x))


def test_plain_numpy_call_on_traced_value_dispatches():
    x = onp.array([0.5, -1.0, 2.0, 0.25])
    g_ours = grad(lambda x: np.sum(np.real(np.fft.fft(x)) * np.arange(4.0)))(x)
    g_np = grad(lambda x: np.sum(np.real(onp.fft.fft(x)) * np.arange(4.0)))(x)
    onp.testing.assert_allclose(g_ours, g_np)


def test_irfft_gradient_ignores_imaginary_dc_and_nyquist():
    # irfft(a, 6) discards Im a[0] and Im a[3]: their gradient (the imaginary part) is zero.
    a = onp.array([1.0 + 0.5j, 2.0 - 1.0j, 0.3 + 0.2j, -1.0 + 2.0j])
    g = grad(lambda a: np.sum(np.fft.irfft(a) * onp.arange(1.0, 7.0)))(a)
    assert g[0].imag == 0.0 and g[3].imag == 0.0
    assert onp.all(g[1:3].imag != 0.0)


def test_fftfreq_plain_values():
    onp.testing.assert_array_equal(np.fft.fftfreq(8, 0.1), onp.fft.fftfreq(8, 0.1))
    onp.testing.assert_array_equal(np.fft.rfftfreq(8, 0.1), onp.fft.rfftfreq(8, 0.1))


def test_out_argument_refused_on_traced_values():
    with pytest.raises(ValueError, match="out="):
        grad(lambda x: np.sum(np.real(np.fft.fft2(x, out=onp.zeros((2, 2), complex)))))(onp.ones((2, 2)))
